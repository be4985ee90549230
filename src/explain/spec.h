/* explain/spec.h - the command line of every attribution command: its
 * method's own rows, then the shared groups (class, objective, layer,
 * output, batch, model options) into struct explain_run. */
#ifndef ATTRIB_EXPLAIN_SPEC_H
#define ATTRIB_EXPLAIN_SPEC_H

#include "command.h"
#include "method.h"

#define DEFAULT_BATCH_SIZE 2 /* measured: no gain above 2 (docs/BENCHMARKS.md) */

/* The command spec of method m: its synopsis and description, and its option
 * table (m's rows, then the shared groups) in rows (COMMAND_SPEC_ROWS). */
void explain_spec(const struct method *m, struct command_spec *spec, struct opt *rows);

#endif
