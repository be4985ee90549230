// archive.hpp - the zip archives model files are saved in (PyTorch's
// "PyTorchStreamWriter" layout): serving the caller's bytes to libtorch's
// reader.
#pragma once

#include <caffe2/serialize/inline_container.h>

#include <cstddef>
#include <cstring>

namespace attrib_shim {

// Serves the model's bytes to libtorch's zip reader without copying them.
class MemoryReader : public caffe2::serialize::ReadAdapterInterface {
  public:
    MemoryReader(const void *data, size_t len)
        : data_(static_cast<const char *>(data)), len_(len) {}
    size_t size() const override { return len_; }
    size_t read(uint64_t pos, void *buf, size_t n, const char *) const override {
        if (pos >= len_) return 0;
        size_t k = n < len_ - pos ? n : (size_t)(len_ - pos);
        std::memcpy(buf, data_ + pos, k);
        return k;
    }

  private:
    const char *data_;
    size_t len_;
};

}  // namespace attrib_shim
