/* classes.c - `attrib classes DIR`: where the model looks, class by
 * class, over a run on a labelled data set: the mean map of each given
 * class's images, of those it got right and of those it got wrong, side by
 * side.
 *
 * Each image's map (its --save-raw .npy, at the model's input grid) is
 * divided by its largest magnitude first, so every image weighs the same;
 * a class's three means are drawn on one colour range, so right and wrong
 * compare. Records are grouped by class and one class's sums are in memory
 * at a time: memory does not grow with the data set. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "canvas.h"
#include "colormap.h"
#include "command.h"
#include "compare.h"
#include "error.h"
#include "fsutil.h"
#include "heatmap.h"
#include "html.h"
#include "png.h"
#include "rawfile.h"
#include "report.h"
#include "summary.h"

struct classes_opts {
    const char *out;
};

static const struct opt options[] = {
    { .kind = OPTK_PATH, .letter = 'o', .name = "output",
      .offset = OPT_FIELD(struct classes_opts, out, const char *), .metavar = "OUT",
      .flags = OPT_COMPLETE_DIR, .default_text = "DIR/classes",
      .help = "where to write the class pictures, classes.json and index.html" },
    OPT_END,
};

enum { MAX_REPORT_BYTES = 1024 * 1024 * 1024 };
enum { PANELS = 3, GAP = 8, CAPTION = 14, TITLE = 18 }; /* all, right, wrong */

/* One explained image of the report. */
struct item {
    long cls;         /* the given class */
    int right;        /* its top-1 is the given class */
    const char *raw;  /* its map, relative to the report's directory */
    const char *label;
};

/* A class's sums over its images, one plane per panel's group. */
struct sums {
    double *right, *wrong;
    size_t n; /* pixels */
    int h, w;
    long nright, nwrong;
};

static int by_class(const void *a, const void *b)
{
    const struct item *x = a, *y = b;
    return (x->cls > y->cls) - (x->cls < y->cls);
}

/* The report's explained images; EXIT_USAGE when the run had no given
 * classes or no saved maps. */
static int collect_items(const cJSON *root, const char *dir, struct item **items, size_t *n)
{
    const cJSON *images = cJSON_GetObjectItemCaseSensitive(root, "images"), *r;
    *items = calloc((size_t)cJSON_GetArraySize(images) + 1, sizeof **items);
    if (!*items)
        return fail(EXIT_INTERNAL, "out of memory");
    *n = 0;
    cJSON_ArrayForEach(r, images) {
        if (strcmp(record_text(r, "status", NULL), "ok") != 0)
            continue;
        const cJSON *predicted = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(r, "target"), "predicted");
        if (!cJSON_IsFalse(predicted))
            return fail(EXIT_USAGE, "%s: '%s' was explained without a given class: run with "
                        "--class-from-folder (or --class-file) for per-class views", dir,
                        record_text(r, "image", NULL));
        if (!*record_text(r, "outputs", "raw"))
            return fail(EXIT_USAGE, "%s: '%s' has no saved map: run with --save-raw for "
                        "per-class views", dir, record_text(r, "image", NULL));
        long cls = (long)record_number(r, "target", "index");
        (*items)[(*n)++] = (struct item){ cls, (long)record_number(r, "top1", "index") == cls,
                                          record_text(r, "outputs", "raw"),
                                          record_text(r, "target", "label") };
    }
    if (*n == 0)
        return fail(EXIT_INPUT, "%s: the report has no explained image", dir);
    qsort(*items, *n, sizeof **items, by_class);
    return EXIT_OK;
}

/* Adds the map of it, divided by its largest magnitude, to its group. */
static int add_map(struct sums *s, const char *dir, const struct item *it)
{
    char path[PATH_MAX];
    float *v;
    size_t n, dims[3];
    int ndim;
    int rc = path_join(path, sizeof path, dir, it->raw);
    if (rc == EXIT_OK)
        rc = map_read_shape(path, &v, &n, dims, &ndim);
    if (rc)
        return rc;
    if (ndim != 2 || (s->n && n != s->n)) {
        free(v);
        return fail(EXIT_INPUT, "'%s' is not a map of the run's shape", path);
    }
    if (!s->n) {
        s->n = n, s->h = (int)dims[0], s->w = (int)dims[1];
        s->right = calloc(n, sizeof *s->right);
        s->wrong = calloc(n, sizeof *s->wrong);
        if (!s->right || !s->wrong) {
            free(v);
            return fail(EXIT_INTERNAL, "out of memory");
        }
    }
    double peak = 0;
    for (size_t i = 0; i < n; i++)
        peak = fabs(v[i]) > peak ? fabs(v[i]) : peak;
    double *sum = it->right ? s->right : s->wrong;
    for (size_t i = 0; peak > 0 && i < n; i++)
        sum[i] += v[i] / peak;
    *(it->right ? &s->nright : &s->nwrong) += 1;
    free(v);
    return EXIT_OK;
}

