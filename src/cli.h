/* cli.h - command-line helpers shared by the subcommands. */
#ifndef ATTRIB_CLI_H
#define ATTRIB_CLI_H

#include <getopt.h>
#include <stdio.h>

#include "image.h"

/* Parse a whole number / a finite real in [min, max]; on failure the message
 * names the option, and EXIT_USAGE is returned. */
int parse_long(const char *arg, long min, long max, const char *option, long *out);
int parse_double(const char *arg, double min, double max, const char *option, double *out);

/* Options every subcommand that runs a model accepts. */
struct model_opts {
    const char *model_path; /* --model; NULL: $ATTRIB_MODEL, then the default */
    int threads;            /* --threads; 0: all available cores */
    enum resize_mode resize;/* --resize stretch|crop */
};

enum { OPT_MODEL = 1000, OPT_THREADS, OPT_RESIZE, OPT_FIRST_COMMAND_OPTION };

#define MODEL_LONGOPTS                                        \
    { "model", required_argument, NULL, OPT_MODEL },          \
    { "threads", required_argument, NULL, OPT_THREADS },      \
    { "resize", required_argument, NULL, OPT_RESIZE }

#define MODEL_OPTS_HELP                                                              \
    "  --model PATH       TorchScript classifier (default: $ATTRIB_MODEL, then\n"    \
    "                     models/mobilenet_v2_1.0_224.pt next to the tool)\n"        \
    "  --threads N        intra-op threads (default: all available cores)\n"         \
    "  --resize MODE      stretch (default): resize straight to the model's input;\n" \
    "                     crop: scale the shorter side to fit, then centre-crop\n"

void model_opts_init(struct model_opts *o);
/* Handles opt if it is a model option: returns EXIT_OK when handled,
 * EXIT_USAGE on a bad value, -1 when opt is not a model option. */
int model_opts_parse(struct model_opts *o, int opt, const char *arg);

/* Turns getopt_long's '?' or ':' into a one-line usage message; returns
 * EXIT_USAGE. */
int bad_option(int argc, char **argv);

/* Exit-code table, printed by every --help. */
extern const char exit_codes_help[];

#endif
