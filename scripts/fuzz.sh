#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) and runs each for
# SECONDS (default 600) from the seed corpus in tests/fuzz/corpus plus the
# shared photos. New crashing inputs land in tests/fuzz/crashes/TARGET/.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]   (targets: image card)
set -euo pipefail
. "$(dirname "$0")/common.sh"
SECONDS_EACH=${1:-600}
shift || true
TARGETS=("${@:-image card}")
command -v clang >/dev/null || { echo "fuzz: needs clang and libclang-rt-14-dev" >&2; exit 2; }
out="$BUILD_DIR/fuzz"
mkdir -p "$out"
FLAGS=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -std=c11 -D_XOPEN_SOURCE=700 -DATTRIB_VERSION=\"fuzz\" -I"$ROOT/src" -I"$ROOT/include"
       $(pkg-config --cflags stb libcjson))
LIBS=($(pkg-config --libs stb libcjson zlib) -lm)
CORE=("$ROOT"/src/{error,options,cli,fsutil,image,card}.c)
for t in ${TARGETS[*]}; do
    clang "${FLAGS[@]}" "$ROOT/tests/fuzz/fuzz_$t.c" "${CORE[@]}" "${LIBS[@]}" -o "$out/fuzz_$t"
    corpus="$out/corpus_$t"
    mkdir -p "$corpus" "$ROOT/tests/fuzz/crashes/$t"
    cp -n "$ROOT"/tests/fuzz/corpus/"$t"/* "$corpus/" 2>/dev/null || true
    if [ "$t" = image ]; then cp -n "$SHARED"/images/*.{bmp,jpg} "$corpus/" 2>/dev/null || true; fi
    echo "== fuzz_$t for ${SECONDS_EACH}s"
    "$out/fuzz_$t" "$corpus" -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 \
        -timeout=10 -artifact_prefix="$ROOT/tests/fuzz/crashes/$t/" -print_final_stats=1 2>&1 |
        grep -E "^#[0-9]+ *DONE|stat::|cov:|ERROR|SUMMARY" | tail -12
done
