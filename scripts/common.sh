# Sourced by the scripts: project paths and the build step they share.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SHARED=${ATTRIB_SHARED:-$ROOT/../shared}
BUILD_DIR=${ATTRIB_BUILD_DIR:-$ROOT/build}

build() {
    cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$BUILD_DIR" -j"$(nproc)"
}

# The default model lives in models/ (ignored by git), copied from shared/.
place_models() {
    local f
    for f in "$SHARED"/models/*.pt; do
        [ -e "$f" ] || { echo "no models in $SHARED/models" >&2; return 1; }
        cmp -s "$f" "$ROOT/models/$(basename "$f")" 2>/dev/null || cp "$f" "$ROOT/models/"
    done
}
