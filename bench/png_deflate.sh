#!/usr/bin/env bash
# PNG deflate, zlib against libdeflate: the deflate stage alone on a run's
# pictures (bench/png_deflate.c), then the pictures stage of --timings for
# saliency and gradcam over the 11 shared photos x 4, a zlib build
# (-DATTRIB_PNG_ZLIB=ON) against a libdeflate one, runs alternated.
#   bench/png_deflate.sh ZLIB_BUILD LIBDEFLATE_BUILD [RUNS]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${ATTRIB_SHARED:-$ROOT/../shared}
zlib=$1 deflate=$2 runs=${3:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/photos"
for k in 1 2 3 4; do
    for f in "$SHARED"/images/*.bmp "$SHARED"/images/*.jpg; do
        cp "$f" "$tmp/photos/$k-$(basename "$f")"
    done
done
cc -O2 -o "$tmp/png_deflate" "$ROOT/bench/png_deflate.c" -lz -ldeflate -lm
"$zlib/attrib" saliency "$tmp/photos" -o "$tmp/pics" -q
"$tmp/png_deflate" "$tmp"/pics/*.png
for method in saliency gradcam; do
    for build in "$zlib" "$deflate"; do : > "$tmp/$(basename "$build").$method"; done
    for r in $(seq "$runs"); do
        for build in "$zlib" "$deflate"; do
            rm -rf "$tmp/out"
            "$build/attrib" "$method" "$tmp/photos" -o "$tmp/out" -q --timings 2>&1 |
                awk '/pictures \(PNG\)/ { print $3 }' >> "$tmp/$(basename "$build").$method"
            du -sb "$tmp/out" | cut -f1 > "$tmp/$(basename "$build").$method.bytes"
        done
    done
    for build in "$zlib" "$deflate"; do
        f="$tmp/$(basename "$build").$method"
        echo "$method $(basename "$build"): pictures stage, total ms over the 44 images, sorted: $(sort -n "$f" | tr '\n' ' ')  output bytes $(cat "$f.bytes")"
    done
done
