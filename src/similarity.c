/* similarity.c - rank correlation and structural similarity of two maps. */
#include "similarity.h"

#include <math.h>
#include <stdlib.h>

#include "error.h"
#include "heatmap.h"

#define SSIM_K1 0.01
#define SSIM_K2 0.03
#define NORMALISE_PERCENTILE 99.0

struct ranked {
    float v;
    size_t i;
};

static int by_value(const void *pa, const void *pb)
{
    const struct ranked *a = pa, *b = pb;
    return a->v < b->v ? -1 : a->v > b->v ? 1 : (a->i > b->i) - (a->i < b->i);
}

int similarity_ranks(const float *v, size_t n, double *rank)
{
    struct ranked *r = malloc(n * sizeof *r);
    if (!r)
        return -1;
    for (size_t i = 0; i < n; i++)
        r[i] = (struct ranked){ v[i], i };
    qsort(r, n, sizeof *r, by_value);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && r[j + 1].v == r[i].v)
            j++;
        double avg = (double)(i + j) / 2.0 + 1.0;
        for (size_t k = i; k <= j; k++)
            rank[r[k].i] = avg;
        i = j + 1;
    }
    free(r);
    return 0;
}

double similarity_spearman(const float *a, const float *b, size_t n)
{
    double *ra = malloc(n * sizeof *ra), *rb = malloc(n * sizeof *rb), out = NAN;
    if (ra && rb && n > 1 && similarity_ranks(a, n, ra) == 0 && similarity_ranks(b, n, rb) == 0) {
        double mean = (n + 1) / 2.0, sab = 0, saa = 0, sbb = 0; /* ranks' mean, always */
        for (size_t i = 0; i < n; i++) {
            double da = ra[i] - mean, db = rb[i] - mean;
            sab += da * db, saa += da * da, sbb += db * db;
        }
        out = saa > 0 && sbb > 0 ? sab / sqrt(saa * sbb) : NAN;
    }
    free(ra);
    free(rb);
    return out;
}

int similarity_normalise(const float *map, size_t n, float *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = fabsf(map[i]);
    float p;
    int rc = heatmap_percentile(out, n, NORMALISE_PERCENTILE, &p);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        float v = p > 0 ? out[i] / p : 0.0f;
        out[i] = v > 1.0f ? 1.0f : v;
    }
    return EXIT_OK;
}

/* Summed-area table of f(a, b) over the image: s[(y) * (w + 1) + x] is the
 * sum over [0, y) x [0, x). */
static void integral(const float *a, const float *b, int w, int h, int kind, double *s)
{
    for (int x = 0; x <= w; x++)
        s[x] = 0;
    for (int y = 1; y <= h; y++) {
        double row = 0;
        s[(size_t)y * (w + 1)] = 0;
        for (int x = 1; x <= w; x++) {
            size_t i = (size_t)(y - 1) * w + (x - 1);
            double v = kind == 0 ? a[i] : kind == 1 ? b[i] : kind == 2 ? (double)a[i] * a[i]
                     : kind == 3 ? (double)b[i] * b[i] : (double)a[i] * b[i];
            row += v;
            s[(size_t)y * (w + 1) + x] = s[(size_t)(y - 1) * (w + 1) + x] + row;
        }
    }
}

static double window_sum(const double *s, int w, int x, int y)
{
    const int k = SSIM_WINDOW;
    size_t stride = (size_t)w + 1;
    return s[(y + k) * stride + x + k] - s[y * stride + x + k] - s[(y + k) * stride + x] +
           s[y * stride + x];
}

double similarity_ssim(const float *a, const float *b, int w, int h)
{
    const int k = SSIM_WINDOW;
    if (w < k || h < k)
        return NAN;
    const size_t cells = (size_t)(w + 1) * (h + 1);
    double *s = malloc(5 * cells * sizeof *s);
    if (!s)
        return NAN;
    for (int kind = 0; kind < 5; kind++)
        integral(a, b, w, h, kind, s + kind * cells);
    const double np = (double)k * k, cov_norm = np / (np - 1);
    const double c1 = SSIM_K1 * SSIM_K1, c2 = SSIM_K2 * SSIM_K2; /* data range 1 */
    double total = 0;
    for (int y = 0; y + k <= h; y++)
        for (int x = 0; x + k <= w; x++) {
            double ma = window_sum(s, w, x, y) / np, mb = window_sum(s + cells, w, x, y) / np;
            double va = cov_norm * (window_sum(s + 2 * cells, w, x, y) / np - ma * ma);
            double vb = cov_norm * (window_sum(s + 3 * cells, w, x, y) / np - mb * mb);
            double cab = cov_norm * (window_sum(s + 4 * cells, w, x, y) / np - ma * mb);
            total += (2 * ma * mb + c1) * (2 * cab + c2) /
                     ((ma * ma + mb * mb + c1) * (va + vb + c2));
        }
    free(s);
    return total / ((double)(w - k + 1) * (h - k + 1));
}
