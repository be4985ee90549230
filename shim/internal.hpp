// internal.hpp - what the shim's files share (internal to the shim): the
// handles behind attrib/shim.h's opaque types, errors and the guard every
// entry point runs in, the conversions between the C side's buffers and
// tensors. The model's format lives behind backend.hpp.
#pragma once

#include "attrib/shim.h"

#include <ATen/ATen.h>
#include <c10/util/Optional.h>

#include <map>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "backend.hpp"

struct attrib_model {
    at::Device device = at::kCPU;
    std::string card;
    bool has_card = false;
    // What every gradient is of (attrib_model_set_objective).
    attrib_objective objective = ATTRIB_SCORE;
    int64_t versus = -1;
    // What the passes score (attrib_model_set_head; head.cpp).
    attrib_head_kind head = ATTRIB_HEAD_CLASSES;
    at::Tensor head_classes;  // SEGMENT: [M] long, on the device
    at::Tensor head_weights;  // SEGMENT: [M, h, w]; SIMILARITY: [M, D]; BOX: [M, 5]; on the device
    attrib_box_layout head_layout = ATTRIB_BOXES_YOLO;  // BOX
    double head_iou = 0.5, head_min_score = 0.25;        // BOX
    int64_t head_input_h = 0, head_input_w = 0;          // BOX: DETR's boxes scaled to these
    // The model in its format (backend.hpp): passes, rewrites, parameters.
    std::unique_ptr<attrib_shim::Backend> backend;
};

struct attrib_params {
    std::vector<std::string> names;
    std::vector<at::Tensor> values; // host, contiguous float32
};

struct attrib_result {
    at::Tensor logits;      // the head's scores [N, entries], contiguous float
    at::Tensor output;      // the model's output as it is (ATTRIB_HEAD_NONE) or undefined
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

namespace attrib_shim {

// --- errors (runtime.cpp) ---------------------------------------------------

// The first line of a libtorch message, without its backtrace or preamble.
std::string one_line(const std::string &msg);
// Records msg (one line of it) as attrib_last_error() and returns status.
attrib_status fail(attrib_status status, const std::string &msg);
void clear_error();
// "[1, 3, 224, 224]"
std::string shape_str(at::IntArrayRef sizes);

// What a pass throws to fail with its own status (a head that does not fit
// the output: ATTRIB_E_ARG, or its class out of range: ATTRIB_E_TARGET).
struct Refusal : std::runtime_error {
    attrib_status status;
    Refusal(attrib_status st, const std::string &msg) : std::runtime_error(msg), status(st) {}
};

// Runs body, turning any exception into a status and a one-line message.
template <typename F>
attrib_status guarded(attrib_status on_error, F body) {
    try {
        clear_error();
        return body();
    } catch (const Refusal &e) {
        return fail(e.status, e.what());
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

// Test hook: ATTRIB_TEST_NOMEM_ABOVE=N makes every pass over more than N
// inputs fail as out of memory, so that the recovery of a batch (smaller
// mini-batches, then one image failing alone) can be tested without a GPU.
extern long simulated_memory_limit;

// Runs f (a pass over input x), turning libtorch's multi-line errors into
// one line that names the input shape.
std::string failed_on(const at::Tensor &x, const std::string &msg);
template <typename F>
auto invoke(const at::Tensor &x, F f) -> decltype(f()) {
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

// --- buffers and tensors (passes.cpp) -----------------------------------------

// The caller's buffer x as a tensor on the model's device. On the CPU
// from_blob does not copy, and the tensor never outlives the call.
at::Tensor input_tensor(const attrib_model *model, const float *x, const int64_t shape[4]);
// A result tensor as the C side reads it: contiguous float32 in host memory.
at::Tensor host(const at::Tensor &t);
// Checks that y is a float output with a row per row of input x; returns it.
at::Tensor checked_output(const at::Tensor &y, const at::Tensor &x);

// --- the head (head.cpp) --------------------------------------------------------

// The model's output y reduced by its head to scores [N, entries] (the
// default head checks y is logits [N, classes]); throws where y does not fit.
at::Tensor head_scores(const attrib_model *model, const at::Tensor &y);

}  // namespace attrib_shim
