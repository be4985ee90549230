#!/usr/bin/env bash
# attrib's many-pass methods against Captum's (bench/captum_peer.py) on the
# same TorchScript file and photos, in one run, at every batching setting of
# each side; this table chose DEFAULT_INTERNAL_BATCH (src/sampling.h).
#   attrib: whole process (decoding, PNGs, JSON included), the marginal cost
#           per photo: (run over PHOTOS - run over the first) / (PHOTOS - 1),
#           best of REPEATS; peak RSS of the run over all photos.
#   Captum: the attribution call alone in a warm process (the first photo
#           warms up), median over the others; peak RSS of that process.
# Captum 0.9.0 runs in .venv/bench on PyPI's PyTorch $TORCH2_VERSION (CPU),
# the libtorch of build-torch2: time that build for a like-for-like table,
# ATTRIB_BUILD_DIR=$PWD/build-torch2 bench/captum.sh.
#
#   bench/captum.sh [METHOD...]       (prints a Markdown table)
#   bench/captum.sh --smoke           (2 photos, 1 setting each, 1 repeat)
set -euo pipefail
. "$(dirname "$0")/../scripts/common.sh"
SMOKE=0
[ "${1:-}" = "--smoke" ] && { SMOKE=1; shift; }
place_models
ATTRIB="$BUILD_DIR/attrib"
MODEL="$ROOT/models/mobilenet_v2_1.0_224.pt"
THREADS=${THREADS:-2}
REPEATS=${REPEATS:-2}
BENCH_VENV=${ATTRIB_BENCH_VENV:-$ROOT/.venv/bench}
BENCH_PACKAGES=(torch=="$TORCH2_VERSION" captum==0.9.0 pillow==13.0.0 numpy==2.4.6)
PY="$BENCH_VENV/bin/python"
if ! "$PY" -c "import captum, torch, PIL, numpy" 2>/dev/null; then
    echo "bench: installing ${BENCH_PACKAGES[*]} into $BENCH_VENV" >&2
    venv_install "$BENCH_VENV" "${BENCH_PACKAGES[@]}"
fi
S=$SHARED/images
PHOTOS=("$S/cat.bmp" "$S/bird.bmp" "$S/parrot.jpg" "$S/hot_dog.jpg")
ATTRIB_SIZES=(1 2 4 8 16)
declare -A PEER_SIZES=([integrated-gradients]="1 5 10 25 50" [smoothgrad]="1 5 25"
                       [occlusion]="1 4 16 64")
declare -A ARGS=([integrated-gradients]="" [smoothgrad]="--samples 25" [occlusion]="")
methods=("$@")
[ ${#methods[@]} -eq 0 ] && methods=(integrated-gradients smoothgrad occlusion)
if [ $SMOKE = 1 ]; then
    PHOTOS=("${PHOTOS[@]:0:2}"); ATTRIB_SIZES=(2); REPEATS=1
    PEER_SIZES=([integrated-gradients]=5 [smoothgrad]=5 [occlusion]=4)
fi
n=${#PHOTOS[@]}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# wall ms and peak KB of one run: "ms kb"
run() {
    local t0 t1 kb
    t0=$(date +%s%N)
    /usr/bin/time -o "$work/kb" -f "%M" "$@" >/dev/null 2>"$work/err" ||
        { echo "bench: failed: $* ($(tail -1 "$work/err"))" >&2; exit 1; }
    t1=$(date +%s%N)
    kb=$(tail -1 "$work/kb")
    echo "$(( (t1 - t0) / 1000000 )) $kb"
}
# best marginal ms per photo and peak MB of attrib at one internal batch
attrib_at() { # method, size
    local best=999999999 kb=0 one all a b
    for _ in $(seq "$REPEATS"); do
        # shellcheck disable=SC2086
        read -r one _ <<<"$(run "$ATTRIB" "$1" ${ARGS[$1]} "${PHOTOS[0]}" --internal-batch "$2" \
                             -o "$work/o" -q --no-report --threads "$THREADS")"
        # shellcheck disable=SC2086
        read -r all kb <<<"$(run "$ATTRIB" "$1" ${ARGS[$1]} "${PHOTOS[@]}" --internal-batch "$2" \
                             -o "$work/o" -q --no-report --threads "$THREADS")"
        a=$(( (all - one) / (n - 1) ))
        (( a < best )) && best=$a
    done
    echo "$best $(( kb / 1024 ))"
}
peer_at() { # method, size -> "ms MB versions"
    local out kb
    /usr/bin/time -o "$work/kb" -f "%M" "$PY" "$ROOT/bench/captum_peer.py" "$1" "$MODEL" \
        "$THREADS" "$2" "${PHOTOS[@]}" >"$work/peer.json" 2>"$work/err" ||
        { echo "bench: captum_peer $1 $2 failed: $(tail -1 "$work/err")" >&2; exit 1; }
    kb=$(tail -1 "$work/kb")
    out=$("$PY" -c "import json; j = json.load(open('$work/peer.json')); \
print('%.0f' % j['ms_per_image'], 'Captum', j['captum'], 'on PyTorch', j['torch'])")
    echo "${out%% *} $(( kb / 1024 )) ${out#* }"
}

echo "| method | attrib --internal-batch: ms/photo (peak MB) | Captum batch: ms/photo (peak MB) | best attrib / best Captum |"
echo "|---|---|---|---|"
versions=""
for m in "${methods[@]}"; do
    cells="" best_a=999999999 best_p=999999999
    for s in "${ATTRIB_SIZES[@]}"; do
        read -r ms mb <<<"$(attrib_at "$m" "$s")"
        cells+="$s: $ms ($mb); "
        (( ms < best_a )) && best_a=$ms
    done
    peer=""
    for s in ${PEER_SIZES[$m]}; do
        read -r ms mb versions <<<"$(peer_at "$m" "$s")"
        peer+="$s: $ms ($mb); "
        (( ms < best_p )) && best_p=$ms
    done
    echo "| $m ${ARGS[$m]} | ${cells%; } | ${peer%; } | $("$PY" -c "print('%.2f' % ($best_a / $best_p))") |"
done
echo
echo "($("$ATTRIB" --version | tr '\n' ' ')vs $versions; ${THREADS} threads, $(nproc) cores;" \
     "$n photos; $(basename "$MODEL"); $(date -u +%Y-%m-%d))"
