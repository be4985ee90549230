#!/usr/bin/env bash
# Builds (incrementally) and runs the whole test suite with CTest: C unit
# tests, the PyTorch oracle, integration and bad-input tests.
#   scripts/test.sh            everything (the README's test command)
#   scripts/test.sh --quick    the quick tier, a few minutes (CTest label
#                              "quick"; generated option cases sampled)
# Other arguments go to ctest (e.g. -R batch).
set -euo pipefail
. "$(dirname "$0")/common.sh"

build
place_models
"$ROOT/scripts/install-deps.sh" test
ensure_test_python "$(sed -n 's/^ATTRIB_TEST_PYTHON:FILEPATH=//p' "$BUILD_DIR/CMakeCache.txt")"
cd "$BUILD_DIR"
if [ "${1:-}" = "--quick" ]; then
    shift
    export ATTRIB_QUICK=1
    set -- -L quick "$@"
fi
run_ctest "$@"
