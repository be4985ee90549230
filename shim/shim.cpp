// shim.cpp - the extern "C" wrapper over libtorch declared in attrib/shim.h.
//
// Every entry point catches every exception: nothing C++ crosses into C.
// Messages are reduced to their first line, without libtorch's backtrace.

#include "attrib/shim.h"
#include "compat.hpp"
#include "graph.hpp"
#include "rules.hpp"

#include <torch/script.h>
#include <torch/cuda.h>
#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/passes/freeze_module.h>
#include <torch/csrc/jit/passes/inliner.h>
#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/jit/runtime/graph_executor.h>
#include <torch/csrc/jit/python/update_graph_executor_opt.h>

#include <dlfcn.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <sched.h>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <new>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

thread_local std::string last_error;

const char *const CARD_FILE = "attrib.json";

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

// Runs body, turning any exception into a status and a one-line message.
template <typename F>
attrib_status guarded(attrib_status on_error, F body) {
    try {
        last_error.clear();
        return body();
    } catch (const std::bad_alloc &) {
        return fail(ATTRIB_E_NOMEM, "out of memory");
    } catch (const c10::OutOfMemoryError &e) {  // a device's memory (CUDA)
        return fail(ATTRIB_E_NOMEM, e.what_without_backtrace());
    } catch (const c10::Error &e) {
        return fail(on_error, e.what_without_backtrace());
    } catch (const std::exception &e) {
        return fail(on_error, e.what());
    } catch (...) {
        return fail(on_error, "unknown exception in libtorch");
    }
}

// Serves the .pt bytes to libtorch's zip reader without copying them.
class MemoryReader : public caffe2::serialize::ReadAdapterInterface {
  public:
    MemoryReader(const void *data, size_t len)
        : data_(static_cast<const char *>(data)), len_(len) {}
    size_t size() const override { return len_; }
    size_t read(uint64_t pos, void *buf, size_t n, const char *) const override {
        if (pos >= len_) return 0;
        size_t k = std::min<uint64_t>(n, len_ - pos);
        std::memcpy(buf, data_ + pos, k);
        return k;
    }

  private:
    const char *data_;
    size_t len_;
};

attrib::QuietWarnings quiet_warnings;

std::string shape_str(const at::IntArrayRef sizes) {
    std::ostringstream s;
    s << "[";
    for (size_t i = 0; i < sizes.size(); i++) s << (i ? ", " : "") << sizes[i];
    s << "]";
    return s.str();
}

// Cores this process may run on (taskset, cgroup cpusets), not all online.
int available_cores() {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
    return (int)std::thread::hardware_concurrency();
}

}  // namespace

struct attrib_model {
    torch::jit::Module module;
    torch::Device device = torch::kCPU;
    std::string card;
    bool has_card = false;
    // Built on first use from a frozen, inlined copy of the module (freezing
    // folds attributes such as `if self.use_res_connect` away, so every
    // layer and rectifier is a top-level node); the original module stays
    // untouched for plain passes.
    c10::optional<torch::jit::Module> frozen;
    std::map<std::string, std::unique_ptr<torch::jit::GraphFunction>> variants;
    // What every gradient is of (attrib_model_set_objective).
    attrib_objective objective = ATTRIB_SCORE;
    int64_t versus = -1;
    // The biases of the "fullgrad" variant's bias layers, built with it.
    std::vector<at::Tensor> biases;
};

struct attrib_params {
    std::vector<std::string> names;
    std::vector<at::Tensor> values; // host, contiguous float32
};

struct attrib_result {
    at::Tensor logits;      // [N, classes], contiguous float
    at::Tensor input_grad;  // [N, C, H, W] or undefined
    at::Tensor layer, layer_grad;  // [N, C, h, w] or undefined
    std::vector<at::Tensor> attention, attention_grad;  // [N, heads, T, T] each
    std::vector<at::Tensor> bias_grad, bias;  // [N, C, h, w] and [C] each
    std::vector<int64_t> targets;
};

struct attrib_layers {
    struct entry {
        std::string path, op;
        int64_t value_id;
        std::vector<int64_t> shape;
    };
    std::vector<entry> entries;
};

