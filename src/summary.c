/* summary.c - builds the summary objects scripts read; field names are API. */
#include "summary.h"

#include <math.h>

#include "error.h"
#include "fsutil.h"
#include "threads.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Numbers are written with this many significant digits: enough for float32
 * map values, short enough to read. */
#define JSON_SIGNIFICANT 7

static double rounded(double v)
{
    if (!isfinite(v) || v == 0)
        return v;
    /* through the text itself, so a summary read back from its file (the
     * cache, --resume) holds the very same double and prints the same
     * digits: arithmetic rounding can land an ulp off, and a value whose
     * next digit is a 5 then printed differently at %.4g */
    char text[32];
    snprintf(text, sizeof text, "%.*g", JSON_SIGNIFICANT, v);
    return strtod(text, NULL);
}

/* cJSON writes NaN and infinities as null, which is what JSON can say. */
static void add_num(cJSON *o, const char *key, double v)
{
    cJSON_AddNumberToObject(o, key, rounded(v));
}

static cJSON *float_array(const float *v, int n)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateNumber(rounded(v[i])));
    return a;
}

static cJSON *rect_json(struct rect r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "x", r.x);
    cJSON_AddNumberToObject(o, "y", r.y);
    cJSON_AddNumberToObject(o, "width", r.width);
    cJSON_AddNumberToObject(o, "height", r.height);
    return o;
}

cJSON *model_info_json(const struct model_info *m)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", m->name);
    cJSON_AddStringToObject(o, "path", m->path);
    cJSON_AddStringToObject(o, "sha256", m->sha256);
    cJSON_AddStringToObject(o, "card", m->card_source);
    cJSON *size = cJSON_AddArrayToObject(o, "input_size");
    cJSON_AddItemToArray(size, cJSON_CreateNumber(m->input_h));
    cJSON_AddItemToArray(size, cJSON_CreateNumber(m->input_w));
    cJSON_AddNumberToObject(o, "classes", m->classes);
    if (m->output) /* multi-label: probabilities are per-class sigmoids */
        cJSON_AddStringToObject(o, "output", m->output);
    if (m->device)
        cJSON_AddStringToObject(o, "device", m->device);
    if (m->libtorch)
        cJSON_AddStringToObject(o, "libtorch", m->libtorch);
    if (m->format)
        cJSON_AddStringToObject(o, "format", m->format);
    if (m->fixed_batch) /* passes run in pieces of it */
        cJSON_AddNumberToObject(o, "fixed_batch", (double)m->fixed_batch);
    return o;
}

cJSON *class_score_json(const struct class_score *c)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "index", (double)c->index);
    cJSON_AddStringToObject(o, "label", c->label);
    add_num(o, "score", c->score);
    add_num(o, "probability", c->probability);
    return o;
}

/* What the map explains: a class, a segment or a similarity (--target). */
static cJSON *target_json(const struct summary *s)
{
    if (!s->target_kind) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "kind", "class");
        cJSON *c = class_score_json(&s->target), *item;
        while ((item = c->child)) /* after "kind" */
            cJSON_AddItemToObject(o, item->string, cJSON_DetachItemViaPointer(c, item));
        cJSON_Delete(c);
        cJSON_AddBoolToObject(o, "predicted", s->target_was_predicted);
        return o;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "kind", s->target_kind);
    if (strcmp(s->target_kind, "segment") == 0) {
        cJSON_AddNumberToObject(o, "index", (double)s->target.index);
        cJSON_AddNumberToObject(o, "class", (double)s->target.index);
        if (s->target.label)
            cJSON_AddStringToObject(o, "label", s->target.label);
        cJSON_AddStringToObject(o, "mask", s->target_reference ? s->target_reference : "predicted");
        cJSON_AddNumberToObject(o, "mask_pixels", (double)s->mask_pixels);
    } else if (strcmp(s->target_kind, "box") == 0) {
        cJSON *box = cJSON_AddArrayToObject(o, "box");
        for (int k = 0; k < 4; k++)
            cJSON_AddItemToArray(box, cJSON_CreateNumber(s->target_box[k]));
        if (s->target.index >= 0) {
            cJSON_AddNumberToObject(o, "class", (double)s->target.index);
            cJSON_AddStringToObject(o, "label", s->target.label);
        }
        cJSON_AddBoolToObject(o, "matched", s->target.score > 0);
    } else {
        cJSON_AddStringToObject(o, "reference", s->target_reference);
    }
    add_num(o, "score", s->target.score);
    return o;
}

