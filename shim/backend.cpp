// backend.cpp - what every model backend shares (backend.hpp).
#include "backend.hpp"

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


}  // namespace attrib_shim
