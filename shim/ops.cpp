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
// x - x_ref is below 1e-10 (there f'(x), as Captum does). PASS (LRP's rule
// for activations) hands the incoming relevance on unchanged.
//
// attrib::lrp_layer: a convolution or linear layer whose backward pass is
// one of the LRP rules Zennit defines (its BasicHook: the layer re-run on
// modified inputs and parameters, the incoming relevance divided by the
// stabilised modified outputs, the gradients times the modified inputs).
// The gradient that flows through the rewritten graph is the relevance.
// attrib::lrp_times_input / attrib::lrp_over_output: identity forwards
// whose backward multiplies by the input, or divides by the stabilised
// output; around a parameter-free linear op (average pooling, a mean, a
// residual addition) they give Zennit's Norm rule: R_in = x * f^T(R / z).

#include "rules.hpp"

#include <torch/library.h>
#include <torch/script.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/custom_function.h>

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

using namespace attrib_shim;  // the rules (rules.hpp)

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
    if (rule == PASS) return grad;  // LRP: activations pass relevance unchanged
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

// Zennit's stabiliser: z + eps, with the sign of z (+ for z = 0).
at::Tensor stabilise(const at::Tensor &z, double eps) {
    return z + (z.eq(0).to(z.scalar_type()) + z.sign()) * eps;
}

// One layer's forward with weights w and bias b (undefined: none).
struct LayerFn {
    bool conv;
    std::vector<int64_t> stride, padding, dilation;
    int64_t groups;
    at::Tensor operator()(const at::Tensor &x, const at::Tensor &w, const at::Tensor &b) const {
        c10::optional<at::Tensor> bias;
        if (b.defined()) bias = b;
        if (!conv) return at::linear(x, w, bias);
        std::vector<int64_t> no_padding(padding.size(), 0);
        return at::convolution(x, w, bias, stride, padding, dilation, false, no_padding, groups);
    }
};

at::Tensor positive_part(const at::Tensor &t) { return t.defined() ? t.clamp_min(0) : t; }
at::Tensor negative_part(const at::Tensor &t) { return t.defined() ? t.clamp_max(0) : t; }

// The relevance at the layer's input for relevance r at its output.
at::Tensor lrp_relevance(const LayerFn &f, int64_t rule, const at::Tensor &x, const at::Tensor &w,
                         const at::Tensor &b, const at::Tensor &r, double eps, double gamma,
                         const at::Tensor &low, const at::Tensor &high) {
    torch::AutoGradMode enable(true);
    const at::Tensor none, xp = positive_part(x), xn = negative_part(x);
    std::vector<at::Tensor> ins, outs;
    // a branch: the layer with (wm, bm) on the modified input xm
    auto branch = [&](const at::Tensor &xm, const at::Tensor &wm, const at::Tensor &bm) {
        ins.push_back(xm.detach().requires_grad_(true));
        outs.push_back(f(ins.back(), wm, bm));
        return outs.back();
    };
    // two branches, in this order, and their summed output (a denominator)
    auto both = [&](const at::Tensor &x1, const at::Tensor &w1, const at::Tensor &b1,
                    const at::Tensor &x2, const at::Tensor &w2) {
        at::Tensor o1 = branch(x1, w1, b1);
        at::Tensor o2 = branch(x2, w2, none);  // Zennit zeroes the second bias
        return (o1 + o2).detach();
    };
    auto grads_of = [&](const std::vector<at::Tensor> &g) {
        return torch::autograd::grad(outs, ins, g);
    };
    switch (rule) {
    case LRP_EPSILON: {
        at::Tensor z = branch(x, w, b);
        return x * grads_of({r / stabilise(z.detach(), eps)})[0];
    }
    case LRP_ZPLUS: {
        at::Tensor d = both(xp, positive_part(w), positive_part(b), xn, negative_part(w));
        at::Tensor g = r / stabilise(d, eps);
        auto gr = grads_of({g, g});
        return ins[0] * gr[0] + ins[1] * gr[1];
    }
    case LRP_ALPHA2BETA1: {
        const double alpha = 2, beta = 1;
        at::Tensor p = both(xp, positive_part(w), positive_part(b), xn, negative_part(w));
        at::Tensor n = both(xp, negative_part(w), negative_part(b), xn, positive_part(w));
        at::Tensor gp = r / stabilise(p, eps), gn = r / stabilise(n, eps);
        auto gr = grads_of({gp, gp, gn, gn});
        return alpha * (ins[0] * gr[0] + ins[1] * gr[1]) - beta * (ins[2] * gr[2] + ins[3] * gr[3]);
    }
    case LRP_GAMMA: {
        // Zennit's generalised gamma rule: positive outputs spread over the
        // positive contributions (weights + gamma w+), negative ones over
        // the negative contributions (weights + gamma w-).
        at::Tensor wp = w + gamma * positive_part(w), wn = w + gamma * negative_part(w);
        at::Tensor bp = b.defined() ? b + gamma * positive_part(b) : b;
        at::Tensor bn = b.defined() ? b + gamma * negative_part(b) : b;
        at::Tensor z = f(x, w, b);
        at::Tensor p = both(xp, wp, bp, xn, wn);
        at::Tensor n = both(xp, wn, bn, xn, wp);
        at::Tensor gp = z.gt(0).to(r.scalar_type()) * r / stabilise(p, eps);
        at::Tensor gn = z.lt(0).to(r.scalar_type()) * r / stabilise(n, eps);
        auto gr = grads_of({gp, gp, gn, gn});
        return ins[0] * gr[0] + ins[1] * gr[1] + ins[2] * gr[2] + ins[3] * gr[3];
    }
    case LRP_ZBOX: {
        at::Tensor l = low.expand_as(x), h = high.expand_as(x);
        // one statement each: ins[] must be x, l, h in that order
        at::Tensor zx = branch(x, w, b);
        at::Tensor zl = branch(l, positive_part(w), positive_part(b));
        at::Tensor zh = branch(h, negative_part(w), negative_part(b));
        at::Tensor d = (zx - zl - zh).detach();
        at::Tensor g = r / stabilise(d, eps);
        auto gr = grads_of({g, g, g});
        return x * gr[0] - l * gr[1] - h * gr[2];
    }
    case LRP_FLAT: {
        at::Tensor o = branch(at::ones_like(x), at::ones_like(w), none).detach();
        return grads_of({r / stabilise(o, eps)})[0];
    }
    }
    throw std::runtime_error("unknown LRP rule");
}

