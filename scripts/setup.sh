#!/usr/bin/env bash
# Fresh Debian 12 to a working attrib: dependencies, build, the default
# model, and a first saliency map of a shared photo (out/demo/).
set -euo pipefail
. "$(dirname "$0")/common.sh"

"$ROOT/scripts/install-deps.sh"
build
place_models
"$BUILD_DIR/attrib" saliency "$SHARED/images/cat.bmp" --class 285 -o "$ROOT/out/demo"
