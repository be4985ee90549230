/* fft.h - the discrete Fourier transform of any length n, in O(n sum of
 * n's prime factors) by mixed-radix Cooley-Tukey (decimation in time; each
 * factor's butterfly a small plain DFT), in double precision. Lucid's
 * spectrum parameterisation (imageparam.c) runs one per row and column of
 * every channel at every step; 224 = 2^5 x 7 costs 17 operations a value
 * instead of 224. Pure C. */
#ifndef ATTRIB_FFT_H
#define ATTRIB_FFT_H

#include <stddef.h>

enum { FFT_MAX_FACTORS = 40 };

struct fft_plan {
    int n;
    int count, factor[FFT_MAX_FACTORS]; /* n's prime factors, smallest first */
    double *cos_t, *sin_t;              /* n each: angle 2 pi t / n */
    double *scratch;                    /* 2 * the largest factor: one butterfly */
};

/* EXIT_OK or EXIT_INTERNAL (out of memory). n >= 1. */
int fft_plan_init(struct fft_plan *p, int n);
void fft_plan_free(struct fft_plan *p);

/* out[k] = sum_j in[j] e^(sign 2 pi i j k / n), sign -1 (forward) or +1
 * (inverse, unscaled); in and out are separate arrays, real and imaginary
 * parts apart; in is read with the given stride (in_re[j * stride]). Uses
 * the plan's scratch: one run at a time per plan. */
void fft_run(const struct fft_plan *p, const double *in_re, const double *in_im, size_t stride,
             double *out_re, double *out_im, int sign);

#endif
