/* adam.c - the Adam optimiser (see adam.h). */
#include "adam.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* torch.optim.Adam's defaults. */
#define ADAM_BETA1 0.9
#define ADAM_BETA2 0.999
#define ADAM_EPSILON 1e-8

int adam_init(struct adam *a, size_t n)
{
    *a = (struct adam){ .n = n, .m1 = calloc(2 * (n ? n : 1), sizeof(float)) };
    if (!a->m1)
        return fail(EXIT_INTERNAL, "out of memory");
    a->m2 = a->m1 + n;
    return EXIT_OK;
}

void adam_free(struct adam *a)
{
    free(a->m1);
    *a = (struct adam){ 0 };
}

void adam_reset(struct adam *a)
{
    memset(a->m1, 0, 2 * a->n * sizeof *a->m1);
    a->t = 0;
}

void adam_step(struct adam *a, float *params, const float *grad, double lr)
{
    a->t++;
    double b1t = 1 - pow(ADAM_BETA1, (double)a->t), b2t = 1 - pow(ADAM_BETA2, (double)a->t);
    for (size_t i = 0; i < a->n; i++) {
        float g = grad[i];
        a->m1[i] = (float)(ADAM_BETA1 * a->m1[i] + (1 - ADAM_BETA1) * g);
        a->m2[i] = (float)(ADAM_BETA2 * a->m2[i] + (1 - ADAM_BETA2) * g * g);
        params[i] -= (float)(lr * (a->m1[i] / b1t) / (sqrt(a->m2[i] / b2t) + ADAM_EPSILON));
    }
}
