# Sourced by the scripts: project paths and the build step they share.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SHARED=${ATTRIB_SHARED:-$ROOT/../shared}
BUILD_DIR=${ATTRIB_BUILD_DIR:-$ROOT/build}

# Debian's CMake (3.25, installed by install-deps.sh) first: the cmake first
# on PATH may be CMake 4 (from PyPI), which refuses the old
# cmake_minimum_required calls some libtorch CMake files make. Any other
# cmake gets the policy minimum that lets those files configure.
if [ -x /usr/bin/cmake ]; then
    CMAKE=(/usr/bin/cmake)
    CTEST=/usr/bin/ctest
else
    CMAKE=(cmake -DCMAKE_POLICY_VERSION_MINIMUM=3.5)
    CTEST=ctest
fi
# A machine with ninja but no make (the GPU image).
if ! command -v make >/dev/null && command -v ninja >/dev/null; then CMAKE+=(-G Ninja); fi

build() {
    "${CMAKE[@]}" -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null
    "${CMAKE[0]}" --build "$BUILD_DIR" -j"$(nproc)"
}

# CTest with the suites side by side: as many at once as there are cores
# (ATTRIB_TEST_JOBS to choose), every process in them - attrib and the
# oracles' PyTorch alike (tests/conftest.py THREADS) - on cores / jobs
# threads, so that together they take the cores once. Suites that each took
# every core would oversubscribe them: OpenMP's threads spin (measured: 156 s
# one after the other against 355 s two at once, each on both cores).
run_ctest() {
    local cores jobs threads
    cores=$(nproc)
    jobs=${ATTRIB_TEST_JOBS:-$cores}
    threads=$((cores / jobs))
    [ "$threads" -ge 1 ] || threads=1
    echo "test: $jobs suites at a time, $threads thread(s) each" >&2
    ATTRIB_TEST_THREADS=$threads ATTRIB_THREADS=$threads OMP_NUM_THREADS=$threads \
        "$CTEST" --output-on-failure -j"$jobs" "$@"
}

# libtorch 2.x from PyPI: the CPU wheel of this version, in a venv of its own
# (about 0.9 GB); its python also runs the tests' PyTorch oracles for that
# build (scripts/test.sh adds what they import).
TORCH2_VERSION=${ATTRIB_TORCH_VERSION:-2.13.0}
TORCH2_VENV=${ATTRIB_TORCH_VENV:-$ROOT/.venv/torch-$TORCH2_VERSION}
DEBIAN_TORCH_DIR=/usr/lib/x86_64-linux-gnu/cmake/Torch

# The tests of a 2.x build run in a venv of their own with a 2.x PyTorch and
# torchvision (the oracles' eager twins); PyPI's torchvision does not import
# beside the 2.13.0 CPU wheel, so this is 2.14.1 (a CUDA build, 5.5 GB, run
# on the CPU). scripts/test.sh makes it on first use.
TEST2_VENV=${ATTRIB_TEST_VENV:-$ROOT/.venv/test-torch2}
# The peers the oracles compare with: pytorch-grad-cam (grad-cam on PyPI)
# for the CAM family, Captum for DeepLIFT/GradientSHAP/LIME/KernelSHAP,
# Zennit for the LRP composites, torchattacks for fool's attacks, Lucent for
# classviz's parameterisations and objectives; timm and transformers for
# scripts/export-model.py's sources; their big dependencies are pinned too
# (transformers 4.57: 5.x's hub client needs idna >= 3.18, and requests
# 2.25.1, torchattacks' pin, needs idna < 3: pip cannot install both).
TEST2_PACKAGES=(torch==2.14.1 torchvision==0.29.1 numpy==2.4.6 pillow==13.0.0 pytest==8.3.5
                grad-cam==1.5.7 opencv-python-headless==5.0.0.93 scikit-learn==1.9.1
                scipy==1.17.1 matplotlib==3.11.2 captum==0.9.0 zennit==0.5.1 click==8.5.1
                torchattacks==3.5.1 tqdm==4.67.1 requests==2.25.1 decorator==5.2.1
                timm==1.0.31 transformers==4.57.6 huggingface_hub==0.36.2 safetensors==0.8.0
                tokenizers==0.22.2 PyYAML==6.0.4 regex==2026.12.2 idna==2.10)
# Lucent (classviz's peer) pins kornia <= 0.4.1, which it imports only for the
# transforms and renderer the tests do not use: installed without its
# dependencies (it needs torch, numpy and decorator, above). facenet-pytorch
# (MTCNN's weights, the real face detector of examples/models) pins torch
# < 2.3 and numpy < 2, which its P-Net does not need: the same.
TEST2_NODEPS=(torch-lucent==0.1.8 facenet-pytorch==2.6.0)
TEST2_IMPORTS="import torch, torchvision, numpy, PIL, pytest, pytorch_grad_cam, captum, zennit, torchattacks, lucent.optvis.objectives, timm, transformers, facenet_pytorch"

# What the 2.x test venv takes on disk (5.9 GB measured), with room to spare.
TEST2_VENV_GB=7

# Fails with one line when the file system holding dir has less than gb GB
# free: pip's own message comes after minutes and names no size.
need_disk() {
    local gb=$1 dir=$2 what=$3 free
    free=$(df -Pk "$dir" | awk 'NR == 2 { print int($4 / 1048576) }')
    [ "$free" -ge "$gb" ] && return 0
    echo "error: $what needs about $gb GB free on $(df -P "$dir" | awk 'NR == 2 { print $6 }'), which has $free GB" >&2
    return 1
}

