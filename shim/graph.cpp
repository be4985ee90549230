// graph.cpp - finding layers on, and rewriting, inlined TorchScript graphs.
//
// TorchScript modules have no Python hooks. After freezing and inlining,
// each node remembers the chain of module calls it was inlined from (its
// callstack); a value that a node inside module M produces and a node
// outside M uses is what M returned.

#include "graph.hpp"

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
    static const std::set<std::string> kinds = {
        "aten::relu", "aten::relu_", "aten::relu6", "aten::relu6_", "aten::hardtanh",
        "aten::hardtanh_", "aten::leaky_relu", "aten::leaky_relu_", "aten::gelu", "aten::gelu_",
        "aten::silu", "aten::silu_", "aten::hardswish", "aten::hardswish_"};
    for (Node *n : b->nodes()) {
        for (auto *sub : n->blocks()) find_rectifiers(sub, found);
        if (kinds.count(n->kind().toQualString()) && n->inputs().size() >= 1 &&
            is_tensor(n->input(0)))
            found.push_back(n);
    }
}

}  // namespace

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

Value *insert_leaf(torch::jit::Graph &g, Value *v) {
    Node *leaf = g.create(c10::Symbol::fromQualString("attrib::leaf"), {v});
    leaf->output()->setType(v->type());
    leaf->insertAfter(v->node());
    v->replaceAllUsesAfterNodeWith(leaf, leaf->output());
    return leaf->output();
}

void return_tuple(torch::jit::Graph &g, const std::vector<Value *> &extra) {
    std::vector<Value *> items{g.outputs()[0]};
    items.insert(items.end(), extra.begin(), extra.end());
    Node *tuple = g.createTuple(items);
    g.insertNode(tuple);  // at the end of the graph, before the return
    g.return_node()->replaceInput(0, tuple->output());
}

}  // namespace attrib_shim
