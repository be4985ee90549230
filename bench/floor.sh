#!/usr/bin/env bash
# The floor rows: what one pass through libtorch costs per image in a warm
# process (bench_floor: no start-up, no image I/O, no PNG), forward-only (no
# autograd) and forward+backward (the input gradient), at each batch size,
# with the process's peak RSS; on every build given (default: this build,
# and build-torch2 when it exists). Median of REPS passes after 3 warm-ups.
#
#   bench/floor.sh [BUILD_DIR...]      (prints a Markdown table)
#   REPS=1 SIZES="1 2" bench/floor.sh  (the CTest smoke run)
set -euo pipefail
. "$(dirname "$0")/../scripts/common.sh"
place_models
MODEL=${MODEL:-$ROOT/models/mobilenet_v2_1.0_224.pt}
IMAGE="$SHARED/images/cat.bmp"
THREADS=${THREADS:-2}
REPS=${REPS:-15}
read -r -a SIZES <<<"${SIZES:-1 2 4 8 16 32}"
builds=("$@")
if [ ${#builds[@]} -eq 0 ]; then
    builds=("$BUILD_DIR")
    [ -x "$ROOT/build-torch2/bench_floor" ] && [ "$BUILD_DIR" != "$ROOT/build-torch2" ] &&
        builds+=("$ROOT/build-torch2")
fi

# "ms/image peak-MB" of one bench_floor run
floor() {
    local out
    out=$( { /usr/bin/time -f "%M" "$1/bench_floor" "$MODEL" "$IMAGE" "$2" "$THREADS" "$REPS" "$3" ; } 2>&1) ||
        { echo "bench: bench_floor $2 batch $3 failed: $out" >&2; exit 1; }
    echo "$(echo "$out" | head -1) $(( $(echo "$out" | tail -1) / 1024 ))"
}

echo "| libtorch | batch | forward ms/image | forward peak MB | forward+backward ms/image | forward+backward peak MB |"
echo "|---|---|---|---|---|---|"
for b in "${builds[@]}"; do
    version=$("$b/attrib" --version | sed -n 's/.*libtorch \([0-9.]*\).*/\1/p' | head -1)
    for s in "${SIZES[@]}"; do
        read -r f fm <<<"$(floor "$b" forward "$s")"
        read -r g gm <<<"$(floor "$b" saliency "$s")"
        echo "| $version | $s | $f | $fm | $g | $gm |"
    done
done
echo
echo "($(basename "$MODEL"), $THREADS threads, $(nproc) cores, median of $REPS passes; $(date -u +%Y-%m-%d))"
