/* drift.c - `attrib drift`: the same images under two models (a model
 * and its retrained successor), ranked by how far one method's map moved
 * and whether the prediction changed: the check before shipping a
 * retrained model. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "command.h"
#include "compare.h"
#include "error.h"
#include "explain/explain.h"
#include "fsutil.h"
#include "heatmap.h"
#include "html.h"
#include "inputs.h"
#include "methodlist.h"
#include "png.h"
#include "progress.h"
#include "report.h"
#include "shim_loader.h"

#define DEFAULT_TOP 24     /* most-moved images on the page */
#define MAX_TOP 1000
#define DEFAULT_TOP_PERCENT 5.0

struct drift_opts {
    struct model_opts model; /* threads, resize, device; the paths are in models */
    const char *models;      /* "OLD.pt,NEW.pt" */
    const char *method;      /* "gradcam", "integrated-gradients:steps=16" */
    long target;
    struct target_opts target_opts; /* --target beyond classes */
    long top;
    double top_percent;
    double max_moved;        /* NaN: no check */
    const char *out_dir;
    int recursive, json, quiet;
};

/* OLD,NEW: two paths. */
static int split_models(const char *arg, char *old, char *new_, size_t size)
{
    const char *comma = strchr(arg, ',');
    if (!comma || comma == arg || !comma[1] || strchr(comma + 1, ','))
        return fail(EXIT_USAGE, "--models must be OLD.pt,NEW.pt (two model files), got '%s'",
                    arg);
    if ((size_t)(comma - arg) >= size || strlen(comma + 1) >= size)
        return fail(EXIT_USAGE, "--models: path too long");
    snprintf(old, size, "%.*s", (int)(comma - arg), arg);
    snprintf(new_, size, "%s", comma + 1);
    return EXIT_OK;
}

static int check_models(const struct opt *o, const char *arg, void *unused)
{
    (void)o, (void)unused;
    char a[PATH_MAX], b[PATH_MAX];
    return split_models(arg, a, b, sizeof a);
}

static int check_method(const struct opt *o, const char *arg, void *unused)
{
    (void)o, (void)unused;
    struct method_list *l = malloc(sizeof *l);
    int rc = l ? method_list_parse(l, arg, "--method", NULL) : fail(EXIT_INTERNAL, "out of memory");
    if (rc == EXIT_OK && l->n != 1)
        rc = fail(EXIT_USAGE, "--method takes one method (with its options: NAME:KEY=VALUE)");
    free(l);
    return rc;
}

static const struct opt options[] = {
    { .kind = OPTK_LIST, .name = "models", .offset = OPT_FIELD(struct drift_opts, models,
                                                               const char *),
      .parse = check_models, .metavar = "OLD,NEW", .flags = OPT_COMPLETE_FILE,
      .default_text = "", .help = "the model and its successor (TorchScript files)" },
    { .kind = OPTK_LIST, .name = "method", .offset = OPT_FIELD(struct drift_opts, method,
                                                               const char *),
      .parse = check_method, .def_str = "gradcam", .metavar = "M",
      .help = "the method whose maps are compared, with its options as in eval "
              "(NAME:KEY=VALUE)" },
    CLASS_OPTION('c', "class", struct drift_opts, target, "class to explain under both models",
                 "the old model's prediction"),
    OPT_INT(0, "top", struct drift_opts, top, 1, MAX_TOP, DEFAULT_TOP, "N",
            "most-moved images shown side by side on drift.html"),
    OPT_REAL(0, "iou-top", struct drift_opts, top_percent, 0.1, 100, DEFAULT_TOP_PERCENT, "PCT",
             "the hottest PCT% of each map, whose overlap (IoU) is reported"),
    { .kind = OPTK_REAL, .name = "max-moved", .offset = OPT_FIELD(struct drift_opts, max_moved,
                                                                  double),
      .min = 0, .max = 2, .def = NAN, .metavar = "F", .default_text = "no check",
      .help = "exit 1 when an image's map moved more than F (1 - Pearson correlation of the "
              "two maps: 0 unchanged, 1 unrelated, 2 inverted)" },
    OPT_DIR('o', "output", struct drift_opts, out_dir, ".", "DIR", "where to write the files"),
    OPT_FLAG('r', "recursive", struct drift_opts, recursive,
             "also take images in subdirectories of directory inputs"),
    OPT_FLAG(0, "json", struct drift_opts, json, "print drift.json on stdout (one line)"),
    OPT_FLAG('q', "quiet", struct drift_opts, quiet, "print nothing on success"),
    TARGET_OPTIONS(struct drift_opts, target_opts),
    OPT_GROUP("Model options", struct drift_opts, model, model_run_options),
    OPT_END,
};

