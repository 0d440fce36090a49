#!/usr/bin/env bash
# Installs the Debian 12 packages that building, testing and running
# mod_pyfarm_jobs need, when some are missing (needs root and apt-get).
#
# Installing apache2 or postgresql normally starts the system's apache2 on
# port 80 and a PostgreSQL cluster on 5432.  We never use those (the tests
# and scripts/run-dev start private servers on loopback), so during the
# install a policy-rc.d forbids starting services.
set -euo pipefail

packages=(
    apache2 apache2-dev libaprutil1-dbd-pgsql libpq-dev
    postgresql postgresql-client
    libjson-c-dev zlib1g-dev check valgrind
    autoconf automake libtool pkg-config make gcc libc6-dev
    python3 curl wrk clang-format locales
    # t/test_auth.py: htpasswd's bcrypt hashes, openssl's throwaway CA
    apache2-utils openssl
    # t/test_openapi.py: conf/openapi.json's schemas (JSON Schema 2020-12)
    python3-jsonschema
    # t/run.py: the backtrace of a crashed httpd process's core file
    gdb
    # make package-test: the Debian package (debian/), built and checked
    debhelper dpkg-dev lintian
)

# t/test_db_errors.py runs a database whose lc_messages is German: the
# locale must exist (localedef needs root and the locales package).
make_locale() {
    locale -a 2>/dev/null | grep -qix 'de_DE.utf8' && return 0
    if [[ $(id -u) -ne 0 ]]; then
        echo "deps.sh: locale de_DE.UTF-8 is missing; run this script as root" >&2
        return 1
    fi
    localedef -i de_DE -c -f UTF-8 de_DE.UTF-8
}

missing=()
for pkg in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [[ $status == "install ok installed" ]] || missing+=("$pkg")
done
if (( ${#missing[@]} == 0 )); then
    make_locale
    exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
    echo "deps.sh: missing packages: ${missing[*]}; run this script as root" >&2
    exit 1
fi

policy=/usr/sbin/policy-rc.d
if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\n# temporary, from mod_pyfarm_jobs scripts/deps.sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    trap 'rm -f "$policy"' EXIT
fi

echo "deps.sh: installing ${missing[*]}"
log=$(mktemp)
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get -qq update && apt-get -qq install -y --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    echo "deps.sh: apt-get failed" >&2
    exit 1
fi
rm -f "$log"
make_locale
