#!/usr/bin/env bash
# Fresh Debian 12 to a working attrib: dependencies, build, the default
# model, and a first saliency map of a shared photo (out/demo/).
#
#   scripts/setup.sh                    PyTorch $ATTRIB_TORCH_VERSION (2.13.0)'s CPU
#                                       libtorch from PyPI, in a venv under .venv/
#                                       (the default; --libtorch pip says the same)
#   scripts/setup.sh --libtorch debian  Debian 12's libtorch 1.13 (no .pt2 programs,
#                                       no vision transformers saved by PyTorch 2.x)
#   scripts/setup.sh --libtorch DIR     an unpacked libtorch (DIR/share/cmake/Torch)
#                                       or a PyTorch's torch.utils.cmake_prefix_path
#
# The build goes to $ATTRIB_BUILD_DIR (default build/); a build folder made for
# another libtorch is configured afresh. Later scripts/test.sh runs keep it.
set -euo pipefail
. "$(dirname "$0")/common.sh"

usage() { sed -n '5,13p' "$0" | sed 's/^# \{0,1\}//'; }

libtorch=pip
while (($#)); do
    case $1 in
        --libtorch) (($# >= 2)) || { echo "setup.sh: --libtorch needs a value" >&2; exit 2; }
                    libtorch=$2; shift 2 ;;
        --libtorch=*) libtorch=${1#*=}; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "setup.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
done

# The shared models and photos first: without them there is no default
# model and no demo, so stop before anything is installed or built.
if ! ls "$SHARED"/models/*.pt >/dev/null 2>&1 || [ ! -d "$SHARED/images" ]; then
    echo "setup.sh: no shared data in '$SHARED' (models/*.pt and images/); set ATTRIB_SHARED to the folder that holds them" >&2
    exit 2
fi
"$ROOT/scripts/install-deps.sh" build $([ "$libtorch" = debian ] && echo debian)
case $libtorch in
    debian) configure_libtorch "$DEBIAN_TORCH_DIR" ;;
    pip) configure_libtorch "$(torch2_venv)" ;;
    *) [ -d "$libtorch" ] || { echo "setup.sh: --libtorch: no folder '$libtorch'" >&2; exit 2; }
       configure_libtorch "$(cd "$libtorch" && pwd)" ;;
esac
build
place_models
"$BUILD_DIR/attrib" --version
"$BUILD_DIR/attrib" saliency "$SHARED/images/cat.bmp" --class 285 -o "$ROOT/out/demo"
cat <<EOF

attrib is built: $BUILD_DIR/attrib. To type 'attrib' as the README does, either
  export PATH="$BUILD_DIR:\$PATH"
or install it, with its man page, shell completions and default model:
  scripts/install.sh                  # into ~/.local (~/.local/bin is on most PATHs)
  scripts/install.sh /usr/local       # or any prefix
The tests: scripts/test.sh (it installs what they need first, and says what).
EOF
