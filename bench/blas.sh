#!/usr/bin/env bash
# Which BLAS and how many libtorch threads: the floor (one saliency pass of
# MobileNetV2 in a warm process) with each BLAS Debian offers, chosen per run
# through LD_LIBRARY_PATH, and 1 or all intra-op threads. Prints a table.
# The OpenMP build of OpenBLAS is measured when libopenblas0-openmp is
# installed (apt-get install libopenblas0-openmp); it is not needed otherwise.
set -euo pipefail
. "$(dirname "$0")/../scripts/common.sh"
build >/dev/null
place_models
LIB=/usr/lib/x86_64-linux-gnu
FLOOR="$BUILD_DIR/bench_floor"
MODEL="$ROOT/models/mobilenet_v2_1.0_224.pt"
IMG="$SHARED/images/cat.bmp"
echo "| BLAS | 1 thread, ms/pass | $(nproc) threads, ms/pass |"
echo "|---|---|---|"
for blas in blas openblas-pthread openblas-openmp; do
    [ -e "$LIB/$blas/libblas.so.3" ] || continue
    row="| $blas"
    for t in 1 "$(nproc)"; do
        row="$row | $(LD_LIBRARY_PATH="$LIB/$blas" "$FLOOR" "$MODEL" "$IMG" saliency "$t" 20)"
    done
    echo "$row |"
done
