// shim.cpp - the extern "C" wrapper over libtorch declared in attrib/shim.h.
//
// Every entry point catches every exception: nothing C++ crosses into C.
// Messages are reduced to their first line, without libtorch's backtrace.

#include "attrib/shim.h"

#include <glog/logging.h>
#include <torch/script.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/jit/runtime/graph_executor.h>
#include <torch/csrc/jit/python/update_graph_executor_opt.h>

#include <dlfcn.h>
#include <sched.h>
#include <cstring>
#include <memory>
#include <new>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

thread_local std::string last_error;

const char *const CARD_FILE = "attrib.json";

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

// libtorch's TORCH_WARN would print to stderr with a source location;
// the tool decides what the user sees, so warnings are dropped here.
class QuietWarnings : public c10::WarningHandler {
  public:
    void process(const c10::SourceLocation &, const std::string &, const bool) override {}
};
QuietWarnings quiet_warnings;

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
    std::string card;
    bool has_card = false;
};

struct attrib_result {
    at::Tensor logits;      // [N, classes], contiguous float
    at::Tensor input_grad;  // [N, C, H, W] or undefined
    std::vector<int64_t> targets;
};

namespace {

at::Tensor input_tensor(const float *x, const int64_t shape[4]) {
    for (int i = 0; i < 4; i++)
        if (shape[i] <= 0) throw std::invalid_argument("input shape must be positive");
    // from_blob does not copy; the tensor never outlives the call.
    return torch::from_blob(const_cast<float *>(x), at::IntArrayRef(shape, 4),
                            torch::kFloat);
}

std::string failed_on(const at::Tensor &x, const std::string &msg) {
    std::string line = one_line(msg);
    static const std::string prefix = "RuntimeError: ";
    if (line.compare(0, prefix.size(), prefix) == 0) line.erase(0, prefix.size());
    return "model failed on a " + shape_str(x.sizes()) + " input: " + line;
}

// Runs the model and checks that it returned logits [N, classes].
at::Tensor run_model(attrib_model *model, const at::Tensor &x) {
    torch::jit::IValue out;
    try {
        out = model->module.forward({x});
    } catch (const c10::Error &e) {
        throw std::runtime_error(failed_on(x, e.what_without_backtrace()));
    } catch (const std::bad_alloc &) {
        throw;
    } catch (const std::exception &e) {
        throw std::runtime_error(failed_on(x, e.what()));
    }
    if (!out.isTensor())
        throw std::runtime_error(std::string("model returned a ") +
                                 out.tagKind() + ", expected a logits tensor [N, classes]");
    at::Tensor y = out.toTensor();
    if (y.dim() != 2 || y.size(0) != x.size(0) || y.size(1) < 1)
        throw std::runtime_error("model returned shape " + shape_str(y.sizes()) +
                                 " for a batch of " + std::to_string(x.size(0)) +
                                 ", expected [N, classes]");
    if (!y.is_floating_point())
        throw std::runtime_error("model returned non-float logits");
    return y;
}

}  // namespace

extern "C" {

const char *attrib_last_error(void) { return last_error.c_str(); }

attrib_status attrib_runtime_init(int threads) {
    return guarded(ATTRIB_E_ARG, [&] {
        c10::Warning::set_warning_handler(&quiet_warnings);
        // libtorch also logs through glog (e.g. "[W NNPACK.cpp:...] Could not
        // initialize NNPACK" on some CPUs); failures reach the user as
        // exceptions, so only fatal messages may print.
        FLAGS_minloglevel = google::GLOG_FATAL;
        // The optimising executors spend several hundred milliseconds
        // profiling and recompiling on the first passes, which dominates a
        // one-image run; the plain interpreter is as fast in steady state.
        torch::jit::setGraphExecutorOptimize(false);
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

attrib_status attrib_model_load(const void *data, size_t len, attrib_model **out) {
    if (!out || (!data && len)) return fail(ATTRIB_E_ARG, "null argument");
    *out = nullptr;
    return guarded(ATTRIB_E_FORMAT, [&] {
        auto model = std::make_unique<attrib_model>();
        torch::jit::ExtraFilesMap extra{{CARD_FILE, ""}};
        model->module = torch::jit::load(std::make_shared<MemoryReader>(data, len),
                                         torch::kCPU, extra);
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
        res->logits = run_model(model, input_tensor(x, shape)).to(torch::kFloat).contiguous();
        *out = res.release();
        return ATTRIB_OK;
    });
}

attrib_status attrib_input_gradient(attrib_model *model, const float *x,
                                    const int64_t shape[4], const int64_t *target,
                                    attrib_result **out) {
    if (!model || !x || !shape || !target || !out)
        return fail(ATTRIB_E_ARG, "null argument");
    *out = nullptr;
    return guarded(ATTRIB_E_MODEL, [&] {
        auto res = std::make_unique<attrib_result>();
        at::Tensor input = input_tensor(x, shape).clone().requires_grad_(true);
        at::Tensor logits = run_model(model, input);
        const int64_t n = shape[0], classes = logits.size(1);
        at::Tensor top1 = logits.detach().argmax(1);
        res->targets.resize(n);
        for (int64_t i = 0; i < n; i++) {
            int64_t t = target[i] < 0 ? top1[i].item<int64_t>() : target[i];
            if (t >= classes)
                return fail(ATTRIB_E_ARG, "class " + std::to_string(t) +
                                              " is out of range: the model has " +
                                              std::to_string(classes) + " classes (0-" +
                                              std::to_string(classes - 1) + ")");
            res->targets[i] = t;
        }
        at::Tensor idx = torch::tensor(res->targets, torch::kLong).view({n, 1});
        at::Tensor score = logits.gather(1, idx).sum();
        if (!score.requires_grad())
            return fail(ATTRIB_E_MODEL, "the model's output does not depend on its input");
        res->input_grad = torch::autograd::grad({score}, {input})[0].contiguous();
        res->logits = logits.detach().to(torch::kFloat).contiguous();
        *out = res.release();
        return ATTRIB_OK;
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

const int64_t *attrib_result_targets(const attrib_result *res) {
    return res && !res->targets.empty() ? res->targets.data() : nullptr;
}

void attrib_result_free(attrib_result *res) { delete res; }

}  // extern "C"
