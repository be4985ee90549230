/* report.c - summary.json, summary.csv and index.html of a batch run. */
#include "report.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "fsutil.h"
#include "timer.h"


/* The journal is a file without a name (unlinked as soon as it is made) in
 * the output directory: it goes away with the process, however that ends,
 * and takes the output file system's space, not /tmp's. */
static int open_journal(struct report *r, const char *dir)
{
    char path[PATH_MAX];
    int rc = path_join(path, sizeof path, dir, ".attrib-records-XXXXXX");
    if (rc)
        return rc;
    int fd = mkstemp(path);
    if (fd < 0)
        return fail(EXIT_OUTPUT, "cannot write the report's records in '%s': %s", dir,
                    strerror(errno));
    unlink(path);
    r->journal = fdopen(fd, "w+b");
    if (!r->journal) {
        close(fd);
        return fail(EXIT_INTERNAL, "out of memory");
    }
    return EXIT_OK;
}

int report_init(struct report *r, const char *method, const struct model_info *model,
                long shard_k, long shard_n, const char *dir)
{
    *r = (struct report){ .t_start = now_ms() };
    r->root = summary_header(method, model);
    if (!r->root)
        return fail(EXIT_INTERNAL, "out of memory");
    if (shard_n) {
        char shard[48];
        snprintf(shard, sizeof shard, "%ld/%ld", shard_k, shard_n);
        cJSON_AddStringToObject(r->root, "shard", shard);
    }
    return open_journal(r, dir);
}

int report_init_from(struct report *r, const cJSON *header, const char *dir)
{
    *r = (struct report){ .t_start = now_ms() };
    r->root = cJSON_Duplicate(header, 1);
    if (!r->root)
        return fail(EXIT_INTERNAL, "out of memory");
    static const char *const drop[] = { "images", "shard", "totals" };
    for (size_t i = 0; i < sizeof drop / sizeof *drop; i++)
        cJSON_DeleteItemFromObjectCaseSensitive(r->root, drop[i]);
    return open_journal(r, dir);
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
    if (r->journal)
        fclose(r->journal);
    free(r->pos);
    free(r->line);
    *r = (struct report){ 0 };
}

int report_add_record(struct report *r, const cJSON *record)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 1024;
        struct record_pos *p = realloc(r->pos, cap * sizeof *p);
        if (!p)
            return fail(EXIT_INTERNAL, "out of memory");
        r->pos = p, r->cap = cap;
    }
    char *text = cJSON_PrintUnformatted(record);
    if (!text)
        return fail(EXIT_INTERNAL, "out of memory");
    if (fseeko(r->journal, 0, SEEK_END) != 0)
        return fail(EXIT_OUTPUT, "cannot write the report's records: %s", strerror(errno));
    r->pos[r->n] = (struct record_pos){ .index = (size_t)record_number(record, "index", NULL),
                                        .offset = ftello(r->journal) };
    int bad = fputs(text, r->journal) < 0 || fputc('\n', r->journal) == EOF;
    cJSON_free(text);
    if (bad)
        return fail(EXIT_OUTPUT, "cannot write the report's records: %s", strerror(errno));
    r->ok += strcmp(record_text(record, "status", NULL), "ok") == 0;
    r->n++;
    return EXIT_OK;
}

/* Record i's line into r->line, its newline dropped. */
static int read_line(struct report *r, size_t i)
{
    if (fflush(r->journal) != 0 || fseeko(r->journal, r->pos[i].offset, SEEK_SET) != 0 ||
        getline(&r->line, &r->line_cap, r->journal) < 1)
        return fail(EXIT_OUTPUT, "cannot read the report's records back: %s", strerror(errno));
    r->line[strcspn(r->line, "\n")] = '\0';
    return EXIT_OK;
}

cJSON *report_record(struct report *r, size_t i)
{
    if (read_line(r, i))
        return NULL;
    cJSON *o = cJSON_Parse(r->line);
    if (!o)
        fail(EXIT_INTERNAL, "the report's records are damaged");
    return o;
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
    while (n > 1 && dir[n - 1] == '/') /* -o out/ */
        n--;
    if (strncmp(path, dir, n) == 0 && path[n] == '/')
        return path + n + 1;
    if (strcmp(dir, ".") == 0 && strncmp(path, "./", 2) == 0)
        return path + 2;
    return path;
}

/* A copy of item (NULL stays NULL: cJSON's adders ignore it). */
static cJSON *copy(const cJSON *item)
{
    return item ? cJSON_Duplicate(item, 1) : NULL;
}

