/* adam.h - the Adam optimiser (Kingma & Ba 2015) over a float vector, as
 * torch.optim.Adam steps it (bias-corrected moments, epsilon added after
 * the square root). Used by CW's descent (attacks.c) and classviz's
 * spectrum (ascent.c). Pure C. */
#ifndef ATTRIB_ADAM_H
#define ATTRIB_ADAM_H

#include <stddef.h>

struct adam {
    float *m1, *m2; /* first and second moments, n each */
    size_t n;
    long t;         /* steps taken */
};

/* Moments for n parameters, zero. EXIT_OK or EXIT_INTERNAL. */
int adam_init(struct adam *a, size_t n);
void adam_free(struct adam *a);

/* Back to step 0 (zero moments), for a new descent. */
void adam_reset(struct adam *a);

/* One step down the gradient: params -= lr * m1^ / (sqrt(m2^) + eps); a
 * negative lr climbs. */
void adam_step(struct adam *a, float *params, const float *grad, double lr);

#endif
