/* ascent.h - gradient ascent on a batch of images for `attrib classviz`.
 * Each step: the images (the pixels themselves, or Lucid's
 * parameterisation, imageparam.c), the view the model gets of them (no
 * transform, a random roll, or Lucid's standard transforms, transforms.c),
 * the objective's gradient there (a class's score through the shim's input
 * gradient, a --layer term and Lucid's diversity term through
 * attrib_layer_objective_gradient, or their sum), carried back through the
 * view, and a step: along the L2-normalised gradient for the pixels, Adam's
 * for a parameterisation. */
#ifndef ATTRIB_ASCENT_H
#define ATTRIB_ASCENT_H

#include <stddef.h>

#include "adam.h"
#include "imageparam.h"
#include "layerobjective.h"
#include "model.h"
#include "rng.h"
#include "transforms.h"

/* What the model sees of the images each step. */
enum ascent_view { VIEW_NONE, VIEW_ROLL, VIEW_STANDARD };

/* What a step needs of the command's options. */
struct ascent_params {
    long target;      /* the class whose score is (part of) the objective; -1: none */
    long jitter;      /* VIEW_ROLL: largest random roll in pixels */
    double lr, l2;
    int view;         /* enum ascent_view */
    double diversity; /* the diversity term's weight (with more than one image) */
};

/* A --layer objective as a run uses it: the layer, how it reads as a map,
 * the map's size, and the weights the shim's backward pass takes. */
struct layer_goal {
    struct layer_objective term; /* TERM_NONE: the layer serves the diversity term alone */
    char *path;
    attrib_layer_view view;
    long c, h, w;
    int images;         /* the batch the buffers hold */
    float *weights;     /* images * c * h * w: the objective's gradient w.r.t. the maps */
    float *logit_w;     /* images * classes: 1 / images on --class, or NULL */
    int diversity;      /* the diversity term is part of the objective */
};

/* Lucid's parameterisation, its gradient and Adam's state. */
struct lucid {
    struct image_param p;
    float *grad; /* p.n * p.count */
    struct adam adam;
};

struct ascent {
    int n, h, w;           /* n images at the model's input size */
    size_t len;            /* n * 3 * h * w */
    float *x;              /* the pixels' parameterisation: normalised images */
    float *pix;            /* the images in [0, 1] */
    float *input;          /* what the model gets: the view, normalised */
    float *grad;           /* the objective's gradient w.r.t. input, then w.r.t. x or pix */
    struct lucid *lucid;   /* NULL: the pixels are optimised */
    struct layer_goal *goal; /* NULL: the class score alone */
    struct transform_chain chain;
    struct transform_draw *draws; /* VIEW_STANDARD: each step's */
    double *objective, *probability; /* per step (probability: with --class) */
    double *image_objective; /* n: each image's objective at the last pass */
    double diversity;      /* the diversity term at the last pass */
    float *probs;          /* scratch: n * the model's classes */
    double last_prob;      /* the class's mean probability at the last pass */
};

/* Which parameterisation a run optimises: the pixels (use 0), or Lucid's,
 * spectrum or pixels, with decorrelated colour or not. */
struct lucid_choice {
    int use, fft, decorrelate;
};

/* Buffers for n images of the model's input size and iters steps, and the
 * start: seeded noise, or Lucid's parameters. EXIT_OK or EXIT_INTERNAL. */
int ascent_init(struct ascent *a, const struct model *m, int n, long iters,
                struct lucid_choice lucid, struct rng *r);
void ascent_free(struct ascent *a);

/* Before a run's first step (a->goal set): the class's logit weights, and
 * the layer's weights where they do not depend on the map. EXIT_OK or
 * EXIT_INTERNAL. */
int ascent_goal_ready(const struct ascent_params *o, const struct model *m, struct ascent *a);

/* a->pix: the images now, in [0, 1]. */
void ascent_images(struct ascent *a, const struct model *m);

/* One step (step t, from 0). The objective's value at the step's view in
 * *score. */
int ascent_step(const struct ascent_params *o, struct model *m, struct ascent *a, struct rng *r,
                int t, double *score);

/* One pass with a->goal's layer tapped at input [a->n, 3, h, w], its
 * weights as they are (a channel's, a neuron's): with grad, the gradient
 * of the objective into a->grad; its value in *value, each image's in
 * a->image_objective, the diversity term in a->diversity. */
int ascent_layer_pass(const struct ascent_params *o, struct model *m, struct ascent *a,
                      const float *input, int grad, double *value);

/* Images in [0, 1] -> the model's normalised input, a->n of them. */
void ascent_normalise(const struct ascent *a, const struct model *m, const float *pix,
                      float *out);

/* Lays out n images [n, 3, h, w] side by side: [3, h, n * w]. */
void ascent_grid(const float *images, int n, int h, int w, float *grid);

#endif
