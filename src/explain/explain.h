/* explain/explain.h - the driver every attribution command runs on: inputs
 * (files, directories, stdin), model, layer, mini-batches through the
 * method's compute (method.h), each image's files and the run's report.
 * Commands that run methods themselves (eval, sanity, drift) open runs
 * here and call explain_compute. */
#ifndef ATTRIB_EXPLAIN_H
#define ATTRIB_EXPLAIN_H

#include "method.h"
#include "options.h"

/* `attrib NAME INPUT... [options]`: run holds the parsed options of
 * method m's table (explain_spec). */
int explain_main(const struct method *m, struct explain_run *run, const struct opt_operands *ops);

/* A run of method m on an already open model (shared, not owned), with the
 * default options but for settings, "key=value" pairs separated by ':' of
 * m's own options (NULL for none; messages start with what), its layer
 * chosen and the method prepared: how `attrib eval` runs several methods on
 * one model. Release with explain_run_close. */
int explain_run_open(struct explain_run *run, const struct method *m, const struct model *model,
                     const struct model_opts *mo, const char *settings, const char *what);
void explain_run_close(struct explain_run *run);

/* Parses settings as explain_run_open would, into a scratch run: for
 * checking eval's --methods before any model is open. */
int explain_check_settings(const struct method *m, const char *settings, const char *what);

#endif
