/* augment.c - test-time augmentation (see augment.h). */
#include "augment.h"

static const float aug_factor[AUG_COUNT] = { 0.9f, 1.0f, 1.1f, 0.9f, 1.0f, 1.1f };
static const int aug_flip[AUG_COUNT] = { 0, 0, 0, 1, 1, 1 };

static void flip_rows(float *x, size_t rows, int w)
{
    for (size_t r = 0; r < rows; r++)
        for (int c = 0; c < w / 2; c++) {
            float t = x[r * w + c];
            x[r * w + c] = x[r * w + w - 1 - c];
            x[r * w + w - 1 - c] = t;
        }
}

void aug_apply(int t, const float *src, float *dst, int n_images, int h, int w)
{
    const size_t n = (size_t)n_images * 3 * h * w;
    for (size_t j = 0; j < n; j++)
        dst[j] = src[j] * aug_factor[t];
    if (aug_flip[t])
        flip_rows(dst, (size_t)n_images * 3 * h, w);
}

void aug_undo(int t, float *map, int h, int w)
{
    if (aug_flip[t])
        flip_rows(map, (size_t)h, w);
}

void aug_scale(float *map, size_t n)
{
    float lo = map[0], hi = map[0];
    for (size_t p = 1; p < n; p++)
        lo = map[p] < lo ? map[p] : lo, hi = map[p] > hi ? map[p] : hi;
    const int two_signed = lo < 0 && hi > 0;
    const float shift = two_signed ? 0 : lo;
    const float range = two_signed ? (hi > -lo ? hi : -lo) : hi - lo;
    for (size_t p = 0; p < n; p++)
        map[p] = range > 0 ? (map[p] - shift) / range : 0;
}
