#!/usr/bin/env bash
# The network's thread count on a machine that is not attrib's alone: each
# workload idle, beside LOAD busy processes (other users' jobs), and beside a
# copy of itself (two runs at once, as GNU parallel or a job array starts
# them), at every core with libgomp's default wait (idle threads spin 3 ms
# before they sleep), with attrib's (0.1 ms, src/threads.c), with
# OMP_WAIT_POLICY=passive (they sleep at once), and at cores - 1. Wall
# seconds, one run each (the medians of REPS with REPS=3).
#
#   bench/threads.sh [BUILD_DIR]      (prints a Markdown table)
set -euo pipefail
. "$(dirname "$0")/../scripts/common.sh"
B=${1:-$BUILD_DIR}
REPS=${REPS:-1}
LOAD=${LOAD:-$(nproc)}
CORES=$(nproc)
IMG="$SHARED/images/cat.bmp"
DIR=$(mktemp -d)
hogs=()
stop_hogs() {
    [ ${#hogs[@]} -eq 0 ] || kill "${hogs[@]}" 2>/dev/null || true
    wait 2>/dev/null || true
    hogs=()
}
trap 'stop_hogs; rm -rf "$DIR"' EXIT
mkdir "$DIR/photos"
for f in "$SHARED"/images/*.bmp "$SHARED"/images/*.jpg; do ln -s "$f" "$DIR/photos/"; done

# name | the attrib command line (after "attrib")
WORKLOADS=(
    "fool --target 291|fool $IMG --target 291  -q"
    "rise, 500 masks|rise $IMG --masks 500  -q"
    "classviz, 50 steps|classviz --class 88 --iters 50  -q"
    "saliency over 11 photos|saliency $DIR/photos  -q"
)
# name | environment | threads
SETTINGS=(
    "all cores, libgomp's spin (GOMP_SPINCOUNT=300000)|GOMP_SPINCOUNT=300000|$CORES"
    "all cores, attrib's spin (10000)||$CORES"
    "all cores, OMP_WAIT_POLICY=passive|OMP_WAIT_POLICY=passive|$CORES"
    "cores - 1, attrib's spin||$((CORES > 1 ? CORES - 1 : 1))"
)

seconds() { # env threads args...: wall seconds of one run
    local env=$1 threads=$2
    shift 2
    local t0 t1
    t0=$(date +%s.%N)
    env $env "$B/attrib" "$@" --threads "$threads" -o "$DIR/out" >/dev/null
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc
}
twice_at_once() { # env threads args...: wall seconds of two runs started together
    local env=$1 threads=$2
    shift 2
    local t0 t1
    t0=$(date +%s.%N)
    env $env "$B/attrib" "$@" --threads "$threads" -o "$DIR/out1" >/dev/null &
    env $env "$B/attrib" "$@" --threads "$threads" -o "$DIR/out2" >/dev/null
    wait $!
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc
}
median() { sort -n | awk '{ a[NR] = $1 } END { printf "%.1f", a[int((NR + 1) / 2)] }'; }
measure() { # scenario env threads args...
    local scenario=$1
    shift
    for _ in $(seq "$REPS"); do
        case $scenario in
        idle) seconds "$@" ;;
        loaded)
            for _ in $(seq "$LOAD"); do (while :; do :; done) & hogs+=($!); done
            seconds "$@"
            stop_hogs
            ;;
        pair) twice_at_once "$@" ;;
        esac
    done | median
}

version=$("$B/attrib" --version | sed -n 's/.*libtorch \([0-9.]*\).*/\1/p' | head -1)
printf "| workload | machine |"
for s in "${SETTINGS[@]}"; do printf " %s |" "${s%%|*}"; done
printf "\n|---|---|"
for _ in "${SETTINGS[@]}"; do printf "%s" "---|"; done
echo
for w in "${WORKLOADS[@]}"; do
    name=${w%%|*}
    read -r -a args <<<"${w#*|}"
    for scenario in idle loaded pair; do
        case $scenario in
        idle) label="idle" ;;
        loaded) label="$LOAD busy processes beside it" ;;
        pair) label="two runs at once (both)" ;;
        esac
        printf "| %s | %s |" "$name" "$label"
        for s in "${SETTINGS[@]}"; do
            rest=${s#*|}
            printf " %s s |" "$(measure "$scenario" "${rest%%|*}" "${rest#*|}" "${args[@]}")"
        done
        echo
    done
done
echo
echo "libtorch $version, $CORES cores, $(date -u +%F)"
