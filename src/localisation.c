/* localisation.c - a map against a ground-truth mask. */
#include "localisation.h"

#include <math.h>
#include <stdlib.h>

#include "curves.h"
#include "error.h"
#include "heatmap.h"

/* The first maximum in raster order. */
static size_t argmax(const float *m, size_t n)
{
    size_t best = 0;
    for (size_t i = 1; i < n; i++)
        if (m[i] > m[best])
            best = i;
    return best;
}

static int pointing_hit(const float *map, const unsigned char *mask, int w, int h, double tol)
{
    size_t at = argmax(map, (size_t)w * h);
    int x0 = (int)(at % w), y0 = (int)(at / w), r = (int)ceil(tol);
    for (int y = y0 - r; y <= y0 + r; y++)
        for (int x = x0 - r; x <= x0 + r; x++)
            if (x >= 0 && y >= 0 && x < w && y < h && mask[(size_t)y * w + x] &&
                (double)(x - x0) * (x - x0) + (double)(y - y0) * (y - y0) <= tol * tol)
                return 1;
    return 0;
}

int loc_score(const float *map, const unsigned char *mask, int w, int h, double tolerance,
              double top_percent, struct loc_scores *out)
{
    const size_t n = (size_t)w * h;
    double lo = map[0], hi = map[0], in_e = 0, all_e = 0, in_m = 0, all_m = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        lo = map[i] < lo ? map[i] : lo;
        hi = map[i] > hi ? map[i] : hi;
        k += mask[i] != 0;
    }
    for (size_t i = 0; i < n; i++) {
        double e = hi > lo ? (map[i] - lo) / (hi - lo) : 0, r = map[i] > 0 ? map[i] : 0;
        all_e += e, all_m += r;
        if (mask[i])
            in_e += e, in_m += r;
    }
    out->hit = pointing_hit(map, mask, w, h, tolerance);
    out->energy = all_e > 0 ? in_e / all_e : NAN;
    out->mass = all_m > 0 ? in_m / all_m : NAN;
    size_t *order = malloc(n * sizeof *order), inside = 0;
    int rc = order ? curve_order(map, n, order) : fail(EXIT_INTERNAL, "out of memory");
    for (size_t i = 0; rc == EXIT_OK && i < k; i++) /* eval's order: highest first, ties in raster */
        inside += mask[order[i]] != 0;
    free(order);
    if (rc)
        return rc;
    out->rank = hi > lo && k ? (double)inside / k : NAN;
    float t;
    rc = heatmap_top_threshold(map, n, top_percent / 100.0, &t);
    if (rc)
        return rc;
    size_t both = 0, either = 0;
    for (size_t i = 0; i < n; i++) {
        int top = map[i] >= t;
        both += top && mask[i];
        either += top || mask[i];
    }
    out->iou = either ? (double)both / either : NAN;
    return EXIT_OK;
}