# Makes the venv dir and installs packages into it; pip's notes about this
# machine's unused local indexes are dropped, its errors kept.
venv_install() {
    local dir=$1
    shift
    python3 -m venv "$dir"
    "$dir/bin/pip" install -q --disable-pip-version-check --no-cache-dir "$@" 2>&1 |
        grep -v "^WARNING: Location" >&2 || true
}

# Debian's python3 (the 1.13 line's oracle) has torch but no pip: the pure-
# Python peers its tests import go into this folder (tests/CMakeLists.txt
# puts it on PYTHONPATH), installed by the pip of the python3 on PATH.
TEST1_PYDEPS=$ROOT/.venv/pydeps-torch1
TEST1_PACKAGES=(zennit==0.5.1)

ensure_test_python() {
    local python=$1
    if [ "$python" != "$TEST2_VENV/bin/python" ]; then
        [ -d "$TEST1_PYDEPS/zennit" ] && return 0
        echo "test: installing ${TEST1_PACKAGES[*]} into $TEST1_PYDEPS" >&2
        # A python3 without pip (Debian's) borrows a venv's (python3-venv).
        local pip=(python3 -m pip)
        if ! python3 -m pip --version >/dev/null 2>&1; then
            python3 -m venv "$ROOT/.venv/pip" && pip=("$ROOT/.venv/pip/bin/pip")
        fi
        # --no-deps: its dependencies (torch, numpy, Pillow) are Debian's
        "${pip[@]}" install -q --disable-pip-version-check --root-user-action=ignore --no-deps \
            --target "$TEST1_PYDEPS" "${TEST1_PACKAGES[@]}" 2>&1 |
            grep -v "^WARNING: Location" >&2 || true
        return 0
    fi
    "$python" -c "$TEST2_IMPORTS" 2>/dev/null && return 0
    need_disk "$TEST2_VENV_GB" "$ROOT" "the 2.x test environment (a CUDA build of torch)" || return 1
    echo "test: installing ${TEST2_PACKAGES[*]} into $TEST2_VENV" >&2
    venv_install "$TEST2_VENV" "${TEST2_PACKAGES[@]}"
    venv_install "$TEST2_VENV" --no-deps "${TEST2_NODEPS[@]}"
    "$python" -c "$TEST2_IMPORTS"
}

# Makes the venv if needed; prints its torch's CMake prefix.
torch2_venv() {
    if ! "$TORCH2_VENV/bin/python" -c "import torch" 2>/dev/null; then
        echo "setup: installing PyTorch $TORCH2_VERSION into $TORCH2_VENV" >&2
        venv_install "$TORCH2_VENV" "torch==$TORCH2_VERSION"
    fi
    "$TORCH2_VENV/bin/python" -c "import torch.utils; print(torch.utils.cmake_prefix_path)" 2>/dev/null
}

# Points the build folder at the libtorch under dir: Debian's CMake folder,
# a PyTorch's cmake_prefix_path (DIR/Torch), or an unpacked libtorch
# (DIR/share/cmake/Torch). libtorch's own CMake files look for Caffe2 and
# the libraries by name and would take Debian's (libtorch-dev is installed)
# over the ones beside them: all are pinned to the folder's own.
configure_libtorch() {
    local dir=$1 torch_dir lib python=$TEST2_VENV/bin/python
    if [ -f "$dir/TorchConfig.cmake" ]; then torch_dir=$dir
    elif [ -f "$dir/Torch/TorchConfig.cmake" ]; then torch_dir=$dir/Torch
    elif [ -f "$dir/share/cmake/Torch/TorchConfig.cmake" ]; then torch_dir=$dir/share/cmake/Torch
    else echo "setup: no TorchConfig.cmake under $dir" >&2; return 2
    fi
    torch_dir=$(cd "$torch_dir" && pwd)
    lib=$(cd "$torch_dir/../../.." && pwd)/lib
    if [ "$torch_dir" = "$DEBIAN_TORCH_DIR" ]; then
        lib=/usr/lib/x86_64-linux-gnu
        python=/usr/bin/python3
    fi
    local cache=$BUILD_DIR/CMakeCache.txt
    if [ -f "$cache" ] && ! grep -qx "Torch_DIR:PATH=$torch_dir" "$cache"; then
        echo "setup: $BUILD_DIR was configured for another libtorch: configuring afresh" >&2
        rm -rf "$cache" "$BUILD_DIR/CMakeFiles"
    fi
    "${CMAKE[@]}" -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_PREFIX_PATH="$(dirname "$torch_dir")" -DTorch_DIR:PATH="$torch_dir" \
        -DCaffe2_DIR:PATH="$(dirname "$torch_dir")/Caffe2" -DTORCH_LIBRARY="$lib/libtorch.so" \
        -Dc10_LIBRARY="$lib/libc10.so" -DATTRIB_TEST_PYTHON="$python" \
        -DATTRIB_SHARED="$SHARED" >/dev/null
}

# The default model lives in models/ (ignored by git), copied from shared/.
place_models() {
    local f
    for f in "$SHARED"/models/*.pt; do
        [ -e "$f" ] || { echo "no models in $SHARED/models" >&2; return 1; }
        cmp -s "$f" "$ROOT/models/$(basename "$f")" 2>/dev/null || cp "$f" "$ROOT/models/"
    done
}
