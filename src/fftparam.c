/* fftparam.c - Lucid's Fourier parameterisation (see fftparam.h). The
 * transforms are plain sums over precomputed angles, separable: a complex
 * inverse DFT along y, then the real inverse along x, which reads only the
 * real part of the x = 0 and x = w / 2 frequencies (as a C2R transform
 * does). The backward pass is the exact transpose of that linear map. */
#include "fftparam.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* Lucid's colour_correlation_svd_sqrt: rows are output channels. */
static const double colour_sqrt[3][3] = {
    { 0.26, 0.09, 0.02 }, { 0.27, 0.00, -0.05 }, { 0.27, -0.09, 0.03 } };
/* Lucent divides the image by this after the inverse transform. */
#define SPECTRUM_MAGIC 4.0

/* colour_sqrt over its largest column norm. */
static void colour_matrix(double m[3][3])
{
    double largest = 0;
    for (int j = 0; j < 3; j++) {
        double n = 0;
        for (int i = 0; i < 3; i++)
            n += colour_sqrt[i][j] * colour_sqrt[i][j];
        largest = fmax(largest, sqrt(n));
    }
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            m[i][j] = colour_sqrt[i][j] / largest;
}

/* numpy.fft.fftfreq(n)[k]. */
static double fftfreq(int k, int n)
{
    return (k < (n + 1) / 2 ? k : k - n) / (double)n;
}

int fft_param_init(struct fft_param *p, int h, int w, struct rng *r, double sd)
{
    *p = (struct fft_param){ .h = h, .w = w, .kw = w / 2 + 1 };
    size_t bins = (size_t)h * p->kw;
    p->count = 2 * 3 * bins;
    p->params = malloc(p->count * sizeof *p->params);
    p->scale = malloc(bins * sizeof *p->scale);
    p->cos_y = malloc(2 * (size_t)h * h * sizeof *p->cos_y);
    p->cos_x = malloc(2 * (size_t)p->kw * w * sizeof *p->cos_x);
    p->zre = malloc(2 * bins * sizeof *p->zre);
    p->wx = malloc(p->kw * sizeof *p->wx);
    p->pre = malloc(3 * (size_t)h * w * sizeof *p->pre);
    if (!p->params || !p->scale || !p->cos_y || !p->cos_x || !p->zre || !p->wx || !p->pre) {
        fft_param_free(p);
        return fail(EXIT_INTERNAL, "out of memory");
    }
    p->sin_y = p->cos_y + (size_t)h * h, p->sin_x = p->cos_x + (size_t)p->kw * w;
    p->zim = p->zre + bins;
    rng_normals(r, p->params, p->count);
    for (size_t i = 0; i < p->count; i++)
        p->params[i] *= (float)sd;
    double floor_freq = 1.0 / (h > w ? h : w);
    for (int y = 0; y < h; y++)
        for (int k = 0; k < p->kw; k++) {
            double fy = fftfreq(y, h), fx = fftfreq(k, w);
            p->scale[(size_t)y * p->kw + k] = (float)(1.0 / fmax(sqrt(fx * fx + fy * fy), floor_freq));
        }
    for (int a = 0; a < h; a++)
        for (int b = 0; b < h; b++) {
            double angle = 2 * M_PI * (double)((long)a * b % h) / h;
            p->cos_y[(size_t)a * h + b] = cos(angle), p->sin_y[(size_t)a * h + b] = sin(angle);
        }
    /* x = 0 and (w even) x = w / 2 count once and their imaginary parts not at
     * all, as in a C2R transform; the others twice (for their mirror images). */
    for (int k = 0; k < p->kw; k++)
        p->wx[k] = k == 0 || (w % 2 == 0 && k == w / 2) ? 1.0 : 2.0;
    for (int n = 0; n < w; n++)
        for (int k = 0; k < p->kw; k++) {
            double angle = 2 * M_PI * (double)((long)k * n % w) / w;
            p->cos_x[(size_t)n * p->kw + k] = cos(angle);
            p->sin_x[(size_t)n * p->kw + k] = p->wx[k] == 1.0 ? 0.0 : sin(angle);
        }
    return EXIT_OK;
}

void fft_param_free(struct fft_param *p)
{
    free(p->params);
    free(p->scale);
    free(p->cos_y);
    free(p->cos_x);
    free(p->zre);
    free(p->wx);
    free(p->pre);
    *p = (struct fft_param){ 0 };
}

