#!/usr/bin/env bash
# Prints the OpenBLAS core type this CPU should use. Debian's OpenBLAS misdetects recent Xeons and
# falls back to generic kernels five times slower; the vtok binary fixes this itself, and the test
# runner gets it from here. Prints nothing when auto-detection can be trusted.
flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)
if [[ " $flags " == *" avx512f "* && " $flags " == *" avx512bw "* && " $flags " == *" avx512vl "* ]]; then
    echo SkylakeX
elif [[ " $flags " == *" avx2 "* ]]; then
    echo Haswell
fi
