/* report.c - summary.json, summary.csv and index.html of a batch run. */
#include "report.h"

#include <math.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "fsutil.h"
#include "timer.h"

int report_init(struct report *r, const char *method, const struct model_info *model,
                long shard_k, long shard_n)
{
    r->t_start = now_ms();
    r->root = summary_header(method, model);
    if (shard_n) {
        char shard[48];
        snprintf(shard, sizeof shard, "%ld/%ld", shard_k, shard_n);
        cJSON_AddStringToObject(r->root, "shard", shard);
    }
    r->images = cJSON_AddArrayToObject(r->root, "images");
    return r->images ? EXIT_OK : fail(EXIT_INTERNAL, "out of memory");
}

void report_set_display(struct report *r, const char *cmap, const char *scale, const char *sign,
                        int have_range, double low, double high)
{
    cJSON *d = cJSON_AddObjectToObject(r->root, "display");
    cJSON_AddStringToObject(d, "cmap", cmap);
    cJSON_AddStringToObject(d, "scale", scale);
    if (sign)
        cJSON_AddStringToObject(d, "sign", sign);
    if (have_range) {
        cJSON_AddNumberToObject(d, "low", low);
        cJSON_AddNumberToObject(d, "high", high);
    }
}

void report_free(struct report *r)
{
    cJSON_Delete(r->root);
    r->root = r->images = NULL;
}

static cJSON *record(size_t index, const char *path, const char *name)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "index", (double)index);
    cJSON_AddStringToObject(o, "image", path);
    cJSON_AddStringToObject(o, "name", name);
    return o;
}

/* path relative to dir when it lies inside it, else as it is. */
static const char *below(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    if (strncmp(path, dir, n) == 0 && path[n] == '/')
        return path + n + 1;
    if (strcmp(dir, ".") == 0 && strncmp(path, "./", 2) == 0)
        return path + 2;
    return path;
}

int report_add(struct report *r, size_t index, const char *name, const struct summary *s,
               const char *out_dir)
{
    cJSON *o = record(index, s->image, name);
    cJSON_AddStringToObject(o, "status", "ok");
    cJSON_AddItemToObject(o, "target", class_score_json(&s->target));
    cJSON_AddItemToObject(o, "top1", class_score_json(&s->top[0]));
    cJSON *m = cJSON_AddObjectToObject(o, "map");
    cJSON_AddNumberToObject(m, "max", s->stats.max);
    cJSON_AddNumberToObject(m, "mean", s->stats.mean);
    cJSON_AddNumberToObject(m, "center_x", s->map_w ? (s->stats.com_x + 0.5) / s->map_w : 0);
    cJSON_AddNumberToObject(m, "center_y", s->map_h ? (s->stats.com_y + 0.5) / s->map_h : 0);
    cJSON_AddNumberToObject(m, "display_low", s->display_lo);
    cJSON_AddNumberToObject(m, "display_high", s->display_hi);
    if (s->layer)
        cJSON_AddStringToObject(o, "layer", s->layer);
    cJSON *out = cJSON_AddObjectToObject(o, "outputs");
    for (int i = 0; i < s->noutputs; i++)
        if (strcmp(s->outputs[i].kind, "raw") != 0 || strstr(s->outputs[i].path, out_dir))
            cJSON_AddStringToObject(out, s->outputs[i].kind, below(s->outputs[i].path, out_dir));
    cJSON_AddNumberToObject(o, "pass_ms", round(s->pass_ms * 1e3) / 1e3);
    cJSON_AddItemToArray(r->images, o);
    return EXIT_OK;
}

int report_add_failure(struct report *r, size_t index, const char *path, const char *name,
                       const char *error)
{
    cJSON *o = record(index, path, name);
    cJSON_AddStringToObject(o, "status", "failed");
    cJSON_AddStringToObject(o, "error", error);
    cJSON_AddItemToArray(r->images, o);
    return EXIT_OK;
}

static void csv_field(struct buffer *b, const char *s, int last)
{
    int quote = strpbrk(s, ",\"\n\r") != NULL;
    if (quote)
        buffer_append(b, "\"", 1);
    for (; *s; s++) {
        if (*s == '"')
            buffer_append(b, "\"", 1);
        buffer_append(b, s, 1);
    }
    if (quote)
        buffer_append(b, "\"", 1);
    buffer_append(b, last ? "\n" : ",", 1);
}

static const cJSON *record_item(const cJSON *o, const char *a, const char *b)
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

static const char *num_at(const cJSON *o, const char *a, const char *b, char *buf, size_t n)
{
    const cJSON *v = record_item(o, a, b);
    if (!cJSON_IsNumber(v))
        return "";
    snprintf(buf, n, "%.7g", v->valuedouble);
    return buf;
}

