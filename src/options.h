/* options.h - command-line options declared once, as data.
 *
 * Every option of every command is one row of a table: its long name, short
 * letter, kind, range or allowed words, destination (an offset into the
 * command's options struct), default and one help line. The parser, the
 * range and word checks, every error message, the --help text, the shell
 * completions and the man page are all made from the rows (git's
 * parse-options and curl's tool_getparam.c have this shape). A row of kind
 * OPTK_GROUP includes another table, at an offset, under a heading: the
 * options several commands share (model, output, batch, tolerances) are
 * such tables. */
#ifndef ATTRIB_OPTIONS_H
#define ATTRIB_OPTIONS_H

#include <stddef.h>
#include <stdio.h>

enum opt_kind {
    OPTK_END = 0, /* ends a table */
    OPTK_FLAG,    /* no value; destination int, set to 1 */
    OPTK_INT,     /* whole number in [min, max]; destination long */
    OPTK_REAL,    /* finite number in [min, max]; destination double */
    OPTK_STRING,  /* any non-empty text; destination const char * */
    OPTK_PATH,    /* a file or directory (completed as one); destination const char * */
    OPTK_ENUM,    /* one of words; destination int, the word's index */
    OPTK_LIST,    /* comma-separated items, checked by parse (if set); const char * */
    OPTK_CUSTOM,  /* parse() reads the value into the destination */
    OPTK_GROUP    /* the rows of group, at offset, under the heading help */
};

/* Completion hints for a value (flags of a row). */
enum {
    OPT_COMPLETE_FILE = 1 << 0, /* a file name (OPTK_PATH implies it) */
    OPT_COMPLETE_DIR = 1 << 1,  /* a directory */
    /* How a run goes or reports (threads, batch size, quiet, where files go),
     * not what it computes: left out of a run's key (--resume). */
    OPT_NOT_RESULT = 1 << 2,
};

struct opt;
/* Reads arg into dest for OPTK_CUSTOM (and checks an OPTK_LIST, dest
 * NULL; for an OPTK_INT, says what a value that is not an integer was
 * taken for, dest NULL); EXIT_OK, or EXIT_USAGE with a message naming the
 * option. */
typedef int (*opt_parse_fn)(const struct opt *o, const char *arg, void *dest);
/* Writes an OPTK_CUSTOM destination's value as text (a run's key). */
typedef void (*opt_format_fn)(const void *dest, char *buf, size_t size);

struct opt {
    enum opt_kind kind;
    const char *name;        /* long name without "--"; group: NULL */
    char letter;             /* short option, 0 for none */
    size_t offset;           /* destination in the options struct */
    const char *metavar;     /* the value's name in --help ("N"); NULL: from the kind */
    const char *help;        /* one line (wrapped on output); group: its heading */
    double min, max;         /* OPTK_INT, OPTK_REAL */
    double def;              /* default: INT, REAL; ENUM: the word's index */
    const char *def_str;     /* default of STRING, PATH, LIST */
    const char *default_text;/* shown as the default instead; "" shows none */
    const char *const *words;/* ENUM: the allowed words (NULL-ended); others: completions */
    opt_parse_fn parse;      /* OPTK_CUSTOM; optional for OPTK_LIST and OPTK_INT */
    const struct opt *group; /* OPTK_GROUP */
    unsigned flags;          /* OPT_COMPLETE_*, OPT_NOT_RESULT */
    opt_format_fn format;    /* OPTK_CUSTOM that is part of a run's key */
};

/* Compile-time check that field of type st has type t (a row's kind decides
 * how its destination is written, so a mismatch must not build). */
#define OPT_FIELD(st, field, t) \
    (offsetof(st, field) + 0 * sizeof(char[_Generic(((st *)0)->field, t: 1, default: -1)]))

#define OPT_FLAG(l, n, st, f, h) \
    { .kind = OPTK_FLAG, .letter = l, .name = n, .offset = OPT_FIELD(st, f, int), .help = h }
/* A flag that changes how a run goes or reports, not its results. */
#define OPT_RUN_FLAG(l, n, st, f, h)                                                        \
    { .kind = OPTK_FLAG, .letter = l, .name = n, .offset = OPT_FIELD(st, f, int), .help = h, \
      .flags = OPT_NOT_RESULT }
#define OPT_INT(l, n, st, f, lo, hi, d, mv, h)                                              \
    { .kind = OPTK_INT, .letter = l, .name = n, .offset = OPT_FIELD(st, f, long), .min = lo, \
      .max = hi, .def = d, .metavar = mv, .help = h }
#define OPT_REAL(l, n, st, f, lo, hi, d, mv, h)                                               \
    { .kind = OPTK_REAL, .letter = l, .name = n, .offset = OPT_FIELD(st, f, double), .min = lo, \
      .max = hi, .def = d, .metavar = mv, .help = h }
