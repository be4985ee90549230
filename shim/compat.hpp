// compat.hpp - the differences between the libtorch lines the shim builds
// against (Debian 12's 1.13 and the 2.x releases), in one place.
#pragma once

#include <string>

#include <c10/util/Exception.h>
#include <c10/util/Logging.h> /* glog's header too, where c10 logs through glog */
#include <torch/version.h>

namespace attrib {

// A warning handler that drops every warning: libtorch's TORCH_WARN would
// print to stderr with a source location, and the tool decides what the
// user sees. WarningHandler::process took (location, message, verbatim) up
// to 1.13 and takes a c10::Warning in 2.x (checked against 1.13.1 and
// 2.13.0 headers; the versions in between are not).
class QuietWarnings : public c10::WarningHandler {
  public:
#if TORCH_VERSION_MAJOR >= 2
    void process(const c10::Warning &) override {}
#else
    void process(const c10::SourceLocation &, const std::string &, const bool) override {}
#endif
};

// Installs handler for the rest of the process: c10::Warning's static
// set_warning_handler moved to the namespace c10::WarningUtils in 2.x.
inline void install_warning_handler(c10::WarningHandler *handler) {
#if TORCH_VERSION_MAJOR >= 2
    c10::WarningUtils::set_warning_handler(handler);
#else
    c10::Warning::set_warning_handler(handler);
#endif
}

// Lets only fatal log messages print (e.g. not "[W NNPACK.cpp:...] Could
// not initialize NNPACK" on some CPUs; failures reach the user as
// exceptions). Debian's libtorch logs through glog; the official 2.x
// builds have c10's own logging, whose threshold is caffe2_log_level.
inline void quiet_logging() {
#ifdef C10_USE_GLOG
    FLAGS_minloglevel = google::GLOG_FATAL;
#else
    FLAGS_caffe2_log_level = c10::GLOG_FATAL;
#endif
}

// Whether a load failed because the file calls an operator this libtorch
// does not have (a file saved by a newer PyTorch: 2.x's ViTs call
// aten::scaled_dot_product_attention, which 1.13 lacks); op gets its name.
// The TorchScript compiler reports that only in its message, "Unknown
// builtin op: aten::NAME." (1.13 and 2.x alike), so that is what is read.
inline bool unknown_operator(const std::string &message, std::string &op) {
    static const std::string mark = "Unknown builtin op: ";
    size_t at = message.find(mark);
    if (at == std::string::npos) return false;
    size_t start = at + mark.size();
    size_t end = message.find_first_of(" \n\r\t", start);
    op = message.substr(start, end == std::string::npos ? std::string::npos : end - start);
    while (!op.empty() && op.back() == '.') op.pop_back();
    return !op.empty();
}

}  // namespace attrib
