/* explain/pipeline.h - the images of an attribution run through the
 * method, mini-batch by mini-batch, in three stages that overlap when the
 * run has workers (run->workers, threads.h's split):
 *
 *   main thread   look up batch k+1 (--resume, --cache)  | compute batch k
 *   workers       decode batch k+1  +  pictures of batch k-1, beside it
 *   main thread   files of batch k-1, then batch k's served and failed
 *                 images, its scores and statistics
 *
 * so every file, stdout line, report record and error line comes in the
 * order a run without workers gives (input order; in a batch its served and
 * failed images first, as always). With workers three mini-batches are in
 * memory at once (their decoded photos, inputs, maps and one batch's
 * encoded pictures); without, one at a time, each written before the next
 * is gathered. Nothing grows with the folder. */
#ifndef ATTRIB_EXPLAIN_PIPELINE_H
#define ATTRIB_EXPLAIN_PIPELINE_H

#include "inputs.h"
#include "method.h"
#include "report.h"

/* Every input, batch by batch, into its files and rep (rep->root NULL: no
 * report); EXIT_INPUT when some image failed alone. */
int explain_all(struct explain_run *run, struct input_list *in, struct report *rep);

#endif
