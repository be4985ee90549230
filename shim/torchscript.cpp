// torchscript.cpp - the TorchScript backend (backend.hpp): a module loaded
// with torch::jit::load, and its rewrites as graph variants of a frozen,
// inlined copy (graph.cpp's rewrites, ops.cpp's operators).
#include "archive.hpp"
#include "compat.hpp"
#include "graph.hpp"
#include "internal.hpp"
#include "rules.hpp"

#include <torch/script.h>
#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/passes/freeze_module.h>
#include <torch/csrc/jit/passes/inliner.h>
#include <torch/csrc/jit/runtime/graph_executor.h>
#include <torch/csrc/jit/python/update_graph_executor_opt.h>

#include <cstring>
#include <map>
#include <sstream>

namespace attrib_shim {

namespace {

const char *const CARD_FILE = "attrib.json";

// Checks that out holds one tensor with a row per row of input x.
at::Tensor output_of(const torch::jit::IValue &out, const at::Tensor &x) {
    if (!out.isTensor())
        throw std::runtime_error(std::string("model returned a ") + out.tagKind() +
                                 ", expected a tensor (logits [N, classes], masks [N, C, H, W], embeddings [N, D])");
    return checked_output(out.toTensor(), x);
}

const LayerOutput *find_layer(const std::vector<LayerOutput> &layers, const std::string &path) {
    const LayerOutput *found = nullptr;
    for (const auto &l : layers)
        if (l.path == path) found = &l;  // a module called twice: its last call
    return found;
}

}  // namespace

// A graph variant: the frozen graph rewritten, returning (logits, extra).
struct ScriptProgram : Program {
    std::unique_ptr<torch::jit::GraphFunction> fn;
    size_t returned = 0;       // values after the logits: 0 or 1
    bool returns_list = false; // that value is a list of tensors
    std::vector<at::Tensor> biases; // BIASES: from the frozen constants
};

namespace {

class TorchScript : public Backend {
  public:
    TorchScript(torch::jit::Module m, at::Device device) : module_(std::move(m)), device_(device) {}

    at::Tensor forward(const at::Tensor &x) override {
        return output_of(invoke(x, [&] { return module_.forward({x}); }), x);
    }

    Program *program(const Rewrite &r, std::string *why) override {
        const std::string key = rewrite_key(r);
        auto &slot = variants_[key];
        if (slot) return slot.get();
        auto p = std::make_unique<ScriptProgram>();
        auto g = frozen_graph_copy();
        if (!build(r, *g, *p, why)) {
            variants_.erase(key);
            return nullptr;
        }
        p->fn = std::make_unique<torch::jit::GraphFunction>("attrib_" + key, g, nullptr);
        slot = std::move(p);
        return slot.get();
    }

    Outputs run(Program &program, const at::Tensor &x, const std::vector<at::Tensor> &more) override {
        auto &p = static_cast<ScriptProgram &>(program);
        torch::jit::IValue out = invoke(x, [&] {
            torch::jit::Stack stack{frozen()._ivalue(), x};
            stack.insert(stack.end(), more.begin(), more.end());
            p.fn->run(stack);
            return stack.front();
        });
        std::vector<torch::jit::IValue> items{out};
        if (p.returned) {
            if (!out.isTuple() || out.toTuple()->elements().size() != 1 + p.returned)
                throw std::runtime_error("graph variant returned an unexpected value");
            items = out.toTuple()->elements().vec();
        }
        Outputs o{output_of(items[0], x), {}};
        if (p.returned && p.returns_list)
            o.extra = items[1].toTensorVector();
        else if (p.returned)
            o.extra.push_back(items[1].toTensor());
        return o;
    }

    const std::vector<at::Tensor> &biases(const Program &p) override {
        return static_cast<const ScriptProgram &>(p).biases;
    }