/* The three means (all, right, wrong) as planes of one [3, h, w] block,
 * and their common range. */
static int class_means(const struct sums *s, float **block, float *lo, float *hi)
{
    const long count[PANELS] = { s->nright + s->nwrong, s->nright, s->nwrong };
    *block = malloc(PANELS * s->n * sizeof(float));
    if (!*block)
        return fail(EXIT_INTERNAL, "out of memory");
    *lo = INFINITY, *hi = -INFINITY;
    for (int p = 0; p < PANELS; p++) {
        float *plane = *block + p * s->n;
        for (size_t i = 0; i < s->n; i++) {
            double sum = p == 0 ? s->right[i] + s->wrong[i] : p == 1 ? s->right[i] : s->wrong[i];
            plane[i] = count[p] ? (float)(sum / count[p]) : 0;
            if (count[p]) {
                *lo = plane[i] < *lo ? plane[i] : *lo;
                *hi = plane[i] > *hi ? plane[i] : *hi;
            }
        }
    }
    if (*lo < 0) { /* a signed map: symmetric about 0, as attrib draws one */
        float m = fmaxf(-*lo, *hi);
        *lo = -m, *hi = m;
    }
    if (!(*hi > *lo))
        *hi = *lo + 1;
    return EXIT_OK;
}

/* One panel: its caption above, the map below (grey when the group is
 * empty). */
static int draw_panel(struct canvas *c, int x, const struct sums *s, const float *plane, long count,
                      const char *what, float lo, float hi, enum colormap cm)
{
    static const unsigned char ink[3] = { 20, 20, 20 }, empty[3] = { 200, 200, 200 };
    char caption[64];
    snprintf(caption, sizeof caption, "%s: %ld", what, count);
    canvas_text(c, x, TITLE + 2, caption, s->w, ink);
    const int top = TITLE + CAPTION;
    if (!count) {
        canvas_fill(c, x, top, s->w, s->h, empty);
        return EXIT_OK;
    }
    unsigned char *rgb = malloc(s->n * 3);
    if (!rgb)
        return fail(EXIT_INTERNAL, "out of memory");
    heatmap_render(plane, s->w, s->h, lo, hi, cm, rgb);
    for (int y = 0; y < s->h; y++)
        memcpy(c->px + ((size_t)(top + y) * c->w + x) * 3, rgb + (size_t)y * s->w * 3,
               (size_t)s->w * 3);
    free(rgb);
    return EXIT_OK;
}

/* CLASS.png: the title, then all | right | wrong; CLASS.npy: the three
 * means, [3, h, w]. */
static int write_class(const struct sums *s, long cls, const char *label, enum colormap cm,
                       const char *out)
{
    static const unsigned char paper[3] = { 255, 255, 255 }, ink[3] = { 20, 20, 20 };
    static const char *const what[PANELS] = { "all", "right", "wrong" };
    const long all = s->nright + s->nwrong, count[PANELS] = { all, s->nright, s->nwrong };
    float *block = NULL, lo = 0, hi = 1;
    struct canvas c = { 0 };
    char title[160], path[PATH_MAX], name[40];
    int rc = class_means(s, &block, &lo, &hi);
    if (rc == EXIT_OK)
        rc = canvas_create(&c, PANELS * s->w + (PANELS - 1) * GAP, TITLE + CAPTION + s->h, paper);
    snprintf(title, sizeof title, "%ld %s: %ld right of %ld (%.0f%%)", cls, label, s->nright, all,
             100.0 * s->nright / all);
    if (rc == EXIT_OK)
        canvas_text(&c, 0, 2, title, c.w, ink);
    for (int p = 0; rc == EXIT_OK && p < PANELS; p++)
        rc = draw_panel(&c, p * (s->w + GAP), s, block + p * s->n, count[p], what[p], lo, hi, cm);
    snprintf(name, sizeof name, "%ld.png", cls);
    if (rc == EXIT_OK && (rc = path_join(path, sizeof path, out, name)) == EXIT_OK)
        rc = png_write(path, c.w, c.h, 3, c.px);
    const size_t dims[3] = { PANELS, (size_t)s->h, (size_t)s->w };
    snprintf(name, sizeof name, "%ld.npy", cls);
    if (rc == EXIT_OK && (rc = path_join(path, sizeof path, out, name)) == EXIT_OK)
        rc = raw_write(path, block, dims, 3);
    canvas_free(&c);
    free(block);
    return rc;
}

