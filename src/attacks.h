/* attacks.h - the adversarial attacks `attrib fool` runs on one image, in
 * pixel space [3, h, w] with values in [0, 1]: the iterative L2 ascent,
 * FGSM and PGD (L-infinity or L2 budget), Carlini-Wagner L2 with a binary
 * search on its constant, and DeepFool (L2). Each stops as soon as the
 * 8-bit rounding of its image (what a PNG holds) reaches the goal. */
#ifndef ATTRIB_ATTACKS_H
#define ATTRIB_ATTACKS_H

#include <stddef.h>

#include "model.h"

enum attack_kind { ATTACK_ITERATIVE, ATTACK_FGSM, ATTACK_PGD, ATTACK_CW, ATTACK_DEEPFOOL };
enum attack_norm { NORM_LINF, NORM_L2 };

extern const char *const attack_names[]; /* by enum attack_kind, NULL-ended */
extern const char *const norm_names[];   /* by enum attack_norm, NULL-ended */

/* An attack's settings, every default already filled in. */
struct attack_params {
    int kind, norm, untargeted;
    double lr;         /* iterative: L2 length of a step; cw: Adam's learning rate */
    double eps, step;  /* fgsm, pgd: budget and step in the norm's [0, 1] units */
    long max_iter;     /* most steps (cw: per constant) */
    double c, kappa;   /* cw: first constant, confidence margin on the logits */
    long search_steps; /* cw: constants tried (binary search) */
    double overshoot;  /* deepfool: each step goes this much further */
    long candidates;   /* deepfool (untargeted): classes considered, the goal's included */
};

/* One attack on one image. The caller fills model, h, w, n, start (the 8-bit
 * image), goal (the class to reach, or with untargeted the class to leave)
 * and the buffers; attack_run leaves in x the quantised result and its
 * top-1 in final, and counts the gradient steps taken in iterations. */
struct attack_state {
    struct model *m;
    int h, w;
    size_t n;          /* 3 * h * w */
    const float *start;
    float *x, *xn, *grad, *probe; /* n floats each */
    long goal, final;
    long iterations;
};

/* Runs p's attack; progress on stderr unless quiet (label names the image).
 * EXIT_OK (whether or not it fooled the model), or the model's error. */
int attack_run(const struct attack_params *p, struct attack_state *a, const char *label,
               int quiet);

/* A forward pass on pixels x ([0, 1], the model's size; a->xn is scratch):
 * the logits (a->m's classes) and the top-1. EXIT_OK or the model's error. */
int attack_classify(struct attack_state *a, const float *x, float *logits, long *top);

/* Whether top-1 top meets the attack's goal. */
int attack_reached(const struct attack_params *p, const struct attack_state *a, long top);

/* Rounds src to 8 bits into dst (not src), keeping an fgsm/pgd budget
 * around start (rounding alone could leave it). */
void attack_quantise(const struct attack_params *p, const float *start, const float *src,
                     float *dst, size_t n);

#endif