/* One side: a model and the method's run on it. */
struct side {
    struct model model;
    struct explain_run run;
    struct explain_run scope; /* --target beyond classes: the head of the image's score */
    int opened;
    float *x, *map, *chw; /* the image's input, map and per-channel result */
};

/* An image's comparison; the most moved keep their maps for the page. */
struct record {
    const struct input *it;
    struct class_score pred[2];
    char labels[2][SUMMARY_LABEL];
    long target;
    struct map_diff d;
    float *maps[2]; /* the page's images only */
};

struct drift {
    struct drift_opts o;
    struct method_list ml;
    struct side side[2];
    int h, w;            /* the old model's input size: maps are compared there */
    struct record *recs;
    size_t nrecs;
    size_t *page;        /* indices of the most moved, most first */
    size_t npage;
    int beyond;          /* a --target that is not a class: scores, not predictions */
    int worst;
};

static double moved(const struct record *r)
{
    return 1.0 - r->d.pearson;
}

static int open_side(struct drift *d, int k, const char *path)
{
    struct side *s = &d->side[k];
    struct model_opts mo = d->o.model;
    mo.model_path = path;
    int rc = model_open(&mo, &s->model);
    if (rc == EXIT_OK) /* before the run: a segmenter's default layer is found from it */
        rc = targets_open_scope(&s->scope, "drift", &s->model, &mo, d->o.target,
                                &d->o.target_opts);
    if (rc == EXIT_OK && !d->beyond)
        rc = model_probe_classes(&s->model);
    if (rc == EXIT_OK) {
        rc = explain_run_open(&s->run, d->ml.methods[0], &s->model, &mo, d->ml.settings[0],
                              "--method");
        s->opened = 1;
    }
    if (rc == EXIT_OK && d->beyond) { /* each model its own reference's embedding, masks */
        s->run.opts.target_opts = d->o.target_opts;
        rc = targets_prepare(&s->run);
    }
    const size_t plane = (size_t)s->model.card.input_w * s->model.card.input_h;
    if (rc == EXIT_OK) {
        s->x = malloc(3 * plane * sizeof *s->x);
        s->map = malloc(plane * sizeof *s->map);
        s->chw = malloc(3 * plane * sizeof *s->chw);
        if (!s->x || !s->map || !s->chw)
            rc = fail(EXIT_INTERNAL, "out of memory");
    }
    if (rc == EXIT_OK && d->o.target >= s->model.classes)
        rc = fail(EXIT_USAGE, "--class %ld is out of range: '%s' has classes 0 to %d",
                  d->o.target, path, s->model.classes - 1);
    return rc;
}

static void close_side(struct side *s)
{
    if (s->opened)
        explain_run_close(&s->run);
    targets_release(&s->scope);
    if (s->model.handle)
        model_close(&s->model);
    free(s->x);
    free(s->map);
    free(s->chw);
}

/* The side's top-1 prediction for its input; a --target beyond classes:
 * its score. */
static int predict(struct side *s, int beyond, struct class_score *cs, char *label, size_t size)
{
    const struct card *c = &s->model.card;
    if (beyond) {
        double score = 0;
        struct batch b = { .n = 1, .h = c->input_h, .w = c->input_w, .x = s->x };
        int rc = targets_scores(&s->scope, &b, &score);
        if (rc == EXIT_OK)
            targets_score_of(&s->scope, score, cs, label, size);
        return rc;
    }
    int64_t shape[4] = { 1, 3, c->input_h, c->input_w }, classes;
    attrib_result *res = NULL;
    attrib_status st = attrib_forward(s->model.handle, s->x, shape, &res);
    int rc = st == ATTRIB_OK ? model_check_logits(&s->model, res, 1)
                             : model_error(st, s->model.path);
    const float *logits = rc == EXIT_OK ? result_logits(res, NULL, &classes) : NULL;
    if (rc == EXIT_OK)
        rc = model_class_score(&s->model, logits, (int)classes, -1, cs, label, size);
    attrib_result_free(res);
    return rc;
}

