#!/usr/bin/env bash
# The CUDA check, for a GPU machine lent by the device tool (nothing can be
# fetched there; it has PyTorch with CUDA, nvcc and CMake, but not Debian's
# C libraries). In two halves:
#   scripts/gpu-check.sh --prepare   here: the Debian packages of stb, cJSON
#                                    and zlib, and a copy of ../shared, into
#                                    .gpu/ (ignored by git; carry it)
#   scripts/gpu-check.sh             there: builds against that PyTorch's
#                                    libtorch, runs the oracle suites on CUDA
#                                    (--device auto picks it) when
#                                    ATTRIB_GPU_SUITES names them, then
#                                    bench/cuda_check.py: attrib against
#                                    PyTorch on each device, CPU and CUDA
#                                    throughput (MobileNetV2, ViT-B/16);
#                                    ATTRIB_GPU_PIPELINE=1: bench/pipeline.sh
#                                    (--workers) on the CPU and on CUDA
# Results go to $OUT (the device tool's) or out/gpu-check/.
set -uo pipefail
. "$(dirname "$0")/common.sh"
GPU_DIR=$ROOT/.gpu
DEBS=(libstb0 libstb-dev libcjson1 libcjson-dev zlib1g zlib1g-dev libdeflate0 libdeflate-dev libturbojpeg0
      libturbojpeg0-dev)

if [ "${1:-}" = --prepare ]; then
    rm -rf "$GPU_DIR" && mkdir -p "$GPU_DIR/debs" || exit 1
    (cd "$GPU_DIR/debs" && apt-get download "${DEBS[@]}") || exit 1
    cp -r "$SHARED" "$GPU_DIR/shared" || exit 1
    du -sh "$GPU_DIR"
    exit 0
fi

RESULTS=${OUT:-$ROOT/out/gpu-check}
TIMEFORMAT=%R
mkdir -p "$RESULTS"
exec > >(tee "$RESULTS/gpu-check.log") 2>&1
SHARED=$GPU_DIR/shared
export ATTRIB_SHARED=$SHARED
deps=/tmp/attrib-deps
for f in "$GPU_DIR"/debs/*.deb; do dpkg -x "$f" "$deps"; done
# pkg-config finds these .pc files through CMAKE_PREFIX_PATH: point them here.
sed -i "s|=/usr|=$deps/usr|g" "$deps"/usr/lib/x86_64-linux-gnu/pkgconfig/*.pc \
    "$deps"/usr/share/pkgconfig/*.pc 2>/dev/null
export CMAKE_PREFIX_PATH=$deps/usr
export LD_LIBRARY_PATH=$deps/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
# Inside the checkout: the default model is found in models/ beside the build.
BUILD_DIR=$ROOT/build-gpu
rm -rf "$BUILD_DIR"
ATTRIB=$BUILD_DIR/attrib

echo "== machine"
nvidia-smi -L
python3 -c "import torch; print('python torch', torch.__version__, 'cuda', torch.version.cuda)"
echo "== build"
t0=$SECONDS
configure_libtorch "$(python3 -c 'import torch.utils; print(torch.utils.cmake_prefix_path)')" || exit 1
build >/dev/null || { build; exit 1; }
echo "built in $((SECONDS - t0)) s"
place_models
"$ATTRIB" --version

echo "== errors"
"$ATTRIB" predict "$SHARED/images/cat.bmp" --device cuda:7; echo "exit $?"

echo "== one image, cold (includes start-up and CUDA initialisation)"
for dev in cpu cuda; do
    s=$( { time "$ATTRIB" saliency "$SHARED/images/cat.bmp" --device "$dev" -q \
              -o /tmp/attrib-bench >/dev/null 2>&1; } 2>&1 )
    echo "saliency $dev: $s s"
done

if [ -n "${ATTRIB_GPU_SUITES:-}" ]; then
    echo "== oracle suites on CUDA (--device auto)"
    (cd "$BUILD_DIR" && "$CTEST" --output-on-failure --timeout 400 -R "$ATTRIB_GPU_SUITES") |
        tail -40
fi

echo "== attrib and PyTorch on each device; CPU and CUDA throughput (bench/cuda_check.py)"
PYTHONUNBUFFERED=1 timeout 420 python3 "$ROOT/bench/cuda_check.py" "$ATTRIB" "$SHARED" \
    /tmp/attrib-cuda-check --vit
cp /tmp/attrib-cuda-check/cuda_check.json "$RESULTS/" 2>/dev/null

if [ -n "${ATTRIB_GPU_PIPELINE:-}" ]; then
    # issue 32: the workers beside the passes where there are more cores than
    # the network uses, on the CPU and on CUDA (docs/BENCHMARKS.md "The pipeline")
    echo "== the pipeline: --workers on $(nproc) cores, CPU then CUDA (bench/pipeline.sh)"
    WORKERS="0 2 4 8 auto" timeout 240 "$ROOT/bench/pipeline.sh" "$BUILD_DIR" 3 8
    DEVICE=cuda WORKERS="0 2 4 8 auto" timeout 240 "$ROOT/bench/pipeline.sh" "$BUILD_DIR" 3 32
fi

if [ -n "${ATTRIB_GPU_LOOP:-}" ]; then
    echo "== CPU and CUDA maps of the shared photos, every method (max |diff| / max |cpu map|)"
    maps=/tmp/attrib-gpu-maps
    for m in saliency gradcam guided-backprop deconvnet integrated-gradients smoothgrad \
             input-x-gradient occlusion; do
        row=()
        for dev in cpu cuda; do
            s=$( { time "$ATTRIB" "$m" "$SHARED/images" --device "$dev" --save-raw -q \
                      --no-report -o "$maps/$dev/$m" >/dev/null 2>&1; } 2>&1 )
            row+=("$s")
        done
        printf "%-22s cpu %8s s  cuda %8s s\n" "$m" "${row[@]}"
        # one line per map (max and mean difference of the CPU's maximum), then a count
        "$ATTRIB" compare "$maps/cpu/$m" "$maps/cuda/$m" --max-abs 1e-4 --mean-abs 1e-5
    done
fi

