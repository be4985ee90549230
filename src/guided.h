/* guided.h - guided backpropagation, shared by guided-backprop and
 * guided-gradcam. */
#ifndef ATTRIB_GUIDED_H
#define ATTRIB_GUIDED_H

#include "explain.h"

/* The guided gradient of input x for class target (< 0: the top-1) into
 * a->chw (3xHxW, has_chw set) and its |max over channels| into a->map;
 * a->res holds the pass. */
int guided_compute(struct explain_run *run, const float *x, int64_t target,
                   struct attribution *a, struct summary *s);

#endif
