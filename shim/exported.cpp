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

// DeepLIFT on a program of a fixed batch b: its rescale rule needs each
// rectifier's input for the references in the same call as the inputs'
// (ops.cpp pairs row i with row b + i), which a pass of b rows cannot hold.
// The references' pass runs first and records those inputs (RECORD); the
// inputs' pass then calls each rectifier on [its input; the recorded one]
// and keeps the first half (PAIRED). Everything else runs at batch b.
enum class Pairing { NONE, RECORD, PAIRED };

// One run's values: the environment's slots and what the plan collects.
struct Env {
    std::vector<c10::IValue> v;
    std::vector<at::Tensor> extra;
    const std::vector<at::Tensor> *more = nullptr;  // run()'s extra inputs
    Pairing pairing = Pairing::NONE;
    std::map<size_t, at::Tensor> *recorded = nullptr;  // per rectifier node
};

using Action = std::function<void(const Node &, Env &)>;

struct Plan : Program {
    std::vector<Action> instead, after;  // per node; empty: the operator, nothing
    std::vector<at::Tensor> biases;      // BIASES
    bool paired = false;                 // DeepLIFT on a fixed batch: see Pairing
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
        return checked_output(invoke(x, [&] { return execute(nullptr, x, {}).logits; }), x);
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
        auto *plan = static_cast<Plan *>(&p);
        Outputs o = invoke(x, [&] {
            if (plan->paired && x.size(0) == 2 * fixed_batch_) return run_pairs(*plan, x);
            return execute(plan, x, more);
        });
        checked_output(o.logits, x);
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
        checked_output(o.logits, x);
        std::vector<LayerInfo> res;
        for (const Layer &l : layers_) {
            int64_t id = ids[l.slot];
            res.push_back({l.path, l.op, id, o.extra.at(id).sizes().vec()});
        }
        return res;
    }

    // A program converted from TorchScript holds its parameters as buffers:
    // without parameters, the buffers that are not batch-norm statistics.
    std::vector<std::pair<std::string, at::Tensor>> parameters() override {
        std::vector<std::pair<std::string, at::Tensor>> res;
        for (int pass = 0; pass < 2 && res.empty(); pass++)
            for (size_t i = 0; i < g_->inputs.size(); i++) {
                const auto &in = g_->inputs[i];
                bool take = pass == 0 ? in.kind == InputKind::PARAMETER
                                      : in.kind == InputKind::BUFFER && !is_statistic(in.name);
                if (take) res.emplace_back(in.name, g_->input_values[i]);
            }
        return res;
    }

    void parameters_changed() override { plans_.clear(); }  // BIASES read the old values

    int64_t fixed_batch() const override { return fixed_batch_; }
    attrib_format format() const override { return ATTRIB_FORMAT_EXPORTED; }

  private:
    static bool is_statistic(const std::string &name) {
        for (const char *end : {"running_mean", "running_var", "num_batches_tracked"}) {
            const std::string e = std::string(".") + end;
            if (name.size() >= e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0)
                return true;
        }
        return false;
    }

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

    // [inputs; references] through a DeepLIFT plan, a fixed batch at a time.
    Outputs run_pairs(Plan &p, const at::Tensor &x) {
        const int64_t b = fixed_batch_;
        std::map<size_t, at::Tensor> recorded;
        Outputs ref;
        {
            torch::NoGradGuard no_grad;
            ref = execute(&p, x.narrow(0, b, b), {}, Pairing::RECORD, &recorded);
        }
        Outputs in = execute(&p, x.narrow(0, 0, b), {}, Pairing::PAIRED, &recorded);
        return Outputs{at::cat({in.logits, ref.logits}), {}};
    }

    Outputs execute(Plan *p, const at::Tensor &x, const std::vector<at::Tensor> &more,
                    Pairing pairing = Pairing::NONE,
                    std::map<size_t, at::Tensor> *recorded = nullptr) {
        check_input(x);
        if (fixed_batch_ && x.size(0) != fixed_batch_)
            throw std::runtime_error("the program was exported for batches of " +
                                     std::to_string(fixed_batch_) + ", not " +
                                     std::to_string(x.size(0)));
        Env env;
        env.v.resize(g_->value_names.size());
        env.more = &more;
        env.pairing = pairing, env.recorded = recorded;
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
        case Rewrite::LRP: return plan_lrp(lrp_spec(r.lrp, device_), p, why);
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
    static Action rectifier(const Node &n, size_t index, int64_t rule) {
        std::string kind = short_name(n.op);
        const bool inplace = kind.back() == '_';
        if (inplace) kind.pop_back();
        const int in = n.args[0].values.at(0);
        const int out = n.outputs.at(0);
        return [kind, inplace, in, out, rule, index](const Node &node, Env &env) {
            if (env.pairing == Pairing::RECORD) {  // the references: as the model computes
                (*env.recorded)[index] = env.v[in].toTensor().detach().clone();
                call(node, env);
                return;
            }
            c10::IValue x = env.v[in];
            const int64_t rows = x.toTensor().size(0);
            if (env.pairing == Pairing::PAIRED) x = at::cat({x.toTensor(), env.recorded->at(index)});
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
            if (env.pairing == Pairing::PAIRED) y = y.narrow(0, 0, rows);
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
                p.instead[i] = rectifier(n, i, rule);
        }
        p.paired = rule == DEEPLIFT && fixed_batch_ > 0;
        return true;
    }

    // softmax(q k^T * scale) v in place of aten::scaled_dot_product_attention
    // (query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa),
    // its probabilities collected.
    // A mask (Hugging Face passes one, all true, even to a ViT) is applied
    // as the fused op applies it: false -> -inf, or added if it is float.
    static bool explicit_attention(const Node &n, Action &act, std::string *why) {
        if (n.args.size() < 6 || n.args[5].kind != Arg::CONSTANT || n.args[5].constant.toBool()) {
            *why = "causal attention has no class-token map";
            return false;
        }
        act = [](const Node &node, Env &env) {
            at::Tensor q = arg_value(node.args[0], env).toTensor();
            at::Tensor k = arg_value(node.args[1], env).toTensor();
            at::Tensor v = arg_value(node.args[2], env).toTensor();
            c10::IValue s = node.args.size() > 6 ? arg_value(node.args[6], env) : c10::IValue();
            double scale = s.isNone() ? 1.0 / std::sqrt((double)q.size(-1)) : s.toDouble();
            at::Tensor scores = at::matmul(q, k.transpose(-2, -1)) * scale;
            c10::IValue mask = arg_value(node.args[3], env);
            if (mask.isTensor()) {
                at::Tensor m = mask.toTensor();
                scores = m.scalar_type() == at::kBool
                             ? scores.masked_fill(m.logical_not(), -std::numeric_limits<double>::infinity())
                             : scores + m;
            }
            at::Tensor probs = at::softmax(scores, -1);
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

    // --- LRP ---------------------------------------------------------------
    //
    // As graph.cpp's rewrite_lrp on TorchScript graphs (Zennit's composite
    // with its canonizer), on the plan: batch norms folded into the layer
    // before them, convolutions and linear layers as attrib::lrp_layer,
    // rectifiers passing relevance, pools, means and residual additions
    // under the Norm rule, reshapes and max pooling keeping their gradient.

    // Whether slot s holds one of the program's weights, buffers or constants.
    bool is_weight(int s) const {
        for (const auto &in : g_->inputs)
            if (in.slot == s) return in.kind != InputKind::USER;
        return false;
    }

    bool computed(const Arg &a) const {
        return a.kind == Arg::VALUE && g_->tensor_slots[a.values[0]] && !is_weight(a.values[0]);
    }

    int computed_inputs(const Node &n) const {
        int k = 0;
        for (const Arg &a : n.args) {
            if (a.kind == Arg::TENSORS)
                for (int s : a.values) k += s >= 0 && !is_weight(s);
            else
                k += computed(a);
        }
        return k;
    }

    bool has_tensor_output(const Node &n) const {
        for (int s : n.outputs)
            if (s >= 0 && g_->tensor_slots[s]) return true;
        return false;
    }

    static bool is_conv(const Node &n) {
        if (n.op == "aten::convolution" || n.op == "aten::_convolution")
            return n.args.size() > 6 && n.args[6].kind == Arg::CONSTANT && !n.args[6].constant.toBool();
        return n.op == "aten::conv1d" || n.op == "aten::conv2d" || n.op == "aten::conv3d";
    }
    static bool is_dense(const Node &n) { return n.op == "aten::linear"; }
    static bool is_batch_norm(const Node &n) {
        return n.op == "aten::batch_norm" || n.op == "aten::_native_batch_norm_legit_no_training";
    }

    // A convolution's stride, padding, dilation and groups arguments.
    static std::vector<const Arg *> geometry(const Node &n) {
        if (n.op == "aten::convolution" || n.op == "aten::_convolution")
            return {&n.args[3], &n.args[4], &n.args[5], &n.args[8]};
        return {&n.args[3], &n.args[4], &n.args[5], &n.args[6]};
    }

    // Why layer n cannot take a rule ("" if it can).
    std::string layer_misfit(const Node &n) const {
        const Arg &w = n.args[1], &b = n.args[2];
        bool no_bias = b.kind == Arg::CONSTANT && b.constant.isNone();
        if (w.kind != Arg::VALUE || !is_weight(w.values[0]) ||
            !(no_bias || (b.kind == Arg::VALUE && is_weight(b.values[0]))))
            return n.op + " with computed weights";
        if (is_conv(n))
            for (const Arg *a : geometry(n))
                if (a->kind != Arg::CONSTANT || !(a->constant.isIntList() || a->constant.isInt()))
                    return n.op + " with padding given as a string";
        return "";
    }

    // The node that makes slot s (or -1 for an input).
    int producer(int s) const {
        for (size_t i = 0; i < g_->nodes.size(); i++)
            for (int o : g_->nodes[i].outputs)
                if (o == s) return (int)i;
        return -1;
    }

    // Zennit's MergeBatchNorm: bn folded into the layer before it, which
    // only bn reads; that layer's weights in *w and *b. False if none.
    bool fold_batch_norm(const Node &bn, size_t &layer, at::Tensor &w, at::Tensor &b) const {
        if (!computed(bn.args[0])) return false;
        int s = bn.args[0].values[0], made_by = producer(s);
        if (made_by < 0 || users_[s].size() != 1) return false;
        const Node &l = g_->nodes[made_by];
        if (!(is_conv(l) || is_dense(l)) || !layer_misfit(l).empty()) return false;
        const int eps_arg = bn.op == "aten::batch_norm" ? 7 : 6;
        at::Tensor gamma = weight_of(bn.args[1]), beta = weight_of(bn.args[2]);
        at::Tensor mean = weight_of(bn.args[3]), var = weight_of(bn.args[4]);
        if (!mean.defined() || !var.defined() || bn.args[eps_arg].kind != Arg::CONSTANT) return false;
        for (size_t o = 1; o < bn.outputs.size(); o++)  // its saved statistics: read by none
            if (bn.outputs[o] >= 0 && !users_[bn.outputs[o]].empty()) return false;
        torch::NoGradGuard no_grad;
        at::Tensor scale = (var + bn.args[eps_arg].constant.toDouble()).sqrt().reciprocal();
        if (gamma.defined()) scale = scale * gamma;
        at::Tensor w0 = weight_of(l.args[1]), b0 = weight_of(l.args[2]);
        std::vector<int64_t> per_row(w0.dim(), 1);
        per_row[0] = -1;
        w = w0 * scale.view(per_row);
        b = ((b0.defined() ? b0 : at::zeros_like(mean)) - mean) * scale;
        if (beta.defined()) b = b + beta;
        layer = (size_t)made_by;
        return true;
    }

    bool is_residual(const Node &n) const {
        if ((n.op != "aten::add" && n.op != "aten::add_") || n.args.size() < 2 ||
            !computed(n.args[0]) || !computed(n.args[1]) || computed_inputs(n) != 2)
            return false;
        const Arg *alpha = n.args.size() > 2 ? &n.args[2] : nullptr;
        return !alpha || (alpha->kind == Arg::CONSTANT && alpha->constant.toScalar().toDouble() == 1.0);
    }

    // Layer n (weights w, b) as attrib::lrp_layer under rule.
    Action lrp_layer(const Node &n, at::Tensor w, at::Tensor b, int64_t rule, const LrpSpec &spec) const {
        const bool conv = is_conv(n);
        std::vector<c10::IValue> geo;
        if (conv) {
            for (const Arg *a : geometry(n)) geo.push_back(a->constant);
        } else {
            geo = {std::vector<int64_t>{}, std::vector<int64_t>{}, std::vector<int64_t>{}, int64_t(1)};
        }
        const bool box = rule == LRP_ZBOX;
        const double eps = rule == LRP_EPSILON ? spec.epsilon : spec.stabilizer;
        c10::IValue bias = b.defined() ? c10::IValue(b) : c10::IValue();
        c10::IValue low = box ? c10::IValue(spec.low) : c10::IValue();
        c10::IValue high = box ? c10::IValue(spec.high) : c10::IValue();
        const int in = n.args[0].values.at(0), out = n.outputs.at(0);
        const double gamma = spec.gamma;
        return [=](const Node &, Env &env) {
            env.v[out] = call_attrib("attrib::lrp_layer", {env.v[in], w, bias, conv, geo[0], geo[1],
                                                           geo[2], geo[3], rule, eps, gamma, low, high});
        };
    }

    // The Norm rule on n: its computed inputs times their gradient, its
    // output's relevance over itself.
    Action norm_rule(const Node &n, double stabilizer) const {
        std::vector<bool> wrap;
        for (const Arg &a : n.args) wrap.push_back(computed(a));
        const bool inplace = n.op.back() == '_';
        return [wrap, inplace, stabilizer](const Node &node, Env &env) {
            torch::jit::Stack stack;
            for (size_t i = 0; i < node.args.size(); i++) {
                c10::IValue v = arg_value(node.args[i], env);
                stack.push_back(wrap[i] ? c10::IValue(call_attrib("attrib::lrp_times_input", {v})) : v);
            }
            node.handle->callBoxed(&stack);
            at::Tensor z = call_attrib("attrib::lrp_over_output", {stack.at(0), stabilizer});
            env.v[node.outputs[0]] = z;
            if (inplace) env.v[node.args[0].values[0]] = z;  // what it changed, everything after sees
        };
    }

    bool plan_lrp(const LrpSpec &spec, Plan &p, std::string *why) {
        std::map<size_t, std::pair<at::Tensor, at::Tensor>> folded;  // layer -> its weights
        for (size_t i = 0; i < g_->nodes.size(); i++) {
            const Node &n = g_->nodes[i];
            if (!is_batch_norm(n)) continue;
            size_t layer;
            at::Tensor w, b;
            if (!fold_batch_norm(n, layer, w, b)) {
                *why = n.op + " that does not follow a convolution or linear layer";
                return false;
            }
            folded[layer] = {w, b};
            const int from = n.args[0].values[0], to = n.outputs[0];
            p.instead[i] = [from, to](const Node &, Env &env) { env.v[to] = env.v[from]; };
        }
        std::vector<size_t> layers;
        for (size_t i = 0; i < g_->nodes.size(); i++) {
            const Node &n = g_->nodes[i];
            if (n.builtin != Builtin::NONE || !has_tensor_output(n) || is_batch_norm(n) ||
                LRP_GRADIENT_OPS.count(n.op))
                continue;
            if (RECTIFIER_OPS.count(n.op) && computed(n.args[0])) {
                p.instead[i] = rectifier(n, i, PASS);
            } else if (is_conv(n) || is_dense(n)) {
                std::string misfit = layer_misfit(n);
                if (!misfit.empty()) {
                    *why = misfit;
                    return false;
                }
                layers.push_back(i);
            } else if (LRP_POOL_OPS.count(n.op) || is_residual(n)) {
                p.instead[i] = norm_rule(n, spec.stabilizer);
            } else if (!(LRP_ELEMENTWISE_OPS.count(n.op) && computed_inputs(n) <= 1)) {
                *why = n.op;
                return false;
            }
        }
        for (size_t k = 0; k < layers.size(); k++) {
            const Node &n = g_->nodes[layers[k]];
            const bool dense = is_dense(n);
            int64_t rule = dense ? spec.dense_rule : spec.conv_rule;
            if (k == 0 && spec.first_rule >= 0 && !(spec.first_conv_only && dense)) rule = spec.first_rule;
            auto it = folded.find(layers[k]);
            at::Tensor w = it != folded.end() ? it->second.first : weight_of(n.args[1]);
            at::Tensor b = it != folded.end() ? it->second.second : weight_of(n.args[2]);
            p.instead[layers[k]] = lrp_layer(n, w, b, rule, spec);
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
