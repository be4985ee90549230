/* redraw.h - how the sanity checks re-draw a model's weights (Adebayo et
 * al. 2018's model-parameter randomisation): parameters grouped into
 * blocks, the units randomised one more at a time, and new values drawn
 * from each tensor's own Gaussian. Pure C: the shim reads and writes the
 * parameters (attrib_model_parameters, attrib_model_set_parameter). */
#ifndef ATTRIB_REDRAW_H
#define ATTRIB_REDRAW_H

#include <stddef.h>
#include <stdint.h>

#define REDRAW_BLOCK_NAME 160

/* The block of a parameter, from its dotted name: its module's path cut
 * after the first numeric component ("features.3.conv.0.weight" ->
 * "features.3", "layer1.0.conv1.weight" -> "layer1.0"), else after the
 * first component ending in a digit ("encoder.layers.encoder_layer_0.ln_1.
 * weight" -> "encoder.layers.encoder_layer_0", "conv1.weight" -> "conv1"),
 * else the whole module path ("classifier.weight" -> "classifier"); a
 * parameter of the root module is its own block ("class_token"). */
void redraw_block_name(const char *param, char *block, size_t size);

/* out[0..n) drawn from N(mean, sd) of orig[0..n) (sd over n, not n - 1),
 * by the generator seeded with seed: the tensor keeps its scale and
 * offset and loses what training put in it. The oracle (tests/oracle.py)
 * draws the same numbers. */
void redraw_gaussian(const float *orig, float *out, size_t n, uint64_t seed);

/* The seed of parameter i (named_parameters order) of a run seeded seed:
 * each tensor's draws are the same whichever others are re-drawn. */
uint64_t redraw_seed(uint64_t seed, size_t i);

#endif
