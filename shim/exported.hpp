// exported.hpp - a torch.export program (.pt2) as the interpreter
// (exported.cpp) runs it: its graph read from models/model.json, every
// node's operator found in libtorch's dispatcher and its arguments matched
// to the operator's schema at load time, the weights as tensors.
// exported_read.cpp reads it; nothing here runs Python or unpickles.
#pragma once

#include <ATen/ATen.h>
#include <ATen/core/dispatch/Dispatcher.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace attrib_shim {
namespace exported {

// The schema versions read (torch.export's SCHEMA_VERSION, major.minor):
// the majors tested, from PyTorch 2.13 and 2.14's exports.
const int64_t SCHEMA_MAJOR_MIN = 8, SCHEMA_MAJOR_MAX = 8;

// Limits on what a file may ask of the reader.
const int JSON_MAX_DEPTH = 128;              // nesting of model.json
const int64_t WEIGHT_MAX_ELEMENTS = int64_t(1) << 36;  // one weight's sizes multiplied
const size_t NODES_MAX = 1 << 20;

// The program's file is malformed or asks for what is refused: a one-line why.
struct FormatError : std::runtime_error {
    using std::runtime_error::runtime_error;
};
// A node names an operator libtorch lacks.
struct MissingOperator : std::runtime_error {
    std::string op;
    explicit MissingOperator(const std::string &name)
        : std::runtime_error("operator " + name + " missing"), op(name) {}
};

// One argument of a node, in its operator's schema order.
struct Arg {
    enum Kind {
        CONSTANT,  // constant
        VALUE,     // the environment's value[0] (a tensor or a symbolic int)
        TENSORS,   // a Tensor[] of the values (none is -1 in a Tensor?[])
        INTS       // an int[] of ints, with values[i] >= 0 read from the environment
    } kind = CONSTANT;
    c10::IValue constant;
    std::vector<int> values;
    std::vector<int64_t> ints;
    bool optional_items = false;  // TENSORS as a Tensor?[]
};

// What a node runs: an operator, or one of the Python integer operators
// torch.export leaves in a graph for symbolic sizes (operator.mul, ...).
enum class Builtin { NONE, ADD, SUB, MUL, FLOORDIV, MOD, NEG };

struct Node {
    std::string name;  // the value name it was given ("conv2d_3")
    std::string op;    // "aten::conv2d" (overload dropped), as messages name it
    c10::optional<c10::OperatorHandle> handle;  // Builtin::NONE
    Builtin builtin = Builtin::NONE;
    std::vector<Arg> args;
    std::vector<int> outputs;     // environment slots, -1 for an output not kept
    bool list_output = false;     // returns a Tensor[], outputs[i] its items
    // nn_module_stack's paths, outermost first, the root ("") left out:
    // {"features", "features.0", "features.0.0"}
    std::vector<std::string> modules;
};

enum class InputKind { PARAMETER, BUFFER, CONSTANT, USER };

struct Input {
    InputKind kind;
    int slot;
    std::string name;  // parameter or buffer name (state-dict style)
};

struct Graph {
    std::vector<std::string> value_names;  // an environment slot each
    std::vector<bool> tensor_slots;        // per slot: holds a tensor (else an int)
    std::vector<Input> inputs;             // in the program's order
    std::vector<Node> nodes;
    int user_input = -1;                   // its slot
    int output = -1;                       // the slot of the (only) output
    // The user input's sizes as exported: -1 where the dimension is dynamic.
    std::vector<int64_t> input_sizes;
    std::vector<at::Tensor> input_values;  // per inputs[i]; undefined for USER
    std::string torch_version;             // that saved it
};

// Reads the program in a .pt2 archive's bytes onto device: its graph and
// weights, and its card (extra/attrib.json; "" when none). Throws
// FormatError or MissingOperator.
std::unique_ptr<Graph> read_program(const void *data, size_t len, at::Device device,
                                    std::string *card);

}  // namespace exported
}  // namespace attrib_shim