static cJSON *stats_json(const struct summary *s)
{
    const struct map_stats *st = &s->stats;
    cJSON *o = cJSON_CreateObject();
    cJSON *shape = cJSON_AddArrayToObject(o, "shape");
    cJSON_AddItemToArray(shape, cJSON_CreateNumber(s->map_h));
    cJSON_AddItemToArray(shape, cJSON_CreateNumber(s->map_w));
    add_num(o, "min", st->min);
    add_num(o, "max", st->max);
    add_num(o, "mean", st->mean);
    cJSON_AddNumberToObject(o, "nonfinite", (double)st->nonfinite);
    cJSON *top = cJSON_AddObjectToObject(o, "top");
    add_num(top, "fraction", HEATMAP_TOP_FRACTION);
    add_num(top, "threshold", st->top_threshold);
    cJSON_AddNumberToObject(top, "pixels", (double)st->top_count);
    cJSON *com = cJSON_AddObjectToObject(top, "center_of_mass");
    add_num(com, "x", st->com_x);
    add_num(com, "y", st->com_y);
    /* The same point as a fraction of the map, which is also a fraction of
     * the region of the original image the model saw. */
    add_num(com, "x_fraction", s->map_w ? (st->com_x + 0.5) / s->map_w : 0);
    add_num(com, "y_fraction", s->map_h ? (st->com_y + 0.5) / s->map_h : 0);
    cJSON_AddItemToObject(top, "bbox", rect_json(st->top_box));
    cJSON *d = cJSON_AddObjectToObject(o, "display");
    add_num(d, "low", s->display_lo);
    add_num(d, "high", s->display_hi);
    add_num(d, "clip_percent", s->clip);
    cJSON_AddStringToObject(d, "scale", s->scale ? s->scale : "image");
    if (s->overlay_w) { /* smaller than the photo */
        cJSON *size = cJSON_AddArrayToObject(d, "overlay_size");
        cJSON_AddItemToArray(size, cJSON_CreateNumber(s->overlay_w));
        cJSON_AddItemToArray(size, cJSON_CreateNumber(s->overlay_h));
    }
    if (s->sign) {
        cJSON_AddStringToObject(d, "sign", s->sign);
        cJSON_AddStringToObject(d, "sign_convention", s->sign_convention);
    }
    return o;
}

static cJSON *layer_json(const struct summary *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "path", s->layer);
    cJSON *shape = cJSON_AddArrayToObject(o, "shape");
    for (int i = 0; i < 3; i++)
        cJSON_AddItemToArray(shape, cJSON_CreateNumber(s->layer_shape[i]));
    if (s->cam) {
        cJSON *rows = cJSON_AddArrayToObject(o, "map");
        for (int y = 0; y < s->cam_h; y++)
            cJSON_AddItemToArray(rows, float_array(s->cam + (size_t)y * s->cam_w, s->cam_w));
    }
    return o;
}

cJSON *summary_header(const char *method, const struct model_info *model)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "tool", "attrib");
    cJSON_AddStringToObject(o, "version", ATTRIB_VERSION);
    cJSON_AddStringToObject(o, "method", method);
    if (model)
        cJSON_AddItemToObject(o, "model", model_info_json(model));
    return o;
}

