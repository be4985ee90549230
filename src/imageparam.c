/* imageparam.c - Lucid's image parameterisations (see imageparam.h). The
 * Fourier transforms are fft.c's, separable: a complex inverse transform
 * along y, then the real inverse along x, which reads only the real part of
 * the x = 0 and x = w / 2 frequencies (as a C2R transform does). The
 * backward pass is the exact transpose of that linear map: forward
 * transforms in the reverse order. */
#include "imageparam.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "fft.h"

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

/* The spectrum's scale and the x frequencies' weights. */
static void fft_tables(struct image_param *p)
{
    const int h = p->h, w = p->w;
    double floor_freq = 1.0 / (h > w ? h : w);
    for (int y = 0; y < h; y++)
        for (int k = 0; k < p->kw; k++) {
            double fy = fftfreq(y, h), fx = fftfreq(k, w);
            p->scale[(size_t)y * p->kw + k] = (float)(1.0 / fmax(sqrt(fx * fx + fy * fy), floor_freq));
        }
    /* x = 0 and (w even) x = w / 2 count once and their imaginary parts not at
     * all, as in a C2R transform; the others twice (for their mirror images). */
    for (int k = 0; k < p->kw; k++)
        p->wx[k] = k == 0 || (w % 2 == 0 && k == w / 2) ? 1.0 : 2.0;
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
        size_t line = (size_t)(h > w ? h : w);
        p->scale = malloc(bins * sizeof *p->scale);
        p->zre = malloc(2 * bins * sizeof *p->zre);
        p->wx = malloc(p->kw * sizeof *p->wx);
        p->line = malloc(4 * line * sizeof *p->line);
        ok = p->scale && p->zre && p->wx && p->line && fft_plan_init(&p->along_y, h) == EXIT_OK &&
             fft_plan_init(&p->along_x, w) == EXIT_OK;
        clear_error(); /* the only failure is memory: reported below */
    }
    if (!ok) {
        image_param_free(p);
        return fail(EXIT_INTERNAL, "out of memory");
    }
    rng_normals(r, p->params, (size_t)n * p->count);
    for (size_t i = 0; i < (size_t)n * p->count; i++)
        p->params[i] *= (float)sd;
    if (fft) {
        p->zim = p->zre + bins;
        fft_tables(p);
    }
    return EXIT_OK;
}

void image_param_free(struct image_param *p)
{
    free(p->params);
    free(p->scale);
    free(p->line);
    fft_plan_free(&p->along_y);
    fft_plan_free(&p->along_x);
    free(p->zre);
    free(p->wx);
    free(p->pre);
    *p = (struct image_param){ 0 };
}

/* One channel's image (before the colour mix) from its spectrum: along y
 * the inverse complex transform of each (scaled) column; along x, of each
 * row's frequencies weighted by wx, whose real part is the C2R result. */
static void inverse(struct image_param *p, const float *spec, double *out)
{
    const int h = p->h, w = p->w, kw = p->kw;
    const double norm = 1.0 / (sqrt((double)h * w) * SPECTRUM_MAGIC);
    double *ar = p->line, *ai = ar + (h > w ? h : w), *br = ai + (h > w ? h : w);
    double *bi = br + (h > w ? h : w);
    for (int k = 0; k < kw; k++) { /* Z[y, k] = sum_ky S[ky, k] e^(2 pi i ky y / h) */
        for (int ky = 0; ky < h; ky++) {
            const float *v = spec + ((size_t)ky * kw + k) * 2;
            double s = p->scale[(size_t)ky * kw + k];
            ar[ky] = s * v[0], ai[ky] = s * v[1];
        }
        fft_run(&p->along_y, ar, ai, 1, br, bi, +1);
        for (int y = 0; y < h; y++)
            p->zre[(size_t)y * kw + k] = br[y], p->zim[(size_t)y * kw + k] = bi[y];
    }
    for (int y = 0; y < h; y++) { /* x[y, n] = Re sum_k wx_k Z[y, k] e^(2 pi i k n / w) */
        const double *zr = p->zre + (size_t)y * kw, *zi = p->zim + (size_t)y * kw;
        for (int k = 0; k < w; k++) {
            int real_only = k < kw && p->wx[k] == 1.0;
            ar[k] = k < kw ? p->wx[k] * zr[k] : 0;
            ai[k] = k < kw && !real_only ? p->wx[k] * zi[k] : 0;
        }
        fft_run(&p->along_x, ar, ai, 1, br, bi, +1);
        for (int n = 0; n < w; n++)
            out[(size_t)y * w + n] = br[n] * norm;
    }
}

/* The transpose of inverse(): spectrum gradient from the image's, forward
 * transforms in the reverse order. */
static void inverse_backward(struct image_param *p, const double *dout, float *dspec)
{
    const int h = p->h, w = p->w, kw = p->kw;
    const double norm = 1.0 / (sqrt((double)h * w) * SPECTRUM_MAGIC);
    double *ar = p->line, *ai = ar + (h > w ? h : w), *br = ai + (h > w ? h : w);
    double *bi = br + (h > w ? h : w);
    for (int y = 0; y < h; y++) { /* dZ[y, k] = wx_k sum_n g[y, n] e^(-2 pi i k n / w) */
        for (int n = 0; n < w; n++)
            ar[n] = dout[(size_t)y * w + n] * norm, ai[n] = 0;
        fft_run(&p->along_x, ar, ai, 1, br, bi, -1);
        for (int k = 0; k < kw; k++) {
            p->zre[(size_t)y * kw + k] = p->wx[k] * br[k];
            p->zim[(size_t)y * kw + k] = p->wx[k] == 1.0 ? 0 : p->wx[k] * bi[k];
        }
    }
    for (int k = 0; k < kw; k++) { /* dS[ky, k] = scale sum_y dZ[y, k] e^(-2 pi i ky y / h) */
        fft_run(&p->along_y, p->zre + k, p->zim + k, (size_t)kw, br, bi, -1);
        for (int ky = 0; ky < h; ky++) {
            float *v = dspec + ((size_t)ky * kw + k) * 2;
            double s = p->scale[(size_t)ky * kw + k];
            v[0] = (float)(s * br[ky]), v[1] = (float)(s * bi[ky]);
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
