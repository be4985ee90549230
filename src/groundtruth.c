/* groundtruth.c - box files, mask images, and both on the model's grid. */
#include "groundtruth.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <stb_image.h>

#include "error.h"
#include "fsutil.h"

#define MAX_BOX_FILE (1L << 30)
#define MAX_MASK_FILE (256L << 20)
#define BOX_SLACK 1.0 /* pixels a box may stick out of the image (rounding) */

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static int add_box(struct gt_boxes *b, size_t *cap, const char *image, double x, double y,
                   double w, double h, long cls, long line)
{
    if (b->n == *cap) {
        *cap = *cap ? 2 * *cap : 64;
        struct gt_box *p = realloc(b->items, *cap * sizeof *p);
        if (!p)
            return fail(EXIT_INTERNAL, "out of memory");
        b->items = p;
    }
    char *copy = strdup(image);
    if (!copy)
        return fail(EXIT_INTERNAL, "out of memory");
    b->items[b->n++] = (struct gt_box){ copy, x, y, w, h, cls, line, 0 };
    return EXIT_OK;
}

static int number(const char *s, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    while (*end == ' ' || *end == '\r')
        end++;
    return end != s && *end == '\0' && errno == 0 && isfinite(*v);
}

/* One CSV line: path,x,y,w,h[,class] (the path may hold commas: the
 * numbers are taken from the right). 1: a box; 0: a header; -1: malformed. */
static int csv_line(char *line, char **path, double v[5], int *has_class)
{
    char *f[64];
    int n = 0;
    for (char *p = line; n < 64;) {
        f[n++] = p;
        char *c = strchr(p, ',');
        if (!c)
            break;
        *c = '\0';
        p = c + 1;
    }
    for (int with_class = 1; with_class >= 0; with_class--) {
        int k = 4 + with_class, ok = n > k;
        for (int i = 0; ok && i < k; i++)
            ok = number(f[n - k + i], &v[i]);
        if (!ok)
            continue;
        for (int i = 1; i < n - k; i++)
            f[i][-1] = ','; /* the path's own commas back */
        *path = f[0];
        *has_class = with_class;
        return 1;
    }
    return n >= 5 ? 0 : -1;
}

static int read_csv(struct gt_boxes *b, char *text)
{
    size_t cap = 0;
    long lineno = 0;
    for (char *line = text, *next; line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        lineno++;
        size_t len = strlen(line);
        if (len && line[len - 1] == '\r')
            line[--len] = '\0';
        if (!len || line[0] == '#')
            continue;
        char *path;
        double v[5];
        int has_class, r = csv_line(line, &path, v, &has_class);
        if (r == 0 && b->n == 0)
            continue; /* a header */
        if (r != 1)
            return fail(EXIT_USAGE, "--boxes %s line %ld: expected path,x,y,w,h[,class]", b->path,
                        lineno);
        if (has_class && (v[4] < 0 || v[4] != floor(v[4])))
            return fail(EXIT_USAGE, "--boxes %s line %ld: the class must be a whole number >= 0",
                        b->path, lineno);
        int rc = add_box(b, &cap, path, v[0], v[1], v[2], v[3], has_class ? (long)v[4] : -1,
                         lineno);
        if (rc)
            return rc;
    }
    return b->n ? EXIT_OK : fail(EXIT_USAGE, "--boxes %s has no boxes", b->path);
}

struct coco_image {
    double id;
    const char *file;
};

static int by_id(const void *a, const void *b)
{
    double x = ((const struct coco_image *)a)->id, y = ((const struct coco_image *)b)->id;
    return (x > y) - (x < y);
}

