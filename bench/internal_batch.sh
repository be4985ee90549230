#!/usr/bin/env bash
# The table that chooses --internal-batch: marginal wall time per image of
# each many-pass method at each internal batch size, whole process over 1
# and over 3 photos (start-up cancels), the best of REPEATS (default 3)
# runs of each, --threads 2 unless THREADS is set.
# Usage: bench/internal_batch.sh [SIZES...]   (prints a Markdown table)
set -euo pipefail
. "$(dirname "$0")/../scripts/common.sh"
build >/dev/null
place_models
ATTRIB="$BUILD_DIR/attrib"
THREADS=${THREADS:-2}
REPEATS=${REPEATS:-3}
SIZES=("${@:-1 2 4 8 16 32}")
read -r -a SIZES <<<"${SIZES[*]}"
one=$(mktemp -d) three=$(mktemp -d) out=$(mktemp -d)
trap 'rm -rf "$one" "$three" "$out"' EXIT
cp "$SHARED/images/cat.bmp" "$one/"
cp "$SHARED/images/cat.bmp" "$SHARED/images/parrot.jpg" "$SHARED/images/bird.bmp" "$three/"

ms() { # best wall time of REPEATS runs of "$@", in ms
    local t0 t1 best=999999999
    for _ in $(seq "$REPEATS"); do
        t0=$(date +%s%N)
        "$@" -o "$out" -q --no-report --threads "$THREADS" >/dev/null 2>&1 || echo "failed: $*" >&2
        t1=$(date +%s%N)
        (( (t1 - t0) / 1000000 < best )) && best=$(( (t1 - t0) / 1000000 ))
    done
    echo "$best"
}

# Score-CAM (1280 masked passes per image on MobileNetV2) is left out: minutes per size.
methods=("integrated-gradients" "smoothgrad --samples 25" "occlusion")
printf "| method |"; for s in "${SIZES[@]}"; do printf " %s |" "$s"; done; echo
printf "|---|"; for _ in "${SIZES[@]}"; do printf -- "---|"; done; echo
for m in "${methods[@]}"; do
    printf "| %s |" "$m"
    for s in "${SIZES[@]}"; do
        # shellcheck disable=SC2086
        a=$(ms "$ATTRIB" $m "$one" --internal-batch "$s")
        # shellcheck disable=SC2086
        b=$(ms "$ATTRIB" $m "$three" --internal-batch "$s")
        printf " %d |" $(( (b - a) / 2 ))
    done
    echo
done
echo
echo "(ms per image, marginal over photos 2 and 3, best of $REPEATS; $THREADS threads; $(nproc) cores)"
