/* slic.c - SLIC superpixels in CIELAB. */
#include "slic.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* sRGB in [0, 1] to CIELAB (D65), as scikit-image's rgb2lab. */
static void rgb_to_lab(float r, float g, float b, float lab[3])
{
    float c[3] = { r, g, b };
    for (int i = 0; i < 3; i++)
        c[i] = c[i] > 0.04045f ? powf((c[i] + 0.055f) / 1.055f, 2.4f) : c[i] / 12.92f;
    double x = (0.412453 * c[0] + 0.357580 * c[1] + 0.180423 * c[2]) / 0.95047;
    double y = 0.212671 * c[0] + 0.715160 * c[1] + 0.072169 * c[2];
    double z = (0.019334 * c[0] + 0.119193 * c[1] + 0.950227 * c[2]) / 1.08883;
    double f[3] = { x, y, z };
    for (int i = 0; i < 3; i++)
        f[i] = f[i] > 0.008856 ? cbrt(f[i]) : 7.787 * f[i] + 16.0 / 116.0;
    lab[0] = (float)(116 * f[1] - 16);
    lab[1] = (float)(500 * (f[0] - f[1]));
    lab[2] = (float)(200 * (f[1] - f[2]));
}

struct centre {
    double l, a, b, y, x;
};

/* Squared colour difference of pixels p and q of lab [h*w][3]. */
static double colour_d2(const float *lab, size_t p, size_t q)
{
    double d = 0;
    for (int i = 0; i < 3; i++) {
        double v = (double)lab[p * 3 + i] - lab[q * 3 + i];
        d += v * v;
    }
    return d;
}

/* Grid seeds, each moved to the lowest colour gradient in its 3x3
 * neighbourhood (the paper's: not onto an edge or a noisy pixel). */
static int seed_centres(const float *lab, int h, int w, int n_segments, struct centre **out)
{
    const double step = sqrt((double)h * w / n_segments);
    int ny = (int)lround(h / step), nx = (int)lround(w / step);
    ny = ny < 1 ? 1 : ny;
    nx = nx < 1 ? 1 : nx;
    struct centre *c = malloc((size_t)ny * nx * sizeof *c);
    if (!c)
        return -1;
    int n = 0;
    for (int i = 0; i < ny; i++)
        for (int j = 0; j < nx; j++) {
            int cy = (int)((i + 0.5) * h / ny), cx = (int)((j + 0.5) * w / nx), by = cy, bx = cx;
            double best = DBL_MAX;
            for (int y = cy - 1; y <= cy + 1; y++)
                for (int x = cx - 1; x <= cx + 1; x++) {
                    if (y < 1 || x < 1 || y >= h - 1 || x >= w - 1)
                        continue;
                    size_t p = (size_t)y * w + x;
                    double g = colour_d2(lab, p + 1, p - 1) + colour_d2(lab, p + w, p - w);
                    if (g < best)
                        best = g, by = y, bx = x;
                }
            size_t p = (size_t)by * w + bx;
            c[n++] = (struct centre){ lab[p * 3], lab[p * 3 + 1], lab[p * 3 + 2], by, bx };
        }
    *out = c;
    return n;
}

/* k-means restricted to each centre's 2S x 2S window. */
static void cluster(const float *lab, int h, int w, struct centre *c, int n, double step,
                    double compactness, int *labels, double *dist, double *sums)
{
    const double m2 = (compactness / step) * (compactness / step);
    const int reach = (int)ceil(step);
    for (int it = 0; it < SLIC_ITERATIONS; it++) {
        for (size_t p = 0; p < (size_t)h * w; p++)
            dist[p] = DBL_MAX;
        for (int k = 0; k < n; k++) {
            int y0 = (int)c[k].y - reach, y1 = (int)c[k].y + reach;
            int x0 = (int)c[k].x - reach, x1 = (int)c[k].x + reach;
            for (int y = y0 < 0 ? 0 : y0; y <= y1 && y < h; y++)
                for (int x = x0 < 0 ? 0 : x0; x <= x1 && x < w; x++) {
                    size_t p = (size_t)y * w + x;
                    double dl = lab[p * 3] - c[k].l, da = lab[p * 3 + 1] - c[k].a;
                    double db = lab[p * 3 + 2] - c[k].b, dy = y - c[k].y, dx = x - c[k].x;
                    double d = dl * dl + da * da + db * db + (dy * dy + dx * dx) * m2;
                    if (d < dist[p])
                        dist[p] = d, labels[p] = k;
                }
        }
        memset(sums, 0, (size_t)n * 6 * sizeof *sums);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                size_t p = (size_t)y * w + x;
                double *s = sums + (size_t)labels[p] * 6;
                s[0] += lab[p * 3], s[1] += lab[p * 3 + 1], s[2] += lab[p * 3 + 2];
                s[3] += y, s[4] += x, s[5] += 1;
            }
        for (int k = 0; k < n; k++) {
            const double *s = sums + (size_t)k * 6;
            if (s[5] > 0)
                c[k] = (struct centre){ s[0] / s[5], s[1] / s[5], s[2] / s[5], s[3] / s[5],
                                        s[4] / s[5] };
        }
    }
}

