#!/usr/bin/env bash
# torch.export programs against TorchScript files of the same weights, on
# one build: the model's load (median of attrib saliency's "load" timing
# over REPS runs) and one warm pass per image (bench_floor: forward, and
# forward+backward), batch 1 and 8. torchvision's MobileNetV2 and ViT-B/16
# with random weights, made by the 2.x test venv's PyTorch.
#
#   bench/programs.sh [BUILD_DIR]      (prints a Markdown table)
set -euo pipefail
. "$(dirname "$0")/../scripts/common.sh"
B=${1:-$BUILD_DIR}
REPS=${REPS:-7}
THREADS=${THREADS:-2}
IMAGE="$SHARED/images/cat.bmp"
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
"$TEST2_VENV/bin/python" - "$DIR" <<'PY' 2>/dev/null
import sys, torch, torchvision
out = sys.argv[1]
for name in ("mobilenet_v2", "vit_b_16"):
    torch.manual_seed(0)
    m = torchvision.models.get_model(name, weights=None).eval()
    if name.startswith("vit"):  # its head starts at zero: every map would be flat
        torch.nn.init.normal_(m.heads.head.weight, std=0.5)
    torch.jit.save(torch.jit.script(m), f"{out}/{name}.pt")
    batch = torch.export.Dim("batch", min=1, max=1024)
    ep = torch.export.export(m, (torch.zeros(2, 3, 224, 224),), dynamic_shapes=({0: batch},))
    torch.export.save(ep, f"{out}/{name}.pt2")
PY
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
load_ms() {
    for _ in $(seq "$REPS"); do
        "$B/attrib" saliency "$IMAGE" --model "$1" -o "$DIR/out" --threads "$THREADS" --json |
            "$TEST2_VENV/bin/python" -c "import json, sys; print(json.load(sys.stdin)['timings_ms']['load'])"
    done | median
}
pass_ms() { "$B/bench_floor" "$1" "$IMAGE" "$2" "$THREADS" "$REPS" "$3" | head -1; }
version=$("$B/attrib" --version | sed -n 's/.*libtorch \([0-9.]*\).*/\1/p' | head -1)
echo "| model | format | load ms | forward ms/image (1) | forward+backward ms/image (1) | forward+backward ms/image (8) |"
echo "|---|---|---|---|---|---|"
for name in mobilenet_v2 vit_b_16; do
    for ext in pt pt2; do
        f="$DIR/$name.$ext"
        echo "| $name | .$ext | $(load_ms "$f") | $(pass_ms "$f" forward 1) | $(pass_ms "$f" saliency 1) | $(pass_ms "$f" saliency 8) |"
    done
done
echo
echo "libtorch $version, $THREADS threads, $(nproc) cores; median of $REPS."
