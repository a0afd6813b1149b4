#!/bin/sh
# exports.sh LIBRARY... -- each must be a Mach-O shared library whose only
# exported symbol is nif_init (_nif_init), beside the ones the linker
# defines for every library (the Mach-O header, __dso_handle). Prints what
# it checked; fails naming each library that exports more or is not one.
set -eu
failed=0
for so in "$@"; do
    if ! file -b "$so" | grep -q '^Mach-O 64-bit .*shared library'; then
        echo "build-macos: $so: not a Mach-O shared library: $(file -b "$so")"
        failed=1
        continue
    fi
    extra=$(llvm-nm -g --defined-only --just-symbol-name "$so" \
        | grep -v -x -e _nif_init -e ___dso_handle -e '__mh_.*_header' || true)
    if [ -n "$extra" ]; then
        echo "build-macos: $so exports more than nif_init:" $extra
        failed=1
    elif ! llvm-nm -g --defined-only --just-symbol-name "$so" | grep -q -x _nif_init; then
        echo "build-macos: $so does not export nif_init"
        failed=1
    fi
done
[ "$failed" = 0 ] && echo "build-macos: $# libraries, $(file -b "$1" | cut -d' ' -f3): each a Mach-O shared library exporting nif_init alone"
exit "$failed"
