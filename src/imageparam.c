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
#include "parallel.h"

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
                     int workers, struct rng *r, double sd)
{
    workers = workers < 1 ? 1 : workers > PARALLEL_MAX_WORKERS ? PARALLEL_MAX_WORKERS : workers;
    *p = (struct image_param){ .n = n, .h = h, .w = w, .kw = w / 2 + 1, .fft = fft,
                               .decorrelate = decorrelate, .workers = workers };
    size_t bins = (size_t)h * p->kw;
    p->count = fft ? 2 * 3 * bins : 3 * (size_t)h * w;
    p->params = malloc((size_t)n * p->count * sizeof *p->params);
    p->pre = malloc((size_t)n * 3 * h * w * sizeof *p->pre);
    int ok = p->params && p->pre;
    if (ok && fft) {
        size_t line = (size_t)(h > w ? h : w);
        p->scale = malloc(bins * sizeof *p->scale);
        p->zre = malloc((size_t)workers * 2 * bins * sizeof *p->zre);
        p->wx = malloc(p->kw * sizeof *p->wx);
        p->line = malloc((size_t)workers * 4 * line * sizeof *p->line);
        ok = p->scale && p->zre && p->wx && p->line;
        for (int t = 0; ok && t < workers; t++)
            ok = fft_plan_init(&p->plans_y[t], h) == EXIT_OK &&
                 fft_plan_init(&p->plans_x[t], w) == EXIT_OK;
        clear_error(); /* the only failure is memory: reported below */
    }
    if (!ok) {
        image_param_free(p);
        return fail(EXIT_INTERNAL, "out of memory");
    }
    rng_normals(r, p->params, (size_t)n * p->count);
    for (size_t i = 0; i < (size_t)n * p->count; i++)
        p->params[i] *= (float)sd;
    if (fft)
        fft_tables(p);
    return EXIT_OK;
}

void image_param_free(struct image_param *p)
{
    free(p->params);
    free(p->scale);
    free(p->line);
    for (int t = 0; t < PARALLEL_MAX_WORKERS; t++) {
        fft_plan_free(&p->plans_y[t]);
        fft_plan_free(&p->plans_x[t]);
    }
    free(p->zre);
    free(p->wx);
    free(p->pre);
    *p = (struct image_param){ 0 };
}

/* One worker's scratch: a row or column in and out, the spectrum along y. */
struct scratch {
    double *ar, *ai, *br, *bi, *zre, *zim;
    struct fft_plan along_y, along_x; /* the shared tables, this worker's butterfly space */
};

static struct scratch scratch_of(struct image_param *p, int worker)
{
    size_t line = (size_t)(p->h > p->w ? p->h : p->w), bins = (size_t)p->h * p->kw;
    double *l = p->line + (size_t)worker * 4 * line, *z = p->zre + (size_t)worker * 2 * bins;
    return (struct scratch){ l, l + line, l + 2 * line, l + 3 * line, z, z + bins,
                             p->plans_y[worker], p->plans_x[worker] };
}

/* One channel's image (before the colour mix) from its spectrum: along y
 * the inverse complex transform of each (scaled) column; along x, of each
 * row's frequencies weighted by wx, whose real part is the C2R result. */
