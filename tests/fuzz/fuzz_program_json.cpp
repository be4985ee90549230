// fuzz_program_json.cpp - libFuzzer over the program reader's graph part:
// the input is models/model.json, put into a valid archive (libtorch's zip
// writer) beside the other records of a real export (ATTRIB_FUZZ_SEED,
// tests/fuzz/corpus/program/small_static.pt2), so that mutations reach the
// JSON, schema, node and weight checks instead of the zip layer's CRCs.
// Built and run by scripts/fuzz.sh program_json.
#include "../../shim/archive.hpp"
#include "../../shim/backend.hpp"
#include "../../shim/exported.hpp"

#include <c10/util/Exception.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

namespace {

std::vector<std::pair<std::string, std::string>> seed_records() {
    const char *path = std::getenv("ATTRIB_FUZZ_SEED");
    if (!path) std::abort();
    std::ifstream f(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    caffe2::serialize::PyTorchStreamReader reader(
        std::make_shared<attrib_shim::MemoryReader>(bytes.data(), bytes.size()));
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto &name : reader.getAllRecords()) {
        if (name == "models/model.json" || name == ".data/version" || name == "version") continue;
        auto rec = reader.getRecord(name);
        out.emplace_back(name, std::string(static_cast<const char *>(std::get<0>(rec).get()),
                                           std::get<1>(rec)));
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const auto seed = seed_records();
    std::string archive;
    {
        caffe2::serialize::PyTorchStreamWriter w([&](const void *p, size_t n) {
            archive.append(static_cast<const char *>(p), n);
            return n;
        });
        for (const auto &r : seed) w.writeRecord(r.first, r.second.data(), r.second.size());
        w.writeRecord("models/model.json", data, size);
        w.writeEndOfFile();
    }
    std::string card;
    try {
        attrib_shim::exported::read_program(archive.data(), archive.size(), at::kCPU, &card);
    } catch (const attrib_shim::exported::FormatError &) {
    } catch (const attrib_shim::exported::MissingOperator &) {
    } catch (const attrib_shim::Unsupported &) {
    } catch (const c10::Error &) {
    }
    return 0;
}