#define OPT_STRING(l, n, st, f, d, mv, h)                                                    \
    { .kind = OPTK_STRING, .letter = l, .name = n, .offset = OPT_FIELD(st, f, const char *), \
      .def_str = d, .metavar = mv, .help = h }
#define OPT_PATH(l, n, st, f, d, mv, h)                                                    \
    { .kind = OPTK_PATH, .letter = l, .name = n, .offset = OPT_FIELD(st, f, const char *), \
      .def_str = d, .metavar = mv, .help = h, .flags = OPT_COMPLETE_FILE }
#define OPT_DIR(l, n, st, f, d, mv, h)                                                     \
    { .kind = OPTK_PATH, .letter = l, .name = n, .offset = OPT_FIELD(st, f, const char *), \
      .def_str = d, .metavar = mv, .help = h, .flags = OPT_COMPLETE_DIR }
#define OPT_ENUM(l, n, st, f, w, d, h)                                                 \
    { .kind = OPTK_ENUM, .letter = l, .name = n, .offset = OPT_FIELD(st, f, int), .words = w, \
      .def = d, .help = h }
#define OPT_LIST(l, n, st, f, d, w, fn, mv, h)                                                \
    { .kind = OPTK_LIST, .letter = l, .name = n, .offset = OPT_FIELD(st, f, const char *),   \
      .def_str = d, .words = w, .parse = fn, .metavar = mv, .help = h }
#define OPT_CUSTOM(l, n, st, f, fn, w, mv, h)                                               \
    { .kind = OPTK_CUSTOM, .letter = l, .name = n, .offset = offsetof(st, f), .parse = fn, \
      .words = w, .metavar = mv, .help = h }
#define OPT_GROUP(heading, st, f, rows) \
    { .kind = OPTK_GROUP, .offset = offsetof(st, f), .group = rows, .help = heading }
#define OPT_GROUP_HERE(heading, rows) { .kind = OPTK_GROUP, .group = rows, .help = heading }
#define OPT_END { .kind = OPTK_END }

/* The largest number of rows a command has, groups flattened. */
#define OPT_MAX_ROWS 96

/* One row as a command sees it: groups flattened, offsets made absolute. */
struct opt_row {
    const struct opt *o;
    size_t offset;
    const char *heading; /* the group's heading, NULL for the top table */
};

/* The rows of table, groups flattened in order, into rows (OPT_MAX_ROWS);
 * their number. */
int opts_flatten(const struct opt *table, struct opt_row *rows);

/* The value of every row that decides a run's results (all but
 * OPT_NOT_RESULT rows), one "name=value" line each in table order, into out
 * (malloc'd; the caller frees it). EXIT_OK, or EXIT_INTERNAL (out of memory,
 * or an OPTK_CUSTOM row without a format: a table's mistake). */
int opts_fingerprint(const struct opt *table, const void *opts, char **out);

/* Writes every row's default into opts. */
void opts_defaults(const struct opt *table, void *opts);

/* What the parser leaves besides the options. */
struct opt_operands {
    char **args;  /* the operands, in order (pointers into argv) */
    int n;
    int dashdash; /* how many of them came before "--" (n if there was none) */
};

/* Parses argv[1..argc-1] (argv[0] names the command in messages) into opts:
 * options anywhere, "--" ends them, "-" is an operand; after stop_after
 * operands (0: never) the rest are operands too. --help/-h sets *help and
 * stops. ops->args must hold argc pointers. EXIT_OK or EXIT_USAGE. */
int opts_parse(const struct opt *table, void *opts, int argc, char **argv, int stop_after,
               struct opt_operands *ops, int *help);

/* Sets the option called name to value (NULL for a flag), as the parser
 * would; messages start with prefix instead of "--NAME" (eval's
 * "--methods integrated-gradients:steps"). EXIT_OK or EXIT_USAGE. */
int opts_set(const struct opt *table, void *opts, const char *name, const char *value,
             const char *prefix);

/* The row called name (long name), or NULL. */
const struct opt *opts_find(const struct opt *table, const char *name, size_t *offset);

/* Whether the row takes a value. */
int opt_takes_value(const struct opt *o);

/* The value's name: the metavar, or one made from the kind ("N", "X",
 * "a|b|c" for a short word list). */
const char *opt_metavar(const struct opt *o, char *buf, size_t size);

/* The default as --help shows it ("" when there is none to show). */
const char *opt_default_text(const struct opt *o, char *buf, size_t size);

/* The --help listing of table: a heading per group, a row per option,
 * help wrapped to 80 columns, defaults and allowed words added. */
void opts_print_help(FILE *f, const struct opt *table);

/* The index of word in the NULL-ended list words, or -1. */
int opts_word_index(const char *const *words, const char *word);

/* Damerau-Levenshtein (optimal string alignment) distance, capped at cap+1. */
int edit_distance(const char *a, const char *b, int cap);

/* Looks up which commands have an option called name, for the message
 * about an option given to the wrong command; set by main. */
extern void (*opts_commands_with)(const char *name, char *buf, size_t size);

#endif