/* The side's map of its input for target (at its own input size). */
static int side_map(struct side *s, const char *image, int64_t target)
{
    const struct card *c = &s->model.card;
    struct attribution a = { .map = s->map, .chw = s->chw };
    struct summary sm = { .method = s->run.method->name, .image = image };
    struct batch b = { .n = 1, .h = c->input_h, .w = c->input_w, .x = s->x, .targets = &target,
                       .a = &a, .s = &sm };
    int rc = explain_compute(&s->run, &b);
    attrib_result_free(b.res);
    attribution_reset(&a);
    return rc;
}

/* Keeps r's maps when it is among the o.top most moved so far. */
static int keep_for_page(struct drift *d, size_t i, const float *old_map, const float *new_map)
{
    struct record *r = &d->recs[i];
    size_t pos = d->npage;
    while (pos > 0 && moved(&d->recs[d->page[pos - 1]]) < moved(r))
        pos--;
    if (pos >= (size_t)d->o.top)
        return EXIT_OK;
    const size_t plane = (size_t)d->h * d->w;
    if (d->npage == (size_t)d->o.top) { /* the least moved leaves the page */
        struct record *last = &d->recs[d->page[d->npage - 1]];
        free(last->maps[0]);
        free(last->maps[1]);
        last->maps[0] = last->maps[1] = NULL;
        d->npage--;
    }
    r->maps[0] = malloc(plane * sizeof(float));
    r->maps[1] = malloc(plane * sizeof(float));
    if (!r->maps[0] || !r->maps[1])
        return fail(EXIT_INTERNAL, "out of memory");
    memcpy(r->maps[0], old_map, plane * sizeof(float));
    memcpy(r->maps[1], new_map, plane * sizeof(float));
    memmove(d->page + pos + 1, d->page + pos, (d->npage - pos) * sizeof *d->page);
    d->page[pos] = i;
    d->npage++;
    return EXIT_OK;
}

/* One image under both models. EXIT_INPUT: unreadable (it fails alone). */
static int drift_image(struct drift *d, const struct input *it, size_t i, float *resized)
{
    struct record *r = &d->recs[i];
    *r = (struct record){ .it = it };
    struct image img = { 0 };
    struct rect region;
    int rc = model_read_input(&d->side[0].model, d->o.model.resize, it->path, &img, &region,
                              d->side[0].x, NULL);
    if (rc == EXIT_OK) /* the same decoded image for the new model */
        rc = model_input(&d->side[1].model, d->o.model.resize, &img, &region, d->side[1].x);
    image_free(&img);
    for (int k = 0; rc == EXIT_OK && k < 2; k++)
        rc = predict(&d->side[k], d->beyond, &r->pred[k], r->labels[k], SUMMARY_LABEL);
    r->target = d->beyond ? -1 : d->o.target >= 0 ? d->o.target : r->pred[0].index;
    if (rc == EXIT_OK && !d->beyond && r->target >= d->side[1].model.classes)
        rc = fail(EXIT_INPUT, "%s: the old model's class %ld is not one of the new model's %d",
                  it->path, r->target, d->side[1].model.classes);
    for (int k = 0; rc == EXIT_OK && k < 2; k++)
        rc = side_map(&d->side[k], it->path, r->target);
    const struct card *nc = &d->side[1].model.card;
    const float *new_map = d->side[1].map;
    if (rc == EXIT_OK && (nc->input_w != d->w || nc->input_h != d->h)) {
        struct rect whole = { 0, 0, nc->input_w, nc->input_h };
        rc = image_resize_plane(d->side[1].map, nc->input_w, nc->input_h, 1, whole, resized,
                                d->w, d->h);
        new_map = resized;
    }
    if (rc == EXIT_OK)
        rc = map_compare(d->side[0].map, new_map, (size_t)d->w * d->h, d->o.top_percent, &r->d);
    if (rc == EXIT_OK)
        rc = keep_for_page(d, i, d->side[0].map, new_map);
    return rc;
}

/* Whether the top-1 prediction changed (a target beyond classes: no prediction). */
static int changed(const struct drift *d, const struct record *r)
{
    return !d->beyond && r->pred[0].index != r->pred[1].index;
}

