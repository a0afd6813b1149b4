#!/bin/sh
# ensure-deps.sh PACKAGE... -- make sure the Debian packages are installed.
# As root, installs the missing ones with apt-get; otherwise prints the exact
# command to run and fails.
set -eu
missing=""
for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $pkg"
    fi
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
    echo "cnif: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
    echo "cnif: missing Debian packages. Run:" >&2
    echo "    sudo apt-get install -y$missing" >&2
    exit 1
fi