cJSON *summary_json(const struct summary *s)
{
    cJSON *o = summary_header(s->method, &s->model);

    cJSON *img = cJSON_AddObjectToObject(o, "image");
    cJSON_AddStringToObject(img, "path", s->image);
    cJSON_AddNumberToObject(img, "width", s->image_w);
    cJSON_AddNumberToObject(img, "height", s->image_h);
    if (s->image_sha256 && *s->image_sha256)
        cJSON_AddStringToObject(img, "sha256", s->image_sha256);
    if (s->run_key)
        cJSON_AddStringToObject(o, "run_key", s->run_key);
    if (s->cache)
        cJSON_AddStringToObject(o, "cache", s->cache);

    cJSON *pre = cJSON_AddObjectToObject(o, "preprocessing");
    cJSON_AddStringToObject(pre, "resize", s->resize);
    cJSON_AddStringToObject(pre, "filter", "bilinear");
    cJSON_AddItemToObject(pre, "region", rect_json(s->region));
    cJSON *size = cJSON_AddArrayToObject(pre, "input_size");
    cJSON_AddItemToArray(size, cJSON_CreateNumber(s->model.input_h));
    cJSON_AddItemToArray(size, cJSON_CreateNumber(s->model.input_w));
    cJSON_AddStringToObject(pre, "scale", "[0, 1]");
    cJSON_AddItemToObject(pre, "mean", float_array(s->model.mean, 3));
    cJSON_AddItemToObject(pre, "std", float_array(s->model.std, 3));

    cJSON_AddItemToObject(o, "target", target_json(s));
    if (s->objective) {
        cJSON *obj = cJSON_AddObjectToObject(o, "objective");
        cJSON_AddStringToObject(obj, "of", s->objective);
        add_num(obj, "value", s->objective_value);
        if (s->has_versus)
            cJSON_AddItemToObject(obj, "versus", class_score_json(&s->versus));
    }
    cJSON *top = cJSON_AddArrayToObject(o, "top");
    for (int i = 0; i < s->ntop; i++)
        cJSON_AddItemToArray(top, class_score_json(&s->top[i]));

    cJSON_AddItemToObject(o, "map", stats_json(s));
    if (s->layer)
        cJSON_AddItemToObject(o, "layer", layer_json(s));

    if (s->ndetails) {
        cJSON *d = cJSON_AddObjectToObject(o, "details");
        for (int i = 0; i < s->ndetails; i++)
            if (s->details[i].text)
                cJSON_AddStringToObject(d, s->details[i].key, s->details[i].text);
            else
                add_num(d, s->details[i].key, s->details[i].number);
    }

    cJSON *out = cJSON_AddObjectToObject(o, "outputs");
    for (int i = 0; i < s->noutputs; i++)
        cJSON_AddStringToObject(out, s->outputs[i].kind, s->outputs[i].path);

    cJSON *t = cJSON_AddObjectToObject(o, "timings_ms");
    add_num(t, "load", s->load_ms);
    add_num(t, "forward_backward", s->pass_ms);
    add_num(t, "total", s->total_ms);
    summary_add_threads(o);
    cJSON *w = cJSON_AddArrayToObject(o, "warnings");
    if (s->model.card_source && strcmp(s->model.card_source, "defaults") == 0)
        cJSON_AddItemToArray(w, cJSON_CreateString("the model has no card: its input size, "
                                                   "mean, std and labels are assumed"));
    if (s->warning)
        cJSON_AddItemToArray(w, cJSON_CreateString(s->warning));
    return o;
}

/* Sets key to d: replaced where s has it (a method that computes in
 * several passes sets it again), else added while there is room. */
static void set_detail(struct summary *s, struct detail d)
{
    for (int i = 0; i < s->ndetails; i++)
        if (strcmp(s->details[i].key, d.key) == 0) {
            s->details[i] = d;
            return;
        }
    if (s->ndetails < SUMMARY_MAX_DETAILS)
        s->details[s->ndetails++] = d;
}