static cJSON *class_json(const struct sums *s, long cls, const char *label, const char *picture)
{
    cJSON *o = cJSON_CreateObject();
    long all = s->nright + s->nwrong;
    cJSON_AddNumberToObject(o, "class", (double)cls);
    cJSON_AddStringToObject(o, "label", label);
    cJSON_AddNumberToObject(o, "images", (double)all);
    cJSON_AddNumberToObject(o, "right", (double)s->nright);
    cJSON_AddNumberToObject(o, "wrong", (double)s->nwrong);
    cJSON_AddNumberToObject(o, "accuracy", round(1e4 * s->nright / all) / 1e4);
    cJSON_AddStringToObject(o, "picture", picture);
    return o;
}

/* Every class, one at a time: its sums, picture and entry in list. */
static int each_class(const struct item *items, size_t n, const char *dir, const char *out,
                      enum colormap cm, cJSON *list)
{
    int rc = EXIT_OK;
    for (size_t first = 0; rc == EXIT_OK && first < n;) {
        size_t end = first;
        struct sums s = { 0 };
        while (rc == EXIT_OK && end < n && items[end].cls == items[first].cls)
            rc = add_map(&s, dir, &items[end++]);
        char name[32];
        snprintf(name, sizeof name, "%ld.png", items[first].cls);
        if (rc == EXIT_OK)
            rc = write_class(&s, items[first].cls, items[first].label, cm, out);
        if (rc == EXIT_OK)
            cJSON_AddItemToArray(list, class_json(&s, items[first].cls, items[first].label, name));
        free(s.right);
        free(s.wrong);
        first = end;
    }
    return rc;
}

/* Worst first: the classes to look at. */
static int by_accuracy(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    double ax = record_number(x, "accuracy", NULL), ay = record_number(y, "accuracy", NULL);
    if (ax != ay)
        return ax < ay ? -1 : 1;
    return (int)(record_number(x, "class", NULL) - record_number(y, "class", NULL));
}

static int write_page(const cJSON *list, const char *method, const char *out)
{
    struct buffer b = { 0 };
    char path[PATH_MAX];
    html_put(&b, "<!doctype html>\n<meta charset=\"utf-8\">\n<title>attrib classes: ");
    html_escape(&b, method);
    html_put(&b, "</title>\n<style>body{font:14px sans-serif;margin:1em}figure{margin:0 0 1.5em}"
                 "img{max-width:100%}</style>\n<h1>Where the model looks, class by class (");
    html_escape(&b, method);
    html_put(&b, ")</h1>\n<p>Each picture: the mean map over the class's images, over those "
                 "the model got right and over those it got wrong; lowest accuracy first.</p>\n");
    const cJSON *c;
    cJSON_ArrayForEach(c, list) {
        html_put(&b, "<figure><img loading=\"lazy\" src=\"");
        html_url(&b, record_text(c, "picture", NULL));
        html_put(&b, "\" alt=\"");
        html_escape(&b, record_text(c, "label", NULL));
        html_put(&b, "\"></figure>\n");
    }
    int rc = b.failed ? fail(EXIT_INTERNAL, "out of memory") : path_join(path, sizeof path, out,
                                                                        "index.html");
    if (rc == EXIT_OK)
        rc = write_file_atomic(path, b.data, b.len);
    buffer_free(&b);
    return rc;
}