namespace {

// The caller's buffer x as a tensor on the model's device. On the CPU
// from_blob does not copy, and the tensor never outlives the call.
at::Tensor input_tensor(const attrib_model *model, const float *x, const int64_t shape[4]) {
    for (int i = 0; i < 4; i++)
        if (shape[i] <= 0) throw std::invalid_argument("input shape must be positive");
    return torch::from_blob(const_cast<float *>(x), at::IntArrayRef(shape, 4), torch::kFloat)
        .to(model->device);
}

// A result tensor as the C side reads it: contiguous float32 in host memory.
at::Tensor host(const at::Tensor &t) {
    return t.detach().to(torch::kCPU, torch::kFloat).contiguous();
}

std::string failed_on(const at::Tensor &x, const std::string &msg) {
    std::string line = one_line(msg);
    static const std::string prefix = "RuntimeError: ";
    if (line.compare(0, prefix.size(), prefix) == 0) line.erase(0, prefix.size());
    return "model failed on a " + shape_str(x.sizes()) + " input: " + line;
}

// Runs f (a pass over input x), turning libtorch's multi-line errors into
// one line that names the input shape.
// Test hook: ATTRIB_TEST_NOMEM_ABOVE=N makes every pass over more than N
// inputs fail as out of memory, so that the recovery of a batch (smaller
// mini-batches, then one image failing alone) can be tested without a GPU.
long simulated_memory_limit = 0;

template <typename F>
torch::jit::IValue invoke(const at::Tensor &x, F f) {
    if (simulated_memory_limit > 0 && x.size(0) > simulated_memory_limit)
        throw std::bad_alloc();
    try {
        return f();
    } catch (const c10::OutOfMemoryError &) {
        throw;
    } catch (const c10::Error &e) {
        throw std::runtime_error(failed_on(x, e.what_without_backtrace()));
    } catch (const std::bad_alloc &) {
        throw;
    } catch (const std::exception &e) {
        throw std::runtime_error(failed_on(x, e.what()));
    }
}

// Checks that out holds logits [N, classes] for input x.
at::Tensor checked_logits(const torch::jit::IValue &out, const at::Tensor &x) {
    if (!out.isTensor())
        throw std::runtime_error(std::string("model returned a ") + out.tagKind() +
                                 ", expected a logits tensor [N, classes]");
    at::Tensor y = out.toTensor();
    if (y.dim() != 2 || y.size(0) != x.size(0) || y.size(1) < 1)
        throw std::runtime_error("model returned shape " + shape_str(y.sizes()) +
                                 " for a batch of " + std::to_string(x.size(0)) +
                                 ", expected [N, classes]");
    if (!y.is_floating_point())
        throw std::runtime_error("model returned non-float logits");
    return y;
}

// Runs the model itself and checks that it returned logits [N, classes].
at::Tensor run_model(attrib_model *model, const at::Tensor &x) {
    return checked_logits(invoke(x, [&] { return model->module.forward({x}); }), x);
}

// Runs a graph variant: its output is the model's (which must be logits)
// followed by `extra` tensors the rewrite added, as a tuple.
// more: inputs the rewrite added to the graph after x.
std::vector<torch::jit::IValue> run_variant(attrib_model *model, torch::jit::GraphFunction &fn,
                                            const at::Tensor &x, size_t extra = 0,
                                            const std::vector<torch::jit::IValue> &more = {}) {
    torch::jit::IValue out = invoke(x, [&] {
        torch::jit::Stack stack{model->frozen->_ivalue(), x};
        stack.insert(stack.end(), more.begin(), more.end());
        fn.run(stack);
        return stack.front();
    });
    std::vector<torch::jit::IValue> items{out};
    if (extra) {
        if (!out.isTuple() || out.toTuple()->elements().size() != 1 + extra)
            throw std::runtime_error("graph variant returned an unexpected value");
        items = out.toTuple()->elements().vec();
    }
    items[0] = checked_logits(items[0], x);
    return items;
}

const torch::jit::Module &frozen(attrib_model *model) {
    if (!model->frozen) {
        // Freezing inlines submodule calls only while the graph optimiser is
        // on (we keep it off for running, see attrib_runtime_init).
        torch::jit::GraphOptimizerEnabledGuard optimise(true);
        model->frozen = torch::jit::freeze_module(model->module);
    }
    return *model->frozen;
}

std::shared_ptr<torch::jit::Graph> frozen_graph_copy(attrib_model *model) {
    auto g = frozen(model).get_method("forward").graph()->copy();
    torch::jit::Inline(*g);
    return g;
}

// The cached graph variant called name, built by build(graph) on first use.
template <typename F>
torch::jit::GraphFunction &variant(attrib_model *model, const std::string &name, F build) {
    auto &slot = model->variants[name];
    if (!slot) {
        auto g = frozen_graph_copy(model);
        build(*g);
        slot = std::make_unique<torch::jit::GraphFunction>("attrib_" + name, g, nullptr);
    }
    return *slot;
}

// The class each row is explained for: target[i], or the top-1 if negative.
attrib_status resolve_targets(const attrib_model *model, const at::Tensor &logits,
                              const int64_t *target, std::vector<int64_t> &out) {
    const int64_t n = logits.size(0), classes = logits.size(1);
    auto out_of_range = [classes](int64_t t) {
        return fail(ATTRIB_E_TARGET, "class " + std::to_string(t) +
                                         " is out of range: the model has " +
                                         std::to_string(classes) + " classes (0-" +
                                         std::to_string(classes - 1) + ")");
    };
    if (model->versus >= classes) return out_of_range(model->versus);
    at::Tensor top1 = logits.detach().argmax(1).to(torch::kCPU);
    out.resize(n);
    for (int64_t i = 0; i < n; i++) {
        int64_t t = target[i] < 0 ? top1[i].item<int64_t>() : target[i];
        if (t >= classes) return out_of_range(t);
        out[i] = t;
    }
    return ATTRIB_OK;
}

// sum_i f(logits)[i, targets[i]] (minus f(logits)[i, versus]), f the
// model's objective: backward from it gives every row its own gradient.
at::Tensor objective_score(const attrib_model *model, const at::Tensor &logits,
                           const std::vector<int64_t> &targets) {
    at::Tensor f;
    switch (model->objective) {
    case ATTRIB_PROB: f = at::softmax(logits, 1); break;
    case ATTRIB_LOG_PROB: f = at::log_softmax(logits, 1); break;
    case ATTRIB_SIGMOID: f = at::sigmoid(logits); break;
    case ATTRIB_LOG_SIGMOID: f = at::log_sigmoid(logits); break;
    default: f = logits;
    }
    at::Tensor idx = torch::tensor(targets, torch::kLong)
                         .view({(int64_t)targets.size(), 1})
                         .to(logits.device());
    at::Tensor score = f.gather(1, idx).sum();
    return model->versus < 0 ? score : score - f.select(1, model->versus).sum();
}

// Gradient of the objective of the targets with respect to x (which
// requires grad).
attrib_status input_gradient(const attrib_model *model, const at::Tensor &logits,
                             const at::Tensor &input, const int64_t *target,
                             attrib_result &res) {
    attrib_status st = resolve_targets(model, logits, target, res.targets);
    if (st != ATTRIB_OK) return st;
    at::Tensor score = objective_score(model, logits, res.targets);
    if (!score.requires_grad())
        return fail(ATTRIB_E_MODEL, "the model's output does not depend on its input");
    res.input_grad = host(torch::autograd::grad({score}, {input})[0]);
    res.logits = host(logits);
    return ATTRIB_OK;
}

// The input gradient of the objective through graph variant fn (a
// rewrite that changed the backward pass), as attrib_input_gradient's.
attrib_status variant_input_gradient(attrib_model *model, torch::jit::GraphFunction &fn,
                                     const float *x, const int64_t shape[4],
                                     const int64_t *target, attrib_result **out) {
    auto res = std::make_unique<attrib_result>();
    at::Tensor input = input_tensor(model, x, shape).clone().requires_grad_(true);
    at::Tensor logits = run_variant(model, fn, input)[0].toTensor();
    attrib_status st = input_gradient(model, logits, input, target, *res);
    if (st == ATTRIB_OK) *out = res.release();
    return st;
}

// Why layer output t cannot be read through view ("" if it can).
std::string view_misfit(const at::Tensor &t, const attrib_layer_view *view) {
    attrib_layout layout = view ? view->layout : ATTRIB_LAYOUT_NCHW;
    if (layout == ATTRIB_LAYOUT_TOKENS) {
        if (t.dim() != 3) return "not a token sequence [N, T, C]";
        if (view->h < 1 || view->w < 1 || view->skip_tokens < 0 ||
            t.size(1) != view->skip_tokens + view->h * view->w)
            return "which is not " + std::to_string(view->skip_tokens) + " + " +
                   std::to_string(view->h) + "x" + std::to_string(view->w) + " tokens";
        return "";
    }
    if (t.dim() != 4) return "not a 4-D feature map [N, C, H, W]";
    return "";
}

// t as [N, C, h, w] (view_misfit(t, view) is empty).
at::Tensor as_map(const at::Tensor &t, const attrib_layer_view *view) {
    attrib_layout layout = view ? view->layout : ATTRIB_LAYOUT_NCHW;
    if (layout == ATTRIB_LAYOUT_NHWC) return t.permute({0, 3, 1, 2});
    if (layout == ATTRIB_LAYOUT_TOKENS)
        return t.narrow(1, view->skip_tokens, view->h * view->w)
            .reshape({t.size(0), view->h, view->w, t.size(2)})
            .permute({0, 3, 1, 2});
    return t;
}

const attrib_shim::LayerOutput *find_layer(std::vector<attrib_shim::LayerOutput> &layers,
                                           const std::string &path) {
    const attrib_shim::LayerOutput *found = nullptr;
    for (const auto &l : layers)
        if (l.path == path) found = &l;  // a module called twice: its last call
    return found;
}

// The cached variant kind:path whose graph returns, beside the logits, what
// rewrite(g, the layer's output) gives; nullptr (nothing cached) when the
// model has no such layer.
torch::jit::GraphFunction *layer_variant(
    attrib_model *model, const std::string &kind, const std::string &path,
    const std::function<torch::jit::Value *(torch::jit::Graph &, torch::jit::Value *)> &rewrite) {
    bool known = true;
    auto &fn = variant(model, kind + ":" + path, [&](torch::jit::Graph &g) {
        auto layers = attrib_shim::layer_outputs(g);
        const auto *l = find_layer(layers, path);
        if (l)
            attrib_shim::return_tuple(g, {rewrite(g, l->value)});
        else
            known = false;
    });
    if (known) return &fn;
    model->variants.erase(kind + ":" + path);
    return nullptr;
}

// Runs a layer variant (logits, then the layer's output) on input; the
// layer's output must read as a map through view.
attrib_status run_layer_variant(attrib_model *model, torch::jit::GraphFunction &fn,
                                const at::Tensor &input, const std::string &path,
                                const attrib_layer_view *view, at::Tensor &logits,
                                at::Tensor &act) {
    auto items = run_variant(model, fn, input, 1);
    logits = items[0].toTensor(), act = items[1].toTensor();
    std::string misfit = view_misfit(act, view);
    if (!misfit.empty())
        return fail(ATTRIB_E_ARG, "layer '" + path + "' outputs shape " +
                                      shape_str(act.sizes()) + ", " + misfit);
    return ATTRIB_OK;
}

// A host float buffer shaped like t, on t's device.
at::Tensor weights_tensor(const float *w, const at::Tensor &t) {
    return torch::from_blob(const_cast<float *>(w), t.sizes(), torch::kFloat).to(t.device());
}

}  // namespace

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

