// graph.hpp - analysis and rewrites of TorchScript graphs (internal to the shim).
#pragma once

#include "rules.hpp"

#include <torch/script.h>

#include <string>
#include <vector>

namespace attrib_shim {

// The output of one call of a submodule, as found on the inlined graph.
struct LayerOutput {
    std::string path;         // "features.18"
    torch::jit::Value *value;  // the tensor it returned
    std::string op;           // the op that produced it ("hardtanh")
};

// Every submodule output of graph g (inlined), in graph order. A value that
// several nested modules return (features, features.18, ...) is listed once
// per module.
std::vector<LayerOutput> layer_outputs(torch::jit::Graph &g);

// Replaces every rectifier (relu, relu6, hardtanh, leaky_relu and their
// in-place forms) by attrib::modified_clamp / modified_leaky_relu with the
// given rule. Returns how many were replaced.
int rewrite_rectifiers(torch::jit::Graph &g, int64_t rule);
// The first op of g (in graph order) that is nonlinear and not a rectifier
// rewrite_rectifiers replaces (max pooling, sigmoid, tanh, softmax, layer
// norm, ...): what DeepLIFT's rescale rule does not cover. "" if none.
std::string first_uncovered_nonlinearity(torch::jit::Graph &g);
// v * s after v's node, s a new (last) graph input: every later use of v
// sees the scaled value. Returns the product.
torch::jit::Value *insert_scale_input(torch::jit::Graph &g, torch::jit::Value *v);

// Makes every attention's probabilities observable: rewrites PyTorch 2.x's
// fused aten::scaled_dot_product_attention into softmax(q k^T * scale) v
// (throws for masks and causal attention), then appends the output of every
// softmax over the last dimension to a list, which it returns (its items
// are the attention maps in graph order, among other softmaxes the caller
// filters by shape). Softmaxes inside blocks (MultiheadAttention's slow
// path) are found too: the list is filled as the graph runs.
torch::jit::Value *collect_attention(torch::jit::Graph &g);

// Rewrites g for layer-wise relevance propagation, as a Zennit composite
// with its canonizer: batch norms folded into the convolution or linear
// layer before them; convolutions and linear layers -> attrib::lrp_layer;
// rectifiers and gelu/silu/hardswish pass relevance through; average
// pooling, means and additions of two tensors take the Norm rule; max
// pooling, reshapes and constant scalings keep their gradient. Returns ""
// or the first op none of that covers (g is then half rewritten: drop it).
std::string rewrite_lrp(torch::jit::Graph &g, const LrpSpec &spec);

// FullGrad's bias layers: every top-level convolution with a bias and
// every batch norm (whose bias is beta - mean * gamma / sqrt(var + eps),
// as FullGrad's authors and pytorch-grad-cam take it), in graph order. Each
// output is copied for its later users, so that an in-place op after it
// (relu_) leaves the value itself, whose gradient is wanted, unchanged;
// the values are returned as a list and their biases (from the frozen
// constants) appended to biases.
torch::jit::Value *collect_bias_outputs(torch::jit::Graph &g, std::vector<at::Tensor> &biases);

// Inserts attrib::leaf(v) after v's producer and makes every later use of v
// use it; returns the leaf.
torch::jit::Value *insert_leaf(torch::jit::Graph &g, torch::jit::Value *v);

// Makes g return (its output, extra...) as one tuple.
void return_tuple(torch::jit::Graph &g, const std::vector<torch::jit::Value *> &extra);

}  // namespace attrib_shim
