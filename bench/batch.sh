#!/usr/bin/env bash
# Per-image time of a folder run (one process, mini-batches) against one
# process per image, for saliency and gradcam on the shared photos.
# Usage: bench/batch.sh [REPEATS]   (prints a Markdown table)
set -euo pipefail
. "$(dirname "$0")/../scripts/common.sh"
build >/dev/null
place_models
ATTRIB="$BUILD_DIR/attrib"
IMAGES="$SHARED/images"
REPEATS=${1:-3}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
n=$(ls "$IMAGES"/*.bmp "$IMAGES"/*.jpg | wc -l)

best() { # best wall time in ms of REPEATS runs of "$@"
    local best=999999999 t0 t1 ms
    for _ in $(seq "$REPEATS"); do
        t0=$(date +%s%N)
        "$@" >/dev/null 2>&1 || true
        t1=$(date +%s%N)
        ms=$(( (t1 - t0) / 1000000 ))
        (( ms < best )) && best=$ms
    done
    echo "$best"
}

separate() {
    for f in "$IMAGES"/*.bmp "$IMAGES"/*.jpg; do "$ATTRIB" "$1" "$f" -o "$out/s" -q; done
}

echo "| method | separate processes, ms/image | folder, batch 1 | batch 2 | batch 4 | batch 8 |"
echo "|---|---|---|---|---|---|"
for method in saliency gradcam; do
    row="| $method | $(( $(best separate "$method") / n ))"
    for b in 1 2 4 8; do
        row="$row | $(( $(best "$ATTRIB" "$method" "$IMAGES" -o "$out/f" -q --batch-size "$b") / n ))"
    done
    echo "$row |"
done
echo
echo "($n images, $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
