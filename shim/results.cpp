// results.cpp - reading what a call made: a pass's result (logits,
// gradients, layer maps, attention, biases), a model's layer listing and its
// parameters, and freeing each.
#include "internal.hpp"

#include <algorithm>

using namespace attrib_shim;

extern "C" {

size_t attrib_result_bias_count(const attrib_result *res) { return res ? res->bias.size() : 0; }

const float *attrib_result_bias_grad(const attrib_result *res, size_t i, int64_t shape[4]) {
    if (!res || i >= res->bias_grad.size()) return nullptr;
    if (shape)
        for (int d = 0; d < 4; d++) shape[d] = res->bias_grad[i].size(d);
    return res->bias_grad[i].data_ptr<float>();
}

const float *attrib_result_bias(const attrib_result *res, size_t i, int64_t *channels) {
    if (!res || i >= res->bias.size()) return nullptr;
    if (channels) *channels = res->bias[i].numel();
    return res->bias[i].data_ptr<float>();
}

size_t attrib_result_attention_count(const attrib_result *res) {
    return res ? res->attention.size() : 0;
}

const float *attrib_result_attention(const attrib_result *res, size_t i, int64_t shape[4]) {
    if (!res || i >= res->attention.size()) return nullptr;
    if (shape)
        for (int d = 0; d < 4; d++) shape[d] = res->attention[i].size(d);
    return res->attention[i].data_ptr<float>();
}

const float *attrib_result_attention_grad(const attrib_result *res, size_t i,
                                          int64_t shape[4]) {
    if (!res || i >= res->attention_grad.size()) return nullptr;
    if (shape)
        for (int d = 0; d < 4; d++) shape[d] = res->attention_grad[i].size(d);
    return res->attention_grad[i].data_ptr<float>();
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

const float *attrib_result_logits(const attrib_result *res, int64_t *n, int64_t *classes) {
    if (!res) return nullptr;
    if (n) *n = res->logits.size(0);
    if (classes) *classes = res->logits.size(1);
    return res->logits.data_ptr<float>();
}

const float *attrib_result_input_grad(const attrib_result *res, int64_t shape[4]) {
    if (!res || !res->input_grad.defined()) return nullptr;
    if (shape)
        for (int i = 0; i < 4; i++) shape[i] = res->input_grad.size(i);
    return res->input_grad.data_ptr<float>();
}

const float *attrib_result_layer(const attrib_result *res, int64_t shape[4]) {
    if (!res || !res->layer.defined()) return nullptr;
    if (shape)
        for (int i = 0; i < 4; i++) shape[i] = res->layer.size(i);
    return res->layer.data_ptr<float>();
}

const float *attrib_result_layer_grad(const attrib_result *res, int64_t shape[4]) {
    if (!res || !res->layer_grad.defined()) return nullptr;
    if (shape)
        for (int i = 0; i < 4; i++) shape[i] = res->layer_grad.size(i);
    return res->layer_grad.data_ptr<float>();
}

const int64_t *attrib_result_targets(const attrib_result *res) {
    return res && !res->targets.empty() ? res->targets.data() : nullptr;
}

void attrib_result_free(attrib_result *res) { delete res; }

}  // extern "C"
