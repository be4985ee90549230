/* commands.h - the subcommands: what each one declares (struct
 * command_spec: its synopsis, description, option table and entry point)
 * and the table of all of them (commands.c). */
#ifndef ATTRIB_COMMANDS_H
#define ATTRIB_COMMANDS_H

#include <stdio.h>

#include "options.h"

struct method;

/* What a command's operands are, for completions and the man page. */
enum operand_kind {
    OPERANDS_NONE,   /* none */
    OPERANDS_IMAGES, /* image files, directories, "-" */
    OPERANDS_FILES,  /* files or directories */
    OPERANDS_MODEL,  /* one model file */
    OPERANDS_WORDS,  /* first a word of operand_words, then files */
    OPERANDS_COMMAND /* a command's name */
};

/* The command line's operands, options taken out (options.h). */
typedef struct opt_operands operands;

struct command_spec {
    const char *synopsis;     /* usage lines, "attrib NAME ..." ('\n' between forms) */
    const char *description;  /* what it does, in paragraphs */
    void (*more_help)(FILE *f); /* generated text after the description; optional */
    const struct opt *options;/* its option table */
    size_t opts_size;         /* the struct the table writes into */
    int stop_after;           /* operands after which options end (0: never) */
    enum operand_kind operands;
    const char *const *operand_words; /* OPERANDS_WORDS */
    /* Runs with the parsed options (defaults where not given). Returns an
     * enum attrib_exit code; a failure's message is in error_message(). */
    int (*run)(void *opts, const operands *ops);
};

/* The table, the options struct it writes into and the entry point of a
 * command_spec, in one: COMMAND_RUN(struct predict_opts, options, cmd_predict). */
#define COMMAND_RUN(st, table, fn) .options = table, .opts_size = sizeof(st), .run = fn

struct command {
    const char *name;
    const struct command_spec *spec; /* NULL for an attribution method */
    const struct method *method;     /* which explain_main runs */
    const char *help;                /* one line for 'attrib --help' */
};

extern const struct command commands[];
extern const int ncommands;

/* The command called name, or NULL. */
const struct command *command_find(const char *name);

/* A method command's spec is made from its method: table (its own rows and
 * the shared groups) goes into rows, which must hold COMMAND_SPEC_ROWS. */
#define COMMAND_SPEC_ROWS 12
void command_spec_of(const struct command *cmd, struct command_spec *spec, struct opt *rows);

/* Prints 'attrib --help': the commands and the exit codes. */
void commands_usage(FILE *f);

/* Prints the command's --help: synopsis, description, options, exit codes. */
void command_help(FILE *f, const struct command *cmd);

extern const struct command_spec predict_spec, eval_spec, sanity_spec, drift_spec, fool_spec, classviz_spec,
    compare_spec, golden_spec, merge_spec, classes_spec, layers_spec, completion_spec, help_spec;

#endif