static void inverse(struct image_param *p, const float *spec, double *out, int worker)
{
    const int h = p->h, w = p->w, kw = p->kw;
    const double norm = 1.0 / (sqrt((double)h * w) * SPECTRUM_MAGIC);
    struct scratch t = scratch_of(p, worker);
    double *ar = t.ar, *ai = t.ai, *br = t.br, *bi = t.bi, *zre = t.zre, *zim = t.zim;
    for (int k = 0; k < kw; k++) { /* Z[y, k] = sum_ky S[ky, k] e^(2 pi i ky y / h) */
        for (int ky = 0; ky < h; ky++) {
            const float *v = spec + ((size_t)ky * kw + k) * 2;
            double s = p->scale[(size_t)ky * kw + k];
            ar[ky] = s * v[0], ai[ky] = s * v[1];
        }
        fft_run(&t.along_y, ar, ai, 1, br, bi, +1);
        for (int y = 0; y < h; y++)
            zre[(size_t)y * kw + k] = br[y], zim[(size_t)y * kw + k] = bi[y];
    }
    /* x[y, n] = Re sum_k wx_k Z[y, k] e^(2 pi i k n / w): the row's Hermitian
     * spectrum (imaginary parts of the real-only bins dropped) transforms to
     * real values, so two rows go through one transform, the second as the
     * imaginary part */
    for (int y = 0; y < h; y += 2) {
        for (int k = 0; k < w; k++)
            ar[k] = ai[k] = 0;
        for (int row = 0; row < 2 && y + row < h; row++) {
            const double *zr = zre + (size_t)(y + row) * kw, *zi = zim + (size_t)(y + row) * kw;
            for (int k = 0; k < kw; k++) {
                double re = zr[k], im = p->wx[k] == 1.0 ? 0 : zi[k]; /* H[k] = Z[k] */
                int mirror = (w - k) % w;                            /* H[w - k] = conj Z[k] */
                /* F = H1 + i H2: (re + i im) times 1 or i */
                if (row == 0) {
                    ar[k] += re, ai[k] += im;
                    if (mirror != k)
                        ar[mirror] += re, ai[mirror] -= im;
                } else {
                    ar[k] -= im, ai[k] += re;
                    if (mirror != k)
                        ar[mirror] += im, ai[mirror] += re;
                }
            }
        }
        fft_run(&t.along_x, ar, ai, 1, br, bi, +1);
        for (int n = 0; n < w; n++) {
            out[(size_t)y * w + n] = br[n] * norm;
            if (y + 1 < h)
                out[(size_t)(y + 1) * w + n] = bi[n] * norm;
        }
    }
}

/* The transpose of inverse(): spectrum gradient from the image's, forward
 * transforms in the reverse order. */
static void inverse_backward(struct image_param *p, const double *dout, float *dspec, int worker)
{
    const int h = p->h, w = p->w, kw = p->kw;
    const double norm = 1.0 / (sqrt((double)h * w) * SPECTRUM_MAGIC);
    struct scratch t = scratch_of(p, worker);
    double *ar = t.ar, *ai = t.ai, *br = t.br, *bi = t.bi, *zre = t.zre, *zim = t.zim;
    /* dZ[y, k] = wx_k sum_n g[y, n] e^(-2 pi i k n / w), two real rows per
     * transform: A = FFT(g1 + i g2), G1[k] = (A[k] + conj A[-k]) / 2,
     * G2[k] = (A[k] - conj A[-k]) / 2i */
    for (int y = 0; y < h; y += 2) {
        for (int n = 0; n < w; n++) {
            ar[n] = dout[(size_t)y * w + n] * norm;
            ai[n] = y + 1 < h ? dout[(size_t)(y + 1) * w + n] * norm : 0;
        }
        fft_run(&t.along_x, ar, ai, 1, br, bi, -1);
        for (int k = 0; k < kw; k++) {
            int mirror = (w - k) % w;
            double g1r = (br[k] + br[mirror]) / 2, g1i = (bi[k] - bi[mirror]) / 2;
            double g2r = (bi[k] + bi[mirror]) / 2, g2i = (br[mirror] - br[k]) / 2;
            zre[(size_t)y * kw + k] = p->wx[k] * g1r;
            zim[(size_t)y * kw + k] = p->wx[k] == 1.0 ? 0 : p->wx[k] * g1i;
            if (y + 1 < h) {
                zre[(size_t)(y + 1) * kw + k] = p->wx[k] * g2r;
                zim[(size_t)(y + 1) * kw + k] = p->wx[k] == 1.0 ? 0 : p->wx[k] * g2i;
            }
        }
    }
    for (int k = 0; k < kw; k++) { /* dS[ky, k] = scale sum_y dZ[y, k] e^(-2 pi i ky y / h) */
        fft_run(&t.along_y, zre + k, zim + k, (size_t)kw, br, bi, -1);
        for (int ky = 0; ky < h; ky++) {
            float *v = dspec + ((size_t)ky * kw + k) * 2;
            double s = p->scale[(size_t)ky * kw + k];
            v[0] = (float)(s * br[ky]), v[1] = (float)(s * bi[ky]);
        }
    }
}