void summary_detail_number(struct summary *s, const char *key, double v)
{
    set_detail(s, (struct detail){ key, NULL, v });
}

void summary_detail_text(struct summary *s, const char *key, const char *text)
{
    set_detail(s, (struct detail){ key, text, 0 });
}

void summary_add_threads(cJSON *o)
{
    struct thread_choice t = threads_chosen();
    cJSON_AddNumberToObject(o, "threads", t.count);
    cJSON_AddStringToObject(o, "threads_from", thread_source_name(t.source));
    cJSON_AddNumberToObject(o, "workers", threads_workers());
}

int summary_emit(const cJSON *j, const char *path, int line)
{
    report_held_warning(); /* the run has a result: now it is worth saying */
    char *pretty = j ? cJSON_Print(j) : NULL;
    char *compact = j && line ? cJSON_PrintUnformatted(j) : NULL;
    int rc = pretty && (!line || compact) ? EXIT_OK : fail(EXIT_INTERNAL, "out of memory");
    if (rc == EXIT_OK) {
        size_t n = strlen(pretty);
        pretty[n] = '\n'; /* replaces the NUL: the file ends in a newline */
        rc = write_file_atomic(path, pretty, n + 1);
    }
    if (rc == EXIT_OK && line) {
        /* a line per record as it is made, for the reader at the pipe's end */
        puts(compact);
        if (fflush(stdout) != 0)
            die_if_stdout_reader_gone();
    }
    cJSON_free(pretty);
    cJSON_free(compact);
    return rc;
}

const cJSON *record_item(const cJSON *o, const char *a, const char *b)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);
    return b ? cJSON_GetObjectItemCaseSensitive(v, b) : v;
}

const char *record_text(const cJSON *o, const char *a, const char *b)
{
    const cJSON *v = record_item(o, a, b);
    return cJSON_IsString(v) ? v->valuestring : "";
}

