// passes.cpp - the passes of attrib/shim.h: forward, the objective's
// gradient with respect to the input, a layer or the attention maps, with
// the backward pass modified (guided, deconvnet, DeepLIFT, LRP), or with a
// layer's objective; each on the model's backend (backend.hpp), results as
// host float32 tensors in an attrib_result.
#include "internal.hpp"

#include <torch/torch.h>
#include <torch/csrc/autograd/autograd.h>

#include <functional>

namespace attrib_shim {

at::Tensor input_tensor(const attrib_model *model, const float *x, const int64_t shape[4]) {
    for (int i = 0; i < 4; i++)
        if (shape[i] <= 0) throw std::invalid_argument("input shape must be positive");
    return torch::from_blob(const_cast<float *>(x), at::IntArrayRef(shape, 4), torch::kFloat)
        .to(model->device);
}

at::Tensor host(const at::Tensor &t) {
    return t.detach().to(torch::kCPU, torch::kFloat).contiguous();
}

at::Tensor checked_output(const at::Tensor &y, const at::Tensor &x) {
    if (y.dim() < 1 || y.size(0) != x.size(0))
        throw std::runtime_error("model returned shape " + shape_str(y.sizes()) +
                                 " for a batch of " + std::to_string(x.size(0)) +
                                 ", expected a row per image [N, ...]");
    if (!y.is_floating_point())
        throw std::runtime_error("model returned a non-float output");
    return y;
}

}  // namespace attrib_shim

using namespace attrib_shim;

