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
    "  1  an input image could not be read or processed\n"
    "  2  bad command line\n"
    "  3  model file missing, unreadable or not a usable classifier\n"
    "  4  an output file or standard output could not be written\n"
    "  5  internal failure (e.g. out of memory)\n"
    "  130/143  interrupted by SIGINT/SIGTERM (no partial files are left)\n";

int parse_long(const char *arg, long min, long max, const char *option, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (end == arg || *end != '\0' || errno == ERANGE)
        return fail(EXIT_USAGE, "%s: '%s' is not a whole number", option, arg);
    if (v < min || v > max)
        return fail(EXIT_USAGE, "%s: %ld is out of range [%ld, %ld]", option, v, min, max);
    *out = v;
    return EXIT_OK;
}

int parse_double(const char *arg, double min, double max, const char *option, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    if (end == arg || *end != '\0' || errno == ERANGE || !isfinite(v))
        return fail(EXIT_USAGE, "%s: '%s' is not a number", option, arg);
    if (v < min || v > max)
        return fail(EXIT_USAGE, "%s: %g is out of range [%g, %g]", option, v, min, max);
    *out = v;
    return EXIT_OK;
}

void model_opts_init(struct model_opts *o)
{
    o->model_path = NULL;
    o->threads = 0;
    o->resize = RESIZE_STRETCH;
}

int model_opts_parse(struct model_opts *o, int opt, const char *arg)
{
    long n = 0;
    switch (opt) {
    case OPT_MODEL:
        o->model_path = arg;
        return EXIT_OK;
    case OPT_THREADS:
        if (parse_long(arg, 1, 1024, "--threads", &n))
            return EXIT_USAGE;
        o->threads = (int)n;
        return EXIT_OK;
    case OPT_RESIZE:
        if (strcmp(arg, "stretch") == 0)
            o->resize = RESIZE_STRETCH;
        else if (strcmp(arg, "crop") == 0)
            o->resize = RESIZE_CROP;
        else
            return fail(EXIT_USAGE, "--resize: '%s' is not one of: stretch, crop", arg);
        return EXIT_OK;
    default:
        return -1;
    }
}

int bad_option(int argc, char **argv)
{
    const char *word = optind - 1 < argc ? argv[optind - 1] : "";
    if (optopt && optopt < 256 && optopt != '?')
        return fail(EXIT_USAGE, "option -%c is unknown or needs a value (see --help)", optopt);
    return fail(EXIT_USAGE, "option '%s' is unknown or needs a value (see --help)", word);
}
