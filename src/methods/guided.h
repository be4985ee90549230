/* guided.h - guided backpropagation, shared by guided-backprop and
 * guided-gradcam, and the deconvnet's backward rule. */
#ifndef ATTRIB_GUIDED_H
#define ATTRIB_GUIDED_H

#include "explain/method.h"

/* The guided gradient of every image into a->chw (3xHxW, has_chw set) and
 * its |max over channels| into a->map; b->res holds the pass. */
int guided_compute(struct explain_run *run, struct batch *b);

/* The same with another backward rule for the rectifiers (deconvnet). */
int modified_backward_compute(struct explain_run *run, struct batch *b,
                              attrib_backward_rule rule);

#endif