/* One channel's image (before the colour mix) from its spectrum. */
static void inverse(struct fft_param *p, const float *spec, double *out)
{
    const int h = p->h, w = p->w, kw = p->kw;
    const double norm = 1.0 / (sqrt((double)h * w) * SPECTRUM_MAGIC);
    memset(p->zre, 0, 2 * (size_t)h * kw * sizeof *p->zre);
    for (int ky = 0; ky < h; ky++) { /* Z[y, k] = sum_ky S[ky, k] e^(2 pi i ky y / h) */
        const float *row = spec + (size_t)ky * kw * 2, *s = p->scale + (size_t)ky * kw;
        for (int y = 0; y < h; y++) {
            double c = p->cos_y[(size_t)ky * h + y], sn = p->sin_y[(size_t)ky * h + y];
            double *zr = p->zre + (size_t)y * kw, *zi = p->zim + (size_t)y * kw;
            for (int k = 0; k < kw; k++) {
                double re = s[k] * row[2 * k], im = s[k] * row[2 * k + 1];
                zr[k] += re * c - im * sn;
                zi[k] += re * sn + im * c;
            }
        }
    }
    for (int y = 0; y < h; y++) { /* x[y, n] = sum_k weight_k Re(Z[y, k] e^(2 pi i k n / w)) */
        const double *zr = p->zre + (size_t)y * kw, *zi = p->zim + (size_t)y * kw;
        for (int n = 0; n < w; n++) {
            const double *c = p->cos_x + (size_t)n * kw, *sn = p->sin_x + (size_t)n * kw;
            double v = 0;
            for (int k = 0; k < kw; k++)
                v += p->wx[k] * (zr[k] * c[k] - zi[k] * sn[k]);
            out[(size_t)y * w + n] = v * norm;
        }
    }
}

/* The transpose of inverse(): spectrum gradient from the image's. */
static void inverse_backward(struct fft_param *p, const double *dout, float *dspec)
{
    const int h = p->h, w = p->w, kw = p->kw;
    const double norm = 1.0 / (sqrt((double)h * w) * SPECTRUM_MAGIC);
    for (int y = 0; y < h; y++) {
        double *zr = p->zre + (size_t)y * kw, *zi = p->zim + (size_t)y * kw;
        memset(zr, 0, kw * sizeof *zr);
        memset(zi, 0, kw * sizeof *zi);
        for (int n = 0; n < w; n++) {
            double g = dout[(size_t)y * w + n] * norm;
            const double *c = p->cos_x + (size_t)n * kw, *sn = p->sin_x + (size_t)n * kw;
            for (int k = 0; k < kw; k++) {
                zr[k] += p->wx[k] * g * c[k];
                zi[k] -= p->wx[k] * g * sn[k];
            }
        }
    }
    memset(dspec, 0, (size_t)h * kw * 2 * sizeof *dspec);
    for (int ky = 0; ky < h; ky++) {
        float *row = dspec + (size_t)ky * kw * 2;
        const float *s = p->scale + (size_t)ky * kw;
        for (int y = 0; y < h; y++) {
            double c = p->cos_y[(size_t)ky * h + y], sn = p->sin_y[(size_t)ky * h + y];
            const double *zr = p->zre + (size_t)y * kw, *zi = p->zim + (size_t)y * kw;
            for (int k = 0; k < kw; k++) {
                row[2 * k] += (float)(s[k] * (zr[k] * c + zi[k] * sn));
                row[2 * k + 1] += (float)(s[k] * (-zr[k] * sn + zi[k] * c));
            }
        }
    }
}

void fft_param_image(struct fft_param *p, float *pix)
{
    size_t plane = (size_t)p->h * p->w, bins = (size_t)p->h * p->kw;
    double m[3][3], *pre = p->pre;
    colour_matrix(m);
    for (int c = 0; c < 3; c++)
        inverse(p, p->params + (size_t)c * bins * 2, pre + c * plane);
    for (size_t i = 0; i < plane; i++)
        for (int c = 0; c < 3; c++) {
            double v = m[c][0] * pre[i] + m[c][1] * pre[plane + i] + m[c][2] * pre[2 * plane + i];
            pix[c * plane + i] = (float)(1.0 / (1.0 + exp(-v)));
        }
}

void fft_param_backward(struct fft_param *p, const float *pix, const float *grad_pix, float *grad)
{
    size_t plane = (size_t)p->h * p->w, bins = (size_t)p->h * p->kw;
    double m[3][3], *dpre = p->pre;
    colour_matrix(m);
    for (size_t i = 0; i < plane; i++) {
        double dv[3];
        for (int c = 0; c < 3; c++) { /* through the sigmoid */
            double s = pix[c * plane + i];
            dv[c] = grad_pix[c * plane + i] * s * (1 - s);
        }
        for (int d = 0; d < 3; d++) /* through the colour mix: its transpose */
            dpre[d * plane + i] = m[0][d] * dv[0] + m[1][d] * dv[1] + m[2][d] * dv[2];
    }
    for (int c = 0; c < 3; c++)
        inverse_backward(p, dpre + c * plane, grad + (size_t)c * bins * 2);
}