static int read_coco(struct gt_boxes *b, const char *text, size_t len)
{
    cJSON *j = cJSON_ParseWithLength(text, len);
    const cJSON *images = cJSON_GetObjectItemCaseSensitive(j, "images");
    const cJSON *anns = cJSON_GetObjectItemCaseSensitive(j, "annotations"), *it;
    if (!cJSON_IsArray(images) || !cJSON_IsArray(anns)) {
        cJSON_Delete(j);
        return fail(EXIT_USAGE, "--boxes %s is not a COCO instances file (no \"images\" and "
                    "\"annotations\" arrays)", b->path);
    }
    size_t n = (size_t)cJSON_GetArraySize(images), cap = 0;
    struct coco_image *ims = calloc(n ? n : 1, sizeof *ims);
    b->coco_images = calloc(n ? n : 1, sizeof *b->coco_images);
    int rc = ims && b->coco_images ? EXIT_OK : fail(EXIT_INTERNAL, "out of memory");
    cJSON_ArrayForEach(it, images) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "id");
        const char *file = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "file_name"));
        if (rc == EXIT_OK && (!cJSON_IsNumber(id) || !file))
            rc = fail(EXIT_USAGE, "--boxes %s: image %zu has no id or file_name", b->path,
                      b->ncoco + 1);
        if (rc == EXIT_OK) {
            ims[b->ncoco] = (struct coco_image){ id->valuedouble, file };
            if (!(b->coco_images[b->ncoco++] = strdup(file)))
                rc = fail(EXIT_INTERNAL, "out of memory");
        }
    }
    if (rc == EXIT_OK && n)
        qsort(ims, n, sizeof *ims, by_id);
    long k = 0;
    cJSON_ArrayForEach(it, anns) {
        k++;
        const cJSON *bbox = cJSON_GetObjectItemCaseSensitive(it, "bbox");
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "image_id");
        double v[4];
        int ok = cJSON_IsArray(bbox) && cJSON_GetArraySize(bbox) == 4 && cJSON_IsNumber(id);
        for (int i = 0; ok && i < 4; i++)
            ok = cJSON_IsNumber(cJSON_GetArrayItem(bbox, i)),
            v[i] = cJSON_GetNumberValue(cJSON_GetArrayItem(bbox, i));
        if (rc == EXIT_OK && !ok)
            rc = fail(EXIT_USAGE, "--boxes %s: annotation %ld has no image_id or bbox [x, y, w, h]",
                      b->path, k);
        struct coco_image key = { ok ? id->valuedouble : 0, NULL };
        const struct coco_image *im = rc == EXIT_OK && n ? bsearch(&key, ims, n, sizeof *ims, by_id)
                                                         : NULL;
        if (rc == EXIT_OK && !im)
            rc = fail(EXIT_USAGE, "--boxes %s: annotation %ld names image_id %g, which is not "
                      "in \"images\"", b->path, k, key.id);
        if (rc == EXIT_OK) /* COCO's categories are not the classifier's classes */
            rc = add_box(b, &cap, im->file, v[0], v[1], v[2], v[3], -1, k);
    }
    free(ims);
    cJSON_Delete(j);
    return rc;
}

int gt_read_boxes(const char *path, struct gt_boxes *out)
{
    memset(out, 0, sizeof *out);
    out->path = path;
    unsigned char *data;
    size_t len;
    int rc = read_file(path, MAX_BOX_FILE, EXIT_USAGE, &data, &len);
    if (rc)
        return rc;
    size_t n = strlen(path);
    out->coco = n > 5 && strcmp(path + n - 5, ".json") == 0;
    rc = out->coco ? read_coco(out, (const char *)data, len) : read_csv(out, (char *)data);
    free(data);
    return rc;
}

void gt_free_boxes(struct gt_boxes *b)
{
    for (size_t i = 0; i < b->n; i++)
        free(b->items[i].image);
    for (size_t i = 0; i < b->ncoco; i++)
        free(b->coco_images[i]);
    free(b->items);
    free(b->coco_images);
    memset(b, 0, sizeof *b);
}

/* The original-image coordinate of model pixel p's centre along one axis. */
static double centre(int p, int start, int extent, int model)
{
    return start + (p + 0.5) * extent / model;
}

static int matches(const struct gt_box *box, const char *image_path)
{
    return strcmp(box->image, image_path) == 0 ||
           strcmp(base_name(box->image), base_name(image_path)) == 0;
}

static int listed_in_coco(const struct gt_boxes *b, const char *image_path)
{
    for (size_t i = 0; i < b->ncoco; i++)
        if (strcmp(base_name(b->coco_images[i]), base_name(image_path)) == 0)
            return 1;
    return 0;
}

