#!/usr/bin/env bash
# Installs the built attrib (scripts/setup.sh) under a prefix: the tool,
# its shim, the man page, bash/zsh/fish completions and the default model.
#   scripts/install.sh [PREFIX]     (default: ~/.local)
# The build folder is $ATTRIB_BUILD_DIR (default build/).
set -euo pipefail
. "$(dirname "$0")/common.sh"
PREFIX=${1:-$HOME/.local}
[ -x "$BUILD_DIR/attrib" ] || { echo "install.sh: no attrib in '$BUILD_DIR': run scripts/setup.sh first" >&2; exit 2; }
"${CMAKE[0]}" --install "$BUILD_DIR" --prefix "$PREFIX" >/dev/null
echo "attrib installed in $PREFIX/bin (man page, completions, default model under $PREFIX/share)"
case ":$PATH:" in
    *":$PREFIX/bin:"*) ;;
    *) echo "$PREFIX/bin is not on PATH: export PATH=\"$PREFIX/bin:\$PATH\"" ;;
esac
