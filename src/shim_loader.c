/* shim_loader.c - the shim (and with it libtorch) is a shared library
 * loaded on the first call that needs it, not at exec: libtorch's static
 * initialisers take a third of a second of CPU, which `--help`, `completion`
 * (run from shell start-up files), `compare`, `merge` and every refused
 * command line should not pay. Each function of attrib/shim.h is defined
 * here as a forwarder to the library's own, found with dlsym. */
#include "shim_loader.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "attrib/shim.h"
#include "timer.h"

#define SHIM_FILE "libattrib_shim.so"

/* Where the library is looked for, relative to the executable's folder:
 * beside it (the build tree), then the installed layout. */
static const char *const search[] = { "", "../lib/attrib/" };

/* The API: return type, name, parameters, argument names, and what the
 * call returns when the library cannot be loaded. */
#define SHIM_FUNCTIONS(X)                                                                      \
    X(attrib_status, attrib_runtime_init, (int threads), (threads), ATTRIB_E_MODEL)           \
    X(int, attrib_runtime_threads, (void), (), 0)                                             \
    X(const char *, attrib_libtorch_version, (void), (), "unknown")                           \
    X(int, attrib_cuda_compiled, (void), (), 0)                                               \
    X(int, attrib_cuda_device_count, (void), (), 0)                                           \
    X(attrib_status, attrib_model_load,                                                       \
      (const void *data, size_t len, int device, attrib_model **out), (data, len, device, out), \
      ATTRIB_E_MODEL)                                                                         \
    X(const char *, attrib_model_card, (const attrib_model *model, size_t *len),             \
      (model, len), NULL)                                                                     \
    X(attrib_status, attrib_forward,                                                          \
      (attrib_model *model, const float *x, const int64_t shape[4], attrib_result **out),    \
      (model, x, shape, out), ATTRIB_E_MODEL)                                                 \
    X(attrib_status, attrib_input_gradient,                                                   \
      (attrib_model *model, const float *x, const int64_t shape[4], const int64_t *target,   \
       attrib_result **out),                                                                  \
      (model, x, shape, target, out), ATTRIB_E_MODEL)                                         \
    X(attrib_status, attrib_model_set_objective,                                              \
      (attrib_model *model, attrib_objective objective, int64_t versus),                     \
      (model, objective, versus), ATTRIB_E_MODEL)                                             \
    X(attrib_status, attrib_layer_scaled_forward,                                             \
      (attrib_model *model, const float *x, const int64_t shape[4], const char *layer,       \
       const float *scale, int64_t channels, attrib_result **out),                           \
      (model, x, shape, layer, scale, channels, out), ATTRIB_E_MODEL)                         \
    X(attrib_status, attrib_layer_gradient,                                                   \
      (attrib_model *model, const float *x, const int64_t shape[4], const int64_t *target,   \
       const char *layer, const attrib_layer_view *view, attrib_result **out),               \
      (model, x, shape, target, layer, view, out), ATTRIB_E_MODEL)                            \
    X(attrib_status, attrib_layer_input_gradient,                                             \
      (attrib_model *model, const float *x, const int64_t shape[4], const char *layer,       \
       const attrib_layer_view *view, const float *layer_weights, size_t layer_weights_len,  \
       const float *logit_weights, attrib_result **out),                                      \
      (model, x, shape, layer, view, layer_weights, layer_weights_len, logit_weights, out),  \
      ATTRIB_E_MODEL)                                                                         \
    X(attrib_status, attrib_layer_weighted_gradient,                                          \
      (attrib_model *model, const float *x, const int64_t shape[4], const char *layer,       \
       const attrib_layer_view *view, attrib_weigh_fn weigh, void *ctx,                      \
       const float *logit_weights, attrib_result **out),                                      \
      (model, x, shape, layer, view, weigh, ctx, logit_weights, out), ATTRIB_E_MODEL)         \
    X(attrib_status, attrib_modified_gradient,                                                \
      (attrib_model *model, attrib_backward_rule rule, const float *x,                       \
       const int64_t shape[4], const int64_t *target, attrib_result **out),                  \
      (model, rule, x, shape, target, out), ATTRIB_E_MODEL)                                   \
    X(attrib_status, attrib_model_layers,                                                     \
      (attrib_model *model, const int64_t input_shape[4], attrib_layers **out),              \
      (model, input_shape, out), ATTRIB_E_MODEL)                                              \
    X(size_t, attrib_layers_count, (const attrib_layers *layers), (layers), 0)                \
    X(attrib_status, attrib_layers_get,                                                       \
      (const attrib_layers *layers, size_t i, const char **path, const char **op,            \
       int64_t *value_id, int64_t shape[8], int *ndim),                                       \
      (layers, i, path, op, value_id, shape, ndim), ATTRIB_E_MODEL)                          \
    X(const float *, attrib_result_logits,                                                    \
      (const attrib_result *res, int64_t *n, int64_t *classes), (res, n, classes), NULL)     \
    X(const float *, attrib_result_input_grad, (const attrib_result *res, int64_t shape[4]), \
      (res, shape), NULL)                                                                     \
    X(const float *, attrib_result_layer, (const attrib_result *res, int64_t shape[4]),      \
      (res, shape), NULL)                                                                     \
    X(const float *, attrib_result_layer_grad, (const attrib_result *res, int64_t shape[4]), \
      (res, shape), NULL)                                                                     \
    X(const int64_t *, attrib_result_targets, (const attrib_result *res), (res), NULL)       \
    X(attrib_status, attrib_attention,                                                        \
      (attrib_model *model, const float *x, const int64_t shape[4], const int64_t *target,   \
       int with_grad, attrib_result **out),                                                   \
      (model, x, shape, target, with_grad, out), ATTRIB_E_MODEL)                              \
    X(size_t, attrib_result_attention_count, (const attrib_result *res), (res), 0)            \
    X(const float *, attrib_result_attention,                                                 \
      (const attrib_result *res, size_t i, int64_t shape[4]), (res, i, shape), NULL)         \
    X(const float *, attrib_result_attention_grad,                                            \
      (const attrib_result *res, size_t i, int64_t shape[4]), (res, i, shape), NULL)         \
    X(attrib_status, attrib_lrp,                                                              \
      (attrib_model *model, const attrib_lrp_params *params, const float *x,                 \
       const int64_t shape[4], const int64_t *target, attrib_result **out),                  \
      (model, params, x, shape, target, out), ATTRIB_E_MODEL)                                 \
    X(attrib_status, attrib_bias_gradients,                                                   \
      (attrib_model *model, const float *x, const int64_t shape[4], const int64_t *target,   \
       attrib_result **out),                                                                  \
      (model, x, shape, target, out), ATTRIB_E_MODEL)                                         \
    X(size_t, attrib_result_bias_count, (const attrib_result *res), (res), 0)                 \
    X(const float *, attrib_result_bias_grad,                                                 \
      (const attrib_result *res, size_t i, int64_t shape[4]), (res, i, shape), NULL)         \
    X(const float *, attrib_result_bias,                                                      \
      (const attrib_result *res, size_t i, int64_t *channels), (res, i, channels), NULL)     \
    X(attrib_status, attrib_model_parameters, (attrib_model *model, attrib_params **out),     \
      (model, out), ATTRIB_E_MODEL)                                                           \
    X(size_t, attrib_params_count, (const attrib_params *params), (params), 0)                \
    X(attrib_status, attrib_params_get,                                                       \
      (const attrib_params *params, size_t i, const char **name, const float **values,       \
       int64_t *numel),                                                                        \
      (params, i, name, values, numel), ATTRIB_E_MODEL)                                       \
    X(attrib_status, attrib_model_set_parameter,                                              \
      (attrib_model *model, const char *name, const float *values, int64_t numel),           \
      (model, name, values, numel), ATTRIB_E_MODEL)

