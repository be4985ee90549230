// exported_none.cpp - load_exported (backend.hpp) on libtorch 1.x, which
// has neither the zip layout torch.export writes (its reader wants a
// top-level "version" record) nor most of the operators such programs call:
// every program is refused in one line that says what to build instead.
#include "backend.hpp"

#include <torch/version.h>


namespace attrib_shim {

std::unique_ptr<Backend> load_exported(const void *, size_t, at::Device, std::string *,
                                       std::string *) {
    throw Unsupported(std::string("a torch.export program (.pt2) needs attrib built on "
                                  "libtorch 2.x; this one runs on libtorch ") +
                      TORCH_VERSION + " (scripts/setup.sh builds the 2.x line)");
}

}  // namespace attrib_shim
