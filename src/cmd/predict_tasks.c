/* cmd/predict_tasks.c - predict for segmenters, embedders and detectors
 * (predict_tasks.h). */
#include "predict_tasks.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "canvas.h"
#include "detect.h"
#include "error.h"
#include "heatmap.h"
#include "fsutil.h"
#include "png.h"
#include "rawfile.h"

/* The most classes an indexed mask can hold. */
#define MASK_MAX_CLASSES 256

void mask_palette(unsigned char rgb[256 * 3])
{
    for (int k = 0; k < 256; k++) {
        int r = 0, g = 0, b = 0, c = k;
        for (int j = 0; j < 8; j++, c >>= 3) {
            r |= ((c >> 0) & 1) << (7 - j);
            g |= ((c >> 1) & 1) << (7 - j);
            b |= ((c >> 2) & 1) << (7 - j);
        }
        rgb[3 * k] = (unsigned char)r, rgb[3 * k + 1] = (unsigned char)g;
        rgb[3 * k + 2] = (unsigned char)b;
    }
}

/* One image's raw output (model_raw_output's), for the task's reading. */
struct raw {
    attrib_result *res;
    const float *y;
    int64_t shape[ATTRIB_MAX_DIMS];
    int ndim;
};

static int raw_of(struct model *m, const float *x, struct raw *r)
{
    return model_raw_output(m, x, 1, &r->res, &r->y, r->shape, &r->ndim);
}

static void emit_json(cJSON *j)
{
    char *line = cJSON_PrintUnformatted(j);
    if (line)
        puts(line);
    cJSON_free(line);
    cJSON_Delete(j);
}

static cJSON *header(const struct model *m, const char *path, const char *task)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "image", path);
    cJSON_AddStringToObject(j, "model", m->card.name);
    cJSON_AddStringToObject(j, "task", task);
    return j;
}

/* --- segmentation -------------------------------------------------------------- */

/* The argmax class of every pixel of masks y [C, h, w] into labels; each
 * class's pixels into counts. */
static void argmax_pixels(const float *y, int64_t c, size_t plane, unsigned char *labels,
                          long *counts)
{
    for (size_t p = 0; p < plane; p++) {
        int64_t best = heatmap_channel_argmax(y, c, plane, p);
        labels[p] = (unsigned char)best;
        counts[best]++;
    }
}

static int by_count_desc(const void *a, const void *b, const long *counts)
{
    long ca = counts[*(const int *)a], cb = counts[*(const int *)b];
    return ca != cb ? (ca > cb ? -1 : 1) : *(const int *)a - *(const int *)b;
}

/* Classes present, most pixels first (ties by index), into order; their number. */
static int classes_present(const long *counts, int c, int *order)
{
    int n = 0;
    for (int k = 0; k < c; k++)
        if (counts[k])
            order[n++] = k;
    for (int i = 1; i < n; i++) /* insertion sort: at most 256 classes */
        for (int j = i; j > 0 && by_count_desc(&order[j], &order[j - 1], counts) < 0; j--) {
            int t = order[j];
            order[j] = order[j - 1], order[j - 1] = t;
        }
    return n;
}

static int write_mask(const char *file, int w, int h, const unsigned char *labels, int classes)
{
    unsigned char palette[256 * 3];
    mask_palette(palette);
    struct buffer b = { 0 };
    if (png_encode_indexed(w, h, labels, palette, classes, &b)) {
        buffer_free(&b);
        return fail(EXIT_INTERNAL, "encoding '%s' as PNG failed (out of memory)", file);
    }
    int rc = write_file_atomic(file, b.data, b.len);
    buffer_free(&b);
    return rc;
}

