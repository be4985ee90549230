#!/usr/bin/env bash
# libtorch 1.13 against 2.x: the same attrib built against each (e.g. build/
# and build-torch2/, see scripts/setup.sh --libtorch), measured side by side
# in one run on the same model, photos and threads. Prints a Markdown table.
#
#   bench/lines.sh build build-torch2
set -euo pipefail
. "$(dirname "$0")/../scripts/common.sh"
(($# >= 1)) || { echo "usage: bench/lines.sh BUILD_DIR..." >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "bench: needs hyperfine" >&2; exit 2; }
place_models
MODEL="$ROOT/models/mobilenet_v2_1.0_224.pt"
ONE="$SHARED/images/cat.bmp"
N=$(find "$SHARED/images" -maxdepth 1 \( -name '*.bmp' -o -name '*.jpg' \) | wc -l)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

median() { # hyperfine JSON -> median seconds
    python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['results'][0]['median'])" "$1"
}
peak_mb() { # peak RSS of a command, MB
    /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1 | awk '{printf "%.0f", $1 / 1024}'
}

echo "| libtorch | command | one image, cold (s) | $N photos (s) | per further photo (ms) | peak RSS, folder (MB) |"
echo "|---|---|---|---|---|---|"
for dir in "$@"; do
    bin=$dir/attrib
    version=$("$bin" --version | sed -n '2s/^libtorch \([^,]*\),.*/\1/p')
    for method in "saliency" "integrated-gradients" "gradcam"; do
        one=(hyperfine -N -w 1 -r 5 --export-json "$work/one.json"
             "$bin $method $ONE --model $MODEL -q --no-report -o $work/o")
        "${one[@]}" >/dev/null 2>&1
        many=(hyperfine -N -w 1 -r 3 --export-json "$work/many.json"
              "$bin $method $SHARED/images --model $MODEL -q --no-report -o $work/o")
        "${many[@]}" >/dev/null 2>&1
        t1=$(median "$work/one.json"); tn=$(median "$work/many.json")
        rss=$(peak_mb "$bin" "$method" "$SHARED/images" --model "$MODEL" -q --no-report -o "$work/o")
        python3 -c "import sys; t1, tn, n = map(float, sys.argv[1:4]); \
print(f'| {sys.argv[4]} | {sys.argv[5]} | {t1:.3f} | {tn:.2f} | {(tn - t1) / (n - 1) * 1000:.0f} | {sys.argv[6]} |')" \
            "$t1" "$tn" "$N" "$version" "$method" "$rss"
    done
done
echo
echo "($(nproc) cores, $(date -u +%F); one image = start-up, model load and one image)"
