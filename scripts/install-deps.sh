#!/usr/bin/env bash
# Installs from Debian 12's archive what a purpose needs; idempotent: asks
# apt only for packages that are missing, and says which it installs.
#   scripts/install-deps.sh build          to build attrib on PyPI's libtorch
#                                          (scripts/setup.sh, the default)
#   scripts/install-deps.sh build debian   ... on Debian's libtorch 1.13
#   scripts/install-deps.sh test           the test suite's extras (scripts/test.sh
#                                          installs them on its first run)
set -euo pipefail

# The C front end and the shim; the venv that holds PyTorch's libtorch.
BUILD=(cmake make g++ pkg-config libstb-dev libcjson-dev zlib1g-dev libdeflate-dev libturbojpeg0-dev
       python3-venv)
# Debian's libtorch, and the BLAS it runs on: the OpenMP build of OpenBLAS
# measured fastest under it (docs/BENCHMARKS.md, bench/blas.sh); Debian's
# reference BLAS is 10x slower.
DEBIAN_TORCH=(libtorch-dev libopenblas0-openmp)
# Tests only: the independent PyTorch oracle of the 1.13 line, image
# fixtures, the runner, a headless browser for the batch report page, the
# benchmarks' timers (hyperfine; time for peak memory), the shells whose
# completion scripts are checked, and man to render attrib.1.
TEST=(python3-torch python3-torchvision python3-numpy python3-pil python3-pytest chromium
      hyperfine time bash-completion zsh fish man-db groff-base)

want=()
case ${1:-} in
    build) want=("${BUILD[@]}"); [ "${2:-}" != debian ] || want+=("${DEBIAN_TORCH[@]}") ;;
    test) want=("${TEST[@]}") ;;
    *) sed -n '4,8p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac

use_openmp_blas() { # make it the system's libblas.so.3 even if another is installed
    local arch lib
    arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
    for lib in libblas.so.3 liblapack.so.3 libopenblas.so.0; do
        if [ -e "/usr/lib/$arch/openblas-openmp/$lib" ] &&
           [ "$(readlink -f "/usr/lib/$arch/$lib")" != "/usr/lib/$arch/openblas-openmp/$lib" ]; then
            "${sudo[@]}" update-alternatives --quiet --set "$lib-$arch" "/usr/lib/$arch/openblas-openmp/$lib"
        fi
    done
}

sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
missing=()
for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing+=("$p")
done
if ((${#missing[@]} == 0)); then
    echo "install-deps: the packages to $1 are present"
else
    echo "install-deps: installing, to $1: ${missing[*]}"
    "${sudo[@]}" apt-get update -q
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q "${missing[@]}"
fi
[[ " ${want[*]} " != *" libopenblas0-openmp "* ]] || use_openmp_blas