attrib_status attrib_model_load(const void *data, size_t len, int device, attrib_model **out) {
    if (!out || (!data && len)) return fail(ATTRIB_E_ARG, "null argument");
    *out = nullptr;
    if (device != ATTRIB_DEVICE_CPU) {
        if (!attrib_cuda_compiled())
            return fail(ATTRIB_E_DEVICE, "this attrib was built without CUDA support");
        int count = attrib_cuda_device_count();
        if (device < 0 || device >= count)
            return fail(ATTRIB_E_DEVICE,
                        "there is no CUDA device " + std::to_string(device) + ": " +
                            (count ? "this machine has " + std::to_string(count) +
                                         " (cuda:0-cuda:" + std::to_string(count - 1) + ")"
                                   : std::string("no CUDA device is visible")));
    }
    return guarded(ATTRIB_E_FORMAT, [&] {
        auto model = std::make_unique<attrib_model>();
        if (device != ATTRIB_DEVICE_CPU)
            model->device = torch::Device(torch::kCUDA, (c10::DeviceIndex)device);
        torch::jit::ExtraFilesMap extra{{CARD_FILE, ""}};
        std::string missing;
        try {
            model->module = torch::jit::load(std::make_shared<MemoryReader>(data, len),
                                             model->device, extra);
        } catch (const std::exception &e) {
            if (!attrib::unknown_operator(e.what(), missing)) throw;
        }
        if (!missing.empty())
            return fail(ATTRIB_E_OPERATOR,
                        "the model uses the operator " + missing + ", which libtorch " +
                            TORCH_VERSION + " (the one this attrib runs on) lacks: "
                            "build attrib against a newer libtorch (scripts/setup.sh --libtorch)");
        model->module.eval();
        for (auto p : model->module.parameters()) p.requires_grad_(false);
        auto it = extra.find(CARD_FILE);
        model->has_card = it != extra.end() && !it->second.empty();
        if (model->has_card) model->card = it->second;
        *out = model.release();
        return ATTRIB_OK;
    });
}

