// backend.cpp - what every model backend shares (backend.hpp).
#include "backend.hpp"
#include "rules.hpp"

#include <sstream>

namespace attrib_shim {

std::string rewrite_key(const Rewrite &r) {
    static const char *const rules[] = {"guided", "deconvnet", "deeplift"};
    std::ostringstream name;
    name.precision(17);
    switch (r.kind) {
    case Rewrite::TAP: name << "tap:" << r.layer; break;
    case Rewrite::LEAF: name << "layer:" << r.layer; break;
    case Rewrite::SCALED: name << "scaled:" << r.layer; break;
    case Rewrite::RECTIFIERS: name << rules[r.rule]; break;
    case Rewrite::ATTENTION: name << "attention"; break;
    case Rewrite::BIASES: name << "fullgrad"; break;
    case Rewrite::LRP:
        name << "lrp:" << r.lrp.composite << ":" << r.lrp.epsilon << ":" << r.lrp.gamma;
        for (int c = 0; c < 3; c++) name << ":" << r.lrp.low[c] << ":" << r.lrp.high[c];
        break;
    }
    return name.str();
}

LrpSpec lrp_spec(const attrib_lrp_params &p, at::Device device) {
    const double stabilizer = 1e-6;  // Zennit's, for every rule but epsilon
    LrpSpec spec{-1, LRP_ZPLUS, LRP_EPSILON, false, p.epsilon, stabilizer,
                 p.gamma, at::Tensor(), at::Tensor()};
    if (p.composite == ATTRIB_LRP_EPSILON_PLUS_FLAT) spec.first_rule = LRP_FLAT;
    if (p.composite == ATTRIB_LRP_EPSILON_ALPHA2_BETA1) spec.conv_rule = LRP_ALPHA2BETA1;
    if (p.composite == ATTRIB_LRP_EPSILON_GAMMA_BOX) {
        spec.conv_rule = LRP_GAMMA;
        spec.first_rule = LRP_ZBOX;
        spec.first_conv_only = true;
        spec.low = at::tensor(std::vector<float>(p.low, p.low + 3)).view({1, 3, 1, 1}).to(device);
        spec.high =
            at::tensor(std::vector<float>(p.high, p.high + 3)).view({1, 3, 1, 1}).to(device);
    }
    return spec;
}

}  // namespace attrib_shim
