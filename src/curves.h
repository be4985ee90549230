/* curves.h - deletion and insertion curves (Petsiuk et al. 2018, RISE):
 * pixels are removed from (or inserted into) the image in the order of an
 * attribution map, and the class probability is recorded at each step. A
 * faithful map makes the probability fall fast on deletion (low area under
 * the curve) and rise fast on insertion (high area). Pure C. */
#ifndef ATTRIB_CURVES_H
#define ATTRIB_CURVES_H

#include <stddef.h>

/* Pixel indices of map (n values) from the most to the least attributed;
 * equal values keep their index order, NaN last. EXIT_OK or EXIT_INTERNAL. */
int curve_order(const float *map, size_t n, size_t *order);

/* Pixels changed at point k of a curve with `steps` steps (k = 0..steps). */
size_t curve_pixels(size_t n, int steps, int k);

/* out = from, except the first m pixels of order, which come from to, in
 * all 3 channels of a [3, plane] tensor. */
void curve_mix(const float *from, const float *to, const size_t *order, size_t m, size_t plane,
               float *out);

/* Area under y over x = 0..1 sampled at `points` equally spaced x
 * (trapezoidal rule), as RISE computes it. */
double curve_auc(const double *y, int points);

#endif