int gt_mask_from_boxes(struct gt_boxes *b, const char *image_path, int img_w, int img_h,
                       struct rect region, long cls, int W, int H, unsigned char *mask)
{
    memset(mask, 0, (size_t)W * H);
    size_t found = 0, classed = 0;
    for (size_t i = 0; i < b->n; i++) {
        struct gt_box *box = &b->items[i];
        if (!matches(box, image_path))
            continue;
        box->used = 1;
        found++;
        if (box->cls >= 0 && box->cls != cls)
            continue;
        classed++;
        const char *where = b->coco ? "annotation" : "line";
        if (!(box->w > 0 && box->h > 0))
            return fail(EXIT_INPUT, "%s: --boxes %s %s %ld: the box has zero area (%gx%g)",
                        image_path, b->path, where, box->line, box->w, box->h);
        if (box->x < -BOX_SLACK || box->y < -BOX_SLACK || box->x + box->w > img_w + BOX_SLACK ||
            box->y + box->h > img_h + BOX_SLACK)
            return fail(EXIT_INPUT, "%s: --boxes %s %s %ld: the box %gx%g at (%g, %g) lies outside "
                        "the %dx%d image", image_path, b->path, where, box->line, box->w, box->h,
                        box->x, box->y, img_w, img_h);
        for (int py = 0; py < H; py++) {
            double cy = centre(py, region.y, region.height, H);
            if (cy < box->y || cy >= box->y + box->h)
                continue;
            for (int px = 0; px < W; px++) {
                double cx = centre(px, region.x, region.width, W);
                if (cx >= box->x && cx < box->x + box->w)
                    mask[(size_t)py * W + px] = 1;
            }
        }
    }
    if (!found && b->coco && !listed_in_coco(b, image_path))
        return fail(EXIT_INPUT, "%s: the COCO file %s has no image of that name", image_path,
                    b->path);
    if (!found)
        return fail(EXIT_INPUT, "%s: --boxes %s has no box for it", image_path, b->path);
    if (!classed)
        return fail(EXIT_INPUT, "%s: --boxes %s has no box for class %ld", image_path, b->path,
                    cls);
    for (size_t i = 0; i < (size_t)W * H; i++)
        if (mask[i])
            return EXIT_OK;
    return fail(EXIT_INPUT, "%s: no box lies in the part of the image the model saw "
                "(--resize crop)", image_path);
}

int gt_mask_from_png(const char *dir, const char *name, int img_w, int img_h, struct rect region,
                     int W, int H, unsigned char *mask)
{
    char path[PATH_MAX], file[PATH_MAX];
    if (snprintf(file, sizeof file, "%s.png", name) >= (int)sizeof file ||
        path_join(path, sizeof path, dir, file))
        return fail(EXIT_INPUT, "%s: mask path too long", name);
    unsigned char *data;
    size_t len;
    int rc = read_file(path, MAX_MASK_FILE, EXIT_INPUT, &data, &len);
    if (rc)
        return fail(EXIT_INPUT, "%s: no mask %s (--masks)", name, path);
    int w, h, comp;
    unsigned char *px = stbi_load_from_memory(data, (int)len, &w, &h, &comp, 1);
    free(data);
    if (!px)
        return fail(EXIT_INPUT, "%s: the mask %s is not a readable PNG", name, path);
    int on = -1, levels = 1;
    for (size_t i = 0; i < (size_t)w * h; i++)
        if (px[i] && px[i] != on) {
            levels += on >= 0;
            on = px[i];
        }
    if (w != img_w || h != img_h)
        rc = fail(EXIT_INPUT, "%s: the mask %s is %dx%d, the image %dx%d", name, path, w, h, img_w,
                  img_h);
    else if (levels > 1)
        rc = fail(EXIT_INPUT, "%s: the mask %s is not binary (grey levels other than 0 and one "
                  "other)", name, path);
    int any = 0;
    for (int py = 0; rc == EXIT_OK && py < H; py++) {
        int sy = (int)centre(py, region.y, region.height, H);
        for (int x = 0; x < W; x++) {
            int sx = (int)centre(x, region.x, region.width, W);
            unsigned char v = px[(size_t)(sy < h ? sy : h - 1) * w + (sx < w ? sx : w - 1)] != 0;
            mask[(size_t)py * W + x] = v;
            any |= v;
        }
    }
    stbi_image_free(px);
    if (rc == EXIT_OK && !any)
        rc = fail(EXIT_INPUT, "%s: the mask %s is empty where the model looked", name, path);
    return rc;
}

void gt_report_unused(const struct gt_boxes *b)
{
    size_t unused = 0, first = 0;
    for (size_t i = 0; !b->coco && i < b->n; i++)
        if (!b->items[i].used && !unused++)
            first = i;
    if (unused)
        report_warning("eval", "--boxes %s: %zu row%s name images that are not among the inputs "
                       "(first: line %ld, %s)", b->path, unused, unused == 1 ? "" : "s",
                       b->items[first].line, b->items[first].image);
}