static int write_csv(const cJSON *images, const char *path)
{
    static const char *const header[] = {
        "image", "name", "status", "error", "target", "target_label", "target_probability",
        "top1", "top1_label", "top1_probability", "map_max", "map_mean", "center_x",
        "center_y", "heatmap", "overlay", "summary",
    };
    enum { NCOLS = sizeof header / sizeof header[0] };
    struct buffer b = { 0 };
    for (int i = 0; i < NCOLS; i++)
        csv_field(&b, header[i], i == NCOLS - 1);
    const cJSON *o;
    cJSON_ArrayForEach(o, images) {
        char n[8][32];
        const char *row[NCOLS] = {
            record_text(o, "image", NULL), record_text(o, "name", NULL), record_text(o, "status", NULL),
            record_text(o, "error", NULL), num_at(o, "target", "index", n[0], 32),
            record_text(o, "target", "label"), num_at(o, "target", "probability", n[1], 32),
            num_at(o, "top1", "index", n[2], 32), record_text(o, "top1", "label"),
            num_at(o, "top1", "probability", n[3], 32), num_at(o, "map", "max", n[4], 32),
            num_at(o, "map", "mean", n[5], 32), num_at(o, "map", "center_x", n[6], 32),
            num_at(o, "map", "center_y", n[7], 32), record_text(o, "outputs", "heatmap"),
            record_text(o, "outputs", "overlay"), record_text(o, "outputs", "summary"),
        };
        for (int i = 0; i < NCOLS; i++)
            csv_field(&b, row[i], i == NCOLS - 1);
    }
    int rc = b.failed ? fail(EXIT_INTERNAL, "out of memory") : write_file_atomic(path, b.data, b.len);
    buffer_free(&b);
    return rc;
}

static double index_of(const cJSON *o)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "index");
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static int by_index(const void *a, const void *b)
{
    double x = index_of(*(cJSON *const *)a), y = index_of(*(cJSON *const *)b);
    return (x > y) - (x < y);
}

/* Puts the records in input order (failures are recorded as they happen,
 * before the rest of their batch; shards interleave). */
static int sort_records(cJSON *images)
{
    int n = cJSON_GetArraySize(images);
    cJSON **items = malloc((size_t)(n ? n : 1) * sizeof *items);
    if (!items)
        return fail(EXIT_INTERNAL, "out of memory");
    for (int i = n - 1; i >= 0; i--)
        items[i] = cJSON_DetachItemFromArray(images, i);
    qsort(items, (size_t)n, sizeof *items, by_index);
    for (int i = 0; i < n; i++)
        cJSON_AddItemToArray(images, items[i]);
    free(items);
    return EXIT_OK;
}

int report_write_tables(cJSON *root, const char *dir, const char *base, double seconds)
{
    cJSON *images = cJSON_GetObjectItemCaseSensitive(root, "images");
    const cJSON *o;
    if (sort_records(images))
        return EXIT_INTERNAL;
    int ok = 0, failed = 0;
    cJSON_ArrayForEach(o, images) {
        if (strcmp(record_text(o, "status", NULL), "ok") == 0)
            ok++;
        else
            failed++;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(root, "totals");
    cJSON *t = cJSON_AddObjectToObject(root, "totals");
    cJSON_AddNumberToObject(t, "images", ok + failed);
    cJSON_AddNumberToObject(t, "ok", ok);
    cJSON_AddNumberToObject(t, "failed", failed);
    cJSON_AddNumberToObject(t, "seconds", round(seconds * 1e3) / 1e3);
    cJSON_AddNumberToObject(t, "images_per_second",
                            seconds > 0 ? round(ok / seconds * 1e3) / 1e3 : 0);
    char path[PATH_MAX], name[256];
    char *text = cJSON_Print(root);
    int rc = text ? EXIT_OK : fail(EXIT_INTERNAL, "out of memory");
    snprintf(name, sizeof name, "%s.json", base);
    if (rc == EXIT_OK && (rc = path_join(path, sizeof path, dir, name)) == EXIT_OK) {
        size_t n = strlen(text);
        text[n] = '\n';
        rc = write_file_atomic(path, text, n + 1);
    }
    cJSON_free(text);
    snprintf(name, sizeof name, "%s.csv", base);
    if (rc == EXIT_OK && (rc = path_join(path, sizeof path, dir, name)) == EXIT_OK)
        rc = write_csv(images, path);
    return rc;
}

int report_write(struct report *r, const char *dir, const char *base)
{
    int rc = report_write_tables(r->root, dir, base, (now_ms() - r->t_start) / 1e3);
    if (rc == EXIT_OK && strcmp(base, "summary") == 0)
        rc = report_write_html(r->root, dir);
    return rc;
}
