/* similarity.h - how alike two maps of one image are, as the sanity checks
 * (Adebayo et al. 2018) measure it: Spearman rank correlation and SSIM. */
#ifndef ATTRIB_SIMILARITY_H
#define ATTRIB_SIMILARITY_H

#include <stddef.h>

/* The SSIM window (scikit-image's default: 7 x 7, uniform). */
#define SSIM_WINDOW 7

/* rank[i] of v[i] (1-based), ties given their average rank. 0, or -1 when
 * out of memory. */
int similarity_ranks(const float *v, size_t n, double *rank);

/* Spearman's rank correlation of a and b (n values each): Pearson's
 * correlation of their ranks, ties given their average rank. NaN when
 * either is constant (no ranks to correlate), or out of memory. */
double similarity_spearman(const float *a, const float *b, size_t n);

/* |map| / its 99th percentile, clipped to [0, 1] (Adebayo et al.'s
 * normalisation of a map before SSIM) into out. EXIT_OK or EXIT_INTERNAL. */
int similarity_normalise(const float *map, size_t n, float *out);

/* Mean SSIM (Wang et al. 2004) over every SSIM_WINDOW x SSIM_WINDOW window
 * inside the w x h images a and b, values in [0, 1] (data range 1,
 * K1 = 0.01, K2 = 0.03, sample covariances): scikit-image's
 * structural_similarity with its defaults. NaN if the image is smaller than
 * a window or out of memory. */
double similarity_ssim(const float *a, const float *b, int w, int h);

#endif
