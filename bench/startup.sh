#!/usr/bin/env bash
# Start-up cost of commands that run no model (help, completion, compare, a
# refused command line) and of a cold single-image saliency run, with
# hyperfine. With OTHER_BUILD_DIR, the same commands of another build run
# side by side (e.g. a build of an older commit), so the two are compared in
# one session.
#
#   bench/startup.sh [OTHER_BUILD_DIR]
set -euo pipefail
. "$(dirname "$0")/../scripts/common.sh"
command -v hyperfine >/dev/null || { echo "bench: needs hyperfine (scripts/install-deps.sh)" >&2; exit 2; }
place_models
MODEL="$ROOT/models/mobilenet_v2_1.0_224.pt"
IMAGE="$SHARED/images/cat.bmp"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
"$BUILD_DIR/attrib" saliency "$IMAGE" --model "$MODEL" -o "$TMP" -q --raw "$TMP/m.npy"

builds=("$BUILD_DIR")
[ $# -ge 1 ] && builds+=("$1")
for b in "${builds[@]}"; do
    a="$b/attrib"
    echo "== $a"
    hyperfine -N -i --warmup 3 --runs 20 --style basic --export-markdown "$TMP/t.md" \
        -n "attrib --version" "$a --version" \
        -n "compare (two maps)" "$a compare $TMP/m.npy $TMP/m.npy -q" \
        -n "refused option" "$a saliency --steps 3" >/dev/null
    cat "$TMP/t.md"
    hyperfine -N --warmup 1 --runs 10 --style basic --export-markdown "$TMP/t.md" \
        -n "saliency, one image (cold)" "$a saliency $IMAGE --model $MODEL -o $TMP -q" >/dev/null
    tail -n 1 "$TMP/t.md"
done
