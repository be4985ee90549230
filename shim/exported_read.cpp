// exported_read.cpp - a .pt2 archive read into exported.hpp's Graph: the
// records through libtorch's zip reader, models/model.json through cJSON
// (its depth checked first), each node's operator looked up in the
// dispatcher and its arguments matched to the schema's, so that a program
// that loads runs without surprises; the weights made from raw bytes
// (never unpickled).
#include "archive.hpp"
#include "backend.hpp"
#include "exported.hpp"
#include "op_names.hpp"

#include <ATen/ScalarOps.h>
#include <cJSON.h>

#include <cmath>
#include <limits>
#include <map>
#include <set>

namespace attrib_shim {
namespace exported {

namespace {

using Json = const cJSON *;

[[noreturn]] void bad(const std::string &why) { throw FormatError(why); }

// --- JSON ----------------------------------------------------------------

// The deepest nesting of brackets in text (outside strings), so that a
// hostile file is refused before a recursive parser sees it.
int json_depth(const char *text, size_t len) {
    int depth = 0, deepest = 0;
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (in_string) {
            if (c == '\\') i++;
            else if (c == '"') in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            deepest = std::max(deepest, ++depth);
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return deepest;
}

struct JsonDoc {
    cJSON *root = nullptr;
    ~JsonDoc() { cJSON_Delete(root); }
};

void parse_json(const std::string &text, const std::string &what, JsonDoc &doc) {
    if (json_depth(text.data(), text.size()) > JSON_MAX_DEPTH)
        bad(what + " is nested deeper than " + std::to_string(JSON_MAX_DEPTH) + " levels");
    doc.root = cJSON_ParseWithLength(text.data(), text.size());
    if (!doc.root || !cJSON_IsObject(doc.root)) bad(what + " is not a JSON object");
}

Json member(Json j, const char *key, const std::string &where) {
    Json m = cJSON_IsObject(j) ? cJSON_GetObjectItemCaseSensitive(j, key) : nullptr;
    if (!m) bad(where + ": no \"" + key + "\"");
    return m;
}

Json optional_member(Json j, const char *key) {
    return cJSON_IsObject(j) ? cJSON_GetObjectItemCaseSensitive(j, key) : nullptr;
}

std::string string_of(Json j, const std::string &where) {
    if (!cJSON_IsString(j)) bad(where + " is not a string");
    return j->valuestring;
}

int64_t int_of(Json j, const std::string &where) {
    if (!cJSON_IsNumber(j)) bad(where + " is not a number");
    double d = j->valuedouble;
    // torch.export writes sys.maxsize for "to the end" (slices): the double
    // rounds it up to 2^63, which saturates here.
    if (d >= 9.2233720368547758e18) return std::numeric_limits<int64_t>::max();
    if (d <= -9.2233720368547758e18) return std::numeric_limits<int64_t>::min();
    if (d != std::floor(d)) bad(where + " is not an integer");
    return (int64_t)d;
}

double float_of(Json j, const std::string &where) {
    if (cJSON_IsNumber(j)) return j->valuedouble;
    if (cJSON_IsString(j)) {  // what json.dumps cannot write as a number
        std::string s = j->valuestring;
        if (s == "Infinity") return std::numeric_limits<double>::infinity();
        if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
        if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
    }
    bad(where + " is not a number");
}

bool bool_of(Json j, const std::string &where) {
    if (!cJSON_IsBool(j)) bad(where + " is not true or false");
    return cJSON_IsTrue(j);
}

// A tagged union's one member: {"as_tensor": {...}} -> ("as_tensor", {...}).
std::pair<std::string, Json> tagged(Json j, const std::string &where) {
    if (!cJSON_IsObject(j) || !j->child || j->child->next) bad(where + " is not a tagged value");
    return {j->child->string, j->child};
}

std::vector<Json> items(Json j, const std::string &where) {
    if (!cJSON_IsArray(j)) bad(where + " is not a list");
    std::vector<Json> out;
    for (Json c = j->child; c; c = c->next) out.push_back(c);
    return out;
}

// --- values ----------------------------------------------------------------

enum class Made : char { NOT_YET, TENSOR, INT };

struct Values {
    std::map<std::string, int> slots;
    std::vector<Made> made;
    Graph &g;

    explicit Values(Graph &graph) : g(graph) {}

    int define(const std::string &name, Made kind, const std::string &where) {
        if (name.empty()) bad(where + ": a value without a name");
        if (slots.count(name)) bad(where + ": value '" + name + "' is made twice");
        int slot = (int)g.value_names.size();
        slots[name] = slot;
        g.value_names.push_back(name);
        g.tensor_slots.push_back(kind == Made::TENSOR);
        made.push_back(kind);
        return slot;
    }
    int use(const std::string &name, Made kind, const std::string &where) {
        auto it = slots.find(name);
        if (it == slots.end() || made[it->second] == Made::NOT_YET)
            bad(where + " uses '" + name + "' before it is made");
        if (made[it->second] != kind)
            bad(where + ": '" + name + "' is not " + (kind == Made::TENSOR ? "a tensor" : "an integer"));
        return it->second;
    }
};

std::string tensor_name(Json arg, const std::string &where) {
    return string_of(member(arg, "name", where), where + "'s name");
}

// --- codes ---------------------------------------------------------------

at::ScalarType scalar_type(int64_t code, const std::string &where) {
    switch (code) {  // torch/_export/serde/schema.py's ScalarType
    case 1: return at::kByte;
    case 2: return at::kChar;
    case 3: return at::kShort;
    case 4: return at::kInt;
    case 5: return at::kLong;
    case 6: return at::kHalf;
    case 7: return at::kFloat;
    case 8: return at::kDouble;
    case 12: return at::kBool;
    case 13: return at::kBFloat16;
    }
    bad(where + ": dtype code " + std::to_string(code) + " is not one attrib reads");
}

int64_t memory_format(int64_t code, const std::string &where) {
    switch (code) {  // schema.py's MemoryFormat
    case 1: return (int64_t)at::MemoryFormat::Contiguous;
    case 2: return (int64_t)at::MemoryFormat::ChannelsLast;
    case 3: return (int64_t)at::MemoryFormat::ChannelsLast3d;
    case 4: return (int64_t)at::MemoryFormat::Preserve;
    }
    bad(where + ": memory format code " + std::to_string(code) + " is not one attrib reads");
}

int64_t layout(int64_t code, const std::string &where) {
    if (code == 7) return (int64_t)at::kStrided;  // schema.py's Layout.Strided
    bad(where + ": layout code " + std::to_string(code) + " is not strided");
}

// --- arguments -------------------------------------------------------------

bool is_kind(const c10::TypePtr &t, c10::TypeKind k) { return t->kind() == k; }

c10::TypePtr element_of(const c10::TypePtr &list) {
    return list->castRaw<c10::ListType>()->getElementType();
}

bool is_list_of(const c10::TypePtr &t, c10::TypeKind k) {
    return is_kind(t, c10::TypeKind::ListType) && is_kind(element_of(t), k);
}

bool is_optional_tensor(const c10::TypePtr &t) {
    return is_kind(t, c10::TypeKind::OptionalType) &&
           is_kind(t->castRaw<c10::OptionalType>()->getElementType(), c10::TypeKind::TensorType);
}

Arg constant(c10::IValue v) {
    Arg a;
    a.constant = std::move(v);
    return a;
}

template <typename T, typename F>
std::vector<T> list_of(Json j, const std::string &where, F item) {
    std::vector<T> out;
    for (Json c : items(j, where)) out.push_back(item(c, where));
    return out;
}

// The JSON argument (tag, body) as an Arg for schema argument s (its type
// without Optional in e, optional whether None is allowed).
Arg convert(const std::string &tag, Json body, const c10::Argument &s, Values &values,
            at::Device device, const std::string &where) {
    c10::TypePtr t = s.type();
    const bool optional = is_kind(t, c10::TypeKind::OptionalType);
    c10::TypePtr e = optional ? t->castRaw<c10::OptionalType>()->getElementType() : t;
    using K = c10::TypeKind;
    auto numeric = [&](K k) { return is_kind(e, k) || is_kind(e, K::NumberType); };
    auto mismatch = [&]() -> Arg {
        bad(where + ": argument '" + s.name() + "' of type " + t->str() + " is given " + tag);
    };
    if (tag == "as_none") return optional || is_kind(t, K::NoneType) ? constant(c10::IValue()) : mismatch();
    if (tag == "as_tensor" || tag == "as_optional_tensor") {
        if (!is_kind(e, K::TensorType)) return mismatch();
        if (tag == "as_optional_tensor") {
            auto inner = tagged(body, where);
            if (inner.first == "as_none") return optional ? constant(c10::IValue()) : mismatch();
            body = inner.second;
        }
        Arg a;
        a.kind = Arg::VALUE;
        a.values = {values.use(tensor_name(body, where), Made::TENSOR, where)};
        return a;
    }
    if (tag == "as_tensors" || tag == "as_optional_tensors") {
        bool list = is_list_of(e, K::TensorType), optional_items = false;
        if (!list && is_kind(e, K::ListType) && is_optional_tensor(element_of(e)))
            list = optional_items = true;
        if (!list || (tag == "as_optional_tensors" && !optional_items)) return mismatch();
        Arg a;
        a.kind = Arg::TENSORS, a.optional_items = optional_items;
        for (Json item : items(body, where)) {
            if (tag == "as_optional_tensors") {
                auto inner = tagged(item, where);
                if (inner.first == "as_none") {
                    a.values.push_back(-1);
                    continue;
                }
                if (inner.first != "as_tensor") return mismatch();
                item = inner.second;
            }
            a.values.push_back(values.use(tensor_name(item, where), Made::TENSOR, where));
        }
        return a;
    }
    // A Python number where the schema wants a tensor (x * 0.5 on mul.Tensor):
    // a wrapped number, which type promotion treats as the scalar it was.
    if (is_kind(e, K::TensorType) && (tag == "as_int" || tag == "as_float" || tag == "as_bool")) {
        at::Scalar v = tag == "as_int"     ? at::Scalar(int_of(body, where))
                       : tag == "as_float" ? at::Scalar(float_of(body, where))
                                           : at::Scalar(bool_of(body, where));
        return constant(at::native::wrapped_scalar_tensor(v, device));
    }
    if (tag == "as_int") {
        if (is_kind(e, K::FloatType)) return constant((double)int_of(body, where));
        return numeric(K::IntType) ? constant(int_of(body, where)) : mismatch();
    }
    if (tag == "as_float") return numeric(K::FloatType) ? constant(float_of(body, where)) : mismatch();
    if (tag == "as_bool")
        return numeric(K::BoolType) ? constant(bool_of(body, where)) : mismatch();
    if (tag == "as_string") return is_kind(e, K::StringType) ? constant(string_of(body, where)) : mismatch();
    if (tag == "as_ints")
        return is_list_of(e, K::IntType) ? constant(list_of<int64_t>(body, where, int_of)) : mismatch();
    if (tag == "as_floats")
        return is_list_of(e, K::FloatType) ? constant(list_of<double>(body, where, float_of)) : mismatch();
    if (tag == "as_bools") {
        if (!is_list_of(e, K::BoolType)) return mismatch();
        c10::List<bool> flags;
        for (bool b : list_of<bool>(body, where, bool_of)) flags.push_back(b);
        return constant(flags);
    }
    if (tag == "as_strings")
        return is_list_of(e, K::StringType) ? constant(list_of<std::string>(body, where, string_of)) : mismatch();
    if (tag == "as_sym_int") {
        if (!numeric(K::IntType)) return mismatch();
        auto inner = tagged(body, where);
        if (inner.first == "as_int") return constant(int_of(inner.second, where));
        if (inner.first != "as_name") return mismatch();
        Arg a;
        a.kind = Arg::VALUE;
        a.values = {values.use(string_of(inner.second, where), Made::INT, where)};
        return a;
    }
    if (tag == "as_sym_ints") {
        if (!is_list_of(e, K::IntType)) return mismatch();
        Arg a;
        a.kind = Arg::INTS;
        for (Json item : items(body, where)) {
            auto inner = tagged(item, where);
            if (inner.first == "as_int") {
                a.ints.push_back(int_of(inner.second, where));
                a.values.push_back(-1);
            } else if (inner.first == "as_name") {
                a.ints.push_back(0);
                a.values.push_back(values.use(string_of(inner.second, where), Made::INT, where));
            } else {
                return mismatch();
            }
        }
        return a;
    }
    // ScalarType, MemoryFormat and Layout are ints in a schema's fake types.
    if (tag == "as_scalar_type")
        return is_kind(e, K::IntType) ? constant((int64_t)scalar_type(int_of(body, where), where)) : mismatch();
    if (tag == "as_memory_format")
        return is_kind(e, K::IntType) ? constant(memory_format(int_of(body, where), where)) : mismatch();
    if (tag == "as_layout")
        return is_kind(e, K::IntType) ? constant(layout(int_of(body, where), where)) : mismatch();
    if (tag == "as_device")  // made where the model runs, whatever it was exported on
        return is_kind(e, K::DeviceObjType) ? constant(device) : mismatch();
    bad(where + ": argument '" + s.name() + "' is given as " + tag + ", which attrib does not read");
}

// --- nodes -----------------------------------------------------------------

// "torch.ops.aten.conv2d.default" -> ("aten::conv2d", "")
bool operator_name(const std::string &target, std::string &name, std::string &overload) {
    static const std::string prefix = "torch.ops.";
    if (target.compare(0, prefix.size(), prefix) != 0) return false;
    std::string rest = target.substr(prefix.size());
    size_t a = rest.find('.'), b = a == std::string::npos ? a : rest.find('.', a + 1);
    if (a == std::string::npos || b == std::string::npos || rest.find('.', b + 1) != std::string::npos)
        return false;
    name = rest.substr(0, a) + "::" + rest.substr(a + 1, b - a - 1);
    overload = rest.substr(b + 1);
    if (overload == "default") overload.clear();
    return true;
}

Builtin builtin_of(const std::string &target) {
    static const std::map<std::string, Builtin> known = {
        {"_operator.add", Builtin::ADD}, {"_operator.sub", Builtin::SUB},
        {"_operator.mul", Builtin::MUL}, {"_operator.floordiv", Builtin::FLOORDIV},
        {"_operator.mod", Builtin::MOD}, {"_operator.neg", Builtin::NEG}};
    auto it = known.find(target);
    return it == known.end() ? Builtin::NONE : it->second;
}

// nn_module_stack: "KEY,PATH,TYPE;KEY,PATH,TYPE..." outermost first.
std::vector<std::string> module_paths(Json metadata) {
    std::vector<std::string> paths;
    Json stack = optional_member(metadata, "nn_module_stack");
    if (!cJSON_IsString(stack)) return paths;
    std::string s = stack->valuestring;
    size_t start = 0;
    while (start < s.size()) {
        size_t end = s.find(';', start);
        if (end == std::string::npos) end = s.size();
        std::string entry = s.substr(start, end - start);
        start = end + 1;
        size_t first = entry.find(','), last = entry.rfind(',');
        if (first == std::string::npos || last == first) continue;
        if (entry.compare(0, 6, "_empty") == 0) continue;  // no stack recorded
        std::string path = entry.substr(first + 1, last - first - 1);
        if (!path.empty()) paths.push_back(path);
    }
    return paths;
}

Node read_builtin(Json jn, Builtin b, const std::string &target, Values &values,
                  const std::string &where) {
    Node n;
    n.op = target;
    n.builtin = b;
    std::vector<Json> ins = items(member(jn, "inputs", where), where + "'s inputs");
    if (ins.size() != (b == Builtin::NEG ? 1u : 2u)) bad(where + ": " + target + " takes " + (b == Builtin::NEG ? "one" : "two") + " arguments");
    for (Json in : ins) {
        auto arg = tagged(member(in, "arg", where), where);
        Arg a;
        if (arg.first == "as_int") {
            a = constant(int_of(arg.second, where));
        } else if (arg.first == "as_sym_int") {
            auto inner = tagged(arg.second, where);
            if (inner.first == "as_int") a = constant(int_of(inner.second, where));
            else if (inner.first == "as_name") {
                a.kind = Arg::VALUE;
                a.values = {values.use(string_of(inner.second, where), Made::INT, where)};
            } else bad(where + ": " + target + " of " + inner.first);
        } else {
            bad(where + ": " + target + " of " + arg.first + " (attrib computes integer sizes only)");
        }
        n.args.push_back(a);
    }
    std::vector<Json> outs = items(member(jn, "outputs", where), where + "'s outputs");
    if (outs.size() != 1) bad(where + ": " + target + " has " + std::to_string(outs.size()) + " outputs");
    auto out = tagged(outs[0], where);
    if (out.first != "as_sym_int") bad(where + ": " + target + " makes " + out.first);
    auto inner = tagged(out.second, where);
    if (inner.first != "as_name") bad(where + ": " + target + " makes " + inner.first);
    n.outputs = {values.define(string_of(inner.second, where), Made::INT, where)};
    return n;
}

// The outputs of node n (ret: its schema's returns) as environment slots.
void read_outputs(Json jn, Node &n, const std::vector<c10::Argument> &ret, Values &values,
                  const std::string &where) {
    std::vector<Json> outs = items(member(jn, "outputs", where), where + "'s outputs");
    if (outs.size() == 1 && tagged(outs[0], where).first == "as_tensors") {
        if (ret.size() != 1 || !is_list_of(ret[0].type(), c10::TypeKind::TensorType))
            bad(where + ": " + n.op + " does not return a list of tensors");
        n.list_output = true;
        for (Json t : items(tagged(outs[0], where).second, where))
            n.outputs.push_back(values.define(tensor_name(t, where), Made::TENSOR, where));
        return;
    }
    if (outs.size() != ret.size())
        bad(where + ": " + n.op + " returns " + std::to_string(ret.size()) + " values, the node names " +
            std::to_string(outs.size()));
    for (size_t i = 0; i < outs.size(); i++) {
        auto out = tagged(outs[i], where);
        const c10::TypePtr &t = ret[i].type();
        if (out.first == "as_tensor" && is_kind(t, c10::TypeKind::TensorType)) {
            n.outputs.push_back(values.define(tensor_name(out.second, where), Made::TENSOR, where));
        } else if (out.first == "as_sym_int" && is_kind(t, c10::TypeKind::IntType)) {
            auto inner = tagged(out.second, where);
            if (inner.first != "as_name") bad(where + ": output " + inner.first);
            n.outputs.push_back(values.define(string_of(inner.second, where), Made::INT, where));
        } else if (out.first == "as_none" || out.first == "as_int") {
            n.outputs.push_back(-1);  // nothing reads it
        } else {
            bad(where + ": " + n.op + "'s output " + std::to_string(i) + " of type " + t->str() +
                " is given " + out.first);
        }
    }
}

Node read_node(Json jn, size_t index, Values &values, at::Device device) {
    std::string where = "node " + std::to_string(index);
    std::string target = string_of(member(jn, "target", where), where + "'s target");
    Json name = optional_member(jn, "name");
    if (cJSON_IsString(name)) where += " ('" + std::string(name->valuestring) + "')";
    Builtin b = builtin_of(target);
    if (b != Builtin::NONE) {
        Node n = read_builtin(jn, b, target, values, where);
        n.modules = module_paths(optional_member(jn, "metadata"));
        return n;
    }
    if (target.compare(0, 23, "torch.ops.higher_order.") == 0)
        throw Unsupported("the program uses " + target.substr(23) +
                          " (torch.ops.higher_order), control flow attrib does not run: "
                          "export the model without torch.cond/while_loop");
    std::string op, overload;
    if (!operator_name(target, op, overload))
        bad(where + " calls '" + target + "', which is not an operator attrib can run");
    auto handle = c10::Dispatcher::singleton().findSchema({op, overload});
    if (!handle) throw MissingOperator(op + (overload.empty() ? "" : "." + overload));
    Node n;
    n.op = op;
    n.handle = handle;
    where += " (" + op + ")";
    const c10::FunctionSchema &schema = handle->schema();
    std::map<std::string, Json> given;
    for (Json in : items(member(jn, "inputs", where), where + "'s inputs")) {
        std::string arg_name = string_of(member(in, "name", where), where + "'s argument name");
        if (!given.emplace(arg_name, member(in, "arg", where)).second)
            bad(where + ": argument '" + arg_name + "' given twice");
    }
    for (const c10::Argument &s : schema.arguments()) {
        auto it = given.find(s.name());
        if (it == given.end()) {
            if (!s.default_value()) bad(where + ": argument '" + s.name() + "' is missing");
            n.args.push_back(constant(*s.default_value()));
            continue;
        }
        auto arg = tagged(it->second, where);
        n.args.push_back(convert(arg.first, arg.second, s, values, device, where));
        given.erase(it);
    }
    if (!given.empty())
        bad(where + ": the operator has no argument '" + given.begin()->first + "'");
    read_outputs(jn, n, schema.returns(), values, where);
    if (cJSON_IsString(name)) n.name = name->valuestring;
    n.modules = module_paths(optional_member(jn, "metadata"));
    return n;
}

// A program without module stacks (one converted from TorchScript: every
// node's stack is the converter's root): each node reading a weight is
// placed in the module its name says ("features.0.0.weight" ->
// features, features.0, features.0.0); an activation or a residual sum in
// the modules of the latest node it reads from, so that a block's output is
// what leaves it after its activation, as in the module; the rest (padding,
// pooling, reshapes) in none.
void name_modules_by_parameters(Graph &g) {
    for (const Node &n : g.nodes)
        if (!n.modules.empty()) return;
    std::map<int, std::string> weight_names;
    for (const Input &in : g.inputs)
        if (in.kind != InputKind::USER) weight_names[in.slot] = in.name;
    std::map<int, size_t> made_by;  // slot -> node
    for (size_t i = 0; i < g.nodes.size(); i++) {
        Node &n = g.nodes[i];
        for (int o : n.outputs)
            if (o >= 0) made_by[o] = i;
        for (const Arg &a : n.args) {
            if (a.kind != Arg::VALUE || !weight_names.count(a.values[0])) continue;
            const std::string &name = weight_names[a.values[0]];
            size_t dot = name.rfind('.');
            if (dot == std::string::npos) continue;
            std::string module = name.substr(0, dot);
            for (size_t at = module.find('.'); at != std::string::npos; at = module.find('.', at + 1))
                n.modules.push_back(module.substr(0, at));
            n.modules.push_back(module);
            break;
        }
        if (!n.modules.empty() || !(RECTIFIER_OPS.count(n.op) || LRP_ELEMENTWISE_OPS.count(n.op)))
            continue;
        int latest = -1;
        for (const Arg &a : n.args)
            for (int v : a.values)
                if (v >= 0 && made_by.count(v)) latest = std::max(latest, (int)made_by[v]);
        if (latest >= 0) n.modules = g.nodes[latest].modules;
    }
}

// --- archive ----------------------------------------------------------------

struct Archive {
    caffe2::serialize::PyTorchStreamReader reader;
    size_t len;  // the archive's
    Archive(std::shared_ptr<MemoryReader> r, size_t n) : reader(std::move(r)), len(n) {}

    bool has(const std::string &name) { return reader.hasRecord(name); }
    // A record's size as its directory entry claims it, checked before
    // anything is allocated for it: torch.export.save stores records
    // uncompressed, so none is larger than the archive (libtorch's reader
    // would allocate a claimed 4 GB for a 21 KB file).
    size_t size_of(const std::string &name) {
        if (!has(name)) bad("the archive has no " + name);
        size_t n = reader.getRecordSize(name);
        if (n > len)
            bad("the archive's record " + name + " claims " + std::to_string(n) +
                " bytes, more than the " + std::to_string(len) + " of the archive");
        return n;
    }
    std::string text(const std::string &name) {
        std::string out(size_of(name), '\0');
        if (!out.empty()) reader.getRecord(name, &out[0], out.size());
        return out;
    }
    // The record's bytes in a tensor of its own (aligned for any dtype).
    at::Tensor bytes(const std::string &name) {
        at::Tensor t = at::empty({(int64_t)size_of(name)}, at::kByte);
        if (t.numel()) reader.getRecord(name, t.data_ptr(), (size_t)t.numel());
        return t;
    }
};

// A record name taken from the file (a weight's path_name) must stay in its folder.
std::string child(const std::string &folder, const std::string &name, const std::string &where) {
    if (!safe_record_name(name) || name.find('/') != std::string::npos)
        bad(where + " names the record '" + name + "', which is not a plain file name");
    return folder + name;
}

// A weight from its config entry: raw little-endian bytes of its storage.
at::Tensor read_tensor(Archive &a, Json entry, const std::string &folder, const std::string &fqn,
                       at::Device device, std::map<std::string, at::Tensor> &storages) {
    std::string where = "weight '" + fqn + "'";
    if (bool_of(member(entry, "use_pickle", where), where + "'s use_pickle"))
        bad(where + " is stored pickled (a tensor subclass), which attrib does not read");
    Json meta = member(entry, "tensor_meta", where);
    at::ScalarType dtype = scalar_type(int_of(member(meta, "dtype", where), where), where);
    auto dims = [&](const char *key) {
        std::vector<int64_t> out;
        for (Json d : items(member(meta, key, where), where + "'s " + key)) {
            auto v = tagged(d, where);
            if (v.first != "as_int") bad(where + "'s " + key + " are not plain integers");
            out.push_back(int_of(v.second, where));
        }
        return out;
    };
    std::vector<int64_t> sizes = dims("sizes"), strides = dims("strides");
    auto off = tagged(member(meta, "storage_offset", where), where);
    if (off.first != "as_int") bad(where + "'s storage offset is not an integer");
    int64_t offset = int_of(off.second, where);
    if (sizes.size() != strides.size() || offset < 0) bad(where + " has inconsistent sizes and strides");
    // The furthest element the view reaches, every product checked.
    int64_t numel = 1, extent = offset;
    for (size_t i = 0; i < sizes.size(); i++) {
        if (sizes[i] < 0 || strides[i] < 0) bad(where + " has a negative size or stride");
        if (sizes[i] && numel > WEIGHT_MAX_ELEMENTS / std::max<int64_t>(sizes[i], 1))
            bad(where + "'s sizes multiply past " + std::to_string(WEIGHT_MAX_ELEMENTS) + " elements");
        numel *= sizes[i];
        if (sizes[i] && strides[i] > WEIGHT_MAX_ELEMENTS / sizes[i])
            bad(where + "'s strides reach past " + std::to_string(WEIGHT_MAX_ELEMENTS) + " elements");
        extent += (sizes[i] - 1) * strides[i] * (sizes[i] > 0);
    }
    std::string path = child(folder, string_of(member(entry, "path_name", where), where), where);
    at::Tensor &storage = storages[path];  // weights tied in the model share one
    if (!storage.defined()) storage = a.bytes(path);
    const int64_t item = (int64_t)c10::elementSize(dtype);
    if (numel && (extent + 1) * item > storage.numel())
        bad(where + " needs " + std::to_string((extent + 1) * item) + " bytes, its record holds " +
            std::to_string(storage.numel()));
    at::Tensor typed = storage.narrow(0, 0, storage.numel() / item * item).view(dtype);
    return typed.as_strided(sizes, strides, offset).to(device);
}

}  // namespace

std::unique_ptr<Graph> read_program(const void *data, size_t len, at::Device device,
                                    std::string *card) {
    Archive a(std::make_shared<MemoryReader>(data, len), len);
    for (const auto &name : a.reader.getAllRecords())
        if (!safe_record_name(name)) bad("the archive has a record named '" + name + "'");
    if (a.has("byteorder") && a.text("byteorder") != "little")
        bad("the program's weights are big-endian, which attrib does not read");
    std::string format = a.text("archive_format");
    if (format != "pt2") bad("the archive's format is '" + format + "', not a torch.export program (pt2)");
    JsonDoc doc;
    parse_json(a.text("models/model.json"), "models/model.json", doc);
    Json root = doc.root;
    auto g = std::make_unique<Graph>();
    Json version = member(root, "schema_version", "model.json");
    int64_t major = int_of(member(version, "major", "schema_version"), "schema_version's major");
    int64_t minor = int_of(member(version, "minor", "schema_version"), "schema_version's minor");
    Json tv = optional_member(root, "torch_version");
    g->torch_version = cJSON_IsString(tv) ? tv->valuestring : "an unknown PyTorch";
    if (major < SCHEMA_MAJOR_MIN || major > SCHEMA_MAJOR_MAX)
        throw Unsupported("the program's schema version is " + std::to_string(major) + "." + std::to_string(minor) +
            " (saved by PyTorch " + g->torch_version + "); attrib reads " +
            std::to_string(SCHEMA_MAJOR_MIN) + ".x to " + std::to_string(SCHEMA_MAJOR_MAX) + ".x");

    Json module = member(root, "graph_module", "model.json");
    Json graph = member(module, "graph", "graph_module");
    Json signature = member(module, "signature", "graph_module");
    Values values(*g);

    // Inputs: the signature says what each graph input is.
    std::vector<Json> specs = items(member(signature, "input_specs", "signature"), "input_specs");
    std::vector<Json> graph_inputs = items(member(graph, "inputs", "graph"), "graph inputs");
    if (specs.size() != graph_inputs.size()) bad("the program's signature and graph disagree on its inputs");
    for (size_t i = 0; i < specs.size(); i++) {
        std::string where = "input " + std::to_string(i);
        auto spec = tagged(specs[i], where);
        Input in{};
        if (spec.first == "parameter" || spec.first == "buffer" || spec.first == "tensor_constant") {
            in.kind = spec.first == "parameter" ? InputKind::PARAMETER
                      : spec.first == "buffer"  ? InputKind::BUFFER
                                                : InputKind::CONSTANT;
            const char *key = spec.first == "parameter" ? "parameter_name"
                              : spec.first == "buffer"  ? "buffer_name"
                                                        : "tensor_constant_name";
            in.name = string_of(member(spec.second, key, where), where + "'s " + key);
            in.slot = values.define(tensor_name(member(spec.second, "arg", where), where),
                                    Made::TENSOR, where);
        } else if (spec.first == "user_input") {
            auto arg = tagged(member(spec.second, "arg", where), where);
            if (arg.first != "as_tensor")
                bad("the program takes a non-tensor input (" + arg.first + "); attrib passes one image batch");
            if (g->user_input >= 0) bad("the program takes two inputs; attrib passes one image batch");
            in.kind = InputKind::USER;
            in.slot = g->user_input = values.define(tensor_name(arg.second, where), Made::TENSOR, where);
        } else {
            bad("the program's input " + std::to_string(i) + " is a " + spec.first + ", which attrib does not supply");
        }
        g->inputs.push_back(in);
    }
    if (g->user_input < 0) bad("the program takes no input");

    // The user input's exported sizes: static dimensions are what it takes.
    Json tvals = member(graph, "tensor_values", "graph");
    Json meta = member(tvals, g->value_names[g->user_input].c_str(), "tensor_values");
    for (Json d : items(member(meta, "sizes", "the input"), "the input's sizes")) {
        auto v = tagged(d, "the input's sizes");
        g->input_sizes.push_back(v.first == "as_int" ? int_of(v.second, "the input's size") : -1);
    }

    std::vector<Json> nodes = items(member(graph, "nodes", "graph"), "nodes");
    if (nodes.size() > NODES_MAX) bad("the program has more than " + std::to_string(NODES_MAX) + " nodes");
    for (size_t i = 0; i < nodes.size(); i++) g->nodes.push_back(read_node(nodes[i], i, values, device));

    name_modules_by_parameters(*g);

    // The one output attrib explains: the user output.
    int user_outputs = 0;
    for (Json spec : items(member(signature, "output_specs", "signature"), "output_specs")) {
        auto s = tagged(spec, "an output");
        if (s.first != "user_output") continue;
        auto arg = tagged(member(s.second, "arg", "the output"), "the output");
        if (arg.first != "as_tensor") bad("the program returns a " + arg.first + ", not a logits tensor");
        g->output = values.use(tensor_name(arg.second, "the output"), Made::TENSOR, "the output");
        user_outputs++;
    }
    if (user_outputs != 1)
        bad("the program returns " + std::to_string(user_outputs) + " outputs; attrib explains one logits tensor");

    // Weights and constants.
    std::map<std::string, at::Tensor> storages;
    JsonDoc weights, constants;
    parse_json(a.text("data/weights/model_weights_config.json"), "model_weights_config.json", weights);
    if (a.has("data/constants/model_constants_config.json"))
        parse_json(a.text("data/constants/model_constants_config.json"), "model_constants_config.json", constants);
    Json wconfig = member(weights.root, "config", "model_weights_config.json");
    Json cconfig = constants.root ? member(constants.root, "config", "model_constants_config.json") : nullptr;
    for (const Input &in : g->inputs) {
        if (in.kind == InputKind::USER) {
            g->input_values.emplace_back();
            continue;
        }
        Json entry = optional_member(wconfig, in.name.c_str());
        std::string folder = "data/weights/";
        if (!entry && cconfig) entry = optional_member(cconfig, in.name.c_str()), folder = "data/constants/";
        if (!entry) bad("the archive has no weights for '" + in.name + "'");
        g->input_values.push_back(read_tensor(a, entry, folder, in.name, device, storages));
    }
    *card = a.has("extra/attrib.json") ? a.text("extra/attrib.json") : "";
    return g;
}

}  // namespace exported
}  // namespace attrib_shim
