// ops.cpp - the custom operators the graph rewrites insert.
//
// attrib::leaf(x): x as a new autograd leaf, so a backward pass from the
// output stops at this point of the network (Grad-CAM's layer) and nothing
// before it is recorded.
// attrib::modified_clamp / attrib::modified_leaky_relu / attrib::modified_gate:
// the forward of relu/hardtanh/relu6, leaky_relu and the smooth gates
// (gelu, silu, hardswish), with the backward pass of guided backpropagation,
// deconvnet or DeepLIFT. For every one of them guided backpropagation passes
// the positive part of the gradient where the input was in the unit's
// linear, positive range (x > 0; below 6 for relu6) and deconvnet passes it
// everywhere: the negative side of leaky_relu and of the smooth gates is
// treated as ReLU's is, so the rule is one across activations. DeepLIFT's
// rescale rule (Shrikumar et al. 2017, as Captum's DeepLift) needs the
// batch to be N inputs followed by their N references: the gradient is
// scaled by (f(x) - f(x_ref)) / (x - x_ref) instead of f'(x), except where
// x - x_ref is below 1e-10 (there f'(x), as Captum does).

#include <torch/library.h>
#include <torch/script.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/custom_function.h>

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

enum Rule { GUIDED = 0, DECONVNET = 1, DEEPLIFT = 2 };

constexpr double RESCALE_EPS = 1e-10; /* Captum's DeepLift eps */

// DeepLIFT's multiplier times grad: x and y the unit's input and output
// over [inputs; references]; plain the ordinary backward (grad f'(x)).
at::Tensor rescale(const at::Tensor &grad, const at::Tensor &x, const at::Tensor &y,
                   const at::Tensor &plain) {
    const int64_t n = x.size(0) / 2;
    if (n * 2 != x.size(0))
        throw std::runtime_error("DeepLIFT needs a batch of inputs followed by as many references");
    at::Tensor dx = x.narrow(0, 0, n) - x.narrow(0, n, n);
    at::Tensor dy = y.narrow(0, 0, n) - y.narrow(0, n, n);
    dx = at::cat({dx, dx});
    dy = at::cat({dy, dy});
    return at::where(dx.abs() < RESCALE_EPS, plain, grad * dy / dx);
}

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
        at::Tensor y = at::clamp(x, lo, hi);
        at::Tensor mask = x.gt(lo).logical_and_(x.lt(hi)).to(x.scalar_type());
        ctx->save_for_backward(rule == DEEPLIFT ? variable_list{mask, x, y} : variable_list{mask});
        ctx->saved_data["rule"] = rule;
        return y;
    }
    static variable_list backward(AutogradContext *ctx, variable_list grads) {
        auto saved = ctx->get_saved_variables();
        int64_t rule = ctx->saved_data["rule"].toInt();
        at::Tensor g = rule == DEEPLIFT ? rescale(grads[0], saved[1], saved[2], grads[0] * saved[0])
                                        : modified_backward(grads[0], saved[0], rule);
        return {g, at::Tensor(), at::Tensor(), at::Tensor()};
    }
};

struct ModifiedLeakyRelu : public torch::autograd::Function<ModifiedLeakyRelu> {
    static at::Tensor forward(AutogradContext *ctx, const at::Tensor &x, const at::Scalar &slope,
                              int64_t rule) {
        at::Tensor y = at::leaky_relu(x, slope);
        at::Tensor mask = x.gt(0).to(x.scalar_type());
        ctx->save_for_backward(rule == DEEPLIFT ? variable_list{mask, x, y} : variable_list{mask});
        ctx->saved_data["rule"] = rule;
        ctx->saved_data["slope"] = slope;
        return y;
    }
    static variable_list backward(AutogradContext *ctx, variable_list grads) {
        auto saved = ctx->get_saved_variables();
        int64_t rule = ctx->saved_data["rule"].toInt();
        if (rule != DEEPLIFT)
            return {modified_backward(grads[0], saved[0], rule), at::Tensor(), at::Tensor()};
        double slope = ctx->saved_data["slope"].toScalar().toDouble();
        at::Tensor plain = grads[0] * (saved[0] + (1 - saved[0]) * slope);
        return {rescale(grads[0], saved[1], saved[2], plain), at::Tensor(), at::Tensor()};
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
        at::Tensor y = gate_forward(x, gate, approximate);
        at::Tensor mask = x.gt(0).to(x.scalar_type());
        ctx->save_for_backward(rule == DEEPLIFT ? variable_list{mask, x, y} : variable_list{mask});
        ctx->saved_data["rule"] = rule;
        ctx->saved_data["gate"] = gate;
        ctx->saved_data["approximate"] = approximate;
        return y;
    }
    static variable_list backward(AutogradContext *ctx, variable_list grads) {
        auto saved = ctx->get_saved_variables();
        int64_t rule = ctx->saved_data["rule"].toInt();
        if (rule != DEEPLIFT)
            return {modified_backward(grads[0], saved[0], rule), at::Tensor(), at::Tensor(),
                    at::Tensor()};
        // the gate's own derivative where the rescale rule falls back to it
        at::Tensor plain;
        {
            torch::AutoGradMode enable(true);
            at::Tensor xd = saved[1].detach().requires_grad_(true);
            at::Tensor yd = gate_forward(xd, ctx->saved_data["gate"].toInt(),
                                         ctx->saved_data["approximate"].toStringRef());
            plain = torch::autograd::grad({yd}, {xd}, {grads[0]})[0];
        }
        return {rescale(grads[0], saved[1], saved[2], plain), at::Tensor(), at::Tensor(),
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
