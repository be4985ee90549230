/* commands.h - the table of every command (commands.c): each one's name,
 * its command_spec (command.h) or attribution method (explain/method.h),
 * and its line in 'attrib --help'. */
#ifndef ATTRIB_COMMANDS_H
#define ATTRIB_COMMANDS_H

#include <stdio.h>

#include "command.h"

struct method;

struct command {
    const char *name;
    const struct command_spec *spec; /* NULL for an attribution method */
    const struct method *method;     /* which explain_main runs */
    const char *help;                /* one line for 'attrib --help' */
};

/* The commands in 'attrib --help' order: command_at(i) for i below
 * command_count() (NULL past it). */
int command_count(void);
const struct command *command_at(int i);

/* The command called name, or NULL. */
const struct command *command_find(const char *name);

/* A method command's spec is made from its method: table (its own rows and
 * the shared groups) goes into rows, which must hold COMMAND_SPEC_ROWS. */
void command_spec_of(const struct command *cmd, struct command_spec *spec, struct opt *rows);

/* Prints 'attrib --help': the commands and the exit codes. */
void commands_usage(FILE *f);

/* Prints the command's --help: synopsis, description, options, exit codes. */
void command_help(FILE *f, const struct command *cmd);

extern const struct command_spec predict_spec, eval_spec, sanity_spec, drift_spec, fool_spec, classviz_spec,
    compare_spec, golden_spec, merge_spec, classes_spec, layers_spec, completion_spec, help_spec;

#endif
