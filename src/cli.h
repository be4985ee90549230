/* cli.h - what the subcommands' command lines share: strict number parsing,
 * the model options (a table, options.h), and the exit-code text. */
#ifndef ATTRIB_CLI_H
#define ATTRIB_CLI_H

#include "card.h"
#include "image.h"
#include "options.h"

/* Parse a whole number / a finite real in [min, max]; on failure the message
 * names what (an option, a file line), and EXIT_USAGE is returned. */
int parse_long(const char *arg, long min, long max, const char *what, long *out);
int parse_double(const char *arg, double min, double max, const char *what, double *out);

#define MAX_THREADS 1024

/* --device: auto (the zero value, so a struct that was never parsed means
 * it), cpu, or CUDA device index. */
enum device_kind { DEVICE_AUTO = 0, DEVICE_CPU, DEVICE_CUDA };
struct device_choice {
    enum device_kind kind;
    int index; /* DEVICE_CUDA: 0, 1, ... */
};
#define MAX_CUDA_INDEX 63

/* Options every subcommand that runs a model accepts. */
struct model_opts {
    const char *model_path; /* --model; NULL: $ATTRIB_MODEL, then the default */
    long threads;           /* --threads; 0: not given (threads.h chooses) */
    int resize;             /* --resize: an enum resize_mode */
    struct device_choice device; /* --device */
};

extern const struct opt model_options[];
/* The same without --model: for commands that name their models otherwise
 * (drift's --models OLD,NEW). */
extern const struct opt model_run_options[];
#define MODEL_OPTIONS(st, field) OPT_GROUP("Model options", st, field, model_options)

void model_opts_init(struct model_opts *o);

/* A class index option (--class, --target) into a long: -1 when not given
 * (def_text says what happens then; "" says nothing). */
#define CLASS_OPTION(l, n, st, field, h, def_text)                                            \
    { .kind = OPTK_INT, .letter = l, .name = n, .offset = OPT_FIELD(st, field, long),         \
      .min = 0, .max = CARD_MAX_LABELS - 1, .def = -1, .metavar = "N", .help = h,              \
      .default_text = def_text }

/* Exit-code table, printed by every --help and the man page. */
extern const char exit_codes_help[];

#endif
