#!/bin/sh
# run.sh OTP ROOT "PACKAGE..." [CC] -- run cnif's suites on another
# Erlang/OTP in the Debian chroot ROOT, made first if it is not there
# (test/otp/otp.mk); with no CC, only make the chroot.
# Runs as root: it makes the chroot and mounts into it, in a mount namespace
# of its own, so nothing stays mounted when it ends. Inside the chroot the
# same script runs again (run.sh --inside OTP CC), from the mounted tree.
set -eu

if [ "$1" = --inside ]; then
    build=build-otp-$2 cc=$3
    cd /cnif
    erl -noshell -eval 'io:format("test-otp: Erlang/OTP ~s (erts ~s), ",
        [erlang:system_info(otp_release), erlang:system_info(version)]), halt().'
    echo "Elixir $(elixir --short-version), $($cc --version | head -n 1)"
    make -j"$(nproc)" test BUILD="$build" CC="$cc" ISO_CRASHES=24 STRESS=10
    make test-scaffold BUILD="$build" CC="$cc"
    make demo BUILD="$build" CC="$cc"
    exit 0
fi

otp=$1 root=$2 packages=$3 cc=${4:-}
case $otp in
    27) suite=trixie ;;
    newest) suite=sid ;;
    *) echo "test-otp: OTP=$otp: one of 27, newest" >&2; exit 2 ;;
esac

# The chroot is kept, marked with the packages it was made with: a change
# of the list makes it anew.
if [ "$(cat "$root/.cnif-ready" 2>/dev/null)" != "$packages" ]; then
    rm -rf "$root"
    mkdir -p "$(dirname "$root")"
    log=$(mktemp)
    echo "test-otp: making a Debian $suite chroot in $root"
    # The Release file of unstable is valid for a week only, and the mirror
    # a CI machine reaches may be a snapshot older than that: its age is
    # not checked (its signature is).
    if ! mmdebstrap --variant=apt --aptopt='Acquire::Check-Valid-Until "false"' \
            --include="$(echo $packages | tr ' ' ,)" \
            "$suite" "$root" http://deb.debian.org/debian >"$log" 2>&1; then
        tail -n 30 "$log"
        rm -rf "$root" "$log"
        if [ "$suite" = sid ]; then
            echo "test-otp: SKIPPED OTP=$otp: Debian $suite's packages could not be installed (apt's error above)"
            exit 0
        fi
        echo "test-otp: FAILED: a Debian $suite chroot could not be made" >&2
        exit 1
    fi
    rm -f "$log"
    echo "$packages" >"$root/.cnif-ready"
fi
[ -n "$cc" ] || exit 0

mkdir -p "$root/cnif"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# The chroot's /dev is a tmpfs of its own with the few devices a build
# uses: with this machine's /dev mounted there, a program that replaced
# /dev/null inside would replace it here.
exec unshare --mount --propagation private sh -euc '
    mount --bind "$2" "$1/cnif"
    mount -t proc proc "$1/proc"
    mount -t tmpfs -o mode=755,nosuid dev "$1/dev"
    for device in null:3 zero:5 full:7 random:8 urandom:9; do
        mknod -m 666 "$1/dev/${device%:*}" c 1 "${device#*:}"
    done
    mkdir "$1/dev/shm"
    mount -t tmpfs -o mode=1777,nosuid,nodev shm "$1/dev/shm"
    ln -s /proc/self/fd "$1/dev/fd"
    exec chroot "$1" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        HOME=/root LANG=C.UTF-8 sh /cnif/test/otp/run.sh --inside "$3" "$4"
' run "$root" "$(pwd)" "$otp" "$cc"
