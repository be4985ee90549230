/* command.h - what a command declares: struct command_spec (its synopsis,
 * description, option table and entry point) and the kinds of operands it
 * takes. A command's file (src/cmd/NAME.c) includes this and defines one
 * const struct command_spec; the table of all of them is commands.c. */
#ifndef ATTRIB_COMMAND_H
#define ATTRIB_COMMAND_H

#include <stdio.h>

#include "options.h"

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

/* The most rows a command's assembled table has (an attribution method's:
 * its own rows and the shared groups, explain/spec.c). */
#define COMMAND_SPEC_ROWS 12

#endif
