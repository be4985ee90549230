#!/usr/bin/env bash
# Installs what attrib needs to build and test, from Debian 12's archive.
# Idempotent: asks apt only for packages that are missing.
set -euo pipefail

# BLAS: the OpenMP build of OpenBLAS measured fastest under libtorch here
# (docs/BENCHMARKS.md, bench/blas.sh); Debian's reference BLAS is 10x slower.
BUILD=(cmake make g++ pkg-config libtorch-dev libstb-dev libcjson-dev zlib1g-dev
       libopenblas0-openmp)
# Tests only: the independent PyTorch oracle, image fixtures, the runner,
# a headless browser for the batch report page, the benchmarks' timers
# (hyperfine; time for peak memory), the shells whose completion scripts
# are checked, and man to render attrib.1.
# python3-venv: the 2.x build's venvs (setup.sh --libtorch pip, its tests).
TEST=(python3-torch python3-torchvision python3-numpy python3-pil python3-pytest python3-venv chromium
      hyperfine time bash-completion zsh fish man-db groff-base)

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
for p in "${BUILD[@]}" "${TEST[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing+=("$p")
done
if ((${#missing[@]} == 0)); then
    echo "install-deps: all packages present"
else
    echo "install-deps: installing ${missing[*]}"
    "${sudo[@]}" apt-get update -q
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q "${missing[@]}"
fi
use_openmp_blas
