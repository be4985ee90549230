#!/usr/bin/env bash
# Fails (exit 1) when the model's explanations or predictions drifted from
# the goldens, with a JUnit report (golden-report.xml), GitHub Actions
# annotations when run there, and a picture of every map that failed
# (golden-diffs/).
#
# Once, to record goldens (commit tests/goldens afterwards):
#   attrib golden update tests/goldens/gradcam -- gradcam images/ --model models/ours.pt --threads 2
#   attrib golden update tests/goldens/predict -- predict images/ --model models/ours.pt
# In CI, after building or fetching the model to test:
#   examples/ci/check-heatmaps.sh tests/goldens models/candidate.pt
set -euo pipefail
goldens=${1:?usage: check-heatmaps.sh GOLDENS_DIR [MODEL]}
model=${2:-}
extra=()
[ -n "$model" ] && extra=(-- --model "$model")
format=text
[ -n "${GITHUB_ACTIONS:-}" ] && format=github
status=0
# Each command's default tolerances (attrib golden --help) allow only float
# noise. A retrained model's maps move a little even when it still looks at
# the same things; loosen to what your team accepts, e.g. --min-pearson 0.95
# --min-iou 0.7 --max-abs 0.2 (maps) or --max-value-diff 0.02 (predictions).
for dir in "$goldens"/*/; do
    name=$(basename "$dir")
    attrib golden check "$dir" --format "$format" --junit "golden-report-$name.xml" \
        --diffs "golden-diffs/$name" "${extra[@]}" || status=$?
done
exit "$status"
