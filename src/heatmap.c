/* heatmap.c - what the front end does with a map once libtorch produced it. */
#include "heatmap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* Weight of the original image where the model saw nothing (--resize crop). */
#define OUTSIDE_DIM 0.35f

void heatmap_abs_channel_max(const float *chw, int channels, int height, int width, float *map)
{
    size_t plane = (size_t)width * height;
    for (size_t i = 0; i < plane; i++) {
        float m = fabsf(chw[i]);
        for (int c = 1; c < channels; c++) {
            float v = fabsf(chw[c * plane + i]);
            if (v > m || isnan(v))
                m = v;
        }
        map[i] = m;
    }
}

void heatmap_channel_max_magnitude(const float *chw, int channels, int height, int width,
                                   float *map)
{
    size_t plane = (size_t)width * height;
    for (size_t i = 0; i < plane; i++) {
        float m = chw[i];
        for (int c = 1; c < channels; c++) {
            float v = chw[c * plane + i];
            if (fabsf(v) > fabsf(m) || isnan(v))
                m = v;
        }
        map[i] = m;
    }
}

void heatmap_channel_sum(const float *chw, int channels, int height, int width, float *map)
{
    size_t plane = (size_t)width * height;
    for (size_t i = 0; i < plane; i++) {
        float sum = 0;
        for (int c = 0; c < channels; c++)
            sum += chw[c * plane + i];
        map[i] = sum;
    }
}

static void swap(float *a, float *b)
{
    float t = *a;
    *a = *b;
    *b = t;
}

/* The k-th largest (1 <= k <= n) of v[0..n-1]; reorders v. Quickselect with
 * a three-way partition, so runs of equal values (flat maps) stay linear. */
static float kth_largest(float *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n, want = k - 1;
    while (hi - lo > 1) {
        float pivot = v[lo + (hi - lo) / 2];
        /* [lo, gt_end) > pivot, [gt_end, i) == pivot, [lt_start, hi) < pivot */
        size_t gt_end = lo, i = lo, lt_start = hi;
        while (i < lt_start) {
            if (v[i] > pivot)
                swap(&v[gt_end++], &v[i++]);
            else if (v[i] < pivot)
                swap(&v[i], &v[--lt_start]);
            else
                i++;
        }
        if (want < gt_end)
            hi = gt_end;
        else if (want >= lt_start)
            lo = lt_start;
        else
            return pivot;
    }
    return v[lo];
}

/* The k-th largest finite value of map (k clamped to 1..count). */
static int kth_finite(const float *map, size_t n, size_t k, float *out)
{
    float *vals = malloc((n ? n : 1) * sizeof *vals);
    if (!vals)
        return fail(EXIT_INTERNAL, "out of memory");
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(map[i]))
            vals[m++] = map[i];
    *out = NAN;
    if (m) {
        k = k < 1 ? 1 : k > m ? m : k;
        *out = kth_largest(vals, m, k);
    }
    free(vals);
    return EXIT_OK;
}

int heatmap_percentile(const float *map, size_t n, double pct, float *out)
{
    /* Nearest rank from the top: pct = 100 is the maximum. */
    size_t finite = 0;
    for (size_t i = 0; i < n; i++)
        finite += isfinite(map[i]) != 0;
    return kth_finite(map, n, (size_t)floor((100.0 - pct) / 100.0 * finite) + 1, out);
}

int heatmap_top_threshold(const float *map, size_t n, double fraction, float *out)
{
    size_t finite = 0;
    for (size_t i = 0; i < n; i++)
        finite += isfinite(map[i]) != 0;
    return kth_finite(map, n, (size_t)ceil(fraction * finite), out);
}

int heatmap_stats(const float *map, int width, int height, double top_fraction,
                  struct map_stats *s)
{
    size_t n = (size_t)width * height, finite = 0;
    double sum = 0;
    memset(s, 0, sizeof *s);
    float *vals = malloc(n * sizeof *vals);
    if (!vals)
        return fail(EXIT_INTERNAL, "out of memory");
    s->min = INFINITY;
    s->max = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        float v = map[i];
        if (!isfinite(v))
            continue;
        vals[finite++] = v;
        sum += v;
        if (v < s->min)
            s->min = v;
        if (v > s->max)
            s->max = v;
    }
    s->nonfinite = n - finite;
    if (finite == 0) {
        s->min = s->max = s->mean = NAN;
        free(vals);
        return EXIT_OK;
    }
    s->mean = (float)(sum / finite);

    size_t k = (size_t)ceil(top_fraction * finite);
    if (k < 1)
        k = 1;
    s->top_threshold = kth_largest(vals, finite, k);
    free(vals);

    int x0 = width, y0 = height, x1 = -1, y1 = -1;
    double wsum = 0, wx = 0, wy = 0, cx = 0, cy = 0;
    for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++) {
            float v = map[(size_t)y * width + x];
            if (!(v >= s->top_threshold) || !isfinite(v))
                continue;
            s->top_count++;
            wsum += v - s->min;
            wx += (double)(v - s->min) * x;
            wy += (double)(v - s->min) * y;
            cx += x;
            cy += y;
            if (x < x0) x0 = x;
            if (x > x1) x1 = x;
            if (y < y0) y0 = y;
            if (y > y1) y1 = y;
        }
    /* Weight by height above the map's minimum; a flat map has no weights,
     * so fall back to the plain centroid. */
    s->com_x = wsum > 0 ? wx / wsum : cx / s->top_count;
    s->com_y = wsum > 0 ? wy / wsum : cy / s->top_count;
    s->top_box = (struct rect){ x0, y0, x1 - x0 + 1, y1 - y0 + 1 };
    return EXIT_OK;
}

