// op_names.cpp - the operator lists of op_names.hpp.
#include "op_names.hpp"

namespace attrib_shim {

const std::set<std::string> RECTIFIER_OPS = {
    "aten::relu", "aten::relu_", "aten::relu6", "aten::relu6_", "aten::hardtanh",
    "aten::hardtanh_", "aten::leaky_relu", "aten::leaky_relu_", "aten::gelu", "aten::gelu_",
    "aten::silu", "aten::silu_", "aten::hardswish", "aten::hardswish_"};

const std::set<std::string> DEEPLIFT_UNCOVERED_OPS = {
    "aten::max_pool1d", "aten::max_pool2d", "aten::max_pool3d",
    "aten::max_pool2d_with_indices", "aten::adaptive_max_pool2d", "aten::sigmoid",
    "aten::sigmoid_", "aten::tanh", "aten::tanh_", "aten::softmax", "aten::log_softmax",
    "aten::hardsigmoid", "aten::hardsigmoid_", "aten::elu", "aten::elu_", "aten::selu",
    "aten::softplus", "aten::layer_norm", "aten::group_norm", "aten::instance_norm",
    "aten::scaled_dot_product_attention", "aten::amax", "aten::max", "aten::exp",
    "aten::mish", "aten::prelu", "aten::celu"};

const std::set<std::string> LRP_POOL_OPS = {
    "aten::avg_pool1d", "aten::avg_pool2d", "aten::avg_pool3d", "aten::adaptive_avg_pool1d",
    "aten::adaptive_avg_pool2d", "aten::adaptive_avg_pool3d", "aten::mean"};

const std::set<std::string> LRP_GRADIENT_OPS = {
    "aten::flatten", "aten::view", "aten::reshape", "aten::contiguous", "aten::dropout",
    "aten::dropout_", "aten::feature_dropout", "aten::feature_dropout_", "aten::alpha_dropout",
    "aten::permute", "aten::transpose", "aten::squeeze", "aten::unsqueeze", "aten::cat",
    "aten::slice", "aten::select", "aten::narrow", "aten::clone", "aten::to", "aten::detach",
    "aten::pad", "aten::constant_pad_nd", "aten::max_pool1d", "aten::max_pool2d",
    "aten::max_pool3d", "aten::max_pool2d_with_indices", "aten::adaptive_max_pool2d",
    "aten::chunk", "aten::split", "aten::expand", "aten::expand_as"};

const std::set<std::string> LRP_ELEMENTWISE_OPS = {
    "aten::add", "aten::add_", "aten::sub", "aten::sub_", "aten::mul", "aten::mul_",
    "aten::div", "aten::div_"};

}  // namespace attrib_shim
