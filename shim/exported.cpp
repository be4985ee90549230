// exported.cpp - the torch.export backend (backend.hpp): a program read by
// exported_read.cpp, interpreted node by node through libtorch's dispatcher
// (so autograd records every op as it would a TorchScript module's). A
// rewrite is not a new graph but a plan: per node, what runs instead of its
// operator (a rectifier's modified backward, attention written out) and
// what happens after it (a layer's output kept, made a leaf or scaled).
#include "archive.hpp"
#include "exported.hpp"
#include "internal.hpp"
#include "op_names.hpp"
#include "rules.hpp"

#include <ATen/core/stack.h>
#include <torch/torch.h>

#include <functional>
#include <limits>
#include <map>

namespace attrib_shim {

using exported::Arg;
using exported::Builtin;
using exported::Graph;
using exported::InputKind;
using exported::Node;

namespace {

// One run's values: the environment's slots and what the plan collects.
struct Env {
    std::vector<c10::IValue> v;
    std::vector<at::Tensor> extra;
    const std::vector<at::Tensor> *more = nullptr;  // run()'s extra inputs
};

using Action = std::function<void(const Node &, Env &)>;

struct Plan : Program {
    std::vector<Action> instead, after;  // per node; empty: the operator, nothing
    std::vector<at::Tensor> biases;      // BIASES
};

c10::IValue arg_value(const Arg &a, const Env &env) {
    switch (a.kind) {
    case Arg::CONSTANT: return a.constant;
    case Arg::VALUE: return env.v[a.values[0]];
    case Arg::TENSORS:
        if (a.optional_items) {
            c10::List<c10::optional<at::Tensor>> list;
            for (int s : a.values)
                list.push_back(s < 0 ? c10::optional<at::Tensor>() : env.v[s].toTensor());
            return list;
        } else {
            c10::List<at::Tensor> list;
            for (int s : a.values) list.push_back(env.v[s].toTensor());
            return list;
        }
    case Arg::INTS: {
        std::vector<int64_t> ints(a.ints);
        for (size_t i = 0; i < ints.size(); i++)
            if (a.values[i] >= 0) ints[i] = env.v[a.values[i]].toInt();
        return ints;
    }
    }
    return c10::IValue();
}

int64_t floor_div(int64_t a, int64_t b) {
    if (b == 0) throw std::runtime_error("integer division by zero in the program's sizes");
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

int64_t builtin(Builtin b, int64_t x, int64_t y) {
    switch (b) {
    case Builtin::ADD: return x + y;
    case Builtin::SUB: return x - y;
    case Builtin::MUL: return x * y;
    case Builtin::FLOORDIV: return floor_div(x, y);
    case Builtin::MOD: return x - floor_div(x, y) * y;  // Python's: the divisor's sign
    case Builtin::NEG: return -x;
    case Builtin::NONE: break;
    }
    throw std::logic_error("not a builtin");
}

// Runs node n's operator on env, its outputs into their slots.
void call(const Node &n, Env &env) {
    if (n.builtin != Builtin::NONE) {
        int64_t x = arg_value(n.args[0], env).toInt();
        int64_t y = n.args.size() > 1 ? arg_value(n.args[1], env).toInt() : 0;
        env.v[n.outputs[0]] = builtin(n.builtin, x, y);
        return;
    }
    torch::jit::Stack stack;
    stack.reserve(n.args.size());
    for (const Arg &a : n.args) stack.push_back(arg_value(a, env));
    n.handle->callBoxed(&stack);
    if (n.list_output) {
        auto list = stack.at(0).toTensorVector();
        if (list.size() != n.outputs.size())
            throw std::runtime_error(n.op + " returned " + std::to_string(list.size()) +
                                     " tensors, the program expects " +
                                     std::to_string(n.outputs.size()));
        for (size_t i = 0; i < list.size(); i++) env.v[n.outputs[i]] = list[i];
        return;
    }
    for (size_t i = 0; i < n.outputs.size() && i < stack.size(); i++)
        if (n.outputs[i] >= 0) env.v[n.outputs[i]] = std::move(stack[i]);
}

// The op's name without its namespace: "aten::hardtanh_" -> "hardtanh_".
std::string short_name(const std::string &op) {
    size_t at = op.find("::");
    return at == std::string::npos ? op : op.substr(at + 2);
}

const c10::OperatorHandle &attrib_op(const char *name) {
    static std::map<std::string, c10::OperatorHandle> found;
    auto it = found.find(name);
    if (it != found.end()) return it->second;
    auto h = c10::Dispatcher::singleton().findSchema({name, ""});
    if (!h) throw std::runtime_error(std::string("the shim's operator ") + name + " is not registered");
    return found.emplace(name, *h).first->second;
}

at::Tensor call_attrib(const char *name, torch::jit::Stack stack) {
    attrib_op(name).callBoxed(&stack);
    return stack.at(0).toTensor();
}

// A layer's output as attrib_model_layers lists it.
struct Layer {
    std::string path, op;
    size_t node;
    int slot;
};

class Exported : public Backend {
  public:
    Exported(std::unique_ptr<Graph> g, at::Device device) : g_(std::move(g)), device_(device) {
        index_uses();
        find_layers();
        const auto &sizes = g_->input_sizes;
        fixed_batch_ = !sizes.empty() && sizes[0] > 0 ? sizes[0] : 0;
    }

    at::Tensor forward(const at::Tensor &x) override {
        return checked_logits(invoke(x, [&] { return execute(nullptr, x, {}).logits; }), x);
    }

    Program *program(const Rewrite &r, std::string *why) override {
        const std::string key = rewrite_key(r);
        auto it = plans_.find(key);
        if (it != plans_.end()) return it->second.get();
        auto p = std::make_unique<Plan>();
        p->instead.resize(g_->nodes.size());
        p->after.resize(g_->nodes.size());
        if (!build(r, *p, why)) return nullptr;
        return (plans_[key] = std::move(p)).get();
    }

    Outputs run(Program &p, const at::Tensor &x, const std::vector<at::Tensor> &more) override {
        Outputs o = invoke(x, [&] { return execute(static_cast<Plan *>(&p), x, more); });
        checked_logits(o.logits, x);
        return o;
    }

    const std::vector<at::Tensor> &biases(const Program &p) override {
        return static_cast<const Plan &>(p).biases;
    }

    std::vector<LayerInfo> layers(const at::Tensor &x) override {
        Plan keep_all;
        keep_all.instead.resize(g_->nodes.size());
        keep_all.after.resize(g_->nodes.size());
        std::map<int, int64_t> ids;  // slot -> its place in extra
        for (const Layer &l : layers_) {
            if (ids.count(l.slot)) continue;
            ids[l.slot] = (int64_t)ids.size();
            int slot = l.slot;
            append(keep_all.after[l.node], [slot](const Node &, Env &env) {
                env.extra.push_back(env.v[slot].toTensor());
            });
        }
        Outputs o = invoke(x, [&] { return execute(&keep_all, x, {}); });
        checked_logits(o.logits, x);
        std::vector<LayerInfo> res;
        for (const Layer &l : layers_) {
            int64_t id = ids[l.slot];
            res.push_back({l.path, l.op, id, o.extra.at(id).sizes().vec()});
        }
        return res;
    }

    std::vector<std::pair<std::string, at::Tensor>> parameters() override {
        std::vector<std::pair<std::string, at::Tensor>> res;
        for (size_t i = 0; i < g_->inputs.size(); i++)
            if (g_->inputs[i].kind == InputKind::PARAMETER)
                res.emplace_back(g_->inputs[i].name, g_->input_values[i]);
        return res;
    }

    void parameters_changed() override { plans_.clear(); }  // BIASES read the old values

    int64_t fixed_batch() const override { return fixed_batch_; }

  private:
    // --- running ---------------------------------------------------------

    void check_input(const at::Tensor &x) const {
        const auto &want = g_->input_sizes;
        bool ok = x.dim() == (int64_t)want.size();
        for (size_t i = 0; ok && i < want.size(); i++)
            ok = want[i] < 0 || want[i] == x.size(i) || (i == 0 && fixed_batch_);
        if (ok) return;
        std::string w = "[";
        for (size_t i = 0; i < want.size(); i++)
            w += (i ? ", " : "") + (want[i] < 0 ? std::string("any") : std::to_string(want[i]));
        throw std::runtime_error("the program was exported for inputs " + w + "], not " +
                                 shape_str(x.sizes()));
    }

    Outputs execute(Plan *p, const at::Tensor &x, const std::vector<at::Tensor> &more) {
        check_input(x);
        if (fixed_batch_ && x.size(0) != fixed_batch_)
            throw std::runtime_error("the program was exported for batches of " +
                                     std::to_string(fixed_batch_) + ", not " +
                                     std::to_string(x.size(0)));
        Env env;
        env.v.resize(g_->value_names.size());
        env.more = &more;
        for (size_t i = 0; i < g_->inputs.size(); i++) {
            const auto &in = g_->inputs[i];
            env.v[in.slot] = in.kind == InputKind::USER ? x : g_->input_values[i];
        }
        for (size_t i = 0; i < g_->nodes.size(); i++) {
            const Node &n = g_->nodes[i];
            try {
                if (p && p->instead[i]) p->instead[i](n, env);
                else call(n, env);
            } catch (const c10::Error &e) {
                throw std::runtime_error(where(n) + ": " + one_line(e.what_without_backtrace()));
            }
            if (p && p->after[i]) p->after[i](n, env);
            for (int s : released_[i]) env.v[s] = c10::IValue();
        }
        const c10::IValue &out = env.v[g_->output];
        if (!out.isTensor()) throw std::runtime_error("the program's output is not a tensor");
        return Outputs{out.toTensor(), std::move(env.extra)};
    }

    std::string where(const Node &n) const {
        return "in " + n.op + (n.modules.empty() ? "" : " of " + n.modules.back());
    }

    // --- the graph's shape ---------------------------------------------------

    // Who reads each slot, and after which node no one does.
    void index_uses() {
        const size_t n = g_->nodes.size();
        users_.assign(g_->value_names.size(), {});
        std::vector<size_t> last(g_->value_names.size(), std::numeric_limits<size_t>::max());
        for (size_t i = 0; i < n; i++)
            for (const Arg &a : g_->nodes[i].args)
                for (int s : a.values)
                    if (s >= 0) users_[s].push_back(i), last[s] = i;
        released_.assign(n, {});
        for (size_t s = 0; s < last.size(); s++)
            if ((int)s != g_->output && last[s] < n) released_[last[s]].push_back((int)s);
    }

    bool inside(size_t node, const std::string &module) const {
        for (const auto &m : g_->nodes[node].modules)
            if (m == module) return true;
        return false;
    }

    // Every module's outputs: a value a node inside module M makes and a
    // node outside M (or the program's return) reads, per enclosing module.
    void find_layers() {
        for (size_t i = 0; i < g_->nodes.size(); i++) {
            const Node &n = g_->nodes[i];
            if (n.builtin != Builtin::NONE) continue;
            for (int s : n.outputs) {
                if (s < 0) continue;
                for (const std::string &m : n.modules) {
                    bool escapes = s == g_->output;
                    for (size_t u : users_[s]) escapes = escapes || !inside(u, m);
                    if (escapes) layers_.push_back({m, short_name(n.op), i, s});
                }
            }
        }
    }

    const Layer *find_layer(const std::string &path) const {
        const Layer *found = nullptr;
        for (const auto &l : layers_)
            if (l.path == path) found = &l;  // a module called twice: its last call
        return found;
    }

    static void append(Action &slot, Action next) {
        if (!slot) {
            slot = std::move(next);
            return;
        }
        Action first = std::move(slot);
        slot = [first, next](const Node &n, Env &env) { first(n, env), next(n, env); };
    }

    // --- rewrites -----------------------------------------------------------

    bool build(const Rewrite &r, Plan &p, std::string *why) {
        switch (r.kind) {
        case Rewrite::TAP:
        case Rewrite::LEAF:
        case Rewrite::SCALED: return plan_layer(r, p);
        case Rewrite::RECTIFIERS: return plan_rectifiers(r.rule, p, why);
        case Rewrite::ATTENTION: return plan_attention(p, why);
        case Rewrite::BIASES: return plan_biases(p);
        case Rewrite::LRP:
            *why = "LRP's rules on torch.export programs (not supported yet)";
            return false;
        }
        return false;
    }

    bool plan_layer(const Rewrite &r, Plan &p) {
        const Layer *l = find_layer(r.layer);
        if (!l) return false;
        const int slot = l->slot;
        Rewrite::Kind kind = r.kind;
        append(p.after[l->node], [slot, kind](const Node &, Env &env) {
            at::Tensor t = env.v[slot].toTensor();
            if (kind == Rewrite::LEAF) t = call_attrib("attrib::leaf", {t});
            if (kind == Rewrite::SCALED) t = t * env.more->at(0);
            env.v[slot] = t;  // every later use sees it
            env.extra = {t};
        });
        return true;
    }

    // The rectifier node n as the attrib operator with the rule's backward.
    static Action rectifier(const Node &n, int64_t rule) {
        std::string kind = short_name(n.op);
        const bool inplace = kind.back() == '_';
        if (inplace) kind.pop_back();
        const int in = n.args[0].values.at(0);
        const int out = n.outputs.at(0);
        return [kind, inplace, in, out, rule](const Node &node, Env &env) {
            c10::IValue x = env.v[in];
            at::Tensor y;
            auto constant = [&](size_t i) { return node.args.at(i).constant; };
            if (kind == "leaky_relu") {
                y = call_attrib("attrib::modified_leaky_relu", {x, constant(1), rule});
            } else if (kind == "gelu" || kind == "silu" || kind == "hardswish") {
                int64_t which = kind == "gelu" ? 0 : kind == "silu" ? 1 : 2;
                c10::IValue approximate =
                    kind == "gelu" ? constant(1) : c10::IValue(std::string("none"));
                y = call_attrib("attrib::modified_gate", {x, which, approximate, rule});
            } else {
                c10::IValue lo = kind == "hardtanh" ? constant(1) : c10::IValue(0.0);
                c10::IValue hi = kind == "hardtanh" ? constant(2)
                                 : kind == "relu6"  ? c10::IValue(6.0)
                                 : c10::IValue(std::numeric_limits<double>::infinity());
                y = call_attrib("attrib::modified_clamp", {x, lo, hi, rule});
            }
            env.v[out] = y;
            if (inplace) env.v[in] = y;  // it changed x for everything after it
        };
    }

    bool plan_rectifiers(int64_t rule, Plan &p, std::string *why) {
        for (size_t i = 0; i < g_->nodes.size(); i++) {
            const Node &n = g_->nodes[i];
            if (rule == DEEPLIFT && DEEPLIFT_UNCOVERED_OPS.count(n.op)) {
                *why = n.op;
                return false;
            }
            if (RECTIFIER_OPS.count(n.op) && !n.args.empty() && n.args[0].kind == Arg::VALUE)
                p.instead[i] = rectifier(n, rule);
        }
        return true;
    }

    // softmax(q k^T * scale) v in place of aten::scaled_dot_product_attention
    // (query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa),
    // its probabilities collected.
    static bool explicit_attention(const Node &n, Action &act, std::string *why) {
        if (n.args.size() < 6 || n.args[3].kind != Arg::CONSTANT || !n.args[3].constant.isNone()) {
            *why = "attention with a mask is not supported yet";
            return false;
        }
        if (n.args[5].kind != Arg::CONSTANT || n.args[5].constant.toBool()) {
            *why = "causal attention has no class-token map";
            return false;
        }
        act = [](const Node &node, Env &env) {
            at::Tensor q = arg_value(node.args[0], env).toTensor();
            at::Tensor k = arg_value(node.args[1], env).toTensor();
            at::Tensor v = arg_value(node.args[2], env).toTensor();
            c10::IValue s = node.args.size() > 6 ? arg_value(node.args[6], env) : c10::IValue();
            double scale = s.isNone() ? 1.0 / std::sqrt((double)q.size(-1)) : s.toDouble();
            at::Tensor probs = at::softmax(at::matmul(q, k.transpose(-2, -1)) * scale, -1);
            env.extra.push_back(probs);
            env.v[node.outputs[0]] = at::matmul(probs, v);
        };
        return true;
    }

    bool plan_attention(Plan &p, std::string *why) {
        for (size_t i = 0; i < g_->nodes.size(); i++) {
            const Node &n = g_->nodes[i];
            if (n.op == "aten::scaled_dot_product_attention") {
                if (!explicit_attention(n, p.instead[i], why)) return false;
            } else if ((n.op == "aten::softmax" || n.op == "aten::_softmax") && n.outputs[0] >= 0) {
                const int out = n.outputs[0];
                append(p.after[i], [out](const Node &node, Env &env) {
                    at::Tensor y = env.v[out].toTensor();
                    int64_t dim = arg_value(node.args[1], env).toInt();
                    if (dim == -1 || dim == y.dim() - 1) env.extra.push_back(y);
                });
            }
        }
        return true;
    }

    // The parameter or buffer behind argument a, if it is one.
    at::Tensor weight_of(const Arg &a) const {
        if (a.kind != Arg::VALUE) return at::Tensor();
        for (size_t i = 0; i < g_->inputs.size(); i++)
            if (g_->inputs[i].slot == a.values[0] && g_->inputs[i].kind != InputKind::USER)
                return g_->input_values[i];
        return at::Tensor();
    }

    // The bias node n adds per output channel; undefined if none is known.
    at::Tensor bias_of(const Node &n) const {
        if (n.op == "aten::conv2d" || n.op == "aten::convolution" || n.op == "aten::_convolution")
            return n.args.size() > 2 ? weight_of(n.args[2]) : at::Tensor();
        int eps_arg;
        if (n.op == "aten::batch_norm") eps_arg = 7;  // (input, weight, bias, mean, var, training, momentum, eps, cudnn)
        else if (n.op == "aten::_native_batch_norm_legit_no_training") eps_arg = 6;
        else return at::Tensor();
        at::Tensor gamma = weight_of(n.args[1]), beta = weight_of(n.args[2]);
        at::Tensor mean = weight_of(n.args[3]), var = weight_of(n.args[4]);
        if (!mean.defined() || !var.defined() || n.args[eps_arg].kind != Arg::CONSTANT)
            return at::Tensor();
        torch::NoGradGuard no_grad;
        at::Tensor scale = (var.to(at::kFloat) + n.args[eps_arg].constant.toDouble()).rsqrt();
        if (gamma.defined()) scale = scale * gamma;
        at::Tensor b = -mean * scale;
        return beta.defined() ? b + beta : b;
    }

    bool plan_biases(Plan &p) {
        for (size_t i = 0; i < g_->nodes.size(); i++) {
            const Node &n = g_->nodes[i];
            at::Tensor b = bias_of(n);
            if (!b.defined() || b.dim() != 1 || n.outputs.empty() || n.outputs[0] < 0) continue;
            p.biases.push_back(b.detach().to(at::kFloat).contiguous());
            const int out = n.outputs[0];
            append(p.after[i], [out](const Node &, Env &env) {
                at::Tensor v = env.v[out].toTensor();
                env.extra.push_back(v);
                env.v[out] = v.clone();  // in-place ops after it leave v itself as it was
            });
        }
        return true;
    }

    std::unique_ptr<Graph> g_;
    at::Device device_;
    int64_t fixed_batch_ = 0;
    std::vector<std::vector<size_t>> users_;  // per slot: the nodes reading it
    std::vector<std::vector<int>> released_;  // per node: slots no later node reads
    std::vector<Layer> layers_;
    std::map<std::string, std::unique_ptr<Plan>> plans_;
};

}  // namespace

std::unique_ptr<Backend> load_exported(const void *data, size_t len, at::Device device,
                                       std::string *card, std::string *missing) {
    std::unique_ptr<Graph> g;
    try {
        g = exported::read_program(data, len, device, card);
    } catch (const exported::MissingOperator &e) {
        *missing = e.op;
        return nullptr;
    }
    return std::make_unique<Exported>(std::move(g), device);
}

}  // namespace attrib_shim
