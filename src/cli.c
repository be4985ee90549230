/* cli.c - strict number parsing and the model options shared by subcommands. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

const char exit_codes_help[] =
    "Exit status:\n"
    "  0  success\n"
    "  1  an input (an image, or the class asked for it) could not be processed;\n"
    "     in a batch the other inputs were done\n"
    "  2  bad command line\n"
    "  3  model file missing, unreadable or not a usable classifier\n"
    "  4  an output file or standard output could not be written\n"
    "  5  internal failure (e.g. out of memory)\n"
    "  130/143  interrupted by SIGINT/SIGTERM (no partial files are left)\n";

static const char *const resize_words[] = { "stretch", "crop", NULL };

const struct opt model_options[] = {
    { .kind = OPTK_PATH, .name = "model", .offset = offsetof(struct model_opts, model_path),
      .metavar = "PATH", .flags = OPT_COMPLETE_FILE,
      .help = "TorchScript classifier",
      .default_text = "$ATTRIB_MODEL, then models/" "mobilenet_v2_1.0_224.pt next to the tool" },
    { .kind = OPTK_INT, .name = "threads", .offset = OPT_FIELD(struct model_opts, threads, long),
      .min = 1, .max = MAX_THREADS, .metavar = "N", .help = "intra-op threads",
      .default_text = "all available cores" },
    OPT_ENUM(0, "resize", struct model_opts, resize, resize_words, RESIZE_STRETCH,
             "stretch: resize straight to the model's input; crop: scale the shorter side "
             "to fit, then centre-crop"),
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
