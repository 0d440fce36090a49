#!/usr/bin/env bash
# Builds the module (.libs/mod_pyfarm_jobs.so): autoreconf and configure
# only when their inputs changed, then make.  Quiet unless something fails.
#
# Warnings: with CI=true or PFJ_WERROR=1 (scripts/run-tests sets it) the
# tree is configured --enable-werror and any compiler warning fails the
# build; PFJ_WERROR=0 configures it back without.
# Sanitizers: PFJ_SANITIZE=1 configures --enable-sanitizers (the module,
# the core and the unit tests with AddressSanitizer and
# UndefinedBehaviorSanitizer, for scripts/run-tests); PFJ_SANITIZE=0
# configures it back without.
# Otherwise the tree keeps what it was configured with (a fresh tree:
# warnings only, no sanitizers).  A switch that changes how objects are
# compiled (to -Werror, or to or from the sanitizers) rebuilds
# everything, so that no object escapes it.
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

# yes when the tree's Makefile gives the variable $1 (WERROR_CFLAGS,
# SANITIZER_CFLAGS) flags, that is, configure's switch is on; else no.
configured() {
    if [[ -f Makefile ]] && grep -q "^$1 = -" Makefile; then
        echo yes
    else
        echo no
    fi
}

# What the setting $1 (1, 0 or empty) asks for: yes, no, or $2 (the
# tree's own).
wanted() {
    case $1 in
    1) echo yes ;;
    0) echo no ;;
    *) echo "$2" ;;
    esac
}

if [[ ! -x configure || configure.ac -nt configure || Makefile.am -nt configure ]]; then
    mkdir -p m4
    quietly autoreconf -fi
fi
was_werror=$(configured WERROR_CFLAGS)
was_sanitizers=$(configured SANITIZER_CFLAGS)
werror_setting=${PFJ_WERROR:-}
if [[ -z $werror_setting && ${CI:-} == true ]]; then
    werror_setting=1
fi
werror=$(wanted "$werror_setting" "$was_werror")
sanitizers=$(wanted "${PFJ_SANITIZE:-}" "$was_sanitizers")

# configure's arguments: the tree's own (if configured), with the two
# switches as wanted.
configure_args() {
    local arg
    if [[ -f config.status ]]; then
        eval "set -- $(./config.status --config)"
        for arg in "$@"; do
            case $arg in
            --enable-werror | --disable-werror) ;;
            --enable-sanitizers | --disable-sanitizers) ;;
            *) printf '%s\n' "$arg" ;;
            esac
        done
    fi
    [[ $werror == yes ]] && printf '%s\n' --enable-werror
    [[ $sanitizers == yes ]] && printf '%s\n' --enable-sanitizers
    return 0
}

if [[ ! -f Makefile || configure -nt Makefile || $werror != "$was_werror"
      || $sanitizers != "$was_sanitizers" ]]; then
    had_makefile=$([[ -f Makefile ]] && echo yes || echo no)
    mapfile -t args < <(configure_args)
    quietly ./configure "${args[@]}"
    if [[ $had_makefile == yes && ( ($werror == yes && $was_werror == no)
          || $sanitizers != "$was_sanitizers" ) ]]; then
        quietly make clean
    fi
fi
make -s -j2 --no-print-directory
