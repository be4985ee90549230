// archive.hpp - the zip archives both model formats are saved in (PyTorch's
// "PyTorchStreamWriter" layout: one top-level folder, records stored
// uncompressed): serving the caller's bytes to libtorch's reader, and
// telling a torch.export program from a TorchScript module by content.
#pragma once

#include <caffe2/serialize/inline_container.h>

#include <cstddef>
#include <cstring>
#include <string>

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

// Whether the bytes are a zip archive whose central directory names a
// record "FOLDER/archive_format" (what torch.export.save writes, and
// TorchScript's torch.jit.save does not). Reads the directory only, with
// every offset checked against len: any bytes are safe to ask about.
bool names_archive_format(const void *data, size_t len);

// Whether a record name is one a reader may follow: not empty, no leading
// '/', no ".." component, no backslash or NUL.
bool safe_record_name(const std::string &name);

}  // namespace attrib_shim
