/* layerobjective.h - what feature visualisation maximises on a layer's
 * activations (Olah et al., "Feature Visualization", Distill 2017): a
 * channel's mean, one neuron (a channel at one position), or DeepDream's
 * mean square of the whole layer; negated on request. Pure C over one
 * image's map [C, h, w]: the term's value and its gradient with respect to
 * the map, which the shim carries back to the input. */
#ifndef ATTRIB_LAYEROBJECTIVE_H
#define ATTRIB_LAYEROBJECTIVE_H

#include <stddef.h>

enum layer_term { TERM_NONE, TERM_CHANNEL, TERM_NEURON, TERM_DEEPDREAM };

struct layer_objective {
    enum layer_term kind;
    long channel;  /* TERM_CHANNEL, TERM_NEURON */
    long x, y;     /* TERM_NEURON: column and row on the layer's grid */
    int negative;  /* minimise instead */
};

/* EXIT_OK, or EXIT_USAGE naming the option when the term does not fit a
 * map of c channels, h x w, of the layer called layer. */
int layer_objective_check(const struct layer_objective *o, const char *layer, long c, long h,
                          long w);

/* The term's value on map [c, h, w] and, if weights is not NULL, its
 * gradient with respect to the map (c * h * w values). */
double layer_objective_eval(const struct layer_objective *o, const float *map, long c, long h,
                            long w, float *weights);

/* Whether the term's gradient depends on the map (DeepDream's does: it
 * needs the map before the backward pass; a channel's or neuron's does not). */
int layer_objective_nonlinear(const struct layer_objective *o);

/* "features.14 channel 37", "features.14 channel 37 at (3, 4)",
 * "features.14 deepdream", with "-" before a negated one. */
void layer_objective_text(const struct layer_objective *o, const char *layer, char *buf,
                          size_t size);

#endif