int report_add(struct report *r, size_t index, const char *name, const cJSON *summary,
               const char *out_dir)
{
    cJSON *o = record(index, cJSON_GetStringValue(record_item(summary, "image", "path")), name);
    if (!o)
        return fail(EXIT_INTERNAL, "out of memory");
    cJSON_AddStringToObject(o, "status", "ok");
    cJSON_AddItemToObject(o, "target", copy(record_item(summary, "target", NULL)));
    cJSON_AddItemToObject(o, "top1", copy(cJSON_GetArrayItem(record_item(summary, "top", NULL), 0)));
    const cJSON *map = record_item(summary, "map", NULL);
    const cJSON *com = record_item(record_item(map, "top", NULL), "center_of_mass", NULL);
    cJSON *m = cJSON_AddObjectToObject(o, "map");
    cJSON_AddNumberToObject(m, "max", record_number(map, "max", NULL));
    cJSON_AddNumberToObject(m, "mean", record_number(map, "mean", NULL));
    cJSON_AddNumberToObject(m, "center_x", record_number(com, "x_fraction", NULL));
    cJSON_AddNumberToObject(m, "center_y", record_number(com, "y_fraction", NULL));
    cJSON_AddNumberToObject(m, "display_low", record_number(map, "display", "low"));
    cJSON_AddNumberToObject(m, "display_high", record_number(map, "display", "high"));
    if (*record_text(summary, "layer", "path"))
        cJSON_AddStringToObject(o, "layer", record_text(summary, "layer", "path"));
    /* the photo's size and the part of it the model saw, so the sheet and
     * the gallery draw the map over the same place as the overlay */
    cJSON *photo = cJSON_AddObjectToObject(o, "photo");
    cJSON_AddNumberToObject(photo, "width", record_number(summary, "image", "width"));
    cJSON_AddNumberToObject(photo, "height", record_number(summary, "image", "height"));
    cJSON_AddItemToObject(photo, "region", copy(record_item(summary, "preprocessing", "region")));
    cJSON *out = cJSON_AddObjectToObject(o, "outputs");
    const cJSON *f;
    cJSON_ArrayForEach(f, record_item(summary, "outputs", NULL))
        if (cJSON_IsString(f) && (strcmp(f->string, "raw") != 0 || strstr(f->valuestring, out_dir)))
            cJSON_AddStringToObject(out, f->string, below(f->valuestring, out_dir));
    cJSON_AddNumberToObject(o, "pass_ms",
                            round(record_number(summary, "timings_ms", "forward_backward") * 1e3) / 1e3);
    int rc = report_add_record(r, o);
    cJSON_Delete(o);
    return rc;
}

