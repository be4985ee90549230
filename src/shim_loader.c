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

/* The API, made from attrib/shim.h at build time (tools/shim_list.c):
 * SHIM_FUNCTIONS(X) holds X(return type, name, parameters, argument names,
 * what the call returns when the library cannot be loaded) for every
 * function; SHIM_RELEASERS(X) holds X(name, parameter, argument) for those
 * that free a handle: before the library is loaded there is no handle, so
 * they do nothing. */
#include "shim_list.h"

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