/* Functions that free or only read a handle: before the library is loaded
 * there is no handle, so they do nothing. */
#define SHIM_RELEASERS(X)                                                         \
    X(attrib_model_free, attrib_model *model, model)                              \
    X(attrib_result_free, attrib_result *res, res)                                \
    X(attrib_layers_free, attrib_layers *layers, layers)                          \
    X(attrib_params_free, attrib_params *params, params)

static struct {
    void *handle;
    int tried;
    char error[PATH_MAX + 256];
#define SLOT(ret, name, params, args, failure) ret(*name) params;
    SHIM_FUNCTIONS(SLOT)
#undef SLOT
#define RELEASER_SLOT(name, param, arg) void (*name)(param);
    SHIM_RELEASERS(RELEASER_SLOT)
#undef RELEASER_SLOT
    const char *(*last_error)(void);
} lib;

/* RTLD_LAZY as the dynamic linker binds at exec: RTLD_NOW would resolve
 * every one of libtorch's symbols up front. */
static void *open_beside_executable(void)
{
    char exe[PATH_MAX], path[PATH_MAX + 64];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash)
            slash[1] = '\0';
        for (size_t i = 0; i < sizeof search / sizeof search[0]; i++) {
            snprintf(path, sizeof path, "%s%s%s", exe, search[i], SHIM_FILE);
            if (access(path, F_OK) == 0)
                return dlopen(path, RTLD_LAZY | RTLD_LOCAL);
        }
    }
    return dlopen(SHIM_FILE, RTLD_LAZY | RTLD_LOCAL); /* LD_LIBRARY_PATH, the system's */
}

