#!/usr/bin/env bash
# Builds (incrementally) and runs the whole test suite with CTest: C unit
# tests, the PyTorch oracle, integration and bad-input tests.
set -euo pipefail
. "$(dirname "$0")/common.sh"

build
place_models
cd "$BUILD_DIR"
ctest --output-on-failure -j"$(nproc)" "$@"
