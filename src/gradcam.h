/* gradcam.h - Grad-CAM, shared by gradcam and guided-gradcam. */
#ifndef ATTRIB_GRADCAM_H
#define ATTRIB_GRADCAM_H

#include "explain.h"

/* Grad-CAM of run->layer for the batch and per-image classes targets
 * (< 0: the top-1): every a->map (input size), a->cam and the layer fields
 * of the summaries; b->res holds the pass. */
int gradcam_compute(struct explain_run *run, struct batch *b, const int64_t *targets);

#endif
