// results.cpp - reading what a call made: a pass's result (logits,
// gradients, layer maps, attention, biases), a model's layer listing and its
// parameters, and freeing each.
#include "internal.hpp"

#include <algorithm>

using namespace attrib_shim;

namespace {

// Tensor i of kind in res, or nullptr.
const at::Tensor *tensor_of(const attrib_result *res, attrib_output kind, size_t i) {
    const at::Tensor *one = nullptr;
    const std::vector<at::Tensor> *many = nullptr;
    switch (kind) {
    case ATTRIB_OUT_LOGITS: one = &res->logits; break;
    case ATTRIB_OUT_INPUT_GRAD: one = &res->input_grad; break;
    case ATTRIB_OUT_LAYER: one = &res->layer; break;
    case ATTRIB_OUT_LAYER_GRAD: one = &res->layer_grad; break;
    case ATTRIB_OUT_ATTENTION: many = &res->attention; break;
    case ATTRIB_OUT_ATTENTION_GRAD: many = &res->attention_grad; break;
    case ATTRIB_OUT_BIAS_GRAD: many = &res->bias_grad; break;
    case ATTRIB_OUT_BIAS: many = &res->bias; break;
    case ATTRIB_OUT_OUTPUT: one = &res->output; break;
    default: return nullptr;
    }
    if (many) return i < many->size() ? &(*many)[i] : nullptr;
    return i == 0 && one->defined() ? one : nullptr;
}

}  // namespace

extern "C" {

size_t attrib_result_count(const attrib_result *res, attrib_output kind) {
    size_t n = 0;
    while (res && tensor_of(res, kind, n)) n++;
    return n;
}

const float *attrib_result_get(const attrib_result *res, attrib_output kind, size_t i,
                               int64_t *shape, int *ndim) {
    const at::Tensor *t = res ? tensor_of(res, kind, i) : nullptr;
    if (!t) return nullptr;
    int n = (int)std::min<int64_t>(t->dim(), ATTRIB_MAX_DIMS);
    if (shape)
        for (int d = 0; d < n; d++) shape[d] = t->size(d);
    if (ndim) *ndim = n;
    return t->data_ptr<float>();
}

size_t attrib_layers_count(const attrib_layers *layers) {
    return layers ? layers->entries.size() : 0;
}

attrib_status attrib_layers_get(const attrib_layers *layers, size_t i, const char **path,
                                const char **op, int64_t *value_id, int64_t shape[8],
                                int *ndim) {
    if (!layers || i >= layers->entries.size()) return fail(ATTRIB_E_ARG, "no such layer entry");
    const auto &e = layers->entries[i];
    if (path) *path = e.path.c_str();
    if (op) *op = e.op.c_str();
    if (value_id) *value_id = e.value_id;
    int n = (int)std::min<size_t>(e.shape.size(), 8);
    if (shape)
        for (int k = 0; k < n; k++) shape[k] = e.shape[k];
    if (ndim) *ndim = n;
    return ATTRIB_OK;
}

void attrib_layers_free(attrib_layers *layers) { delete layers; }

size_t attrib_params_count(const attrib_params *params) {
    return params ? params->names.size() : 0;
}

attrib_status attrib_params_get(const attrib_params *params, size_t i, const char **name,
                                const float **values, int64_t *numel) {
    if (!params || i >= params->names.size()) return fail(ATTRIB_E_ARG, "no such parameter entry");
    if (name) *name = params->names[i].c_str();
    if (values) *values = params->values[i].data_ptr<float>();
    if (numel) *numel = params->values[i].numel();
    return ATTRIB_OK;
}

void attrib_params_free(attrib_params *params) { delete params; }

const int64_t *attrib_result_targets(const attrib_result *res) {
    return res && !res->targets.empty() ? res->targets.data() : nullptr;
}

void attrib_result_free(attrib_result *res) { delete res; }

}  // extern "C"
