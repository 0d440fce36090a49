#!/usr/bin/env bash
# Builds the module (.libs/mod_pyfarm_jobs.so): autoreconf and configure
# only when their inputs changed, then make.  Quiet unless something fails.
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

if [[ ! -x configure || configure.ac -nt configure || Makefile.am -nt configure ]]; then
    mkdir -p m4
    quietly autoreconf -fi
fi
if [[ ! -f Makefile || configure -nt Makefile ]]; then
    quietly ./configure
fi
make -s -j2 --no-print-directory
