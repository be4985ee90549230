/* detect.c - a detector's raw output read by its layout, and non-maximum
 * suppression (detect.h). */
#include "detect.h"

#include <math.h>
#include <stdlib.h>

#include "card.h"
#include "error.h"

/* Box i from cx, cy, w, h. */
static void corners(struct detection *d, double cx, double cy, double w, double h)
{
    d->box[0] = (float)(cx - w / 2), d->box[1] = (float)(cy - h / 2);
    d->box[2] = (float)(cx + w / 2), d->box[3] = (float)(cy + h / 2);
}

/* The best class of scores[0..c) (stride apart): its index and score. */
static int best_of(const float *scores, int64_t c, int64_t stride, float *score)
{
    int best = 0;
    for (int64_t k = 1; k < c; k++)
        if (scores[k * stride] > scores[best * stride])
            best = (int)k;
    *score = scores[best * stride];
    return best;
}

int detections_decode(const float *y, const int64_t dims[2], int layout, int input_w,
                      int input_h, float min_score, struct detection **out, size_t *n)
{
    const int detr = layout == CARD_LAYOUT_DETR;
    const int64_t count = detr ? dims[0] : dims[1];
    const int64_t classes = detr ? dims[1] - 5 : dims[0] - 4;
    *out = NULL, *n = 0;
    if (classes < 1 || count < 1)
        return fail(EXIT_MODEL, "a %s detector returns %s; this one returns [N, %lld, %lld]",
                    detr ? "DETR" : "YOLO",
                    detr ? "[N, queries, classes + 1 + 4]" : "[N, 4 + classes, anchors]",
                    (long long)dims[0], (long long)dims[1]);
    struct detection *d = malloc((size_t)count * sizeof *d);
    if (!d)
        return fail(EXIT_INTERNAL, "out of memory");
    double *p = detr ? malloc((size_t)(classes + 1) * sizeof *p) : NULL;
    if (detr && !p) {
        free(d);
        return fail(EXIT_INTERNAL, "out of memory");
    }
    size_t kept = 0;
    for (int64_t a = 0; a < count; a++) {
        struct detection e;
        if (detr) { /* softmax over classes + "no object" */
            const float *q = y + a * dims[1];
            double top = q[0], sum = 0;
            for (int64_t k = 1; k <= classes; k++)
                top = q[k] > top ? q[k] : top;
            for (int64_t k = 0; k <= classes; k++)
                sum += p[k] = exp(q[k] - top);
            int best = 0;
            for (int64_t k = 1; k < classes; k++)
                best = p[k] > p[best] ? (int)k : best;
            e.label = best, e.score = (float)(p[best] / sum);
            const float *b = q + classes + 1;
            corners(&e, b[0] * input_w, b[1] * input_h, b[2] * input_w, b[3] * input_h);
        } else {
            e.label = best_of(y + 4 * count + a, classes, count, &e.score);
            corners(&e, y[a], y[count + a], y[2 * count + a], y[3 * count + a]);
        }
        e.index = (int)a;
        if (e.score >= min_score && isfinite(e.score))
            d[kept++] = e;
    }
    free(p);
    *out = d, *n = kept;
    return EXIT_OK;
}

float box_iou(const float a[4], const float b[4])
{
    float w = fminf(a[2], b[2]) - fmaxf(a[0], b[0]), h = fminf(a[3], b[3]) - fmaxf(a[1], b[1]);
    float inter = w > 0 && h > 0 ? w * h : 0;
    float area_a = fmaxf(a[2] - a[0], 0) * fmaxf(a[3] - a[1], 0);
    float area_b = fmaxf(b[2] - b[0], 0) * fmaxf(b[3] - b[1], 0);
    float uni = area_a + area_b - inter;
    return uni > 0 ? inter / uni : 0;
}

/* Highest score first; ties by anchor. */
static int by_score(const void *pa, const void *pb)
{
    const struct detection *a = pa, *b = pb;
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    return (a->index > b->index) - (a->index < b->index);
}

size_t detections_nms(struct detection *d, size_t n, float iou)
{
    qsort(d, n, sizeof *d, by_score);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        int keep = 1;
        for (size_t k = 0; keep && k < kept; k++)
            keep = !(d[k].label == d[i].label && box_iou(d[k].box, d[i].box) > iou);
        if (keep)
            d[kept++] = d[i];
    }
    return kept;
}
