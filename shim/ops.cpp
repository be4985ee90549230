// ops.cpp - the custom operators the graph rewrites insert.
//
// attrib::leaf(x): x as a new autograd leaf, so a backward pass from the
// output stops at this point of the network (Grad-CAM's layer) and nothing
// before it is recorded.
// attrib::modified_clamp / attrib::modified_leaky_relu / attrib::modified_gate:
// the forward of relu/hardtanh/relu6, leaky_relu and the smooth gates
// (gelu, silu, hardswish), with the backward pass of guided backpropagation
// or deconvnet. For every one of them guided backpropagation passes the
// positive part of the gradient where the input was in the unit's linear,
// positive range (x > 0; below 6 for relu6) and deconvnet passes it
// everywhere: the negative side of leaky_relu and of the smooth gates is
// treated as ReLU's is, so the rule is one across activations.

#include <torch/library.h>
#include <torch/script.h>
#include <torch/csrc/autograd/custom_function.h>

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

enum Rule { GUIDED = 0, DECONVNET = 1 };

at::Tensor leaf(const at::Tensor &x) {
    // clone(): later in-place ops (relu_) then act on a non-leaf copy,
    // which autograd allows, and the gradient reaches the leaf unchanged.
    return x.detach().requires_grad_(true).clone();
}

// Backward of a rectifier under rule: pass_mask says where the forward
// input was in the linear range (ignored by deconvnet).
at::Tensor modified_backward(const at::Tensor &grad, const at::Tensor &pass_mask, int64_t rule) {
    at::Tensor g = grad.clamp_min(0);
    return rule == DECONVNET ? g : g * pass_mask;
}

struct ModifiedClamp : public torch::autograd::Function<ModifiedClamp> {
    static at::Tensor forward(AutogradContext *ctx, const at::Tensor &x, const at::Scalar &lo,
                              const at::Scalar &hi, int64_t rule) {
        ctx->save_for_backward({x.gt(lo).logical_and_(x.lt(hi)).to(x.scalar_type())});
        ctx->saved_data["rule"] = rule;
        return at::clamp(x, lo, hi);
    }
    static variable_list backward(AutogradContext *ctx, variable_list grads) {
        auto mask = ctx->get_saved_variables()[0];
        int64_t rule = ctx->saved_data["rule"].toInt();
        return {modified_backward(grads[0], mask, rule), at::Tensor(), at::Tensor(),
                at::Tensor()};
    }
};

struct ModifiedLeakyRelu : public torch::autograd::Function<ModifiedLeakyRelu> {
    static at::Tensor forward(AutogradContext *ctx, const at::Tensor &x, const at::Scalar &slope,
                              int64_t rule) {
        ctx->save_for_backward({x.gt(0).to(x.scalar_type())});
        ctx->saved_data["rule"] = rule;
        return at::leaky_relu(x, slope);
    }
    static variable_list backward(AutogradContext *ctx, variable_list grads) {
        auto mask = ctx->get_saved_variables()[0];
        int64_t rule = ctx->saved_data["rule"].toInt();
        return {modified_backward(grads[0], mask, rule), at::Tensor(), at::Tensor()};
    }
};

enum Gate { GELU = 0, SILU = 1, HARDSWISH = 2 };

at::Tensor gate_forward(const at::Tensor &x, int64_t gate, const std::string &approximate) {
    if (gate == GELU) return at::gelu(x, approximate);
    if (gate == SILU) return at::silu(x);
    return at::hardswish(x);
}

struct ModifiedGate : public torch::autograd::Function<ModifiedGate> {
    static at::Tensor forward(AutogradContext *ctx, const at::Tensor &x, int64_t gate,
                              const std::string &approximate, int64_t rule) {
        ctx->save_for_backward({x.gt(0).to(x.scalar_type())});
        ctx->saved_data["rule"] = rule;
        return gate_forward(x, gate, approximate);
    }
    static variable_list backward(AutogradContext *ctx, variable_list grads) {
        auto mask = ctx->get_saved_variables()[0];
        int64_t rule = ctx->saved_data["rule"].toInt();
        return {modified_backward(grads[0], mask, rule), at::Tensor(), at::Tensor(),
                at::Tensor()};
    }
};

at::Tensor modified_gate(const at::Tensor &x, int64_t gate, std::string approximate,
                         int64_t rule) {
    return ModifiedGate::apply(x, gate, approximate, rule);
}

at::Tensor modified_clamp(const at::Tensor &x, const at::Scalar &lo, const at::Scalar &hi,
                          int64_t rule) {
    return ModifiedClamp::apply(x, lo, hi, rule);
}

at::Tensor modified_leaky_relu(const at::Tensor &x, const at::Scalar &slope, int64_t rule) {
    return ModifiedLeakyRelu::apply(x, slope, rule);
}

}  // namespace

TORCH_LIBRARY(attrib, m) {
    m.def("leaf(Tensor x) -> Tensor", leaf);
    m.def("modified_clamp(Tensor x, Scalar lo, Scalar hi, int rule) -> Tensor", modified_clamp);
    m.def("modified_leaky_relu(Tensor x, Scalar slope, int rule) -> Tensor", modified_leaky_relu);
    m.def("modified_gate(Tensor x, int gate, str approximate, int rule) -> Tensor", modified_gate);
}
