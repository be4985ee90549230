/* risemask.c - one RISE mask from the generator. */
#include "risemask.h"

#include <math.h>

/* Source index pair and weight of output coordinate o on an axis upsampled
 * from n cells to n_out samples (half-pixel centres, clamped). */
static void source(int o, int n, int n_out, int *i0, int *i1, float *frac)
{
    double s = (o + 0.5) * n / n_out - 0.5;
    if (s < 0)
        s = 0;
    int lo = (int)s;
    if (lo > n - 1)
        lo = n - 1;
    *i0 = lo;
    *i1 = lo + 1 < n ? lo + 1 : n - 1;
    *frac = (float)(s - lo);
}

void rise_mask(struct rng *r, int grid, double keep, int h, int w, float *mask)
{
    float cells[RISE_MAX_GRID * RISE_MAX_GRID];
    for (int i = 0; i < grid * grid; i++)
        cells[i] = rng_uniform(r) < keep ? 1.0f : 0.0f;
    const int cell_h = (h + grid - 1) / grid, cell_w = (w + grid - 1) / grid;
    const int dy = (int)(rng_uniform(r) * cell_h), dx = (int)(rng_uniform(r) * cell_w);
    const int up_h = (grid + 1) * cell_h, up_w = (grid + 1) * cell_w;
    for (int y = 0; y < h; y++) {
        int y0, y1;
        float fy;
        source(y + dy, grid, up_h, &y0, &y1, &fy);
        const float *r0 = cells + y0 * grid, *r1 = cells + y1 * grid;
        for (int x = 0; x < w; x++) {
            int x0, x1;
            float fx;
            source(x + dx, grid, up_w, &x0, &x1, &fx);
            float top = r0[x0] + fx * (r0[x1] - r0[x0]);
            float bottom = r1[x0] + fx * (r1[x1] - r1[x0]);
            mask[(size_t)y * w + x] = top + fy * (bottom - top);
        }
    }
}
