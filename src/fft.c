/* fft.c - mixed-radix FFT (see fft.h). */
#include "fft.h"

#include <math.h>
#include <stdlib.h>

#include "error.h"

int fft_plan_init(struct fft_plan *p, int n)
{
    *p = (struct fft_plan){ .n = n };
    for (int m = n, f = 2; m > 1 && p->count < FFT_MAX_FACTORS;) {
        if (m % f == 0)
            p->factor[p->count++] = f, m /= f;
        else
            f = (long)f * f > m ? m : f + 1;
    }
    int largest = p->count ? p->factor[p->count - 1] : 1;
    p->cos_t = malloc((2 * (size_t)n + 2 * (size_t)largest) * sizeof *p->cos_t);
    if (!p->cos_t)
        return fail(EXIT_INTERNAL, "out of memory");
    p->sin_t = p->cos_t + n, p->scratch = p->sin_t + n;
    for (int t = 0; t < n; t++) {
        double angle = 2 * M_PI * t / n;
        p->cos_t[t] = cos(angle), p->sin_t[t] = sin(angle);
    }
    return EXIT_OK;
}

void fft_plan_free(struct fft_plan *p)
{
    free(p->cos_t);
    *p = (struct fft_plan){ 0 };
}

/* Transform of the n values in[j * stride] into out[0 .. n), the remaining
 * factors from f on; twiddles W^t = e^(sign 2 pi i t step / N). */
static void transform(const struct fft_plan *p, const double *ir, const double *ii,
                      size_t stride, double *or, double *oi, int n, int f, int sign)
{
    if (n == 1) {
        or[0] = ir[0], oi[0] = ii[0];
        return;
    }
    const int r = p->factor[f], m = n / r, N = p->n;
    const size_t step = (size_t)(N / n);
    for (int q = 0; q < r; q++) /* the r interleaved sub-sequences, each a length-m DFT */
        transform(p, ir + q * stride, ii + q * stride, stride * r, or + q * m, oi + q * m, m,
                  f + 1, sign);
    double *hr = p->scratch, *hi = p->scratch + r; /* free again once the sub-DFTs are done */
    for (int k = 0; k < m; k++) {
        for (int q = 0; q < r; q++) { /* Y_q[k] W_n^(q k); q k < n, so no wrap */
            size_t t = (size_t)q * k * step;
            double c = p->cos_t[t], s = sign * p->sin_t[t];
            double yr = or[q * m + k], yi = oi[q * m + k];
            hr[q] = yr * c - yi * s, hi[q] = yr * s + yi * c;
        }
        if (r == 2) {
            or[k] = hr[0] + hr[1], oi[k] = hi[0] + hi[1];
            or[m + k] = hr[0] - hr[1], oi[m + k] = hi[0] - hi[1];
            continue;
        }
        const size_t turn = (size_t)N / r;
        for (int j = 0; j < r; j++) { /* X[k + j m] = sum_q h_q W_r^(q j) */
            double sr = 0, si = 0;
            for (size_t q = 0, t = 0; q < (size_t)r; q++) {
                double c = p->cos_t[t], s = sign * p->sin_t[t];
                sr += hr[q] * c - hi[q] * s, si += hr[q] * s + hi[q] * c;
                t += j * turn; /* (q j mod r) N / r, kept below N */
                if (t >= (size_t)N)
                    t -= N;
            }
            or[j * m + k] = sr, oi[j * m + k] = si;
        }
    }
}

void fft_run(const struct fft_plan *p, const double *in_re, const double *in_im, size_t stride,
             double *out_re, double *out_im, int sign)
{
    transform(p, in_re, in_im, stride, out_re, out_im, p->n, 0, sign);
}
