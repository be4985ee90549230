/* transforms.h - Lucid's transformation robustness for feature
 * visualisation (Olah et al., "Feature Visualization", Distill 2017;
 * Lucid's and Lucent's standard_transforms): each step the image the
 * model sees is the optimised one padded, randomly cropped (jitter),
 * scaled, rotated and cropped again, so that what it finds survives small
 * changes of position, size and angle. Every transform is a bilinear warp
 * (struct warp below); the chain runs them in order on pixel planes [planes, h, w]
 * and carries a gradient back through their transposes. Pure C. */
#ifndef ATTRIB_TRANSFORMS_H
#define ATTRIB_TRANSFORMS_H

#include <stddef.h>

#include "rng.h"

/* Lucid's standard set: pad 12 (grey), jitter 8, scale 0.9 to 1.1 in steps
 * of 0.02, rotate by a whole number of degrees from -10 to 10 (0 five
 * times more likely), jitter 4; then attrib resizes to the model's input
 * size (Lucent hands the model whatever size comes out). */
#define TRANSFORM_PAD 12
#define TRANSFORM_PAD_VALUE 0.5f /* grey, in [0, 1] pixels; also outside a rotation */
#define TRANSFORM_JITTER_FIRST 8
#define TRANSFORM_JITTER_LAST 4

/* One step's draw. */
struct transform_draw {
    int crop1_x, crop1_y; /* the first crop's corner, 0 to TRANSFORM_JITTER_FIRST */
    double scale;
    int angle;            /* degrees, anticlockwise */
    int crop2_x, crop2_y; /* 0 to TRANSFORM_JITTER_LAST */
};

/* Draws the next step's transforms from r (6 draws, in the order of the
 * fields). */
void transform_draw(struct rng *r, struct transform_draw *d);

/* Source coordinates of output pixel (u, v) - columns and rows from 0 at
 * pixel centres: x = a[0] u + a[1] v + a[2], y = a[3] u + a[4] v + a[5],
 * read bilinearly; each of the four neighbours outside the source reads
 * fill (torch.nn.functional.grid_sample with align_corners=True, on the
 * image minus fill with zero padding, plus fill). */
struct warp {
    int in_h, in_w, out_h, out_w;
    double a[6];
    float fill;
};

enum { TRANSFORM_MAX_WARPS = 3 };

struct transform_chain {
    int workers; /* threads for the planes (0 or 1: the caller's alone) */
    int count;
    struct warp warp[TRANSFORM_MAX_WARPS];
    float *scratch; /* the intermediate images, planes each */
    size_t scratch_len;
};

/* The warps of draw d from an h x w image to out_h x out_w: pad, crop,
 * scale, rotate (about the centre), crop, resize (in three warps; see
 * transforms.c). */
void transform_chain_plan(struct transform_chain *c, const struct transform_draw *d, int h, int w,
                          int out_h, int out_w);

/* out [planes, out_h, out_w] of in [planes, h, w]. EXIT_OK or EXIT_INTERNAL. */
int transform_chain_forward(struct transform_chain *c, const float *in, int planes, float *out);

/* The gradient of in (planes * h * w, overwritten) from that of out: the
 * transposes of the warps in reverse order. grad_in may be grad_out's
 * buffer. EXIT_OK or EXIT_INTERNAL. */
int transform_chain_backward(struct transform_chain *c, const float *grad_out, int planes,
                             float *grad_in);

void transform_chain_free(struct transform_chain *c);

/* Rotation of an h x w picture by degrees, anticlockwise as seen, about its
 * centre ((w - 1) / 2, (h - 1) / 2): kornia's rotate, which Lucent uses. */
struct warp warp_rotation(int h, int w, int degrees);

/* One plane through a warp, and its transpose (grad_in overwritten). */
void warp_forward(const struct warp *w, const float *in, float *out);
void warp_backward(const struct warp *w, const float *grad_out, float *grad_in);

#endif