/* A pass over the images: item (image, channel) or image. */
struct param_job {
    struct image_param *p;
    const float *pix, *grad_pix;
    float *out;
};

/* Channel c of image k before the colour mix, into p->pre. */
static void pre_channel(void *ctx, int item, int worker)
{
    struct param_job *j = ctx;
    struct image_param *p = j->p;
    int k = item / 3, c = item % 3;
    size_t plane = (size_t)p->h * p->w, bins = (size_t)p->h * p->kw;
    const float *params = p->params + (size_t)k * p->count;
    double *pre = p->pre + ((size_t)k * 3 + c) * plane;
    if (p->fft)
        inverse(p, params + (size_t)c * bins * 2, pre, worker);
    else
        for (size_t i = 0; i < plane; i++)
            pre[i] = params[c * plane + i];
}

/* Image k: the colour mix and the sigmoid. */
static void colour_image(void *ctx, int k, int worker)
{
    (void)worker;
    struct param_job *j = ctx;
    struct image_param *p = j->p;
    size_t plane = (size_t)p->h * p->w;
    const double *pre = p->pre + (size_t)k * 3 * plane;
    float *out = j->out + (size_t)k * 3 * plane;
    double m[3][3];
    colour_matrix(m, p->decorrelate);
    for (size_t i = 0; i < plane; i++)
        for (int c = 0; c < 3; c++) {
            double v = m[c][0] * pre[i] + m[c][1] * pre[plane + i] + m[c][2] * pre[2 * plane + i];
            out[c * plane + i] = (float)(1.0 / (1.0 + exp(-v)));
        }
}

void image_param_image(struct image_param *p, float *pix)
{
    struct param_job j = { p, NULL, NULL, pix };
    parallel_for(p->n * 3, p->workers, pre_channel, &j);
    parallel_for(p->n, p->workers, colour_image, &j);
}

/* Image k: the gradient back through the sigmoid and the colour mix, into
 * p->pre. */
static void colour_backward(void *ctx, int k, int worker)
{
    (void)worker;
    struct param_job *j = ctx;
    struct image_param *p = j->p;
    size_t plane = (size_t)p->h * p->w;
    const float *s = j->pix + (size_t)k * 3 * plane, *g = j->grad_pix + (size_t)k * 3 * plane;
    double *dpre = p->pre + (size_t)k * 3 * plane, m[3][3];
    colour_matrix(m, p->decorrelate);
    for (size_t i = 0; i < plane; i++) {
        double dv[3];
        for (int c = 0; c < 3; c++) /* through the sigmoid */
            dv[c] = g[c * plane + i] * s[c * plane + i] * (1 - s[c * plane + i]);
        for (int d = 0; d < 3; d++) /* through the colour mix: its transpose */
            dpre[d * plane + i] = m[0][d] * dv[0] + m[1][d] * dv[1] + m[2][d] * dv[2];
    }
}

/* Channel c of image k: the parameters' gradient from p->pre's. */
static void channel_backward(void *ctx, int item, int worker)
{
    struct param_job *j = ctx;
    struct image_param *p = j->p;
    int k = item / 3, c = item % 3;
    size_t plane = (size_t)p->h * p->w, bins = (size_t)p->h * p->kw;
    const double *dpre = p->pre + ((size_t)k * 3 + c) * plane;
    float *out = j->out + (size_t)k * p->count;
    if (p->fft)
        inverse_backward(p, dpre, out + (size_t)c * bins * 2, worker);
    else
        for (size_t i = 0; i < plane; i++)
            out[c * plane + i] = (float)dpre[i];
}

void image_param_backward(struct image_param *p, const float *pix, const float *grad_pix,
                          float *grad)
{
    struct param_job j = { p, pix, grad_pix, grad };
    parallel_for(p->n, p->workers, colour_backward, &j);
    parallel_for(p->n * 3, p->workers, channel_backward, &j);
}