int report_add_failure(struct report *r, size_t index, const char *path, const char *name,
                       const char *error)
{
    cJSON *o = record(index, path, name);
    cJSON_AddStringToObject(o, "status", "failed");
    cJSON_AddStringToObject(o, "error", error);
    int rc = o ? report_add_record(r, o) : fail(EXIT_INTERNAL, "out of memory");
    cJSON_Delete(o);
    return rc;
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

static const char *num_at(const cJSON *o, const char *a, const char *b, char *buf, size_t n)
{
    const cJSON *v = record_item(o, a, b);
    if (!cJSON_IsNumber(v))
        return "";
    snprintf(buf, n, "%.7g", v->valuedouble);
    return buf;
}

static int write_csv_row(struct report *r, const cJSON *o, void *ctx)
{
    (void)r;
    FILE *f = ctx;
    static const char *const header[] = {
        "image", "name", "status", "error", "target", "target_label", "target_probability",
        "top1", "top1_label", "top1_probability", "map_max", "map_mean", "center_x",
        "center_y", "heatmap", "overlay", "summary",
    };
    enum { NCOLS = sizeof header / sizeof header[0] };
    struct buffer b = { 0 };
    if (!o) {
        for (int i = 0; i < NCOLS; i++)
            csv_field(&b, header[i], i == NCOLS - 1);
    } else {
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
    int rc = b.failed ? fail(EXIT_INTERNAL, "out of memory") : EXIT_OK;
    if (rc == EXIT_OK)
        fwrite(b.data, 1, b.len, f); /* errors are the stream's, seen when it closes */
    buffer_free(&b);
    return rc;
}

static int by_position(const void *a, const void *b)
{
    const struct record_pos *x = a, *y = b;
    if (x->index != y->index)
        return (x->index > y->index) - (x->index < y->index);
    return (x->offset > y->offset) - (x->offset < y->offset);
}

/* Puts the records in input order (failures are recorded as they happen,
 * before the rest of their batch; shards interleave); an image recorded
 * twice (two reports of one image) is an error. */
static int sort_records(struct report *r)
{
    qsort(r->pos, r->n, sizeof *r->pos, by_position);
    for (size_t i = 1; i < r->n; i++)
        if (r->pos[i].index == r->pos[i - 1].index) {
            cJSON *o = report_record(r, i);
            int rc = o ? fail(EXIT_INPUT, "image '%s' is in more than one report",
                              record_text(o, "image", NULL))
                       : EXIT_INTERNAL;
            cJSON_Delete(o);
            return rc;
        }
    return EXIT_OK;
}

int report_each(struct report *r, report_record_fn fn, void *ctx)
{
    int rc = EXIT_OK;
    for (size_t i = 0; rc == EXIT_OK && i < r->n; i++) {
        cJSON *o = report_record(r, i);
        rc = o ? fn(r, o, ctx) : EXIT_INTERNAL;
        cJSON_Delete(o);
    }
    return rc;
}

static cJSON *totals_json(const struct report *r, double seconds)
{
    cJSON *t = cJSON_CreateObject();
    cJSON_AddNumberToObject(t, "images", (double)r->n);
    cJSON_AddNumberToObject(t, "ok", (double)r->ok);
    cJSON_AddNumberToObject(t, "failed", (double)(r->n - r->ok));
    cJSON_AddNumberToObject(t, "skipped", (double)r->skipped);
    if (r->cache_used) {
        cJSON *c = cJSON_AddObjectToObject(t, "cache");
        cJSON_AddNumberToObject(c, "hits", (double)r->cache_hits);
        cJSON_AddNumberToObject(c, "misses", (double)r->cache_misses);
    }
    cJSON_AddNumberToObject(t, "seconds", round(seconds * 1e3) / 1e3);
    cJSON_AddNumberToObject(t, "images_per_second",
                            seconds > 0 ? round((double)(r->ok - r->skipped) / seconds * 1e3) / 1e3 : 0);
    return t;
}

/* The header's fields, one per line, then the records, one per line as the
 * journal holds them (no parse: the largest file is the cheapest), then the
 * totals: the same JSON as a tree would print, written as it streams. */
static int write_json_body(struct report *r, FILE *f)
{
    fputs("{\n", f);
    const cJSON *c;
    cJSON_ArrayForEach(c, r->root) {
        if (strcmp(c->string, "totals") == 0)
            continue;
        char *text = cJSON_PrintUnformatted(c);
        fprintf(f, "  \"%s\": %s,\n", c->string, text ? text : "null");
        cJSON_free(text);
    }
    fputs("  \"images\": [", f);
    for (size_t i = 0; i < r->n; i++) {
        if (read_line(r, i))
            return EXIT_OUTPUT;
        fprintf(f, "%s\n    %s", i ? "," : "", r->line);
    }
    char *totals = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(r->root, "totals"));
    fprintf(f, "\n  ],\n  \"totals\": %s\n}\n", totals ? totals : "{}");
    cJSON_free(totals);
    return totals ? EXIT_OK : fail(EXIT_INTERNAL, "out of memory");
}

static int write_table(struct report *r, const char *dir, const char *name, int csv)
{
    char path[PATH_MAX];
    struct atomic_file a;
    int rc = path_join(path, sizeof path, dir, name);
    if (rc == EXIT_OK)
        rc = atomic_open(&a, path);
    if (rc)
        return rc;
    if (csv) {
        rc = write_csv_row(r, NULL, a.f);
        if (rc == EXIT_OK)
            rc = report_each(r, write_csv_row, a.f);
    } else {
        rc = write_json_body(r, a.f);
    }
    int rc2 = atomic_close(&a, rc == EXIT_OK);
    return rc ? rc : rc2;
}

int report_write(struct report *r, const char *dir, const char *base, double seconds)
{
    int rc = sort_records(r);
    cJSON *totals = rc ? NULL : totals_json(r, seconds);
    if (rc == EXIT_OK && !totals)
        rc = EXIT_INTERNAL;
    if (rc == EXIT_OK) {
        cJSON_DeleteItemFromObjectCaseSensitive(r->root, "totals");
        cJSON_AddItemToObject(r->root, "totals", totals);
    }
    char name[256];
    snprintf(name, sizeof name, "%s.json", base);
    if (rc == EXIT_OK)
        rc = write_table(r, dir, name, 0);
    snprintf(name, sizeof name, "%s.csv", base);
    if (rc == EXIT_OK)
        rc = write_table(r, dir, name, 1);
    return rc;
}
