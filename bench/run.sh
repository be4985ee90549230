#!/usr/bin/env bash
# The benchmark: attrib against a PyTorch peer (bench/peer.py) and against
# the floor (one pass in a warm process, bench_floor), same model, images and
# thread count, measured side by side in one run. Prints a Markdown table.
#
#   bench/run.sh            full run (a few minutes)
#   bench/run.sh --smoke    2 images, 1 repetition: checks the harness works
set -euo pipefail
. "$(dirname "$0")/../scripts/common.sh"

SMOKE=0
[ "${1:-}" = "--smoke" ] && SMOKE=1
RUNS=5; FOLDER_RUNS=3; ITERS=200
[ $SMOKE = 1 ] && { RUNS=1; FOLDER_RUNS=1; ITERS=5; }
command -v hyperfine >/dev/null || { echo "bench: needs hyperfine (scripts/install-deps.sh)" >&2; exit 2; }

if [ $SMOKE = 0 ]; then # the smoke test runs inside CTest, on the build it tests
    "${CMAKE[@]}" -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null
    "${CMAKE[0]}" --build "$BUILD_DIR" -j"$(nproc)" >/dev/null
    place_models
fi
ATTRIB="$BUILD_DIR/attrib"
FLOOR="$BUILD_DIR/bench_floor"
PY=/usr/bin/python3
PEER="$ROOT/bench/peer.py"
MODEL="$ROOT/models/mobilenet_v2_1.0_224.pt"
THREADS=$(nproc)
ONE="$SHARED/images/cat.bmp"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ $SMOKE = 1 ]; then
    mkdir "$work/images"; cp "$SHARED/images/cat.bmp" "$SHARED/images/bird.bmp" "$work/images/"
    IMAGES="$work/images"
else
    IMAGES="$SHARED/images"
fi
FOLDER=$(find "$IMAGES" -maxdepth 1 \( -name '*.bmp' -o -name '*.jpg' \) | sort)
N=$(echo "$FOLDER" | wc -l)

# stats JSON -> "median min max" in seconds
timed() { # name, command...
    local name=$1; shift
    hyperfine -N --runs "$RUNS" --warmup $(( RUNS > 1 ? 1 : 0 )) --export-json "$work/$name.json" \
        "$*" >/dev/null 2>&1 || { echo "bench: '$*' failed" >&2; exit 1; }
    $PY -c "import json,sys; r=json.load(open(sys.argv[1]))['results'][0]; \
print('%.3f %.3f %.3f' % (r['median'], r['min'], r['max']))" "$work/$name.json"
}
rss_kb() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
folder_mean() { # seconds for the whole folder, mean of FOLDER_RUNS
    hyperfine -N --runs "$FOLDER_RUNS" --export-json "$work/f.json" "$*" >/dev/null 2>&1
    $PY -c "import json; print('%.3f' % json.load(open('$work/f.json'))['results'][0]['mean'])"
}
calc() { $PY -c "print(format($1, '$2'))"; }

echo "| method | attrib cold s (median [min-max]) | peer cold s | attrib/peer | attrib steady ms/img | peer steady ms/img | attrib/peer | floor ms | attrib/floor | attrib RSS MB | peer RSS MB | attrib/peer |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
for method in saliency gradcam guided-backprop; do
    floor_method=${method%-backprop}
    read -r am amin amax <<<"$(timed "a-$method" "$ATTRIB" "$method" "$ONE" -o "$work/a" -q --threads "$THREADS")"
    a_folder=$(folder_mean "$ATTRIB" "$method" $FOLDER -o "$work/a" -q --threads "$THREADS")
    a_steady=$(calc "($a_folder - $am) / max($N - 1, 1) * 1000" .1f)
    a_rss=$(( $(rss_kb "$ATTRIB" "$method" "$ONE" -o "$work/a" -q) / 1024 ))
    floor=$("$FLOOR" "$MODEL" "$ONE" "$floor_method" "$THREADS" $(( SMOKE ? 3 : 30 )))
    if [ "$method" = guided-backprop ]; then
        # No plain-PyTorch route: a TorchScript model has no ReLU modules to hook.
        echo "| $method | $am [$amin-$amax] | n/a | n/a | $a_steady | n/a | n/a | $floor | $(calc "$a_steady / $floor" .2f) | $a_rss | n/a | n/a |"
        continue
    fi
    read -r pm pmin pmax <<<"$(timed "p-$method" "$PY" "$PEER" "$method" "$ONE" -o "$work/p" --threads "$THREADS")"
    p_folder=$(folder_mean "$PY" "$PEER" "$method" $FOLDER -o "$work/p" --threads "$THREADS")
    p_steady=$(calc "($p_folder - $pm) / max($N - 1, 1) * 1000" .1f)
    p_rss=$(( $(rss_kb "$PY" "$PEER" "$method" "$ONE" -o "$work/p") / 1024 ))
    echo "| $method | $am [$amin-$amax] | $pm [$pmin-$pmax] | $(calc "$am / $pm" .2f) | $a_steady | $p_steady | $(calc "$a_steady / $p_steady" .2f) | $floor | $(calc "$a_steady / $floor" .2f) | $a_rss | $p_rss | $(calc "$a_rss / $p_rss" .2f) |"
done

# fool: the default attack, cat -> lion; whole process.
t0=$(date +%s%N)
a_it=$("$ATTRIB" fool "$ONE" --target 291 -o "$work/a" --json | $PY -c "import json,sys; print(json.load(sys.stdin)['iterations'])")
a_fool=$(( ($(date +%s%N) - t0) / 1000000 ))
t0=$(date +%s%N)
p_it=$($PY "$PEER" fool "$ONE" --target 291 -o "$work/p" | $PY -c "import json,sys; print(json.load(sys.stdin)['iterations'])")
p_fool=$(( ($(date +%s%N) - t0) / 1000000 ))
echo
echo "| fool cat.bmp -> 291 | steps | whole process ms |"
echo "|---|---|---|"
echo "| attrib | $a_it | $a_fool |"
echo "| peer | $p_it | $p_fool |"

# classviz: ms per gradient step.
a_step=$("$ATTRIB" classviz --class 19 --iters "$ITERS" -o "$work/a" --json | $PY -c "import json,sys; print(json.load(sys.stdin)['timings_ms']['per_step'])")
p_step=$($PY "$PEER" classviz --class 19 --iters "$ITERS" -o "$work/p" | $PY -c "import json,sys; print('%.3f' % json.load(sys.stdin)['ms_per_step'])")
echo
echo "| classviz, $ITERS steps | ms per step |"
echo "|---|---|"
echo "| attrib | $a_step |"
echo "| peer | $p_step |"
echo
echo "$N images, $THREADS threads, $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(date -u +%Y-%m-%d)"
