/* imageparam.c - Lucid's image parameterisations (see imageparam.h). The
 * Fourier transforms are plain sums over precomputed angles, separable: a complex
 * inverse DFT along y, then the real inverse along x, which reads only the
 * real part of the x = 0 and x = w / 2 frequencies (as a C2R transform
 * does). The backward pass is the exact transpose of that linear map. */
#include "imageparam.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* Lucid's colour_correlation_svd_sqrt: rows are output channels. */
static const double colour_sqrt[3][3] = {
    { 0.26, 0.09, 0.02 }, { 0.27, 0.00, -0.05 }, { 0.27, -0.09, 0.03 } };
/* Lucent divides the image by this after the inverse transform. */
#define SPECTRUM_MAGIC 4.0

/* colour_sqrt over its largest column norm; without decorrelation, the
 * identity. */
static void colour_matrix(double m[3][3], int decorrelate)
{
    if (!decorrelate) {
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                m[i][j] = i == j;
        return;
    }
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

/* The spectrum's scale and the transforms' angles. */
static void fft_tables(struct image_param *p)
{
    const int h = p->h, w = p->w;
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
}

int image_param_init(struct image_param *p, int n, int h, int w, int fft, int decorrelate,
                     struct rng *r, double sd)
{
    *p = (struct image_param){ .n = n, .h = h, .w = w, .kw = w / 2 + 1, .fft = fft,
                               .decorrelate = decorrelate };
    size_t bins = (size_t)h * p->kw;
    p->count = fft ? 2 * 3 * bins : 3 * (size_t)h * w;
    p->params = malloc((size_t)n * p->count * sizeof *p->params);
    p->pre = malloc(3 * (size_t)h * w * sizeof *p->pre);
    int ok = p->params && p->pre;
    if (ok && fft) {
        p->scale = malloc(bins * sizeof *p->scale);
        p->cos_y = malloc(2 * (size_t)h * h * sizeof *p->cos_y);
        p->cos_x = malloc(2 * (size_t)p->kw * w * sizeof *p->cos_x);
        p->zre = malloc(2 * bins * sizeof *p->zre);
        p->wx = malloc(p->kw * sizeof *p->wx);
        ok = p->scale && p->cos_y && p->cos_x && p->zre && p->wx;
    }
    if (!ok) {
        image_param_free(p);
        return fail(EXIT_INTERNAL, "out of memory");
    }
    rng_normals(r, p->params, (size_t)n * p->count);
    for (size_t i = 0; i < (size_t)n * p->count; i++)
        p->params[i] *= (float)sd;
    if (fft) {
        p->sin_y = p->cos_y + (size_t)h * h, p->sin_x = p->cos_x + (size_t)p->kw * w;
        p->zim = p->zre + bins;
        fft_tables(p);
    }
    return EXIT_OK;
}

void image_param_free(struct image_param *p)
{
    free(p->params);
    free(p->scale);
    free(p->cos_y);
    free(p->cos_x);
    free(p->zre);
    free(p->wx);
    free(p->pre);
    *p = (struct image_param){ 0 };
}

/* One channel's image (before the colour mix) from its spectrum. */
static void inverse(struct image_param *p, const float *spec, double *out)
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
static void inverse_backward(struct image_param *p, const double *dout, float *dspec)
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

/* One image's planes before the colour mix, from its parameters. */
static void pre_image(struct image_param *p, const float *params, double *pre)
{
    size_t plane = (size_t)p->h * p->w, bins = (size_t)p->h * p->kw;
    for (int c = 0; c < 3; c++) {
        if (p->fft)
            inverse(p, params + (size_t)c * bins * 2, pre + c * plane);
        else
            for (size_t i = 0; i < plane; i++)
                pre[c * plane + i] = params[c * plane + i];
    }
}

void image_param_image(struct image_param *p, float *pix)
{
    size_t plane = (size_t)p->h * p->w;
    double m[3][3], *pre = p->pre;
    colour_matrix(m, p->decorrelate);
    for (int k = 0; k < p->n; k++) {
        float *out = pix + (size_t)k * 3 * plane;
        pre_image(p, p->params + (size_t)k * p->count, pre);
        for (size_t i = 0; i < plane; i++)
            for (int c = 0; c < 3; c++) {
                double v = m[c][0] * pre[i] + m[c][1] * pre[plane + i] + m[c][2] * pre[2 * plane + i];
                out[c * plane + i] = (float)(1.0 / (1.0 + exp(-v)));
            }
    }
}

void image_param_backward(struct image_param *p, const float *pix, const float *grad_pix,
                          float *grad)
{
    size_t plane = (size_t)p->h * p->w, bins = (size_t)p->h * p->kw;
    double m[3][3], *dpre = p->pre;
    colour_matrix(m, p->decorrelate);
    for (int k = 0; k < p->n; k++) {
        const float *s = pix + (size_t)k * 3 * plane, *g = grad_pix + (size_t)k * 3 * plane;
        float *out = grad + (size_t)k * p->count;
        for (size_t i = 0; i < plane; i++) {
            double dv[3];
            for (int c = 0; c < 3; c++) /* through the sigmoid */
                dv[c] = g[c * plane + i] * s[c * plane + i] * (1 - s[c * plane + i]);
            for (int d = 0; d < 3; d++) /* through the colour mix: its transpose */
                dpre[d * plane + i] = m[0][d] * dv[0] + m[1][d] * dv[1] + m[2][d] * dv[2];
        }
        for (int c = 0; c < 3; c++) {
            if (p->fft)
                inverse_backward(p, dpre + c * plane, out + (size_t)c * bins * 2);
            else
                for (size_t i = 0; i < plane; i++)
                    out[c * plane + i] = (float)dpre[c * plane + i];
        }
    }
}