/* The 4-neighbours of pixel p (p itself where the image ends). */
static void neighbours(size_t p, int w, size_t n, size_t nb[4])
{
    nb[0] = p % w ? p - 1 : p;
    nb[1] = p % w + 1 < (size_t)w ? p + 1 : p;
    nb[2] = p >= (size_t)w ? p - w : p;
    nb[3] = p + w < n ? p + w : p;
}

/* comp[p]: the 4-connected region of equal labels p is in, numbered in
 * scan order; size[c] its pixels. Returns the number of regions. */
static int components(const int *in, int w, size_t n, int *comp, int *size, int *stack)
{
    for (size_t p = 0; p < n; p++)
        comp[p] = -1;
    int count = 0;
    for (size_t start = 0; start < n; start++) {
        if (comp[start] >= 0)
            continue;
        size_t top = 0;
        stack[top++] = (int)start;
        comp[start] = count;
        size[count] = 0;
        while (top > 0) {
            size_t p = (size_t)stack[--top], nb[4];
            size[count]++;
            neighbours(p, w, n, nb);
            for (int k = 0; k < 4; k++)
                if (comp[nb[k]] < 0 && in[nb[k]] == in[start]) {
                    comp[nb[k]] = count;
                    stack[top++] = (int)nb[k];
                }
        }
        count++;
    }
    return count;
}

#define MERGE_ROUNDS 8 /* fragments of fragments: a few rounds settle them */

/* Connectivity, as the paper's post-processing: every region of the
 * k-means labels under min_size pixels joins a neighbouring region - one
 * of at least that size if any touches it, else any - the one whose
 * touching pixel is closest in colour (so fragments stay off strong
 * edges); repeated while small regions merge. The regions, relabelled 0..
 * in scan order, are the superpixels. Returns their count, or -1 when out
 * of memory. */
static int enforce_connectivity(const int *in, const float *lab, int h, int w, int min_size,
                                int *out, int *stack)
{
    const size_t n = (size_t)h * w;
    int *size = malloc(n * sizeof *size), *target = malloc(n * sizeof *target);
    int *cur = malloc(n * sizeof *cur);
    double *best = malloc(n * sizeof *best);
    if (!size || !target || !cur || !best) {
        free(size), free(target), free(cur), free(best);
        return -1;
    }
    memcpy(cur, in, n * sizeof *cur);
    int regions = 0;
    for (int round = 0; round <= MERGE_ROUNDS; round++) {
        regions = components(cur, w, n, out, size, stack);
        int small = 0;
        for (int c = 0; c < regions; c++)
            target[c] = c, best[c] = DBL_MAX, small += size[c] < min_size;
        if (!small || round == MERGE_ROUNDS)
            break;
        for (size_t p = 0; p < n; p++) {
            size_t nb[4];
            const int own = out[p];
            if (size[own] >= min_size)
                continue;
            neighbours(p, w, n, nb);
            for (int k = 0; k < 4; k++) {
                int c = out[nb[k]];
                if (c == own)
                    continue;
                /* a large neighbour beats any small one */
                double d = colour_d2(lab, p, nb[k]) + (size[c] >= min_size ? 0 : 1e12);
                if (d < best[own])
                    best[own] = d, target[own] = c;
            }
        }
        for (size_t p = 0; p < n; p++)
            cur[p] = target[out[p]];
    }
    memcpy(out, cur, n * sizeof *out); /* region ids in scan order: relabel compactly */
    for (int c = 0; c < regions; c++)
        size[c] = -1;
    int count = 0;
    regions = components(cur, w, n, out, target, stack);
    for (size_t p = 0; p < n; p++) {
        if (size[out[p]] < 0)
            size[out[p]] = count++;
        out[p] = size[out[p]];
    }
    free(size);
    free(target);
    free(cur);
    free(best);
    return count;
}

int slic_segment(const float *rgb, int h, int w, int n_segments, double compactness, int *labels,
                 int *count)
{
    const size_t n = (size_t)h * w;
    float *lab = malloc(n * 3 * sizeof *lab);
    double *dist = malloc(n * sizeof *dist);
    int *raw = malloc(n * sizeof *raw), *stack = malloc(n * sizeof *stack);
    struct centre *c = NULL;
    int k = lab && dist && raw && stack ? 0 : -1;
    for (size_t p = 0; k == 0 && p < n; p++)
        rgb_to_lab(rgb[p], rgb[n + p], rgb[2 * n + p], lab + p * 3);
    if (k == 0)
        k = seed_centres(lab, h, w, n_segments, &c);
    double *sums = k > 0 ? malloc((size_t)k * 6 * sizeof *sums) : NULL;
    int rc = sums ? EXIT_OK : fail(EXIT_INTERNAL, "out of memory");
    if (rc == EXIT_OK) {
        const double step = sqrt((double)n / n_segments);
        cluster(lab, h, w, c, k, step, compactness, raw, dist, sums);
        /* fragments under a quarter of a superpixel's expected size merge */
        *count = enforce_connectivity(raw, lab, h, w, (int)(n / (size_t)k / 4), labels, stack);
        if (*count < 0)
            rc = fail(EXIT_INTERNAL, "out of memory");
    }
    free(lab);
    free(dist);
    free(raw);
    free(stack);
    free(c);
    free(sums);
    return rc;
}
