#!/usr/bin/env bash
# attrib's Score-CAM against pytorch-grad-cam's (bench/scorecam_peer.py) on
# torchvision's ResNet-18 with random weights (layer4: 512 masked passes per
# photo; the smoke run takes layer1's 64),
# at each side's batch settings: attrib whole process, marginal per photo,
# best of REPEATS; the peer's CAM call alone in a warm process (the first
# photo warms up). Peak RSS of every process. The peer runs in the 2.x test
# venv (PyTorch 2.14.1 + torchvision, which PyPI's 2.13 lacks); time
# build-torch2 for the closest libtorch: ATTRIB_BUILD_DIR=$PWD/build-torch2.
#
#   bench/scorecam.sh            (prints a Markdown table)
#   bench/scorecam.sh --smoke    (2 photos, layer1, one setting each, 1 repeat)
set -euo pipefail
. "$(dirname "$0")/../scripts/common.sh"
SMOKE=0
[ "${1:-}" = "--smoke" ] && SMOKE=1
ARCH=${ARCH:-resnet18}
STAGE=layer4
THREADS=${THREADS:-2}
REPEATS=${REPEATS:-2}
PY="$TEST2_VENV/bin/python"
ensure_test_python "$PY"
ATTRIB="$BUILD_DIR/attrib"
S=$SHARED/images
PHOTOS=("$S/cat.bmp" "$S/bird.bmp" "$S/parrot.jpg")
ATTRIB_SIZES=(4 16 64)
PEER_SIZES=(16 64)
if [ $SMOKE = 1 ]; then
    PHOTOS=("${PHOTOS[@]:0:2}"); ATTRIB_SIZES=(16); PEER_SIZES=(16); REPEATS=1; STAGE=layer1
fi
LAYER="$STAGE.$("$PY" -c "import torchvision; print(len(getattr(torchvision.models.get_model('$ARCH'), '$STAGE')) - 1)")"
n=${#PHOTOS[@]}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
MODEL="$work/$ARCH.pt"
"$PY" -W ignore::FutureWarning "$ROOT/bench/scorecam_peer.py" save "$ARCH" "$MODEL"

run() { # wall ms and peak MB of one run: "ms mb"
    local t0 t1
    t0=$(date +%s%N)
    /usr/bin/time -o "$work/kb" -f "%M" "$@" >"$work/out" 2>"$work/err" ||
        { echo "bench: failed: $* ($(tail -1 "$work/err"))" >&2; exit 1; }
    t1=$(date +%s%N)
    echo "$(( (t1 - t0) / 1000000 )) $(( $(tail -1 "$work/kb") / 1024 ))"
}
attrib_cells="" peer_cells="" best_a=999999999 best_p=999999999
for s in "${ATTRIB_SIZES[@]}"; do
    best=999999999
    for _ in $(seq "$REPEATS"); do
        read -r one _ <<<"$(run "$ATTRIB" gradcam --variant scorecam "${PHOTOS[0]}" --model "$MODEL" --layer "$LAYER" \
                             --internal-batch "$s" -o "$work/o" -q --threads "$THREADS")"
        read -r all mb <<<"$(run "$ATTRIB" gradcam --variant scorecam "${PHOTOS[@]}" --model "$MODEL" --layer "$LAYER" \
                             --internal-batch "$s" -o "$work/o" -q --no-report --threads "$THREADS")"
        a=$(( (all - one) / (n - 1) ))
        (( a < best )) && best=$a
    done
    attrib_cells+="$s: $best ($mb); "
    (( best < best_a )) && best_a=$best
done
for s in "${PEER_SIZES[@]}"; do
    read -r _ mb <<<"$(run "$PY" "$ROOT/bench/scorecam_peer.py" time "$ARCH" "$STAGE" "$THREADS" "$s" "${PHOTOS[@]}")"
    ms=$("$PY" -c "import json; print('%.0f' % json.load(open('$work/out'))['ms_per_image'])")
    versions=$("$PY" -c "import json; j = json.load(open('$work/out')); \
print('pytorch-grad-cam', j['grad_cam'], 'on PyTorch', j['torch'])")
    peer_cells+="$s: $ms ($mb); "
    (( ms < best_p )) && best_p=$ms
done
echo "| Score-CAM, $ARCH | attrib --internal-batch: ms/photo (peak MB) | pytorch-grad-cam batch_size: ms/photo (peak MB) | best attrib / best peer |"
echo "|---|---|---|---|"
echo "| $LAYER | ${attrib_cells%; } | ${peer_cells%; } | $("$PY" -c "print('%.2f' % ($best_a / $best_p))") |"
echo
echo "($("$ATTRIB" --version | tr '\n' ' ')vs $versions; $THREADS threads, $(nproc) cores; $n photos; $(date -u +%Y-%m-%d))"