struct LrpLayer : public torch::autograd::Function<LrpLayer> {
    static at::Tensor forward(AutogradContext *ctx, const at::Tensor &x, const at::Tensor &w,
                              const c10::optional<at::Tensor> &b, bool conv,
                              std::vector<int64_t> stride, std::vector<int64_t> padding,
                              std::vector<int64_t> dilation, int64_t groups, int64_t rule,
                              double eps, double gamma, const c10::optional<at::Tensor> &low,
                              const c10::optional<at::Tensor> &high) {
        at::Tensor bias = b ? *b : at::Tensor();
        LayerFn f{conv, stride, padding, dilation, groups};
        ctx->save_for_backward(
            {x, w, bias, low ? *low : at::Tensor(), high ? *high : at::Tensor()});
        ctx->saved_data["conv"] = conv;
        ctx->saved_data["stride"] = stride;
        ctx->saved_data["padding"] = padding;
        ctx->saved_data["dilation"] = dilation;
        ctx->saved_data["groups"] = groups;
        ctx->saved_data["rule"] = rule;
        ctx->saved_data["eps"] = eps;
        ctx->saved_data["gamma"] = gamma;
        return f(x, w, bias);
    }
    static variable_list backward(AutogradContext *ctx, variable_list grads) {
        auto s = ctx->get_saved_variables();
        auto &d = ctx->saved_data;
        LayerFn f{d["conv"].toBool(), d["stride"].toIntVector(), d["padding"].toIntVector(),
                  d["dilation"].toIntVector(), d["groups"].toInt()};
        at::Tensor r = lrp_relevance(f, d["rule"].toInt(), s[0].detach(), s[1], s[2], grads[0],
                                     d["eps"].toDouble(), d["gamma"].toDouble(), s[3], s[4]);
        variable_list out(13);
        out[0] = r;
        return out;
    }
};

struct TimesInput : public torch::autograd::Function<TimesInput> {
    static at::Tensor forward(AutogradContext *ctx, const at::Tensor &x) {
        ctx->save_for_backward({x});
        return x.clone();  // not a view: later in-place ops stay legal
    }
    static variable_list backward(AutogradContext *ctx, variable_list grads) {
        return {grads[0] * ctx->get_saved_variables()[0]};
    }
};

struct OverOutput : public torch::autograd::Function<OverOutput> {
    static at::Tensor forward(AutogradContext *ctx, const at::Tensor &z, double eps) {
        ctx->save_for_backward({z});
        ctx->saved_data["eps"] = eps;
        return z.clone();
    }
    static variable_list backward(AutogradContext *ctx, variable_list grads) {
        at::Tensor z = ctx->get_saved_variables()[0];
        return {grads[0] / stabilise(z, ctx->saved_data["eps"].toDouble()), at::Tensor()};
    }
};

at::Tensor lrp_layer(const at::Tensor &x, const at::Tensor &w, const c10::optional<at::Tensor> &b,
                     bool conv, std::vector<int64_t> stride, std::vector<int64_t> padding,
                     std::vector<int64_t> dilation, int64_t groups, int64_t rule, double eps,
                     double gamma, const c10::optional<at::Tensor> &low,
                     const c10::optional<at::Tensor> &high) {
    return LrpLayer::apply(x, w, b, conv, stride, padding, dilation, groups, rule, eps, gamma,
                           low, high);
}

at::Tensor lrp_times_input(const at::Tensor &x) { return TimesInput::apply(x); }
at::Tensor lrp_over_output(const at::Tensor &z, double eps) { return OverOutput::apply(z, eps); }

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
    m.def("lrp_layer(Tensor x, Tensor weight, Tensor? bias, bool conv, int[] stride, "
          "int[] padding, int[] dilation, int groups, int rule, float eps, float gamma, "
          "Tensor? low, Tensor? high) -> Tensor",
          lrp_layer);
    m.def("lrp_times_input(Tensor x) -> Tensor", lrp_times_input);
    m.def("lrp_over_output(Tensor z, float eps) -> Tensor", lrp_over_output);
}
