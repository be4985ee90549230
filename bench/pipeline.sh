#!/usr/bin/env bash
# The pipeline (issue 32): one-pass methods over the 11 shared photos x 4,
# each setting of --workers in $WORKERS (default "0 1 auto": every core to
# the network in turn with decoding and pictures; one worker beside the
# network on the other cores; what a user gets), runs alternated; beside
# them the floor (bench_floor: the pass alone on every core, same build,
# same batch). No thread variable is set. Prints a Markdown table: the
# median ms per image of RUNS runs (model load excluded: the wall minus
# --timings' model row) and its ratio to the floor.
#   bench/pipeline.sh [BUILD_DIR] [RUNS] [BATCH]
#   WORKERS="0 4 8" bench/pipeline.sh  (a machine with more cores)
#   BASELINE=DIR bench/pipeline.sh     (also DIR/attrib, a build from before)
#   DEVICE=cuda bench/pipeline.sh      (attrib on the GPU; the floor stays the CPU's)
#   PEER=1 bench/pipeline.sh           (also Captum plus PIL, bench/folder_peer.py:
#                                       decoding and Captum's call, nothing
#                                       written; in .venv/bench, as captum.sh)
#   bench/pipeline.sh --smoke          (CTest: 1 run, 6 photos, batch 2)
set -euo pipefail
. "$(dirname "$0")/../scripts/common.sh"
smoke=0
if [ "${1:-}" = "--smoke" ]; then smoke=1; shift; fi
build=${1:-$BUILD_DIR} runs=${2:-5} batch=${3:-8}
place_models
MODEL=$ROOT/models/mobilenet_v2_1.0_224.pt
unset ATTRIB_THREADS OMP_NUM_THREADS
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/photos"
copies="1 2 3 4"
[ $smoke = 1 ] && copies=1 runs=1 batch=2
for k in $copies; do
    for f in "$SHARED"/images/*.bmp "$SHARED"/images/*.jpg; do
        cp "$f" "$tmp/photos/$k-$(basename "$f")"
    done
done
[ $smoke = 1 ] && ls "$tmp/photos"/* | tail -n +7 | xargs rm -f
n=$(ls "$tmp/photos" | wc -l)
cores=$(nproc)
if [ -n "${PEER:-}" ]; then
    BENCH_VENV=${ATTRIB_BENCH_VENV:-$ROOT/.venv/bench}
    PY=$BENCH_VENV/bin/python
    "$PY" -c "import captum, torch, PIL, numpy" 2>/dev/null ||
        venv_install "$BENCH_VENV" torch=="$TORCH2_VERSION" captum==0.9.0 pillow==13.0.0 numpy==2.4.6
fi
# the peer's ms per photo (Captum has no guided backprop on a TorchScript model: n/a)
peer() {
    [ "$1" = guided-backprop ] && { echo n/a; return; }
    "$PY" "$ROOT/bench/folder_peer.py" "$1" "$MODEL" "$cores" "$batch" "$tmp"/photos/* |
        "$PY" -c "import json, sys; print(json.load(sys.stdin)['ms'])"
}

# ms per image of one run: (wall - model load) / images; setting "base":
# $BASELINE's attrib (a build from before --workers), as it runs
per_image() {
    local bin="$build/attrib" extra=(--workers "$2")
    [ "$2" = base ] && bin="$BASELINE/attrib" extra=()
    rm -rf "$tmp/out"
    "$bin" "$1" "$tmp/photos" -o "$tmp/out" -q --batch-size "$batch" --timings \
        "${extra[@]}" ${DEVICE:+--device "$DEVICE"} --model "$MODEL" 2>"$tmp/timings" ||
        { echo "bench: $1 --workers $2 failed: $(cat "$tmp/timings")" >&2; exit 1; }
    awk -v n="$n" '/ms wall/ { wall = $(NF-2) } /model load/ { load = $3 }
                   END { printf "%.1f\n", (wall - load) / n }' "$tmp/timings"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
floor_method() { case $1 in guided-backprop) echo guided ;; *) echo "$1" ;; esac; }

read -r -a settings <<<"${WORKERS:-0 1 auto}${BASELINE:+ base}"
header="| method | floor, $cores threads, ms/img |"
rule="|---|---|"
for w in "${settings[@]}"; do
    [ "$w" = base ] && header="$header before --workers ms/img | ratio to floor |" ||
        header="$header --workers $w ms/img | ratio to floor |"
    rule="$rule---|---|"
done
if [ -n "${PEER:-}" ]; then header="$header Captum + PIL ms/img |" rule="$rule---|"; fi
echo "$header"
echo "$rule"
for method in saliency gradcam guided-backprop; do
    for w in "${settings[@]}"; do : > "$tmp/w$w"; done
    for _ in $(seq "$runs"); do
        for w in "${settings[@]}"; do per_image "$method" "$w" >> "$tmp/w$w"; done
    done
    floor=$("$build/bench_floor" "$MODEL" "$SHARED/images/cat.bmp" "$(floor_method "$method")" \
        "$cores" $([ $smoke = 1 ] && echo 1 || echo 15) "$batch")
    row="| $method | $floor |"
    for w in "${settings[@]}"; do
        m=$(median < "$tmp/w$w")
        row="$row $m | $(awk -v a="$m" -v f="$floor" 'BEGIN { printf "%.2f", a / f }') |"
    done
    [ -n "${PEER:-}" ] && row="$row $(peer "$method") |"
    echo "$row"
done
echo
echo "($n photos, batch $batch, median of $runs runs each, alternated; $cores cores," \
     "$("$build/attrib" --version | sed -n 2p); --workers 1 without --threads: the network" \
     "on the other $((cores - 1)) core(s); $(date -u +%Y-%m-%d))"
