#!/usr/bin/env bash
# Fails (exit 1) when the model's explanations drifted from the goldens.
#
# Once, to record goldens (commit tests/heatmaps afterwards):
#   attrib golden update tests/heatmaps -- gradcam images/ --model models/ours.pt --threads 2
# In CI, after building or fetching the model to test:
#   examples/ci/check-heatmaps.sh tests/heatmaps models/candidate.pt
set -euo pipefail
golden=${1:?usage: check-heatmaps.sh GOLDEN_DIR [MODEL]}
model=${2:-}
extra=()
[ -n "$model" ] && extra=(-- --model "$model")
# Goldens are compared as exact float maps. A retrained model's maps move
# a little even when it still looks at the same things; loosen these to what
# your team accepts, e.g. --min-pearson 0.95 --min-iou 0.7 --max-abs 0.2.
attrib golden check "$golden" --min-pearson 0.99 --min-iou 0.9 "${extra[@]}"