void attrib_model_free(attrib_model *model) { delete model; }

const char *attrib_model_card(const attrib_model *model, size_t *len) {
    if (!model || !model->has_card) {
        if (len) *len = 0;
        return nullptr;
    }
    if (len) *len = model->card.size();
    return model->card.data();
}

attrib_status attrib_forward(attrib_model *model, const float *x,
                             const int64_t shape[4], attrib_result **out) {
    if (!model || !x || !shape || !out) return fail(ATTRIB_E_ARG, "null argument");
    *out = nullptr;
    return guarded(ATTRIB_E_MODEL, [&] {
        torch::NoGradGuard no_grad;
        auto res = std::make_unique<attrib_result>();
        res->logits = host(run_model(model, input_tensor(model, x, shape)));
        *out = res.release();
        return ATTRIB_OK;
    });
}

attrib_status attrib_model_set_objective(attrib_model *model, attrib_objective objective,
                                        int64_t versus) {
    if (!model) return fail(ATTRIB_E_ARG, "null argument");
    if (objective < ATTRIB_SCORE || objective > ATTRIB_LOG_SIGMOID)
        return fail(ATTRIB_E_ARG, "unknown objective");
    model->objective = objective;
    model->versus = versus < 0 ? -1 : versus;
    return ATTRIB_OK;
}

attrib_status attrib_input_gradient(attrib_model *model, const float *x,
                                    const int64_t shape[4], const int64_t *target,
                                    attrib_result **out) {
    if (!model || !x || !shape || !target || !out)
        return fail(ATTRIB_E_ARG, "null argument");
    *out = nullptr;
    return guarded(ATTRIB_E_MODEL, [&] {
        auto res = std::make_unique<attrib_result>();
        at::Tensor input = input_tensor(model, x, shape).clone().requires_grad_(true);
        attrib_status st = input_gradient(model, run_model(model, input), input, target, *res);
        if (st == ATTRIB_OK) *out = res.release();
        return st;
    });
}

attrib_status attrib_modified_gradient(attrib_model *model, attrib_backward_rule rule,
                                       const float *x, const int64_t shape[4],
                                       const int64_t *target, attrib_result **out) {
    if (!model || !x || !shape || !target || !out)
        return fail(ATTRIB_E_ARG, "null argument");
    if (rule != ATTRIB_GUIDED && rule != ATTRIB_DECONVNET && rule != ATTRIB_DEEPLIFT)
        return fail(ATTRIB_E_ARG, "unknown backward rule");
    *out = nullptr;
    return guarded(ATTRIB_E_MODEL, [&] {
        static const char *const names[] = {"guided", "deconvnet", "deeplift"};
        std::string uncovered;
        auto &fn = variant(model, names[rule], [&](torch::jit::Graph &g) {
            if (rule == ATTRIB_DEEPLIFT) uncovered = attrib_shim::first_uncovered_nonlinearity(g);
            attrib_shim::rewrite_rectifiers(g, rule);
        });
        if (!uncovered.empty()) {
            model->variants.erase(names[rule]);
            return fail(ATTRIB_E_ARG, "DeepLIFT's rescale rule covers rectifiers (relu, relu6, "
                                      "hardtanh, leaky_relu) and gelu, silu, hardswish; the model "
                                      "also has " + uncovered + ", which it does not");
        }
        return variant_input_gradient(model, fn, x, shape, target, out);
    });
}