static int bind(void **slot, const char *name)
{
    *slot = dlsym(lib.handle, name);
    if (*slot)
        return 1;
    snprintf(lib.error, sizeof lib.error, "%s lacks %s", SHIM_FILE, name);
    return 0;
}

int shim_load(void)
{
    if (lib.tried)
        return lib.handle != NULL;
    lib.tried = 1;
    lib.handle = open_beside_executable();
    if (!lib.handle) {
        const char *e = dlerror();
        snprintf(lib.error, sizeof lib.error, "cannot load libtorch (%s): %s", SHIM_FILE,
                 e ? e : "not found");
        return 0;
    }
    int ok = bind((void **)&lib.last_error, "attrib_last_error");
#define BIND(ret, name, params, args, failure) ok = ok && bind((void **)&lib.name, #name);
    SHIM_FUNCTIONS(BIND)
#undef BIND
#define BIND_RELEASER(name, param, arg) ok = ok && bind((void **)&lib.name, #name);
    SHIM_RELEASERS(BIND_RELEASER)
#undef BIND_RELEASER
    if (!ok) {
        dlclose(lib.handle);
        lib.handle = NULL;
    }
    return ok;
}

const char *attrib_last_error(void)
{
    return lib.handle ? lib.last_error() : lib.error;
}

static double busy_ms;

double shim_busy_ms(void)
{
    return busy_ms;
}

/* A call before a successful load loads the library; if that fails, the
 * call fails as the model's would (a status) or returns nothing. The time
 * inside counts as the shim's (a clock read costs ~20 ns; a pass, ms). */
#define FORWARDER(ret, name, params, args, failure) \
    ret name params                                 \
    {                                               \
        if (!shim_load())                           \
            return failure;                         \
        double t0 = now_ms();                       \
        ret r = lib.name args;                      \
        busy_ms += now_ms() - t0;                   \
        return r;                                   \
    }
SHIM_FUNCTIONS(FORWARDER)
#undef FORWARDER

#define RELEASER(name, param, arg) \
    void name(param)               \
    {                              \
        if (lib.handle)            \
            lib.name(arg);         \
    }
SHIM_RELEASERS(RELEASER)
#undef RELEASER
