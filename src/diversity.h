/* diversity.h - Lucid's diversity term (Olah et al., "Feature
 * Visualization", Distill 2017, section "Diversity"): over a batch of n
 * images, the mean over images of the summed cosine similarity of each
 * image's Gram matrix of a layer's activations with every other image's,
 * D = (1/n) sum_i sum_(j != i) <G_i, G_j> / (|G_i| |G_j|), G_i = A_i A_i^T
 * for A_i the image's map as c channels by h * w positions. Maximising
 * objective - weight * D pushes the images apart in style. Pure C. */
#ifndef ATTRIB_DIVERSITY_H
#define ATTRIB_DIVERSITY_H

#include <stddef.h>

/* D of maps [n, c, hw]; if grad is not NULL, adds -weight * dD/dmap to it
 * (n * c * hw values). EXIT_OK (D in *value) or EXIT_INTERNAL. */
int diversity_term(const float *maps, int n, long c, long hw, double weight, float *grad,
                   double *value);

#endif