attrib_status attrib_layer_scaled_forward(attrib_model *model, const float *x,
                                          const int64_t shape[4], const char *layer,
                                          const float *scale, int64_t channels,
                                          attrib_result **out) {
    if (!model || !x || !shape || !layer || !scale || !out || channels < 1)
        return fail(ATTRIB_E_ARG, "null argument");
    *out = nullptr;
    return guarded(ATTRIB_E_MODEL, [&] {
        std::string path = layer;
        // the scaled map is returned too: its shape is checked below
        auto *fn = layer_variant(model, "scaled", path, attrib_shim::insert_scale_input);
        if (!fn) return fail(ATTRIB_E_ARG, "unknown layer '" + path + "'");
        torch::NoGradGuard no_grad;
        at::Tensor input = input_tensor(model, x, shape);
        at::Tensor s = torch::from_blob(const_cast<float *>(scale), {shape[0], channels, 1, 1},
                                        torch::kFloat)
                           .to(model->device);
        auto items = run_variant(model, *fn, input, 1, {s});
        at::Tensor act = items[1].toTensor();
        if (act.dim() != 4 || act.size(1) != channels)
            return fail(ATTRIB_E_ARG, "layer '" + path + "' outputs shape " +
                                          shape_str(act.sizes()) + ", not a feature map [N, " +
                                          std::to_string(channels) + ", h, w]");
        auto res = std::make_unique<attrib_result>();
        res->logits = host(items[0].toTensor());
        *out = res.release();
        return ATTRIB_OK;
    });
}

attrib_status attrib_layer_gradient(attrib_model *model, const float *x,
                                    const int64_t shape[4], const int64_t *target,
                                    const char *layer, const attrib_layer_view *view,
                                    attrib_result **out) {
    if (!model || !x || !shape || !target || !layer || !out)
        return fail(ATTRIB_E_ARG, "null argument");
    *out = nullptr;
    return guarded(ATTRIB_E_MODEL, [&] {
        std::string path = layer;
        auto *fn = layer_variant(model, "layer", path, attrib_shim::insert_leaf);
        if (!fn) return fail(ATTRIB_E_ARG, "unknown layer '" + path + "'");
        auto res = std::make_unique<attrib_result>();
        at::Tensor input = input_tensor(model, x, shape), logits, act;
        attrib_status st = run_layer_variant(model, *fn, input, path, view, logits, act);
        if (st != ATTRIB_OK) return st;
        st = resolve_targets(model, logits, target, res->targets);
        if (st != ATTRIB_OK) return st;
        at::Tensor score = objective_score(model, logits, res->targets);
        if (!score.requires_grad())
            return fail(ATTRIB_E_ARG, "the model's output does not depend on layer '" + path + "'");
        res->layer_grad = host(as_map(torch::autograd::grad({score}, {act})[0], view));
        res->layer = host(as_map(act, view));
        res->logits = host(logits);
        *out = res.release();
        return ATTRIB_OK;
    });
}

}  // extern "C"

namespace {

// Where a layer objective's weights come from: given (fixed) or made from
// the map during the pass (weigh); neither for a forward pass only.
struct layer_weighting {
    const float *given;
    size_t given_len;
    attrib_weigh_fn weigh;
    void *ctx;
};

attrib_status layer_objective_gradient(attrib_model *model, const float *x,
                                       const int64_t shape[4], const char *layer,
                                       const attrib_layer_view *view,
                                       const layer_weighting &lw, const float *logit_weights,
                                       attrib_result **out) {
    if (!model || !x || !shape || !layer || !out) return fail(ATTRIB_E_ARG, "null argument");
    *out = nullptr;
    return guarded(ATTRIB_E_MODEL, [&] {
        std::string path = layer;
        // The layer's output returned beside the logits, the graph untouched:
        // the backward pass goes through the layer to the input.
        auto *fn = layer_variant(model, "tap", path,
                                 [](torch::jit::Graph &, torch::jit::Value *v) { return v; });
        if (!fn) return fail(ATTRIB_E_ARG, "unknown layer '" + path + "'");
        bool backward = lw.given || lw.weigh || logit_weights;
        std::unique_ptr<torch::NoGradGuard> no_grad;
        if (!backward) no_grad = std::make_unique<torch::NoGradGuard>();
        auto res = std::make_unique<attrib_result>();
        at::Tensor input = input_tensor(model, x, shape).clone().requires_grad_(backward);
        at::Tensor logits, act;
        attrib_status st = run_layer_variant(model, *fn, input, path, view, logits, act);
        if (st != ATTRIB_OK) return st;
        at::Tensor map = as_map(act, view);
        res->layer = host(map.detach());
        if (lw.given && (size_t)map.numel() != lw.given_len)
            return fail(ATTRIB_E_ARG, "layer '" + path + "' reads as " + shape_str(map.sizes()) +
                                          ", not " + std::to_string(lw.given_len) + " values");
        at::Tensor made;
        if (lw.weigh) {  // the caller's weights of this very map
            made = torch::empty_like(res->layer);
            const int64_t dims[4] = { map.size(0), map.size(1), map.size(2), map.size(3) };
            st = lw.weigh(lw.ctx, res->layer.data_ptr<float>(), dims, made.data_ptr<float>());
            if (st != ATTRIB_OK) return fail(st, "the layer's weights could not be made");
        }
        if (backward) {
            at::Tensor objective = torch::zeros({}, logits.options());
            if (lw.given)
                objective = objective + (map * weights_tensor(lw.given, map)).sum();
            if (lw.weigh)
                objective = objective + (map * made.to(map.device())).sum();
            if (logit_weights)
                objective = objective + (logits * weights_tensor(logit_weights, logits)).sum();
            if (!objective.requires_grad())
                return fail(ATTRIB_E_ARG, "the objective does not depend on the input");
            res->input_grad = host(torch::autograd::grad({objective}, {input})[0]);
        }
        res->logits = host(logits.detach());
        *out = res.release();
        return ATTRIB_OK;
    });
}

}  // namespace

