/* gradcam.h - Grad-CAM, shared by gradcam and guided-gradcam. */
#ifndef ATTRIB_GRADCAM_H
#define ATTRIB_GRADCAM_H

#include "explain.h"

/* Grad-CAM of run->layer for input x and class target (< 0: the top-1):
 * a->map (input size), a->cam and the layer fields of s; a->res holds the
 * pass. */
int gradcam_compute(struct explain_run *run, const float *x, int64_t target,
                    struct attribution *a, struct summary *s);

#endif