/* classes.json and index.html, worst class first. */
static int write_index(cJSON *root, cJSON *list, const char *out)
{
    int n = cJSON_GetArraySize(list), rc = EXIT_OK;
    cJSON **rows = calloc((size_t)n + 1, sizeof *rows), *sorted = cJSON_CreateArray();
    if (!rows || !sorted)
        rc = fail(EXIT_INTERNAL, "out of memory");
    for (int i = 0; rc == EXIT_OK && i < n; i++)
        rows[i] = cJSON_DetachItemFromArray(list, 0);
    if (rc == EXIT_OK)
        qsort(rows, (size_t)n, sizeof *rows, by_accuracy);
    for (int i = 0; rc == EXIT_OK && i < n; i++)
        cJSON_AddItemToArray(sorted, rows[i]);
    free(rows);
    cJSON *doc = summary_header(record_text(root, "method", NULL), NULL);
    cJSON_AddItemToObject(doc, "model", cJSON_Duplicate(cJSON_GetObjectItem(root, "model"), 1));
    cJSON_AddItemToObject(doc, "classes", sorted);
    char path[PATH_MAX];
    if (rc == EXIT_OK)
        rc = path_join(path, sizeof path, out, "classes.json");
    if (rc == EXIT_OK)
        rc = summary_emit(doc, path, 0);
    if (rc == EXIT_OK)
        rc = write_page(sorted, record_text(root, "method", NULL), out);
    cJSON_Delete(doc);
    return rc;
}

static int cmd_classes(void *opts, const operands *ops)
{
    struct classes_opts *o = opts;
    if (ops->n != 1)
        return fail(EXIT_USAGE, "give one run's output directory (usage: attrib classes DIR)");
    const char *dir = ops->args[0];
    char path[PATH_MAX], out[PATH_MAX];
    unsigned char *data = NULL;
    size_t len, n = 0;
    struct item *items = NULL;
    enum colormap cm = CMAP_AUTO;
    int rc = path_join(path, sizeof path, dir, "summary.json");
    if (rc == EXIT_OK)
        rc = read_file(path, MAX_REPORT_BYTES, EXIT_INPUT, &data, &len);
    cJSON *root = rc ? NULL : cJSON_ParseWithLength((const char *)data, len);
    free(data);
    if (rc == EXIT_OK && !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(root, "images")))
        rc = fail(EXIT_INPUT, "'%s' is not a report attrib wrote", path);
    if (rc == EXIT_OK)
        rc = collect_items(root, dir, &items, &n);
    if (rc == EXIT_OK && colormap_from_name(record_text(root, "display", "cmap"), &cm) != 0)
        cm = colormap_resolve(CMAP_AUTO, strcmp(record_text(root, "display", "sign"), "signed") == 0);
    if (rc == EXIT_OK)
        rc = o->out ? (snprintf(out, sizeof out, "%s", o->out), EXIT_OK)
                    : path_join(out, sizeof out, dir, "classes");
    if (rc == EXIT_OK)
        rc = make_dirs(out);
    cJSON *list = cJSON_CreateArray();
    if (rc == EXIT_OK)
        rc = each_class(items, n, dir, out, cm, list);
    int nclasses = cJSON_GetArraySize(list);
    if (rc == EXIT_OK)
        rc = write_index(root, list, out);
    if (rc == EXIT_OK)
        printf("%d classes, %zu images: %s/index.html\n", nclasses, n, out);
    cJSON_Delete(list);
    free(items);
    cJSON_Delete(root);
    return rc;
}

const struct command_spec classes_spec = {
    .synopsis = "attrib classes DIR [-o OUT]",
    .description =
        "Per-class views of a batch run on a labelled data set (run with --class-from-folder\n"
        "or --class-file, and --save-raw): for each given class, the mean map over its\n"
        "images, over those the model got right (top-1 = the class) and over those it got\n"
        "wrong, side by side on one colour range - where the model looks when it is wrong.\n"
        "Each map is divided by its largest magnitude before the mean. Writes OUT/CLASS.png,\n"
        "OUT/CLASS.npy (the three means, [3, H, W]), OUT/classes.json (counts and accuracy\n"
        "per class) and OUT/index.html, lowest accuracy first.\n",
    COMMAND_RUN(struct classes_opts, options, cmd_classes),
    .operands = OPERANDS_FILES,
};
