/* attribution.h - what a method computes for one image (struct
 * attribution), and the buffers a batch of them needs. Pure data: the
 * pictures (pictures.c) and the method SDK (explain/method.h) share it. */
#ifndef ATTRIB_ATTRIBUTION_H
#define ATTRIB_ATTRIBUTION_H

#include <stddef.h>

/* What a method computes for one image, at the model's input size H x W. */
struct attribution {
    float *map;  /* H x W, always: the heatmap */
    float *chw;  /* 3 x H x W, for methods with per-channel values */
    int has_chw; /* set by the method when chw holds its result */
    float *cam;  /* layer methods: the low-resolution map (owned) */
    float *segments; /* superpixel methods: each pixel's segment, H x W (owned);
                        written as NAME.METHOD.segments.npy beside a raw map */
};

/* The superpixels' file beside a raw map: NAME.METHOD.segments.npy. Not a
 * map: goldens leave it out (the map depends on it and is checked). */
#define SEGMENTS_SUFFIX ".segments.npy"

/* Frees what a method left in a beside map and chw (cam, segments): the
 * attribution is ready for the next image. */
void attribution_reset(struct attribution *a);

/* The buffers of a batch of up to size images of plane pixels each: the
 * inputs *x [size, 3, H, W] and every a[i]'s map and chw. EXIT_OK, or
 * EXIT_INTERNAL (out of memory; what was allocated is freed by
 * attributions_free). */
int attributions_alloc(float **x, struct attribution *a, int size, size_t plane);
void attributions_free(float *x, struct attribution *a, int size);

#endif