static float unit(float v, float lo, float hi)
{
    return hi > lo ? (v - lo) / (hi - lo) : 0.0f;
}

void heatmap_render(const float *map, int width, int height, float lo, float hi,
                    enum colormap cm, unsigned char *rgb)
{
    size_t n = (size_t)width * height;
    for (size_t i = 0; i < n; i++)
        colormap_apply(cm, unit(map[i], lo, hi), rgb + 3 * i);
}

static unsigned char to_byte(float v)
{
    if (!(v > 0.0f))
        return 0;
    if (v >= 1.0f)
        return 255;
    return (unsigned char)(v * 255.0f + 0.5f);
}

const char *const blend_names[] = { [BLEND_RISING] = "rising", [BLEND_FLAT] = "flat", NULL };

/* The map's weight at a pixel whose value sits at u of the display range. */
static float blend_weight(const struct overlay_style *st, float u)
{
    if (st->blend == BLEND_FLAT)
        return st->alpha;
    float heat = st->centred ? fabsf(2.0f * u - 1.0f) : u;
    heat = heat < 0.0f ? 0.0f : heat > 1.0f ? 1.0f : heat;
    /* the square root lets mid-range heat show (a quarter of the range
     * gets half the weight) while the coldest values leave the photo */
    return st->alpha * sqrtf(heat);
}

void overlay_size(int width, int height, int max_side, int *w, int *h)
{
    int longest = width > height ? width : height;
    if (max_side <= 0 || longest <= max_side) {
        *w = width, *h = height;
        return;
    }
    double k = (double)max_side / longest;
    *w = width == longest ? max_side : (int)lround(width * k);
    *h = height == longest ? max_side : (int)lround(height * k);
    *w = *w < 1 ? 1 : *w;
    *h = *h < 1 ? 1 : *h;
}

int heatmap_overlay(const struct image *img, struct rect region, const float *map, int width,
                    int height, float lo, float hi, const struct overlay_style *style,
                    unsigned char *rgb)
{
    size_t rn = (size_t)region.width * region.height;
    float *big = malloc(rn * sizeof *big);
    if (!big)
        return fail(EXIT_INTERNAL, "out of memory");
    struct rect whole = { 0, 0, width, height };
    int rc = image_resize_plane(map, width, height, 1, whole, big, region.width, region.height);
    if (rc) {
        free(big);
        return rc;
    }
    for (int y = 0; y < img->height; y++)
        for (int x = 0; x < img->width; x++) {
            size_t i = (size_t)y * img->width + x;
            const float *src = img->px + 3 * i;
            unsigned char *dst = rgb + 3 * i;
            int inside = x >= region.x && x < region.x + region.width && y >= region.y &&
                         y < region.y + region.height;
            if (!inside) {
                for (int c = 0; c < 3; c++)
                    dst[c] = to_byte(src[c] * OUTSIDE_DIM);
                continue;
            }
            unsigned char col[3];
            float v = big[(size_t)(y - region.y) * region.width + (x - region.x)];
            float u = unit(v, lo, hi), alpha = blend_weight(style, u);
            colormap_apply(style->cm, u, col);
            for (int c = 0; c < 3; c++)
                dst[c] = to_byte((1.0f - alpha) * src[c] + alpha * (col[c] / 255.0f));
        }
    free(big);
    return EXIT_OK;
}

void heatmap_render_gradient(const float *chw, int h, int w, unsigned char *rgb)
{
    size_t plane = (size_t)h * w, n = 3 * plane;
    double sum = 0, sq = 0;
    for (size_t i = 0; i < n; i++)
        sum += chw[i];
    double mean = sum / n;
    for (size_t i = 0; i < n; i++)
        sq += (chw[i] - mean) * (chw[i] - mean);
    double sd = sqrt(sq / n);
    if (!(sd > 0))
        sd = 1; /* a flat gradient renders as mid-grey */
    for (size_t i = 0; i < plane; i++)
        for (int c = 0; c < 3; c++)
            rgb[3 * i + c] = to_byte((float)((chw[c * plane + i] - mean) / sd * 0.1 + 0.5));
}

int64_t heatmap_channel_argmax(const float *chw, int64_t channels, size_t plane, size_t p)
{
    int64_t best = 0;
    for (int64_t k = 1; k < channels; k++)
        if (chw[k * plane + p] > chw[best * plane + p])
            best = k;
    return best;
}
