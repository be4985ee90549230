#!/usr/bin/env bash
# Installs what attrib needs to build and test, from Debian 12's archive.
# Idempotent: asks apt only for packages that are missing.
set -euo pipefail

BUILD=(cmake make g++ pkg-config libtorch-dev libstb-dev libcjson-dev zlib1g-dev
       libopenblas0-pthread)
# Tests only: the independent PyTorch oracle, image fixtures, the runner,
# a headless browser for the batch report page, and the benchmark's timer.
TEST=(python3-torch python3-torchvision python3-numpy python3-pil python3-pytest chromium
      hyperfine)

missing=()
for p in "${BUILD[@]}" "${TEST[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing+=("$p")
done
if ((${#missing[@]} == 0)); then
    echo "install-deps: all packages present"
    exit 0
fi
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
echo "install-deps: installing ${missing[*]}"
"${sudo[@]}" apt-get update -q
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q \
    "${missing[@]}"
