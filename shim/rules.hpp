// rules.hpp - the backward rules the graph rewrites pass to ops.cpp's
// operators (as their int argument), named once for the whole shim.
#pragma once

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

}  // namespace attrib_shim
