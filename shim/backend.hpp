// backend.hpp - the seam between the passes (passes.cpp: gradients, layer
// taps, the objective, results) and a model format. A backend loads the
// model's bytes and gives its forward pass, the model rewritten in the ways
// the methods need (a layer's output exposed, rectifiers' backward
// replaced, attention and biases collected, LRP's rules), its layers and
// its parameters, all as tensors. TorchScript modules (torchscript.cpp) and
// torch.export programs (exported.cpp) implement it.
#pragma once

#include "attrib/shim.h"

#include <ATen/ATen.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace attrib_shim {

// A way to rewrite the model; each gives the model's output and, in Outputs.extra:
struct Rewrite {
    enum Kind {
        TAP,        // {layer's output}, the model untouched
        LEAF,       // {layer's output}, the backward pass stopping there
        SCALED,     // {layer's output times the run's extra input, a [N, C, 1, 1] scale}
        RECTIFIERS, // {}: every rectifier's backward by rule (attrib_backward_rule)
        ATTENTION,  // {every softmax over the last dimension}, fused attention written out
        BIASES,     // {the output of every layer adding a bias per channel}
        LRP         // {}: backward passes relevance by the rules of lrp
    } kind;
    std::string layer;       // TAP, LEAF, SCALED
    int rule = 0;            // RECTIFIERS
    attrib_lrp_params lrp{}; // LRP

    Rewrite(Kind k, std::string l = {}) : kind(k), layer(std::move(l)) {}
};

struct Outputs {
    at::Tensor logits;             // the model's output, checked: a row per input
                                   // (passes.cpp applies the model's head to it)
    std::vector<at::Tensor> extra; // as the rewrite says
};

// What a backend throws for a file it reads but does not serve (a newer
// format version, control flow, a format this libtorch line cannot run):
// ATTRIB_E_UNSUPPORTED, its message one line.
struct Unsupported : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A rewritten model, built on first use and kept by its backend (each
// backend derives its own).
struct Program {
    virtual ~Program() = default;
};

// The name a backend caches r's program under: equal names, equal programs.
std::string rewrite_key(const Rewrite &r);

struct LayerInfo {
    std::string path, op; // "features.18", "hardtanh"
    int64_t value_id;     // paths naming the same tensor share it
    std::vector<int64_t> shape;
};

class Backend {
  public:
    virtual ~Backend() = default;
    // The model's own forward pass: its output (checked_output).
    virtual at::Tensor forward(const at::Tensor &x) = 0;
    // The program for r: nullptr when the model has no layer r.layer;
    // refused (nullptr, *why says which op of the model the rewrite does not
    // cover) when it cannot apply.
    virtual Program *program(const Rewrite &r, std::string *why) = 0;
    // Runs p on x (and more: a SCALED rewrite's scale).
    virtual Outputs run(Program &p, const at::Tensor &x, const std::vector<at::Tensor> &more = {}) = 0;
    // A BIASES program's biases [C], one per output it collects.
    virtual const std::vector<at::Tensor> &biases(const Program &p) = 0;
    // The outputs of the model's submodules for input x, in graph order.
    virtual std::vector<LayerInfo> layers(const at::Tensor &x) = 0;
    // The parameters by name, in the module's order (live tensors).
    virtual std::vector<std::pair<std::string, at::Tensor>> parameters() = 0;
    // After a parameter changed: programs built from the old values go.
    virtual void parameters_changed() = 0;
    // The batch size every pass must have (a program exported with static
    // shapes), or 0 for any.
    virtual int64_t fixed_batch() const { return 0; }
    virtual attrib_format format() const = 0;
};

// A TorchScript module from the bytes of a .pt file onto device: its card
// (the extra file attrib.json; "" when none), or ATTRIB_E_OPERATOR's
// operator in *missing (the backend is then null).
std::unique_ptr<Backend> load_torchscript(const void *data, size_t len, at::Device device,
                                          std::string *card, std::string *missing);

// A torch.export program from the bytes of a .pt2 file onto device, and its
// card (extra/attrib.json; "" when none). Throws a one-line std::exception
// for a malformed file; ATTRIB_E_OPERATOR's operator in *missing when a node
// names one this libtorch lacks (the backend is then null). On libtorch 1.x
// (exported_none.cpp) it refuses every program.
std::unique_ptr<Backend> load_exported(const void *data, size_t len, at::Device device,
                                       std::string *card, std::string *missing);

}  // namespace attrib_shim
