// runtime.cpp - the process-wide part of the shim: errors and their one-line
// messages, the allocator's thresholds, threads, warnings and logging, and
// which libtorch and devices there are.
#include "compat.hpp"
#include "internal.hpp"

#include <torch/cuda.h>
#include <torch/csrc/jit/runtime/graph_executor.h>
#include <torch/csrc/jit/python/update_graph_executor_opt.h>
#include <ATen/Context.h>
#include <ATen/Parallel.h>

#include <dlfcn.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <sched.h>
#include <cstdlib>
#include <sstream>
#include <thread>

namespace attrib_shim {

namespace {

thread_local std::string last_error;

// glibc serves every block above its mmap threshold (128 KiB, rising to at
// most 32 MiB as such blocks are freed) with a fresh mapping and unmaps it
// on free, so each pass page-faults its activations in again: on
// MobileNetV2 at batch 16, 2.7 million faults for 13 passes, and 1.5-2.5x
// the time per image of the same passes served from the heap
// (docs/BENCHMARKS.md, "Allocator"). Blocks up to MMAP_THRESHOLD come from
// the heap, which keeps up to TRIM_THRESHOLD of freed memory for the next
// pass instead of returning it.
const int MMAP_THRESHOLD = 256 << 20;
const int TRIM_THRESHOLD = 1 << 30;

void keep_freed_memory() {
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD);
#endif
}

attrib::QuietWarnings quiet_warnings;

// Cores this process may run on (taskset, cgroup cpusets), not all online.
int available_cores() {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
    return (int)std::thread::hardware_concurrency();
}

}  // namespace

long simulated_memory_limit = 0;

// libtorch messages are multi-line: a TorchScript interpreter error starts
// with a preamble and a script traceback and ends with the actual error
// ("RuntimeError: ..."); others put the essence on the first line.
std::string one_line(const std::string &msg) {
    static const std::string interpreter = "The following operation failed in the TorchScript";
    static const std::string nag = "(Could this error message be improved?";
    std::string line;
    if (msg.compare(0, interpreter.size(), interpreter) == 0) {
        size_t end = msg.find_last_not_of("\n\r ");
        size_t start = end == std::string::npos ? 0 : msg.rfind('\n', end);
        line = msg.substr(start == std::string::npos ? 0 : start + 1,
                          end == std::string::npos ? 0 : end - (start == std::string::npos ? 0 : start + 1) + 1);
    } else {
        line = msg.substr(0, msg.find('\n'));
    }
    size_t cut = line.find(nag);
    if (cut != std::string::npos) line.erase(cut);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
    return line;
}

attrib_status fail(attrib_status status, const std::string &msg) {
    std::string line = one_line(msg);
    last_error = line.empty() ? "unknown libtorch error" : line;
    return status;
}

void clear_error() { last_error.clear(); }

std::string shape_str(const at::IntArrayRef sizes) {
    std::ostringstream s;
    s << "[";
    for (size_t i = 0; i < sizes.size(); i++) s << (i ? ", " : "") << sizes[i];
    s << "]";
    return s.str();
}

std::string failed_on(const at::Tensor &x, const std::string &msg) {
    std::string line = one_line(msg);
    static const std::string prefix = "RuntimeError: ";
    if (line.compare(0, prefix.size(), prefix) == 0) line.erase(0, prefix.size());
    return "model failed on a " + shape_str(x.sizes()) + " input: " + line;
}

}  // namespace attrib_shim

using namespace attrib_shim;

extern "C" {

const char *attrib_last_error(void) { return last_error.c_str(); }

attrib_status attrib_runtime_init(int threads) {
    return guarded(ATTRIB_E_ARG, [&] {
        attrib::install_warning_handler(&quiet_warnings);
        if (const char *limit = std::getenv("ATTRIB_TEST_NOMEM_ABOVE"))
            simulated_memory_limit = std::strtol(limit, nullptr, 10);
        attrib::quiet_logging();
        keep_freed_memory();
        // The optimising executors spend several hundred milliseconds
        // profiling and recompiling on the first passes, which dominates a
        // one-image run; the plain interpreter is as fast in steady state.
        torch::jit::setGraphExecutorOptimize(false);
        // Full float32 on CUDA: TF32 convolutions (cuDNN's default) round
        // to 10-bit mantissas, and the maps would differ from the CPU's by
        // about 1e-3 of their maximum instead of float rounding.
        at::globalContext().setAllowTF32CuDNN(false);
        at::globalContext().setAllowTF32CuBLAS(false);
        int n = threads > 0 ? threads : available_cores();
        if (n < 1) n = 1;
        at::set_num_threads(n);
        // OpenBLAS runs inside libtorch's own parallel regions: one thread
        // each, or the two pools oversubscribe the cores.
        using set_threads_fn = void (*)(int);
        if (auto f = (set_threads_fn)dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))
            f(1);
        return ATTRIB_OK;
    });
}

int attrib_runtime_threads(void) {
    try {
        return at::get_num_threads();
    } catch (...) {
        return 1;
    }
}

const char *attrib_libtorch_version(void) { return TORCH_VERSION; }

int attrib_cuda_compiled(void) {
#ifdef ATTRIB_WITH_CUDA
    return 1;
#else
    return 0;
#endif
}

int attrib_cuda_device_count(void) {
    try {
        return attrib_cuda_compiled() ? (int)torch::cuda::device_count() : 0;
    } catch (...) {
        return 0;  // a driver that fails to initialise: no usable device
    }
}

}  // extern "C"
