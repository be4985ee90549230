// archive.cpp - a zip archive's central directory read just far enough to
// see which records it names (archive.hpp). libtorch's own reader does the
// rest; this part runs before it, on both libtorch lines, and on any bytes.
#include "archive.hpp"

#include <cstdint>

namespace attrib_shim {

namespace {

const uint32_t END_OF_DIRECTORY = 0x06054b50;
const uint32_t ZIP64_LOCATOR = 0x07064b50;
const uint32_t ZIP64_END_OF_DIRECTORY = 0x06064b50;
const uint32_t DIRECTORY_ENTRY = 0x02014b50;
const size_t END_SIZE = 22, LOCATOR_SIZE = 20, ZIP64_END_SIZE = 56, ENTRY_SIZE = 46;
const size_t MAX_COMMENT = 0xffff;

struct Bytes {
    const unsigned char *p;
    size_t len;
    bool has(uint64_t at, uint64_t n) const { return at <= len && n <= len - at; }
    uint64_t le(uint64_t at, int n) const {  // little-endian, has(at, n) checked by the caller
        uint64_t v = 0;
        for (int i = n - 1; i >= 0; i--) v = v << 8 | p[at + i];
        return v;
    }
};

// The central directory's offset and size, from the end records; false if
// there are none.
bool find_directory(const Bytes &b, uint64_t &offset, uint64_t &size) {
    if (b.len < END_SIZE) return false;
    size_t lowest = b.len - END_SIZE > MAX_COMMENT ? b.len - END_SIZE - MAX_COMMENT : 0;
    for (size_t at = b.len - END_SIZE + 1; at-- > lowest;) {
        if (b.le(at, 4) != END_OF_DIRECTORY) continue;
        size = b.le(at + 12, 4), offset = b.le(at + 16, 4);
        if (offset != 0xffffffffu && size != 0xffffffffu) return true;
        // Zip64: the locator just before points at the 64-bit end record.
        if (at < LOCATOR_SIZE || b.le(at - LOCATOR_SIZE, 4) != ZIP64_LOCATOR) return false;
        uint64_t end64 = b.le(at - LOCATOR_SIZE + 8, 8);
        if (!b.has(end64, ZIP64_END_SIZE) || b.le(end64, 4) != ZIP64_END_OF_DIRECTORY)
            return false;
        size = b.le(end64 + 40, 8), offset = b.le(end64 + 48, 8);
        return true;
    }
    return false;
}

}  // namespace

bool names_archive_format(const void *data, size_t len) {
    static const std::string wanted = "/archive_format";
    Bytes b{static_cast<const unsigned char *>(data), data ? len : 0};
    uint64_t offset, size;
    if (!find_directory(b, offset, size) || !b.has(offset, size)) return false;
    for (uint64_t at = offset; at + ENTRY_SIZE <= offset + size;) {
        if (b.le(at, 4) != DIRECTORY_ENTRY) return false;
        uint64_t name_len = b.le(at + 28, 2), extra = b.le(at + 30, 2), comment = b.le(at + 32, 2);
        if (!b.has(at + ENTRY_SIZE, name_len)) return false;
        std::string name(reinterpret_cast<const char *>(b.p + at + ENTRY_SIZE), name_len);
        if (name.size() > wanted.size() &&
            name.compare(name.size() - wanted.size(), wanted.size(), wanted) == 0 &&
            name.find('/') == name.size() - wanted.size())
            return true;
        at += ENTRY_SIZE + name_len + extra + comment;
    }
    return false;
}

bool safe_record_name(const std::string &name) {
    if (name.empty() || name[0] == '/' || name.find('\\') != std::string::npos ||
        name.find('\0') != std::string::npos)
        return false;
    size_t start = 0;
    while (start <= name.size()) {
        size_t end = name.find('/', start);
        if (end == std::string::npos) end = name.size();
        if (name.compare(start, end - start, "..") == 0 && end - start == 2) return false;
        start = end + 1;
    }
    return true;
}

}  // namespace attrib_shim
