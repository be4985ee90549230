#!/usr/bin/env bash
# Every attribution method's files on the shared photos, for checking that a
# change meant to leave results alone did (a refactor, a move):
#
#   scripts/record-outputs.sh DIR     writes DIR/<method>/... and DIR/MANIFEST
#   diff before/MANIFEST after/MANIFEST   (or: diff -r before after)
#
# Every method and CAM variant runs on the 11 photos with the shared
# MobileNetV2 (--save-raw: the exact maps too), the attention methods on a
# seeded two-block ViT (tests/tvmodels.py), plus predict, eval, fool and
# classviz on a few photos. The JSON's timings and the folder the run wrote
# into are taken out: what is left is what the method computed. MANIFEST
# lists each file's SHA-256. Uses $ATTRIB_BUILD_DIR's attrib (default build/).
set -euo pipefail
. "$(dirname "$0")/common.sh"
(($# == 1)) || { echo "usage: scripts/record-outputs.sh DIR" >&2; exit 2; }
out=$(mkdir -p "$1" && cd "$1" && pwd)
attrib=$BUILD_DIR/attrib
model=$SHARED/models/mobilenet_v2_1.0_224.pt
photos=("$SHARED"/images/*.bmp "$SHARED"/images/*.jpg)
# Every run writes into the same scratch folder, moved into place after, so
# the paths inside the JSON do not depend on DIR.
scratch=/tmp/attrib-record-outputs
rm -rf "$scratch"

run() { # NAME ARGS...: attrib ARGS -o scratch --json, then into out/NAME
    local name=$1
    shift
    rm -rf "$scratch"
    [ "$1" = predict ] || set -- "$@" -o "$scratch" # predict writes no files
    "$attrib" "$@" --json > "$scratch.stdout" 2> "$scratch.stderr" ||
        { echo "record: attrib $* failed:" >&2; cat "$scratch.stderr" >&2; return 1; }
    mkdir -p "$out/$name"
    [ -d "$scratch" ] && cp -r "$scratch"/. "$out/$name/"
    cp "$scratch.stdout" "$out/$name/stdout.jsonl"
}

methods=(saliency fullgrad guided-backprop deconvnet guided-gradcam integrated-gradients
         smoothgrad input-x-gradient deeplift lrp gradient-shap lime kernel-shap rise
         occlusion)
for m in "${methods[@]}"; do
    echo "record: $m" >&2
    run "$m" "$m" "${photos[@]}" --model "$model" --save-raw
done
for v in gradcam gradcam++ scorecam eigencam hirescam layercam xgradcam eigengradcam ablationcam; do
    echo "record: gradcam --variant $v" >&2
    run "gradcam-$v" gradcam "${photos[@]}" --model "$model" --save-raw --variant "$v"
done
run saliency-signed saliency "${photos[@]:0:3}" --model "$model" --save-raw --sign signed \
    --scale batch --colorbar --class 285
run gradcam-aug gradcam "${photos[@]:0:2}" --model "$model" --save-raw --aug-smooth --eigen-smooth

# The attention methods need a transformer: the tests' seeded ViT, made once
# and kept (a TorchScript file saved again differs in its bytes, so its hash
# and the run key would).
vit=${ATTRIB_RECORD_VIT:-${XDG_CACHE_HOME:-$HOME/.cache}/attrib/record-vit.pt}
if [ ! -f "$vit" ]; then
    mkdir -p "$(dirname "$vit")"
    (cd "$ROOT/tests" && "${ATTRIB_RECORD_PYTHON:-/usr/bin/python3}" -c \
        'import tvmodels, shutil, sys; shutil.copy(tvmodels.torchvision_model("vit_small")[1], sys.argv[1])' \
        "$vit")
fi
for m in attention-rollout attention-relevance; do
    echo "record: $m" >&2
    run "$m" "$m" "${photos[@]}" --model "$vit" --save-raw
done
run gradcam-vit gradcam "${photos[@]:0:3}" --model "$vit" --save-raw

echo "record: predict, eval, fool, classviz" >&2
run predict predict "${photos[@]}" --model "$model"
run eval eval "${photos[@]:0:2}" --model "$model" --methods saliency,gradcam,rise:masks=64 --steps 8
run fool fool "${photos[@]:0:2}" --model "$model" --target 1 --max-iter 3
run fool-pgd fool "${photos[@]:0:2}" --model "$model" --untargeted --attack pgd --eps 4/255 --max-iter 3
run classviz classviz --model "$model" --class 88 --iters 3
run classviz-fft classviz --model "$model" --class 88 --iters 3 --param fft --diversity 2 --layer features.10

# Timings and the machine's thread count vary between runs; nothing else may.
find "$out" -name '*.json' -o -name '*.jsonl' | while read -r f; do
    python3 - "$f" <<'PY'
import json, sys
path = sys.argv[1]
VARYING = {"timings_ms", "load_ms", "pass_ms", "total_ms", "seconds", "elapsed_s", "rate",
           "images_per_second", "created"}
def clean(v):
    if isinstance(v, dict):
        return {k: clean(x) for k, x in v.items() if k not in VARYING}
    if isinstance(v, list):
        return [clean(x) for x in v]
    return v
with open(path) as f:
    text = f.read()
try:
    docs = [clean(json.loads(text))]
    lines = False
except json.JSONDecodeError:
    docs = [clean(json.loads(l)) for l in text.splitlines() if l.strip()]
    lines = True
with open(path, "w") as f:
    for d in docs:
        f.write(json.dumps(d, sort_keys=True) + "\n")
PY
done
# summary.csv and index.data.js carry the timings too: left out of the manifest.
(cd "$out" && find . -type f ! -name MANIFEST ! -name '*.csv' ! -name 'index.*' | LC_ALL=C sort |
     xargs sha256sum > MANIFEST)
echo "record: $(wc -l < "$out/MANIFEST") files in $out/MANIFEST" >&2
rm -rf "$scratch" "$scratch".*
