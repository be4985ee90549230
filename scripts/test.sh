#!/usr/bin/env bash
# Builds (incrementally) and runs the whole test suite with CTest: C unit
# tests, the PyTorch oracle, integration and bad-input tests.
#   scripts/test.sh            every suite but the documentation's examples,
#                              the benchmarks' smoke runs and the
#                              architectures' tier (the README's test command)
#   scripts/test.sh --quick    the quick tier, a few minutes (CTest label
#                              "quick"; generated option cases sampled)
#   scripts/test.sh --docs     the documentation's examples (label "docs",
#                              scripts/doc-examples.py: 4 minutes of heavy
#                              commands, a tier of its own in .ci/run so
#                              that the suite stays within 15 minutes)
#   scripts/test.sh --bench    the benchmarks' smoke runs (label "bench": the
#                              harness and the peers' tables on 2 photos, a
#                              tier of its own for the same reason)
#   scripts/test.sh --models   every method on torchvision's architectures and
#                              the exporter's sources (label "models": 7
#                              minutes of suite time, a tier of its own for
#                              the same reason)
# Other arguments go to ctest (e.g. -R batch).
set -euo pipefail
. "$(dirname "$0")/common.sh"

build
place_models
"$ROOT/scripts/install-deps.sh" test
ensure_test_python "$(sed -n 's/^ATTRIB_TEST_PYTHON:FILEPATH=//p' "$BUILD_DIR/CMakeCache.txt")"
cd "$BUILD_DIR"
case "${1:-}" in
    --quick) shift; export ATTRIB_QUICK=1; set -- -L quick "$@" ;;
    --docs) shift; set -- -L docs "$@" ;;
    --bench) shift; set -- -L bench "$@" ;;
    --models) shift; set -- -L models "$@" ;;
    *) set -- -LE 'docs|bench|models' "$@" ;;
esac
run_ctest "$@"