int predict_segmentation(struct model *m, const char *path, const float *x,
                         const struct predict_output *o)
{
    struct raw r = { 0 };
    int rc = raw_of(m, x, &r);
    const float *y = r.y;
    const int64_t *shape = r.shape;
    const int ndim = r.ndim;
    if (rc == EXIT_OK && ndim != 4)
        rc = fail(EXIT_MODEL, "'%s' is a segmentation model but returned a %d-D output, not "
                  "masks [N, C, H, W]", m->path, ndim);
    if (rc == EXIT_OK && shape[1] > MASK_MAX_CLASSES)
        rc = fail(EXIT_MODEL, "'%s' segments %lld classes: a mask PNG holds at most %d",
                  m->path, (long long)shape[1], MASK_MAX_CLASSES);
    const int c = rc ? 0 : (int)shape[1], h = rc ? 0 : (int)shape[2], w = rc ? 0 : (int)shape[3];
    const size_t plane = (size_t)h * w;
    unsigned char *labels = rc ? NULL : malloc(plane);
    long counts[MASK_MAX_CLASSES] = { 0 };
    int order[MASK_MAX_CLASSES];
    char file[PATH_MAX];
    if (rc == EXIT_OK && !labels)
        rc = fail(EXIT_INTERNAL, "out of memory");
    if (rc == EXIT_OK) {
        argmax_pixels(y, c, plane, labels, counts);
        rc = output_path(o->dir, o->name, ".mask.png", file, sizeof file);
    }
    if (rc == EXIT_OK)
        rc = write_mask(file, w, h, labels, c);
    if (rc == EXIT_OK) {
        int n = classes_present(counts, c, order), shown = n < o->top ? n : (int)o->top;
        char label[64];
        cJSON *j = o->json ? header(m, path, "segmentation") : NULL;
        if (j) {
            cJSON_AddStringToObject(j, "mask", file);
            cJSON *size = cJSON_AddArrayToObject(j, "mask_size");
            cJSON_AddItemToArray(size, cJSON_CreateNumber(h));
            cJSON_AddItemToArray(size, cJSON_CreateNumber(w));
        } else {
            printf("%s: %dx%d mask, %d of %d classes\n", path, w, h, n, c);
        }
        cJSON *list = j ? cJSON_AddArrayToObject(j, "classes") : NULL;
        for (int i = 0; i < shown; i++) {
            int k = order[i];
            double share = (double)counts[k] / (double)plane;
            const char *name = card_label(&m->card, k, label, sizeof label);
            if (!j) {
                printf("  %6.4f  %4d  %s\n", share, k, name);
                continue;
            }
            cJSON *e = cJSON_CreateObject();
            cJSON_AddNumberToObject(e, "index", k);
            cJSON_AddStringToObject(e, "label", name);
            cJSON_AddNumberToObject(e, "pixels", (double)counts[k]);
            cJSON_AddNumberToObject(e, "share", share);
            cJSON_AddItemToArray(list, e);
        }
        if (j)
            emit_json(j);
        else
            printf("  wrote %s\n", file);
    }
    free(labels);
    attrib_result_free(r.res);
    return rc;
}

/* --- embedding ----------------------------------------------------------------- */

int predict_embedding(struct model *m, const char *path, const float *x,
                      const struct predict_output *o)
{
    struct raw r = { 0 };
    int rc = raw_of(m, x, &r);
    const float *y = r.y;
    const int64_t *shape = r.shape;
    const int ndim = r.ndim;
    size_t d = 1;
    for (int k = 1; rc == EXIT_OK && k < ndim; k++)
        d *= (size_t)shape[k];
    if (rc == EXIT_OK && !(ndim == 2 || (ndim == 4 && shape[2] == 1 && shape[3] == 1)))
        rc = fail(EXIT_MODEL, "'%s' is an embedding model but returned a %d-D output, not "
                  "embeddings [N, D]", m->path, ndim);
    char file[PATH_MAX];
    if (rc == EXIT_OK)
        rc = output_path(o->dir, o->name, ".embedding.npy", file, sizeof file);
    if (rc == EXIT_OK)
        rc = raw_write(file, y, &d, 1);
    if (rc == EXIT_OK) {
        double norm = 0;
        for (size_t i = 0; i < d; i++)
            norm += (double)y[i] * y[i];
        norm = sqrt(norm);
        if (o->json) {
            cJSON *j = header(m, path, "embedding");
            cJSON_AddStringToObject(j, "embedding", file);
            cJSON_AddNumberToObject(j, "size", (double)d);
            cJSON_AddNumberToObject(j, "norm", norm);
            emit_json(j);
        } else {
            printf("%s: embedding of %zu values, norm %.6g\n  wrote %s\n", path, d, norm, file);
        }
    }
    attrib_result_free(r.res);
    return rc;
}

/* --- detection ----------------------------------------------------------------- */

/* A detection's box from the model's input pixels into the photo's (the
 * part the model saw, region, scaled to the input), clipped to the photo. */
static void photo_box(const struct model *m, const struct image *img, struct rect region,
                      const float box[4], double out[4])
{
    const double kx = (double)region.width / m->card.input_w;
    const double ky = (double)region.height / m->card.input_h;
    double x0 = fmax(0, region.x + box[0] * kx), y0 = fmax(0, region.y + box[1] * ky);
    double x1 = fmin(img->width, region.x + box[2] * kx);
    double y1 = fmin(img->height, region.y + box[3] * ky);
    out[0] = x0, out[1] = y0, out[2] = fmax(0, x1 - x0), out[3] = fmax(0, y1 - y0);
}

