/* fftparam.h - Lucid's Fourier image parameterisation with decorrelated
 * colour (Olah et al., "Feature Visualization", Distill 2017; Lucent's
 * fft_image and to_valid_rgb): the parameters are the real and imaginary
 * parts of each channel's 2-D real-FFT spectrum, scaled by 1 / frequency
 * (a flatter power spectrum than pixels), inverse-transformed (orthonormal,
 * as torch.fft.irfftn(norm="ortho")), divided by 4, mixed across channels by
 * the square root of ImageNet's colour correlation (normalised by its
 * largest column norm), and squashed into [0, 1] by a sigmoid. Pure C: the
 * image from the parameters, and the gradient of the parameters from the
 * image's. */
#ifndef ATTRIB_FFTPARAM_H
#define ATTRIB_FFTPARAM_H

#include <stddef.h>

#include "rng.h"

struct fft_param {
    int h, w, kw;      /* kw = w / 2 + 1 frequencies along x */
    size_t count;      /* parameters: 2 * 3 * h * kw (real parts, then imaginary) */
    float *params;     /* the optimised values */
    float *scale;      /* h * kw: 1 / max(frequency, 1 / max(h, w)) */
    double *cos_y, *sin_y; /* h * h: angle 2 pi ky y / h */
    double *cos_x, *sin_x; /* kw * w: angle 2 pi kx x / w */
    double *wx;        /* kw: how much frequency kx counts (1 at 0 and w / 2, else 2) */
    double *zre, *zim; /* scratch: h * kw */
    double *pre;       /* scratch: 3 * h * w, the image before the colour mix */
};

/* Parameters drawn N(0, sd^2) from r (Lucent's init: sd 0.01). EXIT_OK or
 * EXIT_INTERNAL (out of memory). */
int fft_param_init(struct fft_param *p, int h, int w, struct rng *r, double sd);
void fft_param_free(struct fft_param *p);

/* The image [3, h, w] in (0, 1) of the parameters. */
void fft_param_image(struct fft_param *p, float *pix);

/* The gradient of the parameters (p->count values into grad) from the
 * gradient grad_pix of the image pix = fft_param_image's. */
void fft_param_backward(struct fft_param *p, const float *pix, const float *grad_pix,
                        float *grad);

#endif
