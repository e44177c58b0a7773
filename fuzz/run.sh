#!/usr/bin/env bash
# Builds and runs the fuzz targets (libFuzzer):
#   png, jpeg   the C shims in Sources/CImageCodecs (clang -fsanitize=fuzzer,address,undefined)
#   container   the .vtok reader, Sources/VTokContainer (swiftc -sanitize=fuzzer,address)
#   decode      parse + VTokCodec.decode of a .vtok with a tiny random model of either architecture (swiftc, several modules)
# Usage: fuzz/run.sh [target...]   (default: all). FUZZ_SECONDS=60 per target (0: build only),
# FUZZ_RUNS=N to stop after N executions instead, FUZZ_RSS_MB=2048 memory cap per target.
# New inputs go to .build-fuzz/corpus/<target>; crashes to .build-fuzz/crashes/<target>/ (the run
# fails). Seeds: fuzz/corpus/<target>/ (fuzz/make-seeds.py remakes the image ones); inputs that
# ever crashed a target: fuzz/regressions/<target>/, replayed before fuzzing.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${FUZZ_SECONDS:-60}
RSS_MB=${FUZZ_RSS_MB:-2048}
OUT=.build-fuzz
SWIFTC=${SWIFTC:-$(command -v swiftc)}
# The Swift toolchain's clang ships libFuzzer; a distribution's clang may not.
toolchain_clang="$(dirname "$(readlink -f "$SWIFTC")")/clang"
[ -x "$toolchain_clang" ] || toolchain_clang=$(command -v clang)
CLANG=${CLANG:-$toolchain_clang}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(png jpeg container decode)
mkdir -p "$OUT"

build_image() { # png|jpeg
    local define=VTOK_FUZZ_$(echo "$1" | tr a-z A-Z)
    "$CLANG" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -D"$define" \
        -I Sources/CImageCodecs -I Sources/CImageCodecs/include \
        fuzz/image_fuzzer.c Sources/CImageCodecs/*.c -lpng -ljpeg -lz -lm -o "$OUT/$1"
}

# The CSHA256 C module (VTokContainer hashes with it): its module map into $1, its object beside it.
build_csha256() {
    printf 'module CSHA256 {\n    header "%s"\n    export *\n}\n' "$PWD/Sources/CSHA256/include/csha256.h" >> "$1/module.modulemap"
    "$CLANG" -c -O1 -fsanitize=fuzzer-no-link,address -I Sources/CSHA256/include Sources/CSHA256/sha256_hardware.c -o "$1/sha256_hardware.o"
}

build_container() {
    local m="$OUT/container-modules"
    rm -rf "$m"
    mkdir -p "$m"
    build_csha256 "$m"
    "$SWIFTC" -O -parse-as-library -sanitize=fuzzer,address -module-name VTokContainer -I "$m" \
        -I Sources/CZlib Sources/VTokContainer/*.swift fuzz/container/Harness.swift "$m/sha256_hardware.o" -lz -o "$OUT/container"
}

build_decode() {
    # One swiftc per module, in dependency order, each with the fuzzer's coverage instrumentation.
    local m="$OUT/decode-modules"
    mkdir -p "$m"
    local flags=(-O -parse-as-library -sanitize=fuzzer,address -I "$m" -I Sources/CZlib -I Sources/COpenBLAS
                 -I Sources/CPNG -I Sources/CJPEG -Xcc -fno-math-errno)
    printf 'module CImageCodecs {\n    header "%s"\n    export *\n}\n' "$PWD/Sources/CImageCodecs/include/vtok_codecs.h" \
        > "$m/module.modulemap"
    build_csha256 "$m"
    local objects=("$m/sha256_hardware.o")
    for c in Sources/CImageCodecs/*.c; do
        "$CLANG" -c -O1 -fsanitize=fuzzer-no-link,address -I Sources/CImageCodecs/include "$c" -o "$m/$(basename "$c" .c).o"
        objects+=("$m/$(basename "$c" .c).o")
    done
    for module in VTokContainer VTokImage VTokNN VTokModel; do
        "$SWIFTC" "${flags[@]}" -module-name "$module" -emit-module -emit-module-path "$m/$module.swiftmodule" \
            -emit-object -wmo -o "$m/$module.o" $(find "Sources/$module" -name '*.swift' | sort)
        objects+=("$m/$module.o")
    done
    "$SWIFTC" "${flags[@]}" -module-name DecodeFuzz fuzz/decode/Harness.swift "${objects[@]}" \
        -lpng -ljpeg -lz -lopenblas -o "$OUT/decode"
}

status=0
for target in "${targets[@]}"; do
    echo "== fuzz $target: build (log: $OUT/$target-build.log)"
    case $target in
        png|jpeg) build_image "$target" ;;
        container) build_container ;;
        decode) build_decode ;;
        *) echo "unknown target $target" >&2; exit 1 ;;
    esac > "$OUT/$target-build.log" 2>&1 || { cat "$OUT/$target-build.log" >&2; exit 1; }
    # Inputs that once crashed a target are kept in fuzz/regressions/<target>/ and replayed first.
    if ls fuzz/regressions/$target/* > /dev/null 2>&1; then
        echo "== fuzz $target: replaying fuzz/regressions/$target"
        OPENBLAS_NUM_THREADS=1 "$OUT/$target" -detect_leaks=0 fuzz/regressions/$target/* > "$OUT/$target-regressions.log" 2>&1 \
            || { echo "fuzz $target: a regression input fails again, see $OUT/$target-regressions.log" >&2; status=1; }
    fi
    [ "$SECONDS_EACH" != 0 ] || continue
    rm -rf "$OUT/crashes/$target"
    mkdir -p "$OUT/corpus/$target" "$OUT/crashes/$target"
    limit=(-max_total_time="$SECONDS_EACH")
    [ -z "${FUZZ_RUNS:-}" ] || limit=(-runs="$FUZZ_RUNS")
    if [ -n "${FUZZ_RUNS:-}" ]; then budget="$FUZZ_RUNS runs"; else budget="$SECONDS_EACH s"; fi
    echo "== fuzz $target: $budget, rss cap $RSS_MB MB"
    # The Swift runtime allocates caches lazily and keeps them: LeakSanitizer's per-input check would
    # report them and rescan the heap on every input (50x slower), so the Swift targets run without it.
    leaks=1
    case $target in container|decode) leaks=0 ;; esac
    code=0
    OPENBLAS_NUM_THREADS=1 "$OUT/$target" "${limit[@]}" -rss_limit_mb="$RSS_MB" -timeout=10 -print_final_stats=1 \
        -detect_leaks=$leaks -artifact_prefix="$OUT/crashes/$target/" "$OUT/corpus/$target" "fuzz/corpus/$target" \
        > "$OUT/$target.log" 2>&1 || code=$?
    grep -E '^(INFO: Seed|#[0-9]+ +DONE|stat::|==[0-9]+==ERROR|SUMMARY|Done)' "$OUT/$target.log" || true
    if [ "$code" != 0 ] || ls "$OUT/crashes/$target/" | grep -q .; then
        echo "fuzz $target: FAILED, see $OUT/$target.log and $OUT/crashes/$target/" >&2
        status=1
    fi
done
exit $status
