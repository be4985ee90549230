// fuzz_program.cpp - libFuzzer over the torch.export program reader: the
// archive check (archive.cpp) and read_program (exported_read.cpp: zip
// records, model.json, node schemas, weights). Every input must either load
// or be refused with one of the reader's exceptions; anything else (a
// crash, a sanitizer report, another exception type) is a finding.
// Built and run by scripts/fuzz.sh program (against the 2.x libtorch).
#include "../../shim/archive.hpp"
#include "../../shim/backend.hpp"
#include "../../shim/exported.hpp"

#include <c10/util/Exception.h>

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!attrib_shim::names_archive_format(data, size)) return 0;
    std::string card;
    try {
        attrib_shim::exported::read_program(data, size, at::kCPU, &card);
    } catch (const attrib_shim::exported::FormatError &) {
    } catch (const attrib_shim::exported::MissingOperator &) {
    } catch (const attrib_shim::Unsupported &) {
    } catch (const c10::Error &) {  // libtorch's zip reader on a broken archive
    }
    return 0;
}