extern "C" {

attrib_status attrib_layer_input_gradient(attrib_model *model, const float *x,
                                          const int64_t shape[4], const char *layer,
                                          const attrib_layer_view *view,
                                          const float *layer_weights, size_t layer_weights_len,
                                          const float *logit_weights, attrib_result **out) {
    layer_weighting lw = { layer_weights, layer_weights_len, nullptr, nullptr };
    return layer_objective_gradient(model, x, shape, layer, view, lw, logit_weights, out);
}

attrib_status attrib_layer_weighted_gradient(attrib_model *model, const float *x,
                                             const int64_t shape[4], const char *layer,
                                             const attrib_layer_view *view, attrib_weigh_fn weigh,
                                             void *ctx, const float *logit_weights,
                                             attrib_result **out) {
    if (!weigh) return fail(ATTRIB_E_ARG, "null argument");
    layer_weighting lw = { nullptr, 0, weigh, ctx };
    return layer_objective_gradient(model, x, shape, layer, view, lw, logit_weights, out);
}

attrib_status attrib_attention(attrib_model *model, const float *x, const int64_t shape[4],
                               const int64_t *target, int with_grad, attrib_result **out) {
    if (!model || !x || !shape || !target || !out) return fail(ATTRIB_E_ARG, "null argument");
    *out = nullptr;
    return guarded(ATTRIB_E_MODEL, [&] {
        auto &fn = variant(model, "attention", [&](torch::jit::Graph &g) {
            attrib_shim::return_tuple(g, {attrib_shim::collect_attention(g)});
        });
        auto res = std::make_unique<attrib_result>();
        // The input requires grad even without with_grad: MultiheadAttention
        // takes its fused fast path, which has no softmax, when nothing does.
        at::Tensor input = input_tensor(model, x, shape).clone().requires_grad_(true);
        auto items = run_variant(model, fn, input, 1);
        at::Tensor logits = items[0].toTensor();
        const int64_t n = input.size(0);
        // Attention probabilities are square over one token sequence per
        // image: [N, heads, T, T], or [N * heads, T, T] as 1.13's
        // MultiheadAttention computes them. Other softmaxes (a classifier's,
        // window attention over N * windows) are not.
        std::vector<at::Tensor> maps;  // as the graph made them: gradients are theirs
        for (const auto &v : items[1].toTensorVector()) {
            bool square = v.dim() >= 3 && v.size(-1) == v.size(-2);
            if (square && ((v.dim() == 4 && v.size(0) == n) ||
                           (v.dim() == 3 && v.size(0) % n == 0)))
                maps.push_back(v);
        }
        auto per_head = [n](const at::Tensor &t) {
            return t.dim() == 4 ? t : t.reshape({n, t.size(0) / n, t.size(1), t.size(2)});
        };
        if (maps.empty())
            return fail(ATTRIB_E_ARG, "the model has no self-attention over one token "
                                      "sequence per image (no attention softmax [N, heads, T, T])");
        attrib_status st = resolve_targets(model, logits, target, res->targets);
        if (st != ATTRIB_OK) return st;
        if (with_grad) {
            at::Tensor score = objective_score(model, logits, res->targets);
            auto grads = torch::autograd::grad({score}, maps, {}, false, false, true);
            for (size_t i = 0; i < maps.size(); i++)
                res->attention_grad.push_back(
                    host(per_head(grads[i].defined() ? grads[i] : at::zeros_like(maps[i]))));
        }
        for (const auto &m : maps) res->attention.push_back(host(per_head(m)));
        res->logits = host(logits);
        *out = res.release();
        return ATTRIB_OK;
    });
}

attrib_status attrib_lrp(attrib_model *model, const attrib_lrp_params *params, const float *x,
                         const int64_t shape[4], const int64_t *target, attrib_result **out) {
    if (!model || !params || !x || !shape || !target || !out)
        return fail(ATTRIB_E_ARG, "null argument");
    if (params->composite < ATTRIB_LRP_EPSILON_PLUS_FLAT ||
        params->composite > ATTRIB_LRP_EPSILON_ALPHA2_BETA1)
        return fail(ATTRIB_E_ARG, "unknown LRP composite");
    *out = nullptr;
    return guarded(ATTRIB_E_MODEL, [&] {
        using namespace attrib_shim;
        const double stabilizer = 1e-6;  // Zennit's, for every rule but epsilon
        LrpSpec spec{-1, LRP_ZPLUS, LRP_EPSILON, false, params->epsilon, stabilizer,
                     params->gamma, at::Tensor(), at::Tensor()};
        if (params->composite == ATTRIB_LRP_EPSILON_PLUS_FLAT) spec.first_rule = LRP_FLAT;
        if (params->composite == ATTRIB_LRP_EPSILON_ALPHA2_BETA1) spec.conv_rule = LRP_ALPHA2BETA1;
        if (params->composite == ATTRIB_LRP_EPSILON_GAMMA_BOX) {
            spec.conv_rule = LRP_GAMMA;
            spec.first_rule = LRP_ZBOX;
            spec.first_conv_only = true;
            spec.low = torch::tensor(std::vector<float>(params->low, params->low + 3))
                           .view({1, 3, 1, 1}).to(model->device);
            spec.high = torch::tensor(std::vector<float>(params->high, params->high + 3))
                            .view({1, 3, 1, 1}).to(model->device);
        }
        std::ostringstream name;
        name.precision(17);
        name << "lrp:" << params->composite << ":" << params->epsilon << ":" << params->gamma;
        for (int c = 0; c < 3; c++) name << ":" << params->low[c] << ":" << params->high[c];
        std::string uncovered;
        auto &fn = variant(model, name.str(), [&](torch::jit::Graph &g) {
            uncovered = attrib_shim::rewrite_lrp(g, spec);
        });
        if (!uncovered.empty()) {
            model->variants.erase(name.str());
            return fail(ATTRIB_E_ARG,
                        "LRP's rules cover convolutions and linear layers (batch norms after "
                        "them folded in), rectifiers, gelu, silu and hardswish, average pooling, "
                        "means, residual additions, max pooling and reshapes; the model also has " +
                            uncovered + ", which they do not");
        }
        return variant_input_gradient(model, fn, x, shape, target, out);
    });
}

attrib_status attrib_bias_gradients(attrib_model *model, const float *x,
                                    const int64_t shape[4], const int64_t *target,
                                    attrib_result **out) {
    if (!model || !x || !shape || !target || !out) return fail(ATTRIB_E_ARG, "null argument");
    *out = nullptr;
    return guarded(ATTRIB_E_MODEL, [&] {
        auto &fn = variant(model, "fullgrad", [&](torch::jit::Graph &g) {
            model->biases.clear();
            attrib_shim::return_tuple(g, {attrib_shim::collect_bias_outputs(g, model->biases)});
        });
        auto res = std::make_unique<attrib_result>();
        at::Tensor input = input_tensor(model, x, shape).clone().requires_grad_(true);
        auto items = run_variant(model, fn, input, 1);
        at::Tensor logits = items[0].toTensor();
        auto outputs = items[1].toTensorVector();
        if (outputs.size() != model->biases.size())
            return fail(ATTRIB_E_MODEL, "the bias layers changed between passes");
        attrib_status st = resolve_targets(model, logits, target, res->targets);
        if (st != ATTRIB_OK) return st;
        at::Tensor score = objective_score(model, logits, res->targets);
        if (!score.requires_grad())
            return fail(ATTRIB_E_MODEL, "the model's output does not depend on its input");
        std::vector<at::Tensor> wrt{input};
        wrt.insert(wrt.end(), outputs.begin(), outputs.end());
        auto grads = torch::autograd::grad({score}, wrt, {}, false, false, true);
        res->input_grad = host(grads[0]);
        for (size_t i = 0; i < outputs.size(); i++) {
            const at::Tensor &v = outputs[i];
            if (v.dim() != 4 || v.size(1) != model->biases[i].numel()) continue;
            const at::Tensor &g = grads[i + 1];
            res->bias_grad.push_back(host(g.defined() ? g : at::zeros_like(v)));
            res->bias.push_back(host(model->biases[i]));
        }
        res->logits = host(logits);
        *out = res.release();
        return ATTRIB_OK;
    });
}

size_t attrib_result_bias_count(const attrib_result *res) { return res ? res->bias.size() : 0; }

const float *attrib_result_bias_grad(const attrib_result *res, size_t i, int64_t shape[4]) {
    if (!res || i >= res->bias_grad.size()) return nullptr;
    if (shape)
        for (int d = 0; d < 4; d++) shape[d] = res->bias_grad[i].size(d);
    return res->bias_grad[i].data_ptr<float>();
}

const float *attrib_result_bias(const attrib_result *res, size_t i, int64_t *channels) {
    if (!res || i >= res->bias.size()) return nullptr;
    if (channels) *channels = res->bias[i].numel();
    return res->bias[i].data_ptr<float>();
}

size_t attrib_result_attention_count(const attrib_result *res) {
    return res ? res->attention.size() : 0;
}

const float *attrib_result_attention(const attrib_result *res, size_t i, int64_t shape[4]) {
    if (!res || i >= res->attention.size()) return nullptr;
    if (shape)
        for (int d = 0; d < 4; d++) shape[d] = res->attention[i].size(d);
    return res->attention[i].data_ptr<float>();
}

const float *attrib_result_attention_grad(const attrib_result *res, size_t i,
                                          int64_t shape[4]) {
    if (!res || i >= res->attention_grad.size()) return nullptr;
    if (shape)
        for (int d = 0; d < 4; d++) shape[d] = res->attention_grad[i].size(d);
    return res->attention_grad[i].data_ptr<float>();
}

attrib_status attrib_model_layers(attrib_model *model, const int64_t input_shape[4],
                                  attrib_layers **out) {
    if (!model || !input_shape || !out) return fail(ATTRIB_E_ARG, "null argument");
    *out = nullptr;
    return guarded(ATTRIB_E_MODEL, [&] {
        torch::NoGradGuard no_grad;
        auto g = frozen_graph_copy(model);
        auto layers = attrib_shim::layer_outputs(*g);
        std::map<torch::jit::Value *, int64_t> ids;
        std::vector<torch::jit::Value *> values;
        for (const auto &l : layers)
            if (ids.emplace(l.value, (int64_t)values.size()).second) values.push_back(l.value);
        attrib_shim::return_tuple(*g, values);
        torch::jit::GraphFunction fn("attrib_layers", g, nullptr);
        std::vector<float> zeros(input_shape[0] * input_shape[1] * input_shape[2] * input_shape[3]);
        at::Tensor x = input_tensor(model, zeros.data(), input_shape);
        auto items = run_variant(model, fn, x, values.size());
        auto res = std::make_unique<attrib_layers>();
        for (const auto &l : layers) {
            int64_t id = ids[l.value];
            at::Tensor t = items[1 + id].toTensor();
            res->entries.push_back({l.path, l.op, id, t.sizes().vec()});
        }
        *out = res.release();
        return ATTRIB_OK;
    });
}

size_t attrib_layers_count(const attrib_layers *layers) {
    return layers ? layers->entries.size() : 0;
}

attrib_status attrib_layers_get(const attrib_layers *layers, size_t i, const char **path,
                                const char **op, int64_t *value_id, int64_t shape[8],
                                int *ndim) {
    if (!layers || i >= layers->entries.size()) return fail(ATTRIB_E_ARG, "no such layer entry");
    const auto &e = layers->entries[i];
    if (path) *path = e.path.c_str();
    if (op) *op = e.op.c_str();
    if (value_id) *value_id = e.value_id;
    int n = (int)std::min<size_t>(e.shape.size(), 8);
    if (shape)
        for (int k = 0; k < n; k++) shape[k] = e.shape[k];
    if (ndim) *ndim = n;
    return ATTRIB_OK;
}

void attrib_layers_free(attrib_layers *layers) { delete layers; }

attrib_status attrib_model_parameters(attrib_model *model, attrib_params **out) {
    if (!model || !out) return fail(ATTRIB_E_ARG, "null argument");
    *out = nullptr;
    return guarded(ATTRIB_E_MODEL, [&] {
        auto res = std::make_unique<attrib_params>();
        for (const auto &p : model->module.named_parameters(/*recurse=*/true)) {
            res->names.push_back(p.name);
            // a copy: on the CPU, host() would share the parameter's storage
            res->values.push_back(host(p.value).clone());
        }
        *out = res.release();
        return ATTRIB_OK;
    });
}

size_t attrib_params_count(const attrib_params *params) {
    return params ? params->names.size() : 0;
}

attrib_status attrib_params_get(const attrib_params *params, size_t i, const char **name,
                                const float **values, int64_t *numel) {
    if (!params || i >= params->names.size()) return fail(ATTRIB_E_ARG, "no such parameter entry");
    if (name) *name = params->names[i].c_str();
    if (values) *values = params->values[i].data_ptr<float>();
    if (numel) *numel = params->values[i].numel();
    return ATTRIB_OK;
}

void attrib_params_free(attrib_params *params) { delete params; }

attrib_status attrib_model_set_parameter(attrib_model *model, const char *name,
                                         const float *values, int64_t numel) {
    if (!model || !name || !values) return fail(ATTRIB_E_ARG, "null argument");
    return guarded(ATTRIB_E_MODEL, [&] {
        for (const auto &p : model->module.named_parameters(/*recurse=*/true)) {
            if (p.name != name) continue;
            if (p.value.numel() != numel)
                return fail(ATTRIB_E_ARG, "parameter '" + std::string(name) + "' has " +
                                              std::to_string(p.value.numel()) + " values, not " +
                                              std::to_string(numel));
            torch::NoGradGuard no_grad;
            at::Tensor src = torch::from_blob(const_cast<float *>(values), p.value.sizes(),
                                              torch::kFloat);
            p.value.copy_(src); // converts to the parameter's dtype and device
            // frozen copies folded the old values into constants
            model->variants.clear();
            model->frozen.reset();
            return ATTRIB_OK;
        }
        return fail(ATTRIB_E_ARG, "the model has no parameter '" + std::string(name) + "'");
    });
}

const float *attrib_result_logits(const attrib_result *res, int64_t *n, int64_t *classes) {
    if (!res) return nullptr;
    if (n) *n = res->logits.size(0);
    if (classes) *classes = res->logits.size(1);
    return res->logits.data_ptr<float>();
}

const float *attrib_result_input_grad(const attrib_result *res, int64_t shape[4]) {
    if (!res || !res->input_grad.defined()) return nullptr;
    if (shape)
        for (int i = 0; i < 4; i++) shape[i] = res->input_grad.size(i);
    return res->input_grad.data_ptr<float>();
}

const float *attrib_result_layer(const attrib_result *res, int64_t shape[4]) {
    if (!res || !res->layer.defined()) return nullptr;
    if (shape)
        for (int i = 0; i < 4; i++) shape[i] = res->layer.size(i);
    return res->layer.data_ptr<float>();
}

const float *attrib_result_layer_grad(const attrib_result *res, int64_t shape[4]) {
    if (!res || !res->layer_grad.defined()) return nullptr;
    if (shape)
        for (int i = 0; i < 4; i++) shape[i] = res->layer_grad.size(i);
    return res->layer_grad.data_ptr<float>();
}

const int64_t *attrib_result_targets(const attrib_result *res) {
    return res && !res->targets.empty() ? res->targets.data() : nullptr;
}

void attrib_result_free(attrib_result *res) { delete res; }

}  // extern "C"
