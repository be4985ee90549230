/* cli.c - strict number parsing and the model options shared by subcommands. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

const char exit_codes_help[] =
    "Exit status:\n"
    "  0  success\n"
    "  1  an input (an image, or the class asked for it) could not be processed,\n"
    "     or needed more memory alone than the device has; in a batch the other\n"
    "     inputs were done. Also: a check failed (compare, golden check, sanity\n"
    "     --max-similarity, drift --max-moved)\n"
    "  2  bad command line\n"
    "  3  model file missing, unreadable or not a usable model\n"
    "  4  an output file or standard output could not be written\n"
    "  5  internal failure (e.g. out of memory)\n"
    "  130/143  interrupted by SIGINT/SIGTERM (no partial files are left)\n"
    "  141  standard output's reader went away (attrib ... | head), quietly\n";

static const char *const resize_words[] = { "stretch", "crop", NULL };
static const char *const device_words[] = { "auto", "cpu", "cuda", NULL };

/* auto | cpu | cuda | cuda:N (cuda is cuda:0, as in PyTorch). */
static int parse_device(const struct opt *o, const char *arg, void *dest)
{
    struct device_choice *d = dest;
    long index = 0;
    if (strcmp(arg, "auto") == 0 || strcmp(arg, "cpu") == 0) {
        d->kind = arg[0] == 'a' ? DEVICE_AUTO : DEVICE_CPU;
        d->index = 0;
        return EXIT_OK;
    }
    if (strncmp(arg, "cuda", 4) == 0 && (arg[4] == '\0' || arg[4] == ':')) {
        char what[64];
        snprintf(what, sizeof what, "the device number in --%s cuda:N", o->name);
        if (arg[4] == ':' && parse_long(arg + 5, 0, MAX_CUDA_INDEX, what, &index))
            return EXIT_USAGE;
        d->kind = DEVICE_CUDA;
        d->index = (int)index;
        return EXIT_OK;
    }
    return fail(EXIT_USAGE, "--%s must be auto, cpu, cuda or cuda:N; got '%s'", o->name, arg);
}

const struct opt model_run_options[] = {
    { .kind = OPTK_INT, .name = "threads", .offset = OPT_FIELD(struct model_opts, threads, long),
      .min = 1, .max = MAX_THREADS, .metavar = "N", .help = "intra-op threads",
      .flags = OPT_NOT_RESULT,
      .default_text = "$ATTRIB_THREADS, then $OMP_NUM_THREADS, then the cores available" },
    OPT_ENUM(0, "resize", struct model_opts, resize, resize_words, RESIZE_STRETCH,
             "stretch: resize straight to the model's input; crop: scale the shorter side "
             "to fit, then centre-crop"),
    { .kind = OPTK_CUSTOM, .name = "device", .offset = offsetof(struct model_opts, device),
      .parse = parse_device, .words = device_words, .metavar = "DEV",
      .flags = OPT_NOT_RESULT, /* the device it ran on is in the key by itself */
      .help = "where the model runs: auto (CUDA device 0 when this attrib has CUDA and a GPU "
              "is visible, else the CPU), cpu, cuda or cuda:N",
      .default_text = "auto" },
    OPT_END,
};

const struct opt model_options[] = {
    { .kind = OPTK_PATH, .name = "model", .offset = offsetof(struct model_opts, model_path),
      .metavar = "PATH", .flags = OPT_COMPLETE_FILE,
      .help = "TorchScript classifier",
      .default_text = "$ATTRIB_MODEL, then models/" "mobilenet_v2_1.0_224.pt next to the tool" },
    OPT_GROUP_HERE(NULL, model_run_options),
    OPT_END,
};

int parse_long(const char *arg, long min, long max, const char *what, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (end == arg || *end != '\0' || errno == ERANGE)
        return fail(EXIT_USAGE, "%s must be an integer from %ld to %ld, got '%s'", what, min,
                    max, arg);
    if (v < min || v > max)
        return fail(EXIT_USAGE, "%s must be an integer from %ld to %ld, got %ld", what, min, max,
                    v);
    *out = v;
    return EXIT_OK;
}

int parse_double(const char *arg, double min, double max, const char *what, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    if (end == arg || *end != '\0' || errno == ERANGE || !isfinite(v))
        return fail(EXIT_USAGE, "%s must be a number from %g to %g, got '%s'", what, min, max,
                    arg);
    if (v < min || v > max)
        return fail(EXIT_USAGE, "%s must be a number from %g to %g, got %g", what, min, max, v);
    *out = v;
    return EXIT_OK;
}

void model_opts_init(struct model_opts *o)
{
    opts_defaults(model_options, o);
}