namespace {

// The model's own pass over x: its head's scores.
at::Tensor forward_scores(attrib_model *model, const at::Tensor &x) {
    return head_scores(model, model->backend->forward(x));
}

// Program p run over x (and more), its output reduced by the model's head.
Outputs run_scores(attrib_model *model, Program &p, const at::Tensor &x,
                   const std::vector<at::Tensor> &more = {}) {
    Outputs o = model->backend->run(p, x, more);
    o.logits = head_scores(model, o.logits);
    return o;
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
    if (model->head != ATTRIB_HEAD_CLASSES && (model->objective != ATTRIB_SCORE || model->versus >= 0))
        throw Refusal(ATTRIB_E_ARG, "a target that is not a class is explained by its score: "
                                    "no other objective, no versus");
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

// The input gradient of the objective through program p (a rewrite that
// changed the backward pass), as attrib_input_gradient's.
attrib_status program_input_gradient(attrib_model *model, Program &p, const float *x,
                                     const int64_t shape[4], const int64_t *target,
                                     attrib_result **out) {
    auto res = std::make_unique<attrib_result>();
    at::Tensor input = input_tensor(model, x, shape).clone().requires_grad_(true);
    at::Tensor logits = run_scores(model, p, input).logits;
    attrib_status st = input_gradient(model, logits, input, target, *res);
    if (st == ATTRIB_OK) *out = res.release();
    return st;
}

// The gradient through program p of one pass over [inputs; references]
// (the rescale rule pairs row i with row N + i), each reference explained
// for its input's class: the inputs' gradient and targets, every row's logits.
attrib_status reference_gradient(attrib_model *model, Program &p, const float *x,
                                 const float *references, const int64_t shape[4],
                                 const int64_t *target, attrib_result **out) {
    const int64_t n = shape[0];
    at::Tensor both = at::cat({input_tensor(model, x, shape), input_tensor(model, references, shape)})
                          .requires_grad_(true);
    at::Tensor logits = run_scores(model, p, both).logits;
    auto res = std::make_unique<attrib_result>();
    attrib_status st = resolve_targets(model, logits.narrow(0, 0, n), target, res->targets);
    if (st != ATTRIB_OK) return st;
    std::vector<int64_t> twice(res->targets);
    twice.insert(twice.end(), res->targets.begin(), res->targets.end());
    at::Tensor score = objective_score(model, logits, twice);
    if (!score.requires_grad())
        return fail(ATTRIB_E_MODEL, "the model's output does not depend on its input");
    res->input_grad = host(torch::autograd::grad({score}, {both})[0].narrow(0, 0, n));
    res->logits = host(logits);
    *out = res.release();
    return ATTRIB_OK;
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

// The program exposing layer path's output as r.kind does; nullptr (the
// message set) when the model has no such layer.
Program *layer_program(attrib_model *model, Rewrite::Kind kind, const std::string &path) {
    std::string why;
    Program *p = model->backend->program({kind, path}, &why);
    if (!p) fail(ATTRIB_E_ARG, "unknown layer '" + path + "'");
    return p;
}

// Runs a layer program (logits, then the layer's output) on input; the
// layer's output must read as a map through view.
attrib_status run_layer_program(attrib_model *model, Program &p, const at::Tensor &input,
                                const std::string &path, const attrib_layer_view *view,
                                at::Tensor &logits, at::Tensor &act) {
    Outputs o = run_scores(model, p, input);
    logits = o.logits, act = o.extra[0];
    std::string misfit = view_misfit(act, view);
    if (!misfit.empty())
        return fail(ATTRIB_E_ARG, "layer '" + path + "' outputs shape " +
                                      shape_str(act.sizes()) + ", " + misfit);
    return ATTRIB_OK;
}

// --- programs exported for one batch size --------------------------------
//
// A torch.export program saved with static shapes takes batches of exactly
// the size it was exported with (1 by export's default). Every pass below
// is row by row independent, so a batch of another size runs as passes over
// pieces of that size, their results joined: the C side never sees it.

// Whether a pass over n rows (each pass row a row of the batch) must be cut.
bool needs_pieces(const attrib_model *model, int64_t n) {
    int64_t b = model->backend->fixed_batch();
    return b > 0 && n != b;
}

// A piece's pass: rows [start, start + count) of every per-row buffer.
using Piece = std::function<attrib_status(int64_t start, int64_t count, attrib_result **out)>;

void append_rows(at::Tensor &into, const at::Tensor &rows) {
    into = into.defined() ? at::cat({into, rows}) : rows;
}

void append_lists(std::vector<at::Tensor> &into, const std::vector<at::Tensor> &rows) {
    if (into.empty()) {
        into = rows;
        return;
    }
    for (size_t i = 0; i < into.size() && i < rows.size(); i++) append_rows(into[i], rows[i]);
}

// The pass over n rows as passes over pieces of the program's batch size
// (per_piece rows of the caller's each: 1, or half of it for DeepLIFT's
// pairs), their results joined row-wise (biases, per layer, once).
attrib_status in_pieces(attrib_model *model, int64_t n, int64_t per_piece, const Piece &pass,
                        attrib_result **out) {
    const int64_t b = model->backend->fixed_batch();
    if (per_piece < 1 || n % per_piece)
        return fail(ATTRIB_E_ARG, "the program was exported for batches of " + std::to_string(b) +
                                      ", which " + std::to_string(n) + " rows do not divide into");
    return guarded(ATTRIB_E_MODEL, [&] {
        auto joined = std::make_unique<attrib_result>();
        for (int64_t start = 0; start < n; start += per_piece) {
            attrib_result *piece = nullptr;
            attrib_status st = pass(start, per_piece, &piece);
            std::unique_ptr<attrib_result> p(piece);
            if (st != ATTRIB_OK) return st;
            if (p->logits.defined()) append_rows(joined->logits, p->logits);
            if (p->output.defined()) append_rows(joined->output, p->output);
            if (p->input_grad.defined()) append_rows(joined->input_grad, p->input_grad);
            if (p->layer.defined()) append_rows(joined->layer, p->layer);
            if (p->layer_grad.defined()) append_rows(joined->layer_grad, p->layer_grad);
            append_lists(joined->attention, p->attention);
            append_lists(joined->attention_grad, p->attention_grad);
            append_lists(joined->bias_grad, p->bias_grad);
            if (joined->bias.empty()) joined->bias = p->bias;
            joined->targets.insert(joined->targets.end(), p->targets.begin(), p->targets.end());
        }
        *out = joined.release();
        return ATTRIB_OK;
    });
}

// shape with n rows.
struct Rows {
    int64_t shape[4];
    Rows(const int64_t s[4], int64_t n) : shape{n, s[1], s[2], s[3]} {}
};

int64_t row_size(const int64_t shape[4]) { return shape[1] * shape[2] * shape[3]; }

// Each piece of one row (or per_piece) of a plain pass: f(x, shape, target).
template <typename F>
attrib_status pieces_of(attrib_model *model, const float *x, const int64_t shape[4],
                        const int64_t *target, attrib_result **out, F f) {
    const int64_t per_piece = model->backend->fixed_batch();
    return in_pieces(model, shape[0], per_piece, [&](int64_t start, int64_t count, attrib_result **o) {
        return f(x + start * row_size(shape), Rows(shape, count).shape,
                 target ? target + start : nullptr, o);
    }, out);
}

// A host float buffer shaped like t, on t's device.
at::Tensor weights_tensor(const float *w, const at::Tensor &t) {
    return torch::from_blob(const_cast<float *>(w), t.sizes(), torch::kFloat).to(t.device());
}

}  // namespace

extern "C" {

attrib_layer_objective_params attrib_layer_objective_default_params(void) {
    attrib_layer_objective_params p{};
    p.view.layout = ATTRIB_LAYOUT_NCHW;
    return p;
}

attrib_status attrib_layer_objective_gradient(attrib_model *model, const float *x,
                                              const int64_t shape[4],
                                              const attrib_layer_objective_params *params,
                                              attrib_result **out) {
    if (!model || !x || !shape || !params || !params->layer || !out)
        return fail(ATTRIB_E_ARG, "null argument");
    *out = nullptr;
    if (needs_pieces(model, shape[0])) {
        if (params->weigh)
            return fail(ATTRIB_E_ARG, "a term over all the images needs them in one pass; the "
                                      "program was exported for batches of " +
                                          std::to_string(model->backend->fixed_batch()) +
                                          " (export it with a dynamic batch)");
        const int64_t b = model->backend->fixed_batch();
        const size_t per_row = params->layer_weights_len / (size_t)shape[0];
        int64_t classes = 0;  // the logit weights' width: the model's, from one piece
        if (params->logit_weights) {
            attrib_result *probe = nullptr;
            attrib_status st = attrib_forward(model, x, Rows(shape, b).shape, &probe);
            if (st != ATTRIB_OK) return st;
            classes = probe->logits.size(1);
            attrib_result_free(probe);
        }
        return in_pieces(model, shape[0], b, [&](int64_t start, int64_t count, attrib_result **o) {
            attrib_layer_objective_params p = *params;
            if (p.layer_weights)
                p.layer_weights += start * per_row, p.layer_weights_len = count * per_row;
            if (p.logit_weights) p.logit_weights += start * classes;
            return attrib_layer_objective_gradient(model, x + start * row_size(shape),
                                                   Rows(shape, count).shape, &p, o);
        }, out);
    }
    const attrib_layer_objective_params &lw = *params;
    const attrib_layer_view *view = &lw.view;
    const float *logit_weights = lw.logit_weights;
    return guarded(ATTRIB_E_MODEL, [&] {
        std::string path = lw.layer;
        // The layer's output returned beside the logits, the model untouched:
        // the backward pass goes through the layer to the input.
        Program *fn = layer_program(model, Rewrite::TAP, path);
        if (!fn) return ATTRIB_E_ARG;
        bool backward = lw.layer_weights || lw.weigh || logit_weights;
        std::unique_ptr<torch::NoGradGuard> no_grad;
        if (!backward) no_grad = std::make_unique<torch::NoGradGuard>();
        auto res = std::make_unique<attrib_result>();
        at::Tensor input = input_tensor(model, x, shape).clone().requires_grad_(backward);
        at::Tensor logits, act;
        attrib_status st = run_layer_program(model, *fn, input, path, view, logits, act);
        if (st != ATTRIB_OK) return st;
        at::Tensor map = as_map(act, view);
        res->layer = host(map.detach());
        if (lw.layer_weights && (size_t)map.numel() != lw.layer_weights_len)
            return fail(ATTRIB_E_ARG, "layer '" + path + "' reads as " + shape_str(map.sizes()) +
                                          ", not " + std::to_string(lw.layer_weights_len) +
                                          " values");
        at::Tensor made;
        if (lw.weigh) {  // the caller's weights of this very map
            made = torch::empty_like(res->layer);
            const int64_t dims[4] = { map.size(0), map.size(1), map.size(2), map.size(3) };
            st = lw.weigh(lw.ctx, res->layer.data_ptr<float>(), dims, made.data_ptr<float>());
            if (st != ATTRIB_OK) return fail(st, "the layer's weights could not be made");
        }
        if (backward) {
            at::Tensor objective = torch::zeros({}, logits.options());
            if (lw.layer_weights)
                objective = objective + (map * weights_tensor(lw.layer_weights, map)).sum();
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

attrib_status attrib_forward(attrib_model *model, const float *x,
                             const int64_t shape[4], attrib_result **out) {
    if (!model || !x || !shape || !out) return fail(ATTRIB_E_ARG, "null argument");
    *out = nullptr;
    if (needs_pieces(model, shape[0]))
        return pieces_of(model, x, shape, nullptr, out, [&](auto px, auto ps, auto, auto o) {
            return attrib_forward(model, px, ps, o);
        });
    return guarded(ATTRIB_E_MODEL, [&] {
        torch::NoGradGuard no_grad;
        auto res = std::make_unique<attrib_result>();
        at::Tensor input = input_tensor(model, x, shape);
        if (model->head == ATTRIB_HEAD_NONE)
            res->output = host(model->backend->forward(input));
        else
            res->logits = host(forward_scores(model, input));
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
    if (needs_pieces(model, shape[0]))
        return pieces_of(model, x, shape, target, out, [&](auto px, auto ps, auto pt, auto o) {
            return attrib_input_gradient(model, px, ps, pt, o);
        });
    return guarded(ATTRIB_E_MODEL, [&] {
        auto res = std::make_unique<attrib_result>();
        at::Tensor input = input_tensor(model, x, shape).clone().requires_grad_(true);
        attrib_status st =
            input_gradient(model, forward_scores(model, input), input, target, *res);
        if (st == ATTRIB_OK) *out = res.release();
        return st;
    });
}

attrib_backward_params attrib_backward_default_params(void) {
    return attrib_backward_params{ATTRIB_GUIDED, nullptr};
}

attrib_status attrib_modified_gradient(attrib_model *model, const attrib_backward_params *params,
                                       const float *x, const int64_t shape[4],
                                       const int64_t *target, attrib_result **out) {
    if (!model || !params || !x || !shape || !target || !out)
        return fail(ATTRIB_E_ARG, "null argument");
    const attrib_backward_rule rule = params->rule;
    if (rule != ATTRIB_GUIDED && rule != ATTRIB_DECONVNET && rule != ATTRIB_DEEPLIFT)
        return fail(ATTRIB_E_ARG, "unknown backward rule");
    if ((rule == ATTRIB_DEEPLIFT) != (params->references != nullptr))
        return fail(ATTRIB_E_ARG, rule == ATTRIB_DEEPLIFT ? "DeepLIFT needs references"
                                                          : "only DeepLIFT takes references");
    *out = nullptr;
    if (needs_pieces(model, shape[0])) {
        // DeepLIFT: pieces of b pairs, which the backend runs as two passes
        const int64_t per_piece = model->backend->fixed_batch();
        return in_pieces(model, shape[0], per_piece, [&](int64_t start, int64_t count, attrib_result **o) {
            attrib_backward_params p = *params;
            if (p.references) p.references += start * row_size(shape);
            return attrib_modified_gradient(model, &p, x + start * row_size(shape),
                                            Rows(shape, count).shape, target + start, o);
        }, out);
    }
    return guarded(ATTRIB_E_MODEL, [&] {
        std::string uncovered;
        Rewrite r{Rewrite::RECTIFIERS};
        r.rule = rule;
        Program *p = model->backend->program(r, &uncovered);
        if (!p)
            return fail(ATTRIB_E_ARG, "DeepLIFT's rescale rule covers rectifiers (relu, relu6, "
                                      "hardtanh, leaky_relu) and gelu, silu, hardswish; the model "
                                      "also has " + uncovered + ", which it does not");
        if (!params->references) return program_input_gradient(model, *p, x, shape, target, out);
        return reference_gradient(model, *p, x, params->references, shape, target, out);
    });
}

attrib_status attrib_layer_scaled_forward(attrib_model *model, const float *x,
                                          const int64_t shape[4], const char *layer,
                                          const float *scale, int64_t channels,
                                          attrib_result **out) {
    if (!model || !x || !shape || !layer || !scale || !out || channels < 1)
        return fail(ATTRIB_E_ARG, "null argument");
    *out = nullptr;
    if (needs_pieces(model, shape[0]))
        return pieces_of(model, x, shape, nullptr, out, [&](auto px, auto ps, auto, auto o) {
            return attrib_layer_scaled_forward(model, px, ps, layer,
                                               scale + (px - x) / row_size(shape) * channels,
                                               channels, o);
        });
    return guarded(ATTRIB_E_MODEL, [&] {
        std::string path = layer;
        // the scaled map is returned too: its shape is checked below
        Program *fn = layer_program(model, Rewrite::SCALED, path);
        if (!fn) return ATTRIB_E_ARG;
        torch::NoGradGuard no_grad;
        at::Tensor input = input_tensor(model, x, shape);
        at::Tensor s = torch::from_blob(const_cast<float *>(scale), {shape[0], channels, 1, 1},
                                        torch::kFloat)
                           .to(model->device);
        Outputs o = run_scores(model, *fn, input, {s});
        const at::Tensor &act = o.extra[0];
        if (act.dim() != 4 || act.size(1) != channels)
            return fail(ATTRIB_E_ARG, "layer '" + path + "' outputs shape " +
                                          shape_str(act.sizes()) + ", not a feature map [N, " +
                                          std::to_string(channels) + ", h, w]");
        auto res = std::make_unique<attrib_result>();
        res->logits = host(o.logits);
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
    if (needs_pieces(model, shape[0]))
        return pieces_of(model, x, shape, target, out, [&](auto px, auto ps, auto pt, auto o) {
            return attrib_layer_gradient(model, px, ps, pt, layer, view, o);
        });
    return guarded(ATTRIB_E_MODEL, [&] {
        std::string path = layer;
        Program *fn = layer_program(model, Rewrite::LEAF, path);
        if (!fn) return ATTRIB_E_ARG;
        auto res = std::make_unique<attrib_result>();
        at::Tensor input = input_tensor(model, x, shape), logits, act;
        attrib_status st = run_layer_program(model, *fn, input, path, view, logits, act);
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

attrib_status attrib_attention(attrib_model *model, const float *x, const int64_t shape[4],
                               const int64_t *target, int with_grad, attrib_result **out) {
    if (!model || !x || !shape || !target || !out) return fail(ATTRIB_E_ARG, "null argument");
    *out = nullptr;
    if (needs_pieces(model, shape[0]))
        return pieces_of(model, x, shape, target, out, [&](auto px, auto ps, auto pt, auto o) {
            return attrib_attention(model, px, ps, pt, with_grad, o);
        });
    return guarded(ATTRIB_E_MODEL, [&] {
        std::string why;
        Program *fn = model->backend->program({Rewrite::ATTENTION}, &why);
        if (!fn) return fail(ATTRIB_E_ARG, why);
        auto res = std::make_unique<attrib_result>();
        // The input requires grad even without with_grad: MultiheadAttention
        // takes its fused fast path, which has no softmax, when nothing does.
        at::Tensor input = input_tensor(model, x, shape).clone().requires_grad_(true);
        Outputs o = run_scores(model, *fn, input);
        const int64_t n = input.size(0);
        // Attention probabilities are square over one token sequence per
        // image: [N, heads, T, T], or [N * heads, T, T] as 1.13's
        // MultiheadAttention computes them. Other softmaxes (a classifier's,
        // window attention over N * windows) are not.
        std::vector<at::Tensor> maps;  // as the graph made them: gradients are theirs
        for (const auto &v : o.extra) {
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
        attrib_status st = resolve_targets(model, o.logits, target, res->targets);
        if (st != ATTRIB_OK) return st;
        if (with_grad) {
            at::Tensor score = objective_score(model, o.logits, res->targets);
            auto grads = torch::autograd::grad({score}, maps, {}, false, false, true);
            for (size_t i = 0; i < maps.size(); i++)
                res->attention_grad.push_back(
                    host(per_head(grads[i].defined() ? grads[i] : at::zeros_like(maps[i]))));
        }
        for (const auto &m : maps) res->attention.push_back(host(per_head(m)));
        res->logits = host(o.logits);
        *out = res.release();
        return ATTRIB_OK;
    });
}

attrib_lrp_params attrib_lrp_default_params(void) {
    attrib_lrp_params p{};
    p.composite = ATTRIB_LRP_EPSILON_PLUS_FLAT;
    p.epsilon = 1e-6, p.gamma = 0.25;  // Zennit's
    for (int c = 0; c < 3; c++) p.low[c] = 0, p.high[c] = 1;
    return p;
}

attrib_status attrib_lrp(attrib_model *model, const attrib_lrp_params *params, const float *x,
                         const int64_t shape[4], const int64_t *target, attrib_result **out) {
    if (!model || !params || !x || !shape || !target || !out)
        return fail(ATTRIB_E_ARG, "null argument");
    if (params->composite < ATTRIB_LRP_EPSILON_PLUS_FLAT ||
        params->composite > ATTRIB_LRP_EPSILON_ALPHA2_BETA1)
        return fail(ATTRIB_E_ARG, "unknown LRP composite");
    *out = nullptr;
    if (needs_pieces(model, shape[0]))
        return pieces_of(model, x, shape, target, out, [&](auto px, auto ps, auto pt, auto o) {
            return attrib_lrp(model, params, px, ps, pt, o);
        });
    return guarded(ATTRIB_E_MODEL, [&] {
        Rewrite r{Rewrite::LRP};
        r.lrp = *params;
        std::string uncovered;
        Program *p = model->backend->program(r, &uncovered);
        if (!p)
            return fail(ATTRIB_E_ARG,
                        "LRP's rules cover convolutions and linear layers (batch norms after "
                        "them folded in), rectifiers, gelu, silu and hardswish, average pooling, "
                        "means, residual additions, max pooling and reshapes; the model also has " +
                            uncovered + ", which they do not");
        return program_input_gradient(model, *p, x, shape, target, out);
    });
}

attrib_status attrib_bias_gradients(attrib_model *model, const float *x,
                                    const int64_t shape[4], const int64_t *target,
                                    attrib_result **out) {
    if (!model || !x || !shape || !target || !out) return fail(ATTRIB_E_ARG, "null argument");
    *out = nullptr;
    if (needs_pieces(model, shape[0]))
        return pieces_of(model, x, shape, target, out, [&](auto px, auto ps, auto pt, auto o) {
            return attrib_bias_gradients(model, px, ps, pt, o);
        });
    return guarded(ATTRIB_E_MODEL, [&] {
        std::string why;
        Program *fn = model->backend->program({Rewrite::BIASES}, &why);
        if (!fn) return fail(ATTRIB_E_ARG, why);
        const auto &biases = model->backend->biases(*fn);
        auto res = std::make_unique<attrib_result>();
        at::Tensor input = input_tensor(model, x, shape).clone().requires_grad_(true);
        Outputs o = run_scores(model, *fn, input);
        const auto &outputs = o.extra;
        if (outputs.size() != biases.size())
            return fail(ATTRIB_E_MODEL, "the bias layers changed between passes");
        attrib_status st = resolve_targets(model, o.logits, target, res->targets);
        if (st != ATTRIB_OK) return st;
        at::Tensor score = objective_score(model, o.logits, res->targets);
        if (!score.requires_grad())
            return fail(ATTRIB_E_MODEL, "the model's output does not depend on its input");
        std::vector<at::Tensor> wrt{input};
        wrt.insert(wrt.end(), outputs.begin(), outputs.end());
        auto grads = torch::autograd::grad({score}, wrt, {}, false, false, true);
        res->input_grad = host(grads[0]);
        for (size_t i = 0; i < outputs.size(); i++) {
            const at::Tensor &v = outputs[i];
            if (v.dim() != 4 || v.size(1) != biases[i].numel()) continue;
            const at::Tensor &g = grads[i + 1];
            res->bias_grad.push_back(host(g.defined() ? g : at::zeros_like(v)));
            res->bias.push_back(host(biases[i]));
        }
        res->logits = host(o.logits);
        *out = res.release();
        return ATTRIB_OK;
    });
}

}  // extern "C"