static cJSON *prediction_json(const struct drift *d, const struct class_score *c)
{
    cJSON *o = cJSON_CreateObject();
    if (d->beyond) {
        cJSON_AddNumberToObject(o, "score", round(c->score * 1e6) / 1e6);
        return o;
    }
    cJSON_AddNumberToObject(o, "index", (double)c->index);
    cJSON_AddStringToObject(o, "label", c->label);
    cJSON_AddNumberToObject(o, "probability", round(c->probability * 1e6) / 1e6);
    return o;
}

static int by_moved(const void *a, const void *b)
{
    double x = moved(a), y = moved(b);
    return x < y ? 1 : x > y ? -1 : 0;
}

static int above(const struct drift *d, const struct record *r)
{
    return !isnan(d->o.max_moved) && moved(r) > d->o.max_moved;
}

/* Overlays of the most-moved images for the page: NAME.drift-old.png and
 * NAME.drift-new.png, each map on its own range. */
static int write_overlays(struct drift *d, const struct record *r, char (*paths)[PATH_MAX])
{
    static const char *const tails[2] = { ".drift-old.png", ".drift-new.png" };
    struct image img = { 0 };
    struct rect region;
    /* the old model's region of the image */
    int rc = model_read_input(&d->side[0].model, d->o.model.resize, r->it->path, &img,
                              &region, d->side[0].x, NULL);
    unsigned char *px = rc == EXIT_OK ? malloc((size_t)img.width * img.height * 3) : NULL;
    if (rc == EXIT_OK && !px)
        rc = fail(EXIT_INTERNAL, "out of memory");
    const size_t n = (size_t)d->w * d->h;
    /* explain's default look, so the two sides read like its overlays */
    const struct overlay_style style = { .cm = CMAP_INFERNO, .alpha = 0.5f, .blend = BLEND_RISING };
    for (int k = 0; rc == EXIT_OK && k < 2; k++) {
        float lo = r->maps[k][0], hi;
        for (size_t j = 1; j < n; j++)
            lo = r->maps[k][j] < lo ? r->maps[k][j] : lo;
        rc = heatmap_percentile(r->maps[k], n, 99.0, &hi);
        if (rc == EXIT_OK)
            rc = heatmap_overlay(&img, region, r->maps[k], d->w, d->h, lo, hi, &style, px);
        if (rc == EXIT_OK)
            rc = output_path(d->o.out_dir, r->it->name, tails[k], paths[k], PATH_MAX);
        if (rc == EXIT_OK)
            rc = png_write(paths[k], img.width, img.height, 3, px);
    }
    free(px);
    image_free(&img);
    return rc;
}

static void page_row(struct buffer *b, const struct drift *d, const struct record *r,
                     char (*paths)[PATH_MAX])
{
    char buf[256], rel[PATH_MAX];
    html_put(b, "<tr><td>");
    html_escape(b, r->it->name);
    if (!d->beyond)
        snprintf(buf, sizeof buf, "</td><td>%.4f</td><td>%.4f</td><td>%ld</td><td%s>",
                 moved(r), r->d.iou, r->target, changed(d, r) ? " class=\"changed\"" : "");
    else
        snprintf(buf, sizeof buf, "</td><td>%.4f</td><td>%.4f</td><td>%s</td><td>%.4g &rarr; "
                 "%.4g", moved(r), r->d.iou, target_kind_names[d->o.target_opts.spec.kind],
                 r->pred[0].score, r->pred[1].score);
    html_put(b, buf);
    for (int k = 0; !d->beyond && k < 2; k++) {
        snprintf(buf, sizeof buf, "%s%ld ", k ? " &rarr; " : "", r->pred[k].index);
        html_put(b, buf);
        html_escape(b, r->pred[k].label);
        snprintf(buf, sizeof buf, " (%.3f)", r->pred[k].probability);
        html_put(b, buf);
    }
    html_put(b, "</td>");
    const char *pics[3] = { r->it->path, paths[0], paths[1] };
    for (int k = 0; k < 3; k++) {
        html_put(b, "<td>");
        if (relative_path(d->o.out_dir, pics[k], rel, sizeof rel) == 0) {
            html_put(b, "<img loading=\"lazy\" src=\"");
            html_url(b, rel);
            html_put(b, "\">");
        }
        html_put(b, "</td>");
    }
    html_put(b, "</tr>\n");
}

