// rules.hpp - the backward rules the rewrites pass to ops.cpp's operators
// (as their int argument), named once for the whole shim, and an LRP
// composite as the rewrites apply it.
#pragma once

#include "attrib/shim.h"

#include <ATen/ATen.h>

#include <cstdint>

namespace attrib_shim {

// The rectifiers' backward (attrib::modified_clamp, _leaky_relu, _gate);
// the first three are attrib_backward_rule's values.
enum RectifierRule : int64_t { GUIDED = 0, DECONVNET = 1, DEEPLIFT = 2, PASS = 3 };

// A convolution's or linear layer's LRP rule (attrib::lrp_layer), as Zennit
// defines them.
enum LrpRule : int64_t {
    LRP_EPSILON = 0,
    LRP_ZPLUS = 1,
    LRP_ALPHA2BETA1 = 2,
    LRP_GAMMA = 3,
    LRP_ZBOX = 4,
    LRP_FLAT = 5
};

// How the LRP rewrites treat the layers: a rule (LrpRule) for the first
// convolution or linear layer, the other convolutions and the other linear
// layers, and the rules' constants.
struct LrpSpec {
    int64_t first_rule, conv_rule, dense_rule;
    bool first_conv_only;  // the first layer's rule only if it is a convolution
    double epsilon;        // the epsilon rule's (dense layers)
    double stabilizer;     // every other rule's, and Norm's
    double gamma;
    at::Tensor low, high;  // the z-box rule's input bounds [1, C, 1, 1]
};
// Zennit's composite p as the rewrites' rules, its bounds on device.
LrpSpec lrp_spec(const attrib_lrp_params &p, at::Device device);

}  // namespace attrib_shim
