/* diffpic.c - golden | new | difference, on the tool's own canvas. */
#include "diffpic.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canvas.h"
#include "colormap.h"
#include "error.h"
#include "png.h"

enum {
    MIN_PANEL = 192, /* small maps are enlarged to about this (nearest neighbour) */
    GAP = 10,
    HEAD = 34,       /* title and panel names */
    FOOT = 16,       /* the ranges */
};

/* The c x h x w map as an h x w plane (max |.| over channels when c > 1). */
static float *plane_of(const float *m, size_t c, size_t h, size_t w)
{
    size_t n = h * w;
    float *p = malloc(n * sizeof *p);
    if (!p)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        float v = c > 1 ? fabsf(m[i]) : m[i];
        for (size_t k = 1; k < c; k++)
            v = fabsf(m[k * n + i]) > v ? fabsf(m[k * n + i]) : v;
        p[i] = v;
    }
    return p;
}

static void panel(struct canvas *cv, int x0, int y0, const float *p, size_t h, size_t w, int scale,
                  float lo, float hi, enum colormap cm)
{
    for (size_t y = 0; y < h * (size_t)scale; y++)
        for (size_t x = 0; x < w * (size_t)scale; x++) {
            float v = p[(y / scale) * w + x / scale];
            unsigned char rgb[3];
            colormap_apply(cm, hi > lo ? (v - lo) / (hi - lo) : 0.0f, rgb);
            memcpy(cv->px + 3 * ((size_t)(y0 + y) * cv->w + x0 + x), rgb, 3);
        }
}

int diffpic_write(const char *path, const float *golden, const float *fresh, size_t c, size_t h,
                  size_t w, const char *title)
{
    static const unsigned char white[3] = { 255, 255, 255 }, black[3] = { 0, 0, 0 };
    const size_t n = h * w;
    float *a = plane_of(golden, c, h, w), *b = plane_of(fresh, c, h, w);
    float *d = malloc(n * sizeof *d);
    int rc = a && b && d ? EXIT_OK : fail(EXIT_INTERNAL, "out of memory");
    float lo = INFINITY, hi = -INFINITY, dmax = 0;
    for (size_t i = 0; rc == EXIT_OK && i < n; i++) {
        lo = a[i] < lo ? a[i] : lo;
        hi = a[i] > hi ? a[i] : hi;
        /* the difference of the values themselves (largest over channels),
         * as the check measures it */
        d[i] = 0;
        for (size_t k = 0; k < c; k++)
            d[i] = fmaxf(d[i], fabsf(fresh[k * n + i] - golden[k * n + i]));
        dmax = d[i] > dmax ? d[i] : dmax;
    }
    int scale = h && w && h < MIN_PANEL && w < MIN_PANEL
                    ? (int)(MIN_PANEL / (h > w ? h : w)) : 1;
    scale = scale < 1 ? 1 : scale;
    const int pw = (int)w * scale, ph = (int)h * scale;
    struct canvas cv = { 0 };
    if (rc == EXIT_OK)
        rc = canvas_create(&cv, 3 * pw + 4 * GAP, ph + HEAD + FOOT + GAP, white);
    if (rc == EXIT_OK) {
        static const char *const names[3] = { "golden", "new", "abs(new - golden)" };
        const float *planes[3] = { a, b, d };
        char range[3][64];
        snprintf(range[0], sizeof range[0], "%.3g .. %.3g", lo, hi);
        snprintf(range[1], sizeof range[1], "on the golden's range");
        /* in the map's own units: the title has the check's relative figure */
        snprintf(range[2], sizeof range[2], "0 .. %.3g", dmax);
        canvas_text(&cv, GAP, 4, title, cv.w - 2 * GAP, black);
        for (int k = 0; k < 3; k++) {
            int x = GAP + k * (pw + GAP);
            canvas_text(&cv, x, HEAD - 14, names[k], pw, black);
            panel(&cv, x, HEAD, planes[k], h, w, scale, k < 2 ? lo : 0, k < 2 ? hi : dmax,
                  k < 2 ? CMAP_INFERNO : CMAP_GRAY);
            canvas_text(&cv, x, HEAD + ph + 4, range[k], pw, black);
        }
        rc = png_write(path, cv.w, cv.h, 3, cv.px);
    }
    canvas_free(&cv);
    free(a);
    free(b);
    free(d);
    return rc;
}