static int write_page(struct drift *d, const cJSON *summary)
{
    struct buffer b = { 0 };
    char buf[512];
    html_put(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>attrib "
                 "drift</title><style>body{font-family:sans-serif;margin:1em}"
                 "td,th{border-bottom:1px solid #ddd;padding:4px;text-align:left}"
                 "img{width:180px;height:180px;object-fit:contain;background:#eee}"
                 ".changed{color:#b00;font-weight:bold}</style></head><body>\n<h1>attrib drift: ");
    html_escape(&b, d->side[0].model.path);
    html_put(&b, " &rarr; ");
    html_escape(&b, d->side[1].model.path);
    char what[64] = "";
    if (!d->beyond)
        snprintf(what, sizeof what, " %g predictions changed;",
                 record_number(summary, "predictions_changed", NULL));
    snprintf(buf, sizeof buf, "</h1>\n<p>%s maps of %g images;%s mean Pearson %.4f, mean IoU "
             "of the hottest %g%% %.4f. The %zu that moved most (moved = 1 - Pearson):</p>\n"
             "<table><tr><th>image</th><th>moved</th><th>IoU</th><th>%s</th><th>%s old &rarr; "
             "new</th><th>image</th><th>old map</th><th>new map</th></tr>\n", d->ml.names[0],
             record_number(summary, "images", NULL), what,
             record_number(summary, "mean_pearson", NULL), d->o.top_percent,
             record_number(summary, "mean_iou", NULL), d->npage, d->beyond ? "target" : "class",
             d->beyond ? "score" : "prediction");
    html_put(&b, buf);
    int rc = EXIT_OK;
    for (size_t k = 0; rc == EXIT_OK && k < d->npage; k++) {
        char paths[2][PATH_MAX];
        const struct record *r = &d->recs[d->page[k]];
        rc = write_overlays(d, r, paths);
        if (rc == EXIT_OK)
            page_row(&b, d, r, paths);
    }
    html_put(&b, "</table>\n</body></html>\n");
    char path[PATH_MAX];
    if (rc == EXIT_OK && b.failed)
        rc = fail(EXIT_INTERNAL, "out of memory");
    if (rc == EXIT_OK)
        rc = path_join(path, sizeof path, d->o.out_dir, "drift.html");
    if (rc == EXIT_OK)
        rc = write_file_atomic(path, b.data, b.len);
    buffer_free(&b);
    return rc;
}

static cJSON *record_json(const struct drift *d, const struct record *r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "image", r->it->path);
    cJSON_AddStringToObject(o, "name", r->it->name);
    if (d->beyond) {
        cJSON *t = targets_score_json(&d->o.target_opts.spec, &r->pred[0]);
        cJSON_DeleteItemFromObject(t, "score"); /* each model's is its own: old, new */
        cJSON_AddItemToObject(o, "target", t);
    } else {
        cJSON_AddNumberToObject(o, "class", (double)r->target);
    }
    cJSON_AddItemToObject(o, "old", prediction_json(d, &r->pred[0]));
    cJSON_AddItemToObject(o, "new", prediction_json(d, &r->pred[1]));
    if (!d->beyond)
        cJSON_AddBoolToObject(o, "prediction_changed", changed(d, r));
    cJSON_AddNumberToObject(o, "moved", round(moved(r) * 1e6) / 1e6);
    cJSON_AddNumberToObject(o, "pearson", round(r->d.pearson * 1e6) / 1e6);
    cJSON_AddNumberToObject(o, "spearman", round(r->d.spearman * 1e6) / 1e6);
    cJSON_AddNumberToObject(o, "iou", round(r->d.iou * 1e6) / 1e6);
    if (above(d, r))
        cJSON_AddBoolToObject(o, "above_max_moved", 1);
    return o;
}

/* drift.json (every image, most moved first, and the totals), drift.html
 * and the table of the most moved. */
