#!/usr/bin/env bash
# The CUDA check, for a GPU machine lent by the device tool (nothing can be
# fetched there; it has PyTorch with CUDA, nvcc and CMake, but not Debian's
# C libraries). In two halves:
#   scripts/gpu-check.sh --prepare   here: the Debian packages of stb, cJSON
#                                    and zlib, and a copy of ../shared, into
#                                    .gpu/ (ignored by git; carry it)
#   scripts/gpu-check.sh             there: builds against that PyTorch's
#                                    libtorch, runs the oracle suites on CUDA
#                                    (--device auto picks it), compares CPU and
#                                    CUDA maps, times a folder on each
# Results go to $OUT (the device tool's) or out/gpu-check/.
set -uo pipefail
. "$(dirname "$0")/common.sh"
GPU_DIR=$ROOT/.gpu
DEBS=(libstb0 libstb-dev libcjson1 libcjson-dev zlib1g zlib1g-dev)

if [ "${1:-}" = --prepare ]; then
    rm -rf "$GPU_DIR" && mkdir -p "$GPU_DIR/debs" || exit 1
    (cd "$GPU_DIR/debs" && apt-get download "${DEBS[@]}") || exit 1
    cp -r "$SHARED" "$GPU_DIR/shared" || exit 1
    du -sh "$GPU_DIR"
    exit 0
fi

RESULTS=${OUT:-$ROOT/out/gpu-check}
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

if [ -n "${ATTRIB_GPU_SUITES:-}" ]; then
    echo "== oracle suites on CUDA (--device auto)"
    (cd "$BUILD_DIR" && "$CTEST" --output-on-failure --timeout 400 -R "$ATTRIB_GPU_SUITES") |
        tail -40
fi

echo "== CPU and CUDA maps of the shared photos (max |diff| / max |cpu map|)"
methods=(saliency gradcam guided-backprop deconvnet integrated-gradients smoothgrad
         input-x-gradient occlusion)
TIMEFORMAT=%R
printf "%-22s %8s %8s   (seconds, whole process over the photos; cpu = %s cores)\n" \
    method cpu cuda "$(nproc)"
for m in "${methods[@]}"; do
    row=()
    for dev in cpu cuda; do
        s=$( { time "$ATTRIB" "$m" "$SHARED/images" --device "$dev" --save-raw -q --no-report \
                  -o "$RESULTS/maps/$dev/$m" >/dev/null 2>&1; } 2>&1 )
        row+=("$s")
    done
    printf "%-22s %8s %8s\n" "$m" "${row[@]}"
    "$ATTRIB" compare "$RESULTS/maps/cpu/$m" "$RESULTS/maps/cuda/$m" --max-abs 1e-4 \
        --mean-abs 1e-5 --json > "$RESULTS/maps/compare-$m.json"
done
python3 - "$RESULTS/maps" <<'PY'
import json, pathlib, sys
for f in sorted(pathlib.Path(sys.argv[1]).glob("compare-*.json")):
    pairs = json.load(open(f)).get("pairs", [])
    worst = max((p.get("max_abs", 0) for p in pairs), default=float("nan"))
    bad = sum(not p["ok"] for p in pairs)
    print(f"{f.stem[8:]:22s} CPU vs CUDA: worst max_abs {worst:.3g} of the map max, "
          f"{len(pairs)} maps, {bad} over 1e-4")
PY
python3 "$ROOT/bench/cuda_vs_cpu.py" "$SHARED"

echo "== one image, cold (includes start-up and CUDA initialisation)"
for dev in cpu cuda; do
    s=$( { time "$ATTRIB" saliency "$SHARED/images/cat.bmp" --device "$dev" -q \
              -o /tmp/attrib-bench >/dev/null 2>&1; } 2>&1 )
    echo "saliency $dev: $s s"
done
