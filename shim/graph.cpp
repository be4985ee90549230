// graph.cpp - finding layers on, and rewriting, inlined TorchScript graphs.
//
// TorchScript modules have no Python hooks. After freezing and inlining,
// each node remembers the chain of module calls it was inlined from (its
// callstack); a value that a node inside module M produces and a node
// outside M uses is what M returned.

#include "graph.hpp"
#include "op_names.hpp"
#include "rules.hpp"

#include <map>
#include <set>

namespace attrib_shim {

using torch::jit::Node;
using torch::jit::Value;

namespace {

// Module instance names on n's callstack: {"features", "18", "conv", "0"}.
// "SELF" marks a method called on the same module and adds no level.
std::vector<std::string> module_path(const Node *n) {
    std::vector<std::string> path;
    auto cs = n->callstack();
    if (!cs) return path;
    for (const auto &entry : (*cs)->vec()) {
        const auto &info = std::get<2>(entry);
        if (info && info->instance_name() != "SELF") path.push_back(info->instance_name());
    }
    return path;
}

bool starts_with(const std::vector<std::string> &path, const std::vector<std::string> &prefix) {
    if (path.size() < prefix.size()) return false;
    for (size_t i = 0; i < prefix.size(); i++)
        if (path[i] != prefix[i]) return false;
    return true;
}

std::string join(const std::vector<std::string> &parts, size_t n) {
    std::string s;
    for (size_t i = 0; i < n; i++) s += (i ? "." : "") + parts[i];
    return s;
}

bool is_tensor(const Value *v) { return v->type()->cast<c10::TensorType>() != nullptr; }

// The module path of the top-level node that (transitively) contains n.
const Node *top_level(const Node *n, const torch::jit::Graph &g) {
    while (n->owningBlock() != g.block()) n = n->owningBlock()->owningNode();
    return n;
}

}  // namespace

std::vector<LayerOutput> layer_outputs(torch::jit::Graph &g) {
    std::vector<LayerOutput> out;
    for (Node *n : g.nodes()) {
        // A frozen or traced constant (a weight, a folded shape) carries the
        // scope of the module that made it but is nothing that module computed.
        if (n->kind() == c10::prim::Constant) continue;
        auto path = module_path(n);
        for (Value *v : n->outputs()) {
            if (!is_tensor(v)) continue;
            // For each enclosing module, from the outermost: does v leave it?
            for (size_t depth = 1; depth <= path.size(); depth++) {
                std::vector<std::string> prefix(path.begin(), path.begin() + depth);
                bool escapes = false;
                for (const auto &use : v->uses()) {
                    const Node *user = top_level(use.user, g);
                    if (user == g.return_node() || !starts_with(module_path(user), prefix)) {
                        escapes = true;
                        break;
                    }
                }
                if (escapes)
                    out.push_back({join(path, depth), v, n->kind().toUnqualString()});
            }
        }
    }
    return out;
}

namespace {

// Collects rectifier nodes in g, including those inside blocks.
void find_rectifiers(torch::jit::Block *b, std::vector<Node *> &found) {
    for (Node *n : b->nodes()) {
        for (auto *sub : n->blocks()) find_rectifiers(sub, found);
        if (RECTIFIER_OPS.count(n->kind().toQualString()) && n->inputs().size() >= 1 &&
            is_tensor(n->input(0)))
            found.push_back(n);
    }
}

}  // namespace

namespace {

void find_uncovered(torch::jit::Block *b, std::string &first) {
    for (Node *n : b->nodes()) {
        if (!first.empty()) return;
        for (auto *sub : n->blocks()) find_uncovered(sub, first);
        if (first.empty() && DEEPLIFT_UNCOVERED_OPS.count(n->kind().toQualString()))
            first = n->kind().toQualString();
    }
}

}  // namespace

std::string first_uncovered_nonlinearity(torch::jit::Graph &g) {
    std::string first;
    find_uncovered(g.block(), first);
    return first;
}

int rewrite_rectifiers(torch::jit::Graph &g, int64_t rule) {
    std::vector<Node *> found;
    find_rectifiers(g.block(), found);
    const auto clamp = c10::Symbol::fromQualString("attrib::modified_clamp");
    const auto leaky = c10::Symbol::fromQualString("attrib::modified_leaky_relu");
    const auto gate = c10::Symbol::fromQualString("attrib::modified_gate");
    for (Node *n : found) {
        std::string kind = n->kind().toUnqualString();
        bool inplace = kind.back() == '_';
        if (inplace) kind.pop_back();
        torch::jit::WithInsertPoint guard(n);
        Value *x = n->input(0);
        Value *r = g.insertConstant(rule);
        Node *m;
        if (kind == "leaky_relu") {
            Value *slope = n->inputs().size() > 1 ? n->input(1) : g.insertConstant(0.01);
            m = g.create(leaky, {x, slope, r});
        } else if (kind == "gelu" || kind == "silu" || kind == "hardswish") {
            int64_t which = kind == "gelu" ? 0 : kind == "silu" ? 1 : 2;
            Value *approximate = kind == "gelu" && n->inputs().size() > 1
                                     ? n->input(1)
                                     : g.insertConstant(std::string("none"));
            m = g.create(gate, {x, g.insertConstant(which), approximate, r});
        } else {
            Value *lo = kind == "hardtanh" ? n->input(1) : g.insertConstant(0.0);
            Value *hi = kind == "hardtanh" ? n->input(2)
                        : kind == "relu6"  ? g.insertConstant(6.0)
                                           : g.insertConstant(std::numeric_limits<double>::infinity());
            m = g.create(clamp, {x, lo, hi, r});
        }
        m->output()->setType(n->output()->type());
        m->setScope(n->scope());
        if (n->callstack()) m->setCallStack(*n->callstack());
        g.insertNode(m);
        n->output()->replaceAllUsesWith(m->output());
        // An in-place rectifier also changed x for everything after it.
        if (inplace) x->replaceAllUsesAfterNodeWith(m, m->output());
        n->destroy();
    }
    return (int)found.size();
}

namespace {

void find_kind(torch::jit::Block *b, const char *kind, std::vector<Node *> &found) {
    for (Node *n : b->nodes()) {
        for (auto *sub : n->blocks()) find_kind(sub, kind, found);
        if (std::string(n->kind().toQualString()) == kind) found.push_back(n);
    }
}

bool is_none(const Value *v) { return v->type()->kind() == c10::TypeKind::NoneType; }

// softmax(q k^T * scale) v in place of n = aten::scaled_dot_product_attention
// (query, key, value, attn_mask, dropout_p, is_causal[, scale[, enable_gqa]]).
// dropout_p is 0 in eval mode, as MultiheadAttention passes it.
void explicit_attention(torch::jit::Graph &g, Node *n) {
    using c10::aten::matmul;
    if (!is_none(n->input(3)))
        throw std::runtime_error("attention with a mask is not supported yet");
    auto causal = torch::jit::toIValue(n->input(5));
    if (!causal || causal->toBool())
        throw std::runtime_error("causal attention has no class-token map");
    torch::jit::WithInsertPoint guard(n);
    Value *q = n->input(0), *k = n->input(1), *v = n->input(2);
    Value *scale = n->inputs().size() > 6 && !is_none(n->input(6))
                       ? n->input(6)
                       : g.insert(c10::aten::pow, {g.insert(c10::aten::size, {q, -1}), -0.5});
    Value *scores = g.insert(matmul, {q, g.insert(c10::aten::transpose, {k, -2, -1})});
    Value *probs = g.insert(c10::aten::softmax,
                            {g.insert(c10::aten::mul, {scores, scale}), -1});
    n->output()->replaceAllUsesWith(g.insert(matmul, {probs, v}));
    n->destroy();
}

}  // namespace

Value *collect_attention(torch::jit::Graph &g) {
    std::vector<Node *> fused;
    find_kind(g.block(), "aten::scaled_dot_product_attention", fused);
    for (Node *n : fused) explicit_attention(g, n);
    Node *list = g.createList(c10::TensorType::get(), {});
    list->insertBefore(g.block()->nodes().front());
    std::vector<Node *> softmaxes;
    find_kind(g.block(), "aten::softmax", softmaxes);
    for (Node *n : softmaxes) {
        auto dim = torch::jit::toIValue(n->input(1));
        if (!dim || dim->toInt() != -1) continue;
        torch::jit::WithInsertPoint guard(n->next());
        g.insert(c10::aten::append, {list->output(), n->output()});
    }
    return list->output();
}

namespace {

// A frozen constant input of n as a tensor; undefined if None or not constant.
at::Tensor constant_tensor(const Node *n, size_t i) {
    auto iv = torch::jit::toIValue(n->input(i));
    return iv && iv->isTensor() ? iv->toTensor().detach().to(torch::kFloat) : at::Tensor();
}

// The bias n adds per output channel; undefined if none is known.
at::Tensor bias_of(const Node *n) {
    const std::string kind = n->kind().toQualString();
    if (kind == "aten::_convolution" || kind == "aten::conv2d") return constant_tensor(n, 2);
    if (kind != "aten::batch_norm") return at::Tensor();
    // batch_norm(input, weight, bias, running_mean, running_var, training,
    //            momentum, eps, cudnn_enabled)
    at::Tensor gamma = constant_tensor(n, 1), beta = constant_tensor(n, 2);
    at::Tensor mean = constant_tensor(n, 3), var = constant_tensor(n, 4);
    auto eps = torch::jit::toIValue(n->input(7));
    if (!mean.defined() || !var.defined() || !eps) return at::Tensor();
    at::Tensor scale = (var + eps->toDouble()).rsqrt();
    if (gamma.defined()) scale = scale * gamma;
    at::Tensor b = -mean * scale;
    return beta.defined() ? b + beta : b;
}

}  // namespace

Value *collect_bias_outputs(torch::jit::Graph &g, std::vector<at::Tensor> &biases) {
    std::vector<Value *> values;
    for (Node *n : g.nodes()) {
        at::Tensor b = bias_of(n);
        if (!b.defined() || b.dim() != 1 || n->outputs().size() != 1) continue;
        Value *v = n->output();
        Node *copy = g.create(c10::aten::clone, {v, g.insertConstant(c10::IValue())});
        copy->output()->setType(v->type());
        copy->insertAfter(n);
        copy->input(1)->node()->moveBefore(copy);
        v->replaceAllUsesAfterNodeWith(copy, copy->output());
        values.push_back(v);
        biases.push_back(b.contiguous());
    }
    Node *list = g.createList(c10::TensorType::get(), values);
    g.insertNode(list);  // at the end, before the return
    return list->output();
}

namespace {

bool is_constant(const Value *v) { return v->node()->kind() == c10::prim::Constant; }

bool is_conv(const Node *n) {
    const std::string k = n->kind().toQualString();
    if (k == "aten::_convolution") {
        auto transposed = torch::jit::toIValue(n->input(6));
        return transposed && !transposed->toBool();
    }
    return k == "aten::conv1d" || k == "aten::conv2d" || k == "aten::conv3d";
}

bool is_dense(const Node *n) { return n->kind() == c10::aten::linear; }

// conv's stride, padding, dilation and groups inputs.
std::vector<Value *> conv_geometry(const Node *n) {
    if (n->kind() == c10::aten::_convolution)
        return {n->input(3), n->input(4), n->input(5), n->input(8)};
    return {n->input(3), n->input(4), n->input(5), n->input(6)};
}

// Why layer n cannot take an LRP rule ("" if it can): its weights are not
// frozen constants, or its padding is a string ("same").
std::string layer_misfit(const Node *n) {
    if (!is_constant(n->input(1)) || (!is_constant(n->input(2))))
        return std::string(n->kind().toQualString()) + " with computed weights";
    if (is_conv(n)) {
        auto padding = torch::jit::toIValue(conv_geometry(n)[1]);
        if (!padding || !padding->isIntList())
            return std::string(n->kind().toQualString()) + " with padding given as a string";
    }
    return "";
}

// Zennit's MergeBatchNorm: bn (eval mode) folded into the layer before it,
// which only bn uses. Returns false if there is no such layer.
bool fold_batch_norm(torch::jit::Graph &g, Node *bn) {
    Node *layer = bn->input(0)->node();
    if (!(is_conv(layer) || is_dense(layer)) || bn->input(0)->uses().size() != 1 ||
        !layer_misfit(layer).empty())
        return false;
    auto iv = [&](size_t i) { return torch::jit::toIValue(bn->input(i)); };
    auto gamma = iv(1), beta = iv(2), mean = iv(3), var = iv(4), eps = iv(7);
    if (!mean || !mean->isTensor() || !var || !var->isTensor() || !eps) return false;
    at::Tensor w = torch::jit::toIValue(layer->input(1))->toTensor();
    auto b0 = torch::jit::toIValue(layer->input(2));
    at::Tensor scale = (var->toTensor() + eps->toDouble()).sqrt().reciprocal();
    if (gamma && gamma->isTensor()) scale = scale * gamma->toTensor();
    std::vector<int64_t> per_row(w.dim(), 1);
    per_row[0] = -1;
    at::Tensor b = b0 && b0->isTensor() ? b0->toTensor() : at::zeros_like(mean->toTensor());
    b = (b - mean->toTensor()) * scale;
    if (beta && beta->isTensor()) b = b + beta->toTensor();
    torch::jit::WithInsertPoint guard(layer);
    layer->replaceInput(1, g.insertConstant(w * scale.view(per_row)));
    layer->replaceInput(2, g.insertConstant(b));
    bn->output()->replaceAllUsesWith(layer->output());
    bn->destroy();
    return true;
}

bool kind_in(const Node *n, const std::set<std::string> &kinds) {
    return kinds.count(n->kind().toQualString()) > 0;
}


int tensor_inputs(const Node *n) {
    int k = 0;
    for (const Value *v : n->inputs()) k += is_tensor(v) && !is_constant(v);
    return k;
}

bool has_tensor_output(const Node *n) {
    for (const Value *v : n->outputs())
        if (is_tensor(v)) return true;
    return false;
}

// Whether n has blocks that compute tensors: control flow around layers.
// A check that raises (BatchNorm's input-dimension test) computes none.
bool computes_in_blocks(const Node *n) {
    for (const auto *b : n->blocks())
        for (const Node *m : b->nodes())
            if (has_tensor_output(m) || computes_in_blocks(m)) return true;
    return false;
}

// A residual connection: a + b of two computed tensors (alpha 1).
bool is_residual(const Node *n) {
    const std::string k = n->kind().toQualString();
    if ((k != "aten::add" && k != "aten::add_") || n->inputs().size() < 2 ||
        !is_tensor(n->input(0)) || !is_tensor(n->input(1)) || tensor_inputs(n) != 2)
        return false;
    auto alpha = n->inputs().size() > 2 ? torch::jit::toIValue(n->input(2)) : c10::nullopt;
    return !alpha || alpha->toScalar().toDouble() == 1.0;
}

Value *wrap(torch::jit::Graph &g, const char *op, std::vector<Value *> args, Value *like) {
    Node *m = g.create(c10::Symbol::fromQualString(op), args);
    m->output()->setType(like->type());
    g.insertNode(m);
    return m->output();
}

// Norm rule on n (a pool, a mean, a residual addition): its computed
// tensor inputs times their gradient, its output's relevance over itself.
void norm_rule(torch::jit::Graph &g, Node *n, double stabilizer) {
    torch::jit::WithInsertPoint guard(n);  // before n, which may be replaced below
    Value *eps = g.insertConstant(stabilizer);
    for (size_t i = 0; i < n->inputs().size(); i++) {
        Value *v = n->input(i);
        if (is_tensor(v) && !is_constant(v))
            n->replaceInput(i, wrap(g, "attrib::lrp_times_input", {v}, v));
    }
    if (std::string(n->kind().toQualString()) == "aten::add_") {  // out of place
        Node *add = g.create(c10::aten::add, {n->input(0), n->input(1), n->input(2)});
        add->output()->setType(n->output()->type());
        g.insertNode(add);
        Value *target = n->input(0);
        n->output()->replaceAllUsesWith(add->output());
        target->replaceAllUsesAfterNodeWith(add, add->output());
        n->destroy();
        n = add;
    }
    Node *over = g.create(c10::Symbol::fromQualString("attrib::lrp_over_output"),
                          {n->output(), eps});
    over->output()->setType(n->output()->type());
    over->insertAfter(n);
    n->output()->replaceAllUsesAfterNodeWith(over, over->output());
}

void lrp_layer(torch::jit::Graph &g, Node *n, int64_t rule, const LrpSpec &spec) {
    torch::jit::WithInsertPoint guard(n);
    const bool conv = is_conv(n);
    std::vector<Value *> geometry =
        conv ? conv_geometry(n)
             : std::vector<Value *>{g.insertConstant(std::vector<int64_t>{}),
                                    g.insertConstant(std::vector<int64_t>{}),
                                    g.insertConstant(std::vector<int64_t>{}),
                                    g.insertConstant(int64_t(1))};
    const bool box = rule == LRP_ZBOX;
    Value *none = g.insertConstant(c10::IValue());
    std::vector<Value *> args{n->input(0), n->input(1), n->input(2), g.insertConstant(conv)};
    args.insert(args.end(), geometry.begin(), geometry.end());
    args.push_back(g.insertConstant(rule));
    args.push_back(g.insertConstant(rule == LRP_EPSILON ? spec.epsilon : spec.stabilizer));
    args.push_back(g.insertConstant(spec.gamma));
    args.push_back(box ? g.insertConstant(spec.low) : none);
    args.push_back(box ? g.insertConstant(spec.high) : none);
    Node *m = g.create(c10::Symbol::fromQualString("attrib::lrp_layer"), args);
    m->output()->setType(n->output()->type());
    g.insertNode(m);
    n->output()->replaceAllUsesWith(m->output());
    n->destroy();
}

}  // namespace

std::string rewrite_lrp(torch::jit::Graph &g, const LrpSpec &spec) {
    std::vector<Node *> nodes(g.nodes().begin(), g.nodes().end());
    for (Node *n : nodes)
        if (n->kind() == c10::aten::batch_norm && !fold_batch_norm(g, n))
            return "aten::batch_norm that does not follow a convolution or linear layer";
    std::vector<Node *> layers, norms;
    for (Node *n : g.nodes()) {
        if (computes_in_blocks(n)) return n->kind().toQualString();  // control flow
        if (n->kind().is_prim() || !has_tensor_output(n) || kind_in(n, RECTIFIER_OPS) ||
            kind_in(n, LRP_GRADIENT_OPS))
            continue;
        if (is_conv(n) || is_dense(n)) {
            std::string misfit = layer_misfit(n);
            if (!misfit.empty()) return misfit;
            layers.push_back(n);
        } else if (kind_in(n, LRP_POOL_OPS) || is_residual(n)) {
            norms.push_back(n);
        } else if (!(kind_in(n, LRP_ELEMENTWISE_OPS) && tensor_inputs(n) <= 1)) {
            return n->kind().toQualString();
        }
    }
    rewrite_rectifiers(g, PASS);
    for (Node *n : norms) norm_rule(g, n, spec.stabilizer);
    for (size_t i = 0; i < layers.size(); i++) {
        Node *n = layers[i];
        bool dense = is_dense(n);
        int64_t rule = dense ? spec.dense_rule : spec.conv_rule;
        if (i == 0 && spec.first_rule >= 0 && !(spec.first_conv_only && dense))
            rule = spec.first_rule;
        lrp_layer(g, n, rule, spec);
    }
    return "";
}

Value *insert_leaf(torch::jit::Graph &g, Value *v) {
    Node *leaf = g.create(c10::Symbol::fromQualString("attrib::leaf"), {v});
    leaf->output()->setType(v->type());
    leaf->insertAfter(v->node());
    v->replaceAllUsesAfterNodeWith(leaf, leaf->output());
    return leaf->output();
}

Value *insert_scale_input(torch::jit::Graph &g, Value *v) {
    Value *scale = g.addInput("attrib_scale");
    scale->setType(c10::TensorType::get());
    Node *mul = g.create(c10::aten::mul, {v, scale});
    mul->output()->setType(v->type());
    mul->insertAfter(v->node());
    v->replaceAllUsesAfterNodeWith(mul, mul->output());
    return mul->output();
}

void return_tuple(torch::jit::Graph &g, const std::vector<Value *> &extra) {
    std::vector<Value *> items{g.outputs()[0]};
    items.insert(items.end(), extra.begin(), extra.end());
    Node *tuple = g.createTuple(items);
    g.insertNode(tuple);  // at the end of the graph, before the return
    g.return_node()->replaceInput(0, tuple->output());
}

}  // namespace attrib_shim