static int write_report(struct drift *d)
{
    qsort(d->recs, d->nrecs, sizeof *d->recs, by_moved);
    for (size_t i = 0, k = 0; i < d->nrecs; i++) /* the page follows the sort */
        if (d->recs[i].maps[0])
            d->page[k++] = i;
    size_t nchanged = 0, over = 0;
    double sp = 0, si = 0;
    cJSON *j = summary_header("drift", NULL), *images = cJSON_CreateArray();
    cJSON_AddStringToObject(j, "compared", d->ml.names[0]);
    for (int k = 0; k < 2; k++) {
        struct model_info mi = model_info(&d->side[k].model);
        cJSON_AddItemToObject(j, k ? "new_model" : "old_model", model_info_json(&mi));
    }
    for (size_t i = 0; i < d->nrecs; i++) {
        const struct record *r = &d->recs[i];
        nchanged += changed(d, r);
        over += above(d, r);
        sp += r->d.pearson, si += r->d.iou;
        cJSON_AddItemToArray(images, record_json(d, r));
    }
    cJSON *s = cJSON_AddObjectToObject(j, "summary");
    cJSON_AddNumberToObject(s, "images", (double)d->nrecs);
    if (!d->beyond)
        cJSON_AddNumberToObject(s, "predictions_changed", (double)nchanged);
    cJSON_AddNumberToObject(s, "mean_pearson", d->nrecs ? round(sp / d->nrecs * 1e6) / 1e6 : 1);
    cJSON_AddNumberToObject(s, "mean_iou", d->nrecs ? round(si / d->nrecs * 1e6) / 1e6 : 1);
    cJSON_AddNumberToObject(s, "iou_top_percent", d->o.top_percent);
    cJSON_AddNumberToObject(s, "most_moved", d->nrecs ? round(moved(&d->recs[0]) * 1e6) / 1e6 : 0);
    if (!isnan(d->o.max_moved)) {
        cJSON_AddNumberToObject(s, "max_moved", d->o.max_moved);
        cJSON_AddNumberToObject(s, "above_max_moved", (double)over);
    }
    cJSON_AddItemToObject(j, "images", images);
    char path[PATH_MAX];
    int rc = write_page(d, s);
    if (rc == EXIT_OK)
        rc = path_join(path, sizeof path, d->o.out_dir, "drift.json");
    if (rc == EXIT_OK)
        rc = summary_emit(j, path, d->o.json);
    if (rc == EXIT_OK && !d->o.json && !d->o.quiet) {
        char what[PATH_MAX + 96] = "", label[SUMMARY_LABEL];
        struct class_score cs;
        if (d->beyond) { /* what both models' scores are of */
            targets_score_of(&d->side[0].scope, 0, &cs, label, sizeof label);
            targets_name(&d->o.target_opts.spec, &cs, what, sizeof what);
        }
        if (d->beyond)
            printf("%zu images, %s maps of %s: mean Pearson %.4f, mean IoU %.4f\n", d->nrecs,
                   d->ml.names[0], what, d->nrecs ? sp / d->nrecs : 1,
                   d->nrecs ? si / d->nrecs : 1);
        else
            printf("%zu images, %s maps: %zu predictions changed, mean Pearson %.4f, mean IoU "
                   "%.4f\n", d->nrecs, d->ml.names[0], nchanged, d->nrecs ? sp / d->nrecs : 1,
                   d->nrecs ? si / d->nrecs : 1);
        printf("  %-28s %8s %8s  %s\n", "most moved", "moved", "IoU",
               d->beyond ? "score old -> new" : "prediction old -> new");
        for (size_t i = 0; i < d->nrecs && i < 10; i++) {
            const struct record *r = &d->recs[i];
            if (d->beyond)
                printf("  %-28s %8.4f %8.4f  %.4g -> %.4g\n", r->it->name, moved(r), r->d.iou,
                       r->pred[0].score, r->pred[1].score);
            else
                printf("  %-28s %8.4f %8.4f  %ld -> %ld%s\n", r->it->name, moved(r), r->d.iou,
                       r->pred[0].index, r->pred[1].index, changed(d, r) ? " (changed)" : "");
        }
        printf("  wrote %s\n  wrote %s/drift.html\n", path, d->o.out_dir);
    }
    cJSON_Delete(j);
    if (rc == EXIT_OK && over)
        rc = fail(EXIT_INPUT, "drift: %zu of %zu images' maps moved more than --max-moved %g "
                  "(most: %s, %.4f)", over, d->nrecs, d->o.max_moved, d->recs[0].it->name,
                  moved(&d->recs[0]));
    return rc;
}

