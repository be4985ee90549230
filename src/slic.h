/* slic.h - SLIC superpixels (Achanta et al. 2012, "SLIC Superpixels
 * Compared to State-of-the-Art Superpixel Methods"): k-means in CIELAB
 * colour and position, each centre searching a 2S x 2S window (S the grid
 * step), seeds moved to the lowest gradient of their 3x3 neighbourhood,
 * then connectivity enforced. Written here rather than taken from a
 * library: it is ~150 lines, Debian's C libraries have none, and LIME and
 * KernelSHAP need it at run time without Python. Pure C. */
#ifndef ATTRIB_SLIC_H
#define ATTRIB_SLIC_H

#define SLIC_DEFAULT_COMPACTNESS 10.0 /* scikit-image's default (CIELAB units) */
#define SLIC_ITERATIONS 10            /* the paper's: enough for convergence */

/* Segments the image rgb [3][h][w] (values in [0, 1]) into about
 * n_segments superpixels: labels [h * w] get 0 .. *count - 1, each label one
 * 4-connected region, numbered in the order their first pixel is met
 * (row-major). EXIT_OK or EXIT_INTERNAL (out of memory). */
int slic_segment(const float *rgb, int h, int w, int n_segments, double compactness, int *labels,
                 int *count);

#endif
