#!/usr/bin/env bash
# The whole test suite once more against a build with AddressSanitizer and
# UndefinedBehaviorSanitizer (C code and shim; libtorch is not instrumented).
set -euo pipefail
. "$(dirname "$0")/common.sh"
BUILD_DIR=${ATTRIB_SAN_BUILD_DIR:-$ROOT/build-asan}
"$ROOT/scripts/install-deps.sh" build debian
"$ROOT/scripts/install-deps.sh" test
"${CMAKE[@]}" -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DATTRIB_SANITIZE=ON >/dev/null
"${CMAKE[0]}" --build "$BUILD_DIR" -j"$(nproc)"
place_models
ensure_test_python /usr/bin/python3
# container-overflow: std::vector annotations differ between instrumented and
# uninstrumented code (libtorch) and give false reports across the boundary.
export ASAN_OPTIONS=detect_leaks=1:detect_container_overflow=0:abort_on_error=0
export LSAN_OPTIONS=suppressions=$ROOT/tests/sanitizer/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ATTRIB_SANITIZED=1 # tests that measure memory skip that part
cd "$BUILD_DIR"
run_ctest -E "^bench_" "$@"
