/* ascent.h - gradient ascent on an image for `attrib classviz`: the
 * objective's gradient at the image (a class's score through the shim's
 * input gradient, a --layer term through attrib_layer_input_gradient, or
 * both), and one step of either parameterisation - the pixels (a step of
 * length lr along the L2-normalised gradient, jittered, clamped) or Lucid's
 * spectrum (fftparam.c, by Adam). */
#ifndef ATTRIB_ASCENT_H
#define ATTRIB_ASCENT_H

#include <stddef.h>

#include "adam.h"
#include "fftparam.h"
#include "layerobjective.h"
#include "model.h"
#include "rng.h"

/* What a step needs of the command's options. */
struct ascent_params {
    long target; /* the class whose score is (part of) the objective; -1: none */
    long jitter; /* largest random roll in pixels */
    double lr, l2;
};

/* A --layer objective as a run uses it: the layer, how it reads as a map,
 * the map's size, and the weights the shim's backward pass takes. */
struct layer_goal {
    struct layer_objective term;
    char *path;
    attrib_layer_view view;
    long c, h, w;
    float *weights;     /* c * h * w: the term's gradient w.r.t. the map */
    float *logit_w;     /* classes: one-hot on --class, or NULL */
};

struct ascent {
    int h, w;
    size_t n;
    float *x, *pix, *grad; /* x: normalised [3, h, w] */
    double *scores;        /* the objective every few steps (the command's) */
    int nscores;
    struct layer_goal *goal; /* NULL: the class score alone */
    double *objective, *probability; /* per step (probability: with --class) */
    float *probs;          /* scratch: the model's classes */
    double last_prob;      /* the class's probability at the last pass */
};

/* --param fft: the spectrum, its gradient and Adam's state. */
struct spectrum {
    struct fft_param p;
    float *grad; /* p.count */
    struct adam adam;
};

/* The objective's gradient at a->x into a->grad (normalised input units),
 * its value in *score, the class's probability in a->last_prob. */
int ascent_objective_gradient(const struct ascent_params *o, struct model *m, struct ascent *a,
                              double *score);

/* One pass with a->goal's layer tapped at x: with grad, the gradient of the
 * objective into a->grad; its value (layer term plus the class's score)
 * in *value; without grad, DeepDream's weights from this map. */
int ascent_layer_pass(const struct ascent_params *o, struct model *m, struct ascent *a,
                      const float *x, int grad, double *value);

/* One pixel step: jitter, gradient of objective - l2 ||x||^2, a step of lr
 * along it, unjitter, clamp to the valid range. */
int ascent_pixel_step(const struct ascent_params *o, struct model *m, struct ascent *a,
                      struct rng *r, double *score);

/* --param fft: the spectrum drawn N(0, sd^2) from r, and Adam's moments.
 * EXIT_OK or EXIT_INTERNAL. */
int spectrum_init(struct spectrum *sp, int h, int w, struct rng *r, double sd);
void spectrum_free(struct spectrum *sp);

/* a->pix and a->x: the spectrum's image, in pixels and normalised. */
void spectrum_image(struct spectrum *sp, const struct model *m, struct ascent *a);

/* One spectrum step: jittered image, gradient back through the
 * parameterisation, an Adam step up. */
int ascent_fft_step(const struct ascent_params *o, struct model *m, struct ascent *a,
                    struct spectrum *sp, struct rng *r, double *score);

#endif
