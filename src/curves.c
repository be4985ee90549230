/* curves.c - pixel orders and areas for deletion/insertion curves. */
#include "curves.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

struct ranked {
    float v;
    size_t i;
};

static int by_value_desc(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    int xn = isnan(x->v), yn = isnan(y->v);
    if (xn != yn)
        return xn - yn;
    if (!xn && x->v != y->v)
        return x->v > y->v ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

int curve_order(const float *map, size_t n, size_t *order)
{
    struct ranked *r = malloc(n * sizeof *r);
    if (!r)
        return fail(EXIT_INTERNAL, "out of memory");
    for (size_t i = 0; i < n; i++)
        r[i] = (struct ranked){ map[i], i };
    qsort(r, n, sizeof *r, by_value_desc);
    for (size_t i = 0; i < n; i++)
        order[i] = r[i].i;
    free(r);
    return EXIT_OK;
}

size_t curve_pixels(size_t n, int steps, int k)
{
    return (n * (size_t)k + (size_t)steps / 2) / (size_t)steps;
}

void curve_mix(const float *from, const float *to, const size_t *order, size_t m, size_t plane,
               float *out)
{
    memcpy(out, from, 3 * plane * sizeof *out);
    for (size_t j = 0; j < m; j++)
        for (int c = 0; c < 3; c++)
            out[c * plane + order[j]] = to[c * plane + order[j]];
}

double curve_auc(const double *y, int points)
{
    if (points < 2)
        return points == 1 ? y[0] : 0;
    double sum = 0;
    for (int k = 0; k < points; k++)
        sum += (k == 0 || k == points - 1) ? y[k] / 2 : y[k];
    return sum / (points - 1);
}
