# Sourced by the scripts: project paths and the build step they share.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SHARED=${ATTRIB_SHARED:-$ROOT/../shared}
BUILD_DIR=${ATTRIB_BUILD_DIR:-$ROOT/build}

# Debian's CMake (3.25, installed by install-deps.sh) first: the cmake first
# on PATH may be CMake 4 (from PyPI), which refuses the old
# cmake_minimum_required calls some libtorch CMake files make. Any other
# cmake gets the policy minimum that lets those files configure.
if [ -x /usr/bin/cmake ]; then
    CMAKE=(/usr/bin/cmake)
    CTEST=/usr/bin/ctest
else
    CMAKE=(cmake -DCMAKE_POLICY_VERSION_MINIMUM=3.5)
    CTEST=ctest
fi

build() {
    "${CMAKE[@]}" -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null
    "${CMAKE[0]}" --build "$BUILD_DIR" -j"$(nproc)"
}

# The default model lives in models/ (ignored by git), copied from shared/.
place_models() {
    local f
    for f in "$SHARED"/models/*.pt; do
        [ -e "$f" ] || { echo "no models in $SHARED/models" >&2; return 1; }
        cmp -s "$f" "$ROOT/models/$(basename "$f")" 2>/dev/null || cp "$f" "$ROOT/models/"
    done
}