/* The photo with each box drawn in its class's colour, and its label. */
static int draw_detections(const struct model *m, const struct image *img, struct rect region,
                           const struct detection *d, size_t n, const char *file)
{
    struct canvas c;
    static const unsigned char black[3] = { 0, 0, 0 };
    if (canvas_create(&c, img->width, img->height, black))
        return EXIT_INTERNAL;
    for (size_t i = 0; i < (size_t)img->width * img->height * 3; i++) {
        float v = img->px[i] * 255.0f + 0.5f;
        c.px[i] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
    unsigned char palette[256 * 3];
    mask_palette(palette);
    const int t = canvas_frame_width(c.w, c.h);
    for (size_t i = n; i-- > 0;) { /* the best drawn last, on top */
        double b[4];
        photo_box(m, img, region, d[i].box, b);
        const unsigned char *rgb = palette + 3 * ((d[i].label + 1) % 256); /* 0 is black */
        int x = (int)lround(b[0]), y = (int)lround(b[1]);
        int w = (int)lround(b[2]), h = (int)lround(b[3]);
        canvas_frame(&c, x, y, w, h, t, rgb);
        char text[96], label[64];
        snprintf(text, sizeof text, "%s %.2f", card_label(&m->card, d[i].label, label,
                                                          sizeof label), d[i].score);
        canvas_fill(&c, x, y, canvas_text_width(text) + 4, 12, rgb);
        canvas_text(&c, x + 2, y + 2, text, w > 40 ? w : 40, black);
    }
    int rc = png_write(file, c.w, c.h, 3, c.px);
    canvas_free(&c);
    return rc;
}

static void print_detections(const struct model *m, const struct image *img, struct rect region,
                             const char *path, const struct detection *d, size_t n,
                             size_t shown, const char *file, int json)
{
    char label[64];
    cJSON *j = json ? header(m, path, "detection") : NULL;
    cJSON *list = j ? cJSON_AddArrayToObject(j, "detections") : NULL;
    if (!j)
        printf("%s: %zu detections\n", path, n);
    for (size_t i = 0; i < shown; i++) {
        double b[4];
        photo_box(m, img, region, d[i].box, b);
        const char *name = card_label(&m->card, d[i].label, label, sizeof label);
        if (!j) {
            printf("  %6.4f  %4d  %-16s  %.0f,%.0f %.0fx%.0f\n", d[i].score, d[i].label, name,
                   b[0], b[1], b[2], b[3]);
            continue;
        }
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "index", d[i].label);
        cJSON_AddStringToObject(e, "label", name);
        cJSON_AddNumberToObject(e, "score", d[i].score);
        cJSON *box = cJSON_AddArrayToObject(e, "box"); /* the photo's pixels: x, y, w, h */
        cJSON *input = cJSON_AddArrayToObject(e, "input_box"); /* --target box:'s */
        const float *ib = d[i].box;
        const double in[4] = { ib[0], ib[1], ib[2] - ib[0], ib[3] - ib[1] };
        for (int k = 0; k < 4; k++) {
            cJSON_AddItemToArray(box, cJSON_CreateNumber(b[k]));
            cJSON_AddItemToArray(input, cJSON_CreateNumber(in[k]));
        }
        cJSON_AddItemToArray(list, e);
    }
    if (j) {
        cJSON_AddStringToObject(j, "picture", file);
        emit_json(j);
    } else {
        printf("  wrote %s\n", file);
    }
}

int predict_detection(struct model *m, const char *path, const float *x,
                      const struct image *img, struct rect region,
                      const struct predict_output *o)
{
    struct raw r = { 0 };
    int rc = raw_of(m, x, &r);
    const float *y = r.y;
    const int64_t *shape = r.shape;
    const int ndim = r.ndim;
    if (rc == EXIT_OK && ndim != 3)
        rc = fail(EXIT_MODEL, "'%s' is a detector but returned a %d-D output, not its raw "
                  "detections [N, ., .]", m->path, ndim);
    struct detection *d = NULL;
    size_t n = 0;
    if (rc == EXIT_OK)
        rc = detections_decode(y, shape + 1, m->card.layout, m->card.input_w, m->card.input_h,
                               (float)o->score_threshold, &d, &n);
    char file[PATH_MAX];
    if (rc == EXIT_OK) {
        n = detections_nms(d, n, (float)o->iou);
        rc = output_path(o->dir, o->name, ".detections.png", file, sizeof file);
    }
    if (rc == EXIT_OK)
        rc = draw_detections(m, img, region, d, n, file);
    if (rc == EXIT_OK)
        print_detections(m, img, region, path, d, n, n < (size_t)o->top ? n : (size_t)o->top,
                         file, o->json);
    free(d);
    attrib_result_free(r.res);
    return rc;
}
