/* imageparam.h - Lucid's image parameterisations (Olah et al., "Feature
 * Visualization", Distill 2017; Lucent's pixel_image, fft_image and
 * to_valid_rgb) for a batch of images: the optimised values are either each
 * channel's pixels or the real and imaginary parts of its 2-D real-FFT
 * spectrum, scaled by 1 / frequency (a flatter power spectrum than pixels),
 * inverse-transformed (orthonormal, as torch.fft.irfftn(norm="ortho")) and
 * divided by 4; then, with decorrelated colour, mixed across channels by the
 * square root of ImageNet's colour correlation (normalised by its largest
 * column norm); and squashed into [0, 1] by a sigmoid. Pure C: the images
 * from the parameters, and the gradient of the parameters from the images'. */
#ifndef ATTRIB_IMAGEPARAM_H
#define ATTRIB_IMAGEPARAM_H

#include <stddef.h>

#include "fft.h"
#include "parallel.h"
#include "rng.h"

struct image_param {
    int n, h, w, kw;   /* n images; kw = w / 2 + 1 frequencies along x */
    int fft;           /* spectrum (1) or pixels (0) */
    int decorrelate;   /* the colour mix (1) or none */
    size_t count;      /* parameters of one image: fft 2 * 3 * h * kw (real parts, then
                          imaginary, per bin), pixels 3 * h * w */
    float *params;     /* n * count, the optimised values */
    float *scale;      /* fft: h * kw: 1 / max(frequency, 1 / max(h, w)) */
    int workers;       /* threads over images and channels */
    struct fft_plan plans_y[PARALLEL_MAX_WORKERS], plans_x[PARALLEL_MAX_WORKERS];
                       /* fft: lengths h and w, one each per worker */
    double *wx;        /* fft: kw: how much frequency kx counts (1 at 0 and w / 2, else 2) */
    double *zre;       /* fft: per worker 2 * h * kw, the spectrum transformed along y */
    double *line;      /* fft: per worker 4 * max(h, w), a row or column in and out */
    double *pre;       /* n * 3 * h * w: the images before the colour mix */
};

/* n images' parameters drawn N(0, sd^2) from r (Lucent's init: sd 0.01);
 * the images and gradients made on up to workers threads (the same for any
 * number). EXIT_OK or EXIT_INTERNAL (out of memory). */
int image_param_init(struct image_param *p, int n, int h, int w, int fft, int decorrelate,
                     int workers, struct rng *r, double sd);
void image_param_free(struct image_param *p);

/* The images [n, 3, h, w] in (0, 1) of the parameters. */
void image_param_image(struct image_param *p, float *pix);

/* The gradient of the parameters (n * p->count values into grad) from the
 * gradient grad_pix of the images pix = image_param_image's. */
void image_param_backward(struct image_param *p, const float *pix, const float *grad_pix,
                          float *grad);

#endif