    std::vector<LayerInfo> layers(const at::Tensor &x) override {
        auto g = frozen_graph_copy();
        auto outputs = layer_outputs(*g);
        std::map<torch::jit::Value *, int64_t> ids;
        std::vector<torch::jit::Value *> values;
        for (const auto &l : outputs)
            if (ids.emplace(l.value, (int64_t)values.size()).second) values.push_back(l.value);
        return_tuple(*g, values);
        torch::jit::GraphFunction fn("attrib_layers", g, nullptr);
        torch::jit::IValue out = invoke(x, [&] {
            torch::jit::Stack stack{frozen()._ivalue(), x};
            fn.run(stack);
            return stack.front();
        });
        if (!out.isTuple() || out.toTuple()->elements().size() != 1 + values.size())
            throw std::runtime_error("graph variant returned an unexpected value");
        auto items = out.toTuple()->elements();
        output_of(items[0], x);
        std::vector<LayerInfo> res;
        for (const auto &l : outputs) {
            int64_t id = ids[l.value];
            res.push_back({l.path, l.op, id, items[1 + id].toTensor().sizes().vec()});
        }
        return res;
    }

    std::vector<std::pair<std::string, at::Tensor>> parameters() override {
        std::vector<std::pair<std::string, at::Tensor>> res;
        for (const auto &p : module_.named_parameters(/*recurse=*/true))
            res.emplace_back(p.name, p.value);
        return res;
    }

    attrib_format format() const override { return ATTRIB_FORMAT_TORCHSCRIPT; }

    void parameters_changed() override {
        // frozen copies folded the old values into constants
        variants_.clear();
        frozen_.reset();
    }

  private:
    // Built on first use from a frozen, inlined copy of the module (freezing
    // folds attributes such as `if self.use_res_connect` away, so every
    // layer and rectifier is a top-level node); the original module stays
    // untouched for plain passes.
    const torch::jit::Module &frozen() {
        if (!frozen_) {
            // Freezing inlines submodule calls only while the graph optimiser
            // is on (it is off for running, see attrib_runtime_init).
            torch::jit::GraphOptimizerEnabledGuard optimise(true);
            frozen_ = torch::jit::freeze_module(module_);
        }
        return *frozen_;
    }

    std::shared_ptr<torch::jit::Graph> frozen_graph_copy() {
        auto g = frozen().get_method("forward").graph()->copy();
        torch::jit::Inline(*g);
        return g;
    }

    // Rewrites g as r says; false: no such layer, or refused (*why).
    bool build(const Rewrite &r, torch::jit::Graph &g, ScriptProgram &p, std::string *why) {
        switch (r.kind) {
        case Rewrite::TAP:
        case Rewrite::LEAF:
        case Rewrite::SCALED: {
            auto outputs = layer_outputs(g);
            const auto *l = find_layer(outputs, r.layer);
            if (!l) return false;
            torch::jit::Value *v = l->value;  // TAP: the graph untouched
            if (r.kind == Rewrite::LEAF) v = insert_leaf(g, v);
            if (r.kind == Rewrite::SCALED) v = insert_scale_input(g, v);
            return_tuple(g, {v});
            p.returned = 1;
            return true;
        }
        case Rewrite::RECTIFIERS:
            if (r.rule == DEEPLIFT) *why = first_uncovered_nonlinearity(g);
            rewrite_rectifiers(g, r.rule);
            return why->empty();
        case Rewrite::ATTENTION:
            return_tuple(g, {collect_attention(g)});
            p.returned = 1, p.returns_list = true;
            return true;
        case Rewrite::BIASES:
            return_tuple(g, {collect_bias_outputs(g, p.biases)});
            p.returned = 1, p.returns_list = true;
            return true;
        case Rewrite::LRP:
            *why = rewrite_lrp(g, lrp_spec(r.lrp, device_));
            return why->empty();
        }
        return false;
    }

    torch::jit::Module module_;
    at::Device device_;
    c10::optional<torch::jit::Module> frozen_;
    std::map<std::string, std::unique_ptr<ScriptProgram>> variants_;
};

}  // namespace

std::unique_ptr<Backend> load_torchscript(const void *data, size_t len, at::Device device,
                                          std::string *card, std::string *missing) {
    torch::jit::ExtraFilesMap extra{{CARD_FILE, ""}};
    torch::jit::Module module;
    try {
        module = torch::jit::load(std::make_shared<MemoryReader>(data, len), device, extra);
    } catch (const std::exception &e) {
        if (!attrib::unknown_operator(e.what(), *missing)) throw;
        return nullptr;
    }
    module.eval();
    for (auto p : module.parameters()) p.requires_grad_(false);
    auto it = extra.find(CARD_FILE);
    *card = it != extra.end() ? it->second : "";
    return std::make_unique<TorchScript>(std::move(module), device);
}

}  // namespace attrib_shim
