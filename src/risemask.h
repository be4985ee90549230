/* risemask.h - RISE's random masks (Petsiuk et al. 2018, "RISE: Randomized
 * Input Sampling for Explanation of Black-box Models"): a coarse grid of
 * cells kept with probability `keep`, upsampled bilinearly to one cell more
 * than the input and cropped at a random shift, so the mask's edges fall
 * anywhere. Pure C; the draws come from attrib's seeded generator. */
#ifndef ATTRIB_RISEMASK_H
#define ATTRIB_RISEMASK_H

#include "rng.h"

#define RISE_MAX_GRID 64

/* The next mask, h x w, into mask. Draws, in order: grid*grid uniforms
 * (row-major; a cell is kept, 1, when its draw is below keep), then the
 * row shift and the column shift, each floor(uniform * cell) with cell =
 * ceil(side / grid). The grid is upsampled to (grid + 1) * cell per side
 * with half-pixel centres, edges clamped (PyTorch's bilinear interpolate,
 * align_corners=False), and the window at the shift is the mask. */
void rise_mask(struct rng *r, int grid, double keep, int h, int w, float *mask);

#endif
