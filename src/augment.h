/* augment.h - test-time augmentation as pytorch-grad-cam's aug_smooth does
 * it (ttach's HorizontalFlip and Multiply on the normalised input): each
 * augmentation's map is flipped back, rescaled and averaged. Shared by the
 * CAM variants (gradcam.c) and FullGrad. */
#ifndef ATTRIB_AUGMENT_H
#define ATTRIB_AUGMENT_H

#include <stddef.h>

/* The input flipped left-right or not, times 0.9, 1 or 1.1; the identity
 * is AUG_IDENTITY. */
#define AUG_COUNT 6
#define AUG_IDENTITY 1

/* dst = augmentation t of src, n_images images [3, h, w]. */
void aug_apply(int t, const float *src, float *dst, int n_images, int h, int w);

/* A map [h, w] of augmentation t's input made to match the original input
 * (flipped back; the brightness factors need nothing). */
void aug_undo(int t, float *map, int h, int w);

/* One map rescaled as pytorch-grad-cam rescales each augmentation's before
 * averaging: minus its minimum, over its range (a flat map is 0); a map
 * with both signs over its largest magnitude instead. */
void aug_scale(float *map, size_t n);

#endif
