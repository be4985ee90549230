// model.cpp - a model's life: loading onto a device (its backend chosen by
// the file's content: TorchScript or a torch.export program), its card, the objective every gradient is of, its layers and its
// parameters.
#include "archive.hpp"
#include "internal.hpp"

#include <torch/torch.h>

using namespace attrib_shim;

extern "C" {

attrib_status attrib_model_load(const void *data, size_t len, int device, attrib_model **out) {
    if (!out || (!data && len)) return fail(ATTRIB_E_ARG, "null argument");
    *out = nullptr;
    if (device != ATTRIB_DEVICE_CPU) {
        if (!attrib_cuda_compiled())
            return fail(ATTRIB_E_DEVICE, "this attrib was built without CUDA support");
        int count = attrib_cuda_device_count();
        if (device < 0 || device >= count)
            return fail(ATTRIB_E_DEVICE,
                        "there is no CUDA device " + std::to_string(device) + ": " +
                            (count ? "this machine has " + std::to_string(count) +
                                         " (cuda:0-cuda:" + std::to_string(count - 1) + ")"
                                   : std::string("no CUDA device is visible")));
    }
    return guarded(ATTRIB_E_FORMAT, [&] {
        auto model = std::make_unique<attrib_model>();
        if (device != ATTRIB_DEVICE_CPU)
            model->device = torch::Device(torch::kCUDA, (c10::DeviceIndex)device);
        std::string missing;
        // Told apart by content: torch.export.save writes an archive_format record.
        if (names_archive_format(data, len)) {
            try {
                model->backend = load_exported(data, len, model->device, &model->card, &missing);
            } catch (const Unsupported &e) {
                return fail(ATTRIB_E_UNSUPPORTED, e.what());
            } catch (const c10::Error &e) {
                return fail(ATTRIB_E_FORMAT, "torch.export program: " +
                                                 one_line(e.what_without_backtrace()));
            } catch (const std::bad_alloc &) {
                throw;
            } catch (const std::exception &e) {
                return fail(ATTRIB_E_FORMAT, std::string("torch.export program: ") + e.what());
            }
        } else {
            model->backend = load_torchscript(data, len, model->device, &model->card, &missing);
        }
        if (!model->backend)
            return fail(ATTRIB_E_OPERATOR,
                        "the model uses the operator " + missing + ", which libtorch " +
                            TORCH_VERSION + " (the one this attrib runs on) lacks: "
                            "build attrib against a newer libtorch (scripts/setup.sh --libtorch)");
        model->has_card = !model->card.empty();
        *out = model.release();
        return ATTRIB_OK;
    });
}

void attrib_model_free(attrib_model *model) { delete model; }

attrib_status attrib_model_describe(const attrib_model *model, attrib_model_info *out) {
    if (!model || !out) return fail(ATTRIB_E_ARG, "null argument");
    out->format = model->backend->format();
    out->fixed_batch = model->backend->fixed_batch();
    return ATTRIB_OK;
}

const char *attrib_model_card(const attrib_model *model, size_t *len) {
    if (!model || !model->has_card) {
        if (len) *len = 0;
        return nullptr;
    }
    if (len) *len = model->card.size();
    return model->card.data();
}

attrib_status attrib_model_set_objective(attrib_model *model, attrib_objective objective,
                                        int64_t versus) {
    if (!model) return fail(ATTRIB_E_ARG, "null argument");
    if (objective < ATTRIB_SCORE || objective > ATTRIB_LOG_SIGMOID)
        return fail(ATTRIB_E_ARG, "unknown objective");
    model->objective = objective;
    model->versus = versus < 0 ? -1 : versus;
    return ATTRIB_OK;
}

attrib_status attrib_model_layers(attrib_model *model, const int64_t input_shape[4],
                                  attrib_layers **out) {
    if (!model || !input_shape || !out) return fail(ATTRIB_E_ARG, "null argument");
    *out = nullptr;
    return guarded(ATTRIB_E_MODEL, [&] {
        torch::NoGradGuard no_grad;
        std::vector<float> zeros(input_shape[0] * input_shape[1] * input_shape[2] * input_shape[3]);
        auto res = std::make_unique<attrib_layers>();
        for (auto &l : model->backend->layers(input_tensor(model, zeros.data(), input_shape)))
            res->entries.push_back({l.path, l.op, l.value_id, l.shape});
        *out = res.release();
        return ATTRIB_OK;
    });
}

attrib_status attrib_model_parameters(attrib_model *model, attrib_params **out) {
    if (!model || !out) return fail(ATTRIB_E_ARG, "null argument");
    *out = nullptr;
    return guarded(ATTRIB_E_MODEL, [&] {
        auto res = std::make_unique<attrib_params>();
        for (const auto &p : model->backend->parameters()) {
            res->names.push_back(p.first);
            // a copy: on the CPU, host() would share the parameter's storage
            res->values.push_back(host(p.second).clone());
        }
        *out = res.release();
        return ATTRIB_OK;
    });
}

attrib_status attrib_model_set_parameter(attrib_model *model, const char *name,
                                         const float *values, int64_t numel) {
    if (!model || !name || !values) return fail(ATTRIB_E_ARG, "null argument");
    return guarded(ATTRIB_E_MODEL, [&] {
        for (auto &p : model->backend->parameters()) {
            if (p.first != name) continue;
            if (p.second.numel() != numel)
                return fail(ATTRIB_E_ARG, "parameter '" + std::string(name) + "' has " +
                                              std::to_string(p.second.numel()) + " values, not " +
                                              std::to_string(numel));
            torch::NoGradGuard no_grad;
            at::Tensor src = torch::from_blob(const_cast<float *>(values), p.second.sizes(),
                                              torch::kFloat);
            p.second.copy_(src); // converts to the parameter's dtype and device
            model->backend->parameters_changed();
            return ATTRIB_OK;
        }
        return fail(ATTRIB_E_ARG, "the model has no parameter '" + std::string(name) + "'");
    });
}

}  // extern "C"
