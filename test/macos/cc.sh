#!/bin/sh
# cc.sh ZIG LD ARCH ARG... -- the C compiler of make build-macos, for macOS
# on ARCH (x86_64, aarch64): zig cc compiles, with macOS's headers (no
# SDK), and a link (-shared) goes through LD, lld's Mach-O linker, which
# honours -exported_symbols_list as Apple's linker does (zig's own ignores
# it). A link takes the options Apple's driver does: -undefined
# dynamic_lookup and -Wl,-exported_symbols_list,FILE. Paths have no spaces.
set -eu
zig=$1 ld=$2 arch=$3
shift 3
case " $* " in
    *" -shared "*) ;;
    *) exec "$zig" cc -target "$arch-macos" "$@" ;;
esac

cflags= sources= inputs= ldflags= out=
while [ $# -gt 0 ]; do
    case $1 in
        -shared) ;;
        -o) out=$2; shift ;;
        -undefined) ldflags="$ldflags -undefined $2"; shift ;;
        -Wl,*) ldflags="$ldflags $(echo "${1#-Wl,}" | tr , ' ')" ;;
        *.c) sources="$sources $1" ;;
        *.a|*.o) inputs="$inputs $1" ;;
        *) cflags="$cflags $1" ;;
    esac
    shift
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
for src in $sources; do
    n=$((n + 1))
    "$zig" cc -target "$arch-macos" $cflags -c "$src" -o "$tmp/$n.o"
    inputs="$tmp/$n.o $inputs"
done
case $arch in aarch64) ldarch=arm64 ;; *) ldarch=$arch ;; esac
# The libc calls are left to the VM that loads the library, as the enif_
# ones are (-undefined dynamic_lookup): no libSystem is needed to link.
exec "$ld" -dylib -arch "$ldarch" -platform_version macos 13.0 13.0 \
    $ldflags $inputs -o "$out"
