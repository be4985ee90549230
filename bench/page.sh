#!/usr/bin/env bash
# How fast a run's report page opens in headless Chromium: the time from the
# start of navigation until the first page of cards is in place (the page's
# data-drawn-ms, read from the DOM after the load event), and how many of the
# first page's pictures loaded or broke. Needs Debian's chromium.
#   bench/page.sh OUT_DIR...        e.g. bench/page.sh out/scale/out-saliency-50000
set -euo pipefail
printf '%-50s %8s %10s %8s %8s\n' report records "drawn ms" loaded broken
for dir in "$@"; do
    profile=$(mktemp -d)
    dom=$(chromium --headless --no-sandbox --disable-gpu --no-first-run \
        --disable-background-networking --user-data-dir="$profile" \
        --virtual-time-budget=30000 --dump-dom "file://$(realpath "$dir")/index.html" 2>/dev/null)
    rm -rf "$profile"
    tag=$(grep -o '<body[^>]*>' <<< "$dom")
    attr() { grep -o "data-$1=\"[0-9]*\"" <<< "$tag" | grep -o '[0-9]*' || echo '?'; }
    records=$(grep -o 'of [0-9]*' <<< "$dom" | head -1 | cut -d' ' -f2)
    printf '%-50s %8s %10s %8s %8s\n' "$dir" "$records" "$(attr drawn-ms)" "$(attr loaded)" \
        "$(attr broken)"
done