double record_number(const cJSON *o, const char *a, const char *b)
{
    const cJSON *v = record_item(o, a, b);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static void print_class(const char *what, const cJSON *c)
{
    printf("%s %.0f \"%s\" (p=%.4f, score %.4g)", what, record_number(c, "index", NULL),
           record_text(c, "label", NULL), record_number(c, "probability", NULL),
           record_number(c, "score", NULL));
}

/* What the map explains, on the summary's first line. */
static void print_target(const cJSON *t)
{
    const char *kind = record_text(t, "kind", NULL);
    if (strcmp(kind, "segment") == 0) {
        const char *mask = record_text(t, "mask", NULL);
        printf("segment %.0f \"%s\" (mask logits summed over %.0f pixels of %s%s: %.4g)",
               record_number(t, "class", NULL), record_text(t, "label", NULL),
               record_number(t, "mask_pixels", NULL),
               strcmp(mask, "predicted") == 0 ? "the predicted mask" : "",
               strcmp(mask, "predicted") == 0 ? "" : mask, record_number(t, "score", NULL));
    } else if (strcmp(kind, "box") == 0) {
        const cJSON *b = record_item(t, "box", NULL);
        printf("box %g,%g %gx%g", cJSON_GetArrayItem(b, 0) ? cJSON_GetArrayItem(b, 0)->valuedouble : 0,
               cJSON_GetArrayItem(b, 1) ? cJSON_GetArrayItem(b, 1)->valuedouble : 0,
               cJSON_GetArrayItem(b, 2) ? cJSON_GetArrayItem(b, 2)->valuedouble : 0,
               cJSON_GetArrayItem(b, 3) ? cJSON_GetArrayItem(b, 3)->valuedouble : 0);
        if (record_item(t, "class", NULL))
            printf(" of class %.0f \"%s\"", record_number(t, "class", NULL),
                   record_text(t, "label", NULL));
        if (cJSON_IsTrue(record_item(t, "matched", NULL)))
            printf(" (detected: IoU + score %.4g)", record_number(t, "score", NULL));
        else
            printf(" (no detection matches it: score 0)");
    } else if (strcmp(kind, "similar-to") == 0) {
        printf("similar to %s (cosine %.4f)", record_text(t, "reference", NULL),
               record_number(t, "score", NULL));
    } else {
        print_class(cJSON_IsTrue(record_item(t, "predicted", NULL)) ? "predicted" : "class", t);
    }
}

/* A method's details on one line: counts in full (17059, not 1.706e+04). */
static void print_details(const cJSON *details)
{
    const cJSON *d;
    int i = 0;
    cJSON_ArrayForEach(d, details) {
        printf(i++ ? ", " : "  ");
        if (cJSON_IsString(d))
            printf("%s %s", d->string, d->valuestring);
        else if (d->valuedouble == floor(d->valuedouble) && fabs(d->valuedouble) < 1e15)
            printf("%s %.0f", d->string, d->valuedouble);
        else
            printf("%s %.4g", d->string, d->valuedouble);
    }
    if (i)
        putchar('\n');
}

/* Element i of the array at j.a.b, or -1. */
static double element(const cJSON *j, const char *a, const char *b, int i)
{
    const cJSON *o = cJSON_GetArrayItem(record_item(j, a, b), i);
    return cJSON_IsNumber(o) ? o->valuedouble : -1;
}

void summary_print_text(const cJSON *j)
{
    const cJSON *target = record_item(j, "target", NULL);
    const cJSON *versus = record_item(j, "objective", "versus");
    const cJSON *map = record_item(j, "map", NULL), *top = record_item(map, "top", NULL);
    const char *objective = record_text(j, "objective", "of"), *method = record_text(j, "method", NULL);
    printf("%s: ", record_text(j, "image", "path"));
    print_target(target);
    putchar('\n');
    if (versus) {
        print_class("  versus", versus);
        printf(": %s difference %.4g\n", objective, record_number(j, "objective", "value"));
    } else if (*objective && strcmp(objective, "logit") != 0 &&
               strcmp(record_text(target, "kind", NULL), "class") == 0) {
        printf("  objective: %s %.4g\n", objective, record_number(j, "objective", "value"));
    }
    if (record_item(j, "layer", NULL))
        printf("  layer %s [%.0f, %.0f, %.0f]\n", record_text(j, "layer", "path"),
               element(j, "layer", "shape", 0), element(j, "layer", "shape", 1),
               element(j, "layer", "shape", 2));
    printf("  %s map %.0fx%.0f: min %.4g, max %.4g, mean %.4g; hottest %g%% centred at "
           "(%.1f, %.1f), box %.0fx%.0f at (%.0f, %.0f)\n",
           method, element(map, "shape", NULL, 1), element(map, "shape", NULL, 0),
           record_number(map, "min", NULL), record_number(map, "max", NULL), record_number(map, "mean", NULL),
           record_number(top, "fraction", NULL) * 100, record_number(top, "center_of_mass", "x"),
           record_number(top, "center_of_mass", "y"), record_number(top, "bbox", "width"),
           record_number(top, "bbox", "height"), record_number(top, "bbox", "x"),
           record_number(top, "bbox", "y"));
    /* how the pictures were coloured, where it is not the familiar low-to-high
     * of one image: a signed map, or a range shared with other images */
    const char *sign = record_text(map, "display", "sign"), *scale = record_text(map, "display", "scale");
    if (strcmp(sign, "signed") == 0 || (*scale && strcmp(scale, "image") != 0))
        printf("  drawn from %.4g to %.4g (sign %s, scale %s)\n", record_number(map, "display", "low"),
               record_number(map, "display", "high"), *sign ? sign : "none", scale);
    print_details(record_item(j, "details", NULL));
    const cJSON *o;
    cJSON_ArrayForEach(o, record_item(j, "outputs", NULL))
        printf("  wrote %s\n", cJSON_GetStringValue(o) ? o->valuestring : "");
}
