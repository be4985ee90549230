// op_names.hpp - the ATen operators the rewrites treat alike, named once
// for every backend (TorchScript's graph.cpp, torch.export's exported.cpp),
// in-place forms beside their own.
#pragma once

#include <set>
#include <string>

namespace attrib_shim {

// Rectifiers and smooth gates: what guided backpropagation, deconvnet and
// DeepLIFT's rescale rule replace, and what LRP passes relevance through.
extern const std::set<std::string> RECTIFIER_OPS;
// Nonlinear ops that are not rectifiers: what DeepLIFT's rule does not cover.
extern const std::set<std::string> DEEPLIFT_UNCOVERED_OPS;
// LRP: ops taking the Norm rule (pools, means), ops whose gradient LRP keeps
// (as Zennit, which hooks no rule on them: reshapes, max pooling, ...), and
// elementwise ops that are linear in their one computed input.
extern const std::set<std::string> LRP_POOL_OPS;
extern const std::set<std::string> LRP_GRADIENT_OPS;
extern const std::set<std::string> LRP_ELEMENTWISE_OPS;

}  // namespace attrib_shim
