#!/usr/bin/env bash
# Data-set scale: peak resident memory and ms per image of one folder run at
# several sizes (default 1000 and 10000 images), to show that memory does not
# grow with the number of images. The folders are made from the shared
# photos (bench/make_dataset.py: crops and flips saved as JPEG, so decoding
# is real) under out/scale/, once.
#   bench/scale.sh [METHOD] [N...]      e.g. bench/scale.sh saliency 1000 10000 50000
# KEEP=1 keeps each run's output (out/scale/out-METHOD-N: for bench/page.sh).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${ATTRIB_BIN:-$ROOT/build/attrib}
MODEL=${ATTRIB_MODEL:-$ROOT/../shared/models/mobilenet_v2_1.0_224.pt}
METHOD=${1:-saliency}
shift || true
SIZES=("${@:-1000 10000}")
WORK=$ROOT/out/scale
mkdir -p "$WORK"
printf '%-10s %8s %10s %10s %10s\n' method images "peak MB" "ms/image" "report MB"
for n in ${SIZES[*]}; do
    data=$WORK/data-$n
    [ -d "$data" ] || /usr/bin/python3 "$ROOT/bench/make_dataset.py" "$data" "$n"
    out=$WORK/out-$METHOD-$n
    rm -rf "$out"
    /usr/bin/time -f '%e %M' -o "$WORK/time" "$BIN" "$METHOD" "$data" -r -o "$out" -q \
        --model "$MODEL" || true
    read -r secs kb < "$WORK/time"
    report=$(du -cm "$out/summary.json" "$out/summary.csv" "$out/index.data.js" | tail -1 | cut -f1)
    awk -v m="$METHOD" -v n="$n" -v s="$secs" -v kb="$kb" -v r="$report" \
        'BEGIN { printf "%-10s %8d %10.0f %10.1f %10d\n", m, n, kb / 1024, s * 1000 / n, r }'
    [ -n "${KEEP:-}" ] || rm -rf "$out"
done