static int drift_all(struct drift *d, struct input_list *in)
{
    d->recs = calloc(in->n ? in->n : 1, sizeof *d->recs);
    d->page = calloc((size_t)d->o.top, sizeof *d->page);
    float *resized = malloc((size_t)d->h * d->w * sizeof *resized);
    int rc = d->recs && d->page && resized ? EXIT_OK : fail(EXIT_INTERNAL, "out of memory");
    struct progress bar;
    progress_start(&bar, "drift", (int)in->n, d->o.quiet || d->o.json || in->n < 2);
    for (size_t i = 0; rc == EXIT_OK && i < in->n; i++) {
        rc = drift_image(d, &in->items[i], d->nrecs, resized);
        if (rc == EXIT_INPUT) { /* this image only */
            report_error("drift", error_message());
            clear_error();
            d->worst = EXIT_INPUT;
            rc = EXIT_OK;
        } else if (rc == EXIT_OK) {
            d->nrecs++;
        }
        progress_update(&bar, (int)i + 1, NULL);
    }
    progress_end(&bar);
    free(resized);
    if (rc == EXIT_OK)
        rc = make_dirs(d->o.out_dir);
    if (rc == EXIT_OK)
        rc = write_report(d);
    return rc;
}

static int cmd_drift(void *opts, const operands *ops)
{
    struct drift *d = calloc(1, sizeof *d);
    if (!d)
        return fail(EXIT_INTERNAL, "out of memory");
    d->o = *(const struct drift_opts *)opts;
    char paths[2][PATH_MAX];
    struct input_list in = { 0 };
    int rc = EXIT_OK;
    if (ops->n < 1)
        rc = fail(EXIT_USAGE, "no image given (usage: attrib drift IMAGE|DIR... --models "
                              "OLD.pt,NEW.pt [--method M])");
    else if (!d->o.models)
        rc = fail(EXIT_USAGE, "drift needs --models OLD.pt,NEW.pt");
    if (rc == EXIT_OK)
        rc = split_models(d->o.models, paths[0], paths[1], PATH_MAX);
    d->beyond = d->o.target_opts.spec.kind != TARGET_CLASS;
    if (rc == EXIT_OK)
        rc = method_list_parse(&d->ml, d->o.method, "--method", NULL);
    if (rc == EXIT_OK)
        rc = inputs_collect(ops->args, ops->n, d->o.recursive, &in);
    for (int k = 0; rc == EXIT_OK && k < 2; k++)
        rc = open_side(d, k, paths[k]);
    d->h = d->side[0].model.card.input_h, d->w = d->side[0].model.card.input_w;
    if (rc == EXIT_OK)
        rc = drift_all(d, &in);
    for (size_t i = 0; d->recs && i < d->nrecs; i++) {
        free(d->recs[i].maps[0]);
        free(d->recs[i].maps[1]);
    }
    free(d->recs);
    free(d->page);
    for (int k = 0; k < 2; k++)
        close_side(&d->side[k]);
    inputs_free(&in);
    rc = rc ? rc : d->worst;
    free(d);
    return rc;
}

const struct command_spec drift_spec = {
    .synopsis = "attrib drift IMAGE|DIR|-... --models OLD.pt,NEW.pt [--method M] [--top 24]\n"
                "                    [--max-moved F] [-o DIR]",
    .description =
        "The same images under a model and its successor (a retrained or fine-tuned\n"
        "model): each image's map by --method (default gradcam; its options as in eval)\n"
        "for the same class under both (the old model's prediction, or --class), compared\n"
        "by Pearson and Spearman correlation and the overlap (IoU) of their hottest\n"
        "--iou-top percent, and whether the top-1 prediction changed. Writes drift.json\n"
        "(every image, most moved first, and the totals) and drift.html (the --top most\n"
        "moved: the image, the old and the new map side by side, NAME.drift-old.png and\n"
        "NAME.drift-new.png). When the models' input sizes differ, the new map is\n"
        "resampled to the old one's. With --max-moved F, exits 1 when an image's map\n"
        "moved (1 - Pearson) more than F: the check a team runs before shipping. With\n"
        "--target (segmenters, embedders, detectors) both maps explain that target, each\n"
        "model its own way: segment:CLASS over the pixels each model gives CLASS,\n"
        "similar-to:IMAGE to each model's embedding of IMAGE (a vector: the same for\n"
        "both), the same box; each image's score of it under both models takes the\n"
        "prediction's place.\n",
    COMMAND_RUN(struct drift_opts, options, cmd_drift),
    .operands = OPERANDS_IMAGES,
};
