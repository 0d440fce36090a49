#!/usr/bin/env bash
# Builds the module (.libs/mod_pyfarm_jobs.so): autoreconf and configure
# only when their inputs changed, then make.  Quiet unless something fails.
#
# Warnings: with CI=true or PFJ_WERROR=1 (scripts/run-tests sets it) the
# tree is configured --enable-werror and any compiler warning fails the
# build; PFJ_WERROR=0 configures it back without.  Otherwise the tree keeps
# what it was configured with (a fresh tree: warnings only).  Switching to
# -Werror rebuilds everything, so that no object escapes it.
set -euo pipefail
cd "$(dirname "$0")/.."

# Runs a command with its output kept aside, shown only if it fails.
quietly() {
    local log
    log=$(mktemp)
    if ! "$@" >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        echo "build.sh: '$*' failed" >&2
        return 1
    fi
    rm -f "$log"
}

# yes when the tree is configured --enable-werror, else no.
configured_werror() {
    if [[ -f Makefile ]] && grep -q '^WERROR_CFLAGS = -Werror' Makefile; then
        echo yes
    else
        echo no
    fi
}

if [[ ! -x configure || configure.ac -nt configure || Makefile.am -nt configure ]]; then
    mkdir -p m4
    quietly autoreconf -fi
fi
# The -Werror setting asked for: yes, no, or the tree's own.
was=$(configured_werror)
werror=$was
if [[ ${PFJ_WERROR:-} == 1 || ( -z ${PFJ_WERROR:-} && ${CI:-} == true ) ]]; then
    werror=yes
elif [[ ${PFJ_WERROR:-} == 0 ]]; then
    werror=no
fi

# configure's arguments: the tree's own (if configured), --enable-werror
# added or dropped.
configure_args() {
    local want=$1 arg
    if [[ -f config.status ]]; then
        eval "set -- $(./config.status --config)"
        for arg in "$@"; do
            if [[ $arg != --enable-werror && $arg != --disable-werror ]]; then
                printf '%s\n' "$arg"
            fi
        done
    fi
    if [[ $want == yes ]]; then
        printf '%s\n' --enable-werror
    fi
}

if [[ ! -f Makefile || configure -nt Makefile || $werror != "$was" ]]; then
    mapfile -t args < <(configure_args "$werror")
    quietly ./configure "${args[@]}"
    if [[ $werror == yes && $was == no && -f Makefile ]]; then
        quietly make clean
    fi
fi
make -s -j2 --no-print-directory
