/* robustness.c - the robust-accuracy report of `attrib fool --report`. */
#include "robustness.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "fsutil.h"

int robustness_add(struct robustness *r, const struct robust_item *it)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 64;
        struct robust_item *items = realloc(r->items, cap * sizeof *items);
        if (!items)
            return fail(EXIT_INTERNAL, "out of memory");
        r->items = items, r->cap = cap;
    }
    r->items[r->n++] = *it;
    return EXIT_OK;
}

void robustness_free(struct robustness *r)
{
    free(r->items);
    *r = (struct robustness){ 0 };
}

struct totals {
    size_t images, failed, correct, attacked, fooled, robust;
    double l2, linf, steps; /* medians over the fooled; -1: none fooled */
};

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of the fooled images' field (0: l2, 1: linf, 2: steps). */
static double median_of_fooled(const struct robustness *r, int field, double *scratch)
{
    size_t k = 0;
    for (size_t i = 0; i < r->n; i++) {
        const struct robust_item *it = &r->items[i];
        if (it->fooled)
            scratch[k++] = field == 0 ? it->l2 : field == 1 ? it->linf : (double)it->steps;
    }
    if (!k)
        return -1;
    qsort(scratch, k, sizeof *scratch, by_value);
    return k % 2 ? scratch[k / 2] : (scratch[k / 2 - 1] + scratch[k / 2]) / 2;
}

static int count(const struct robustness *r, struct totals *t)
{
    *t = (struct totals){ 0 };
    for (size_t i = 0; i < r->n; i++) {
        const struct robust_item *it = &r->items[i];
        if (it->failed) {
            t->failed++;
            continue;
        }
        t->images++;
        t->correct += it->clean == it->label;
        t->attacked += it->attacked;
        t->fooled += it->fooled;
        t->robust += it->clean == it->label && !it->fooled;
    }
    double *scratch = malloc((r->n ? r->n : 1) * sizeof *scratch);
    if (!scratch)
        return fail(EXIT_INTERNAL, "out of memory");
    t->l2 = median_of_fooled(r, 0, scratch);
    t->linf = median_of_fooled(r, 1, scratch);
    t->steps = median_of_fooled(r, 2, scratch);
    free(scratch);
    return EXIT_OK;
}

static double ratio(size_t a, size_t b)
{
    return b ? (double)a / (double)b : 0;
}

static cJSON *totals_json(const struct totals *t)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "images", (double)t->images);
    cJSON_AddNumberToObject(j, "failed", (double)t->failed);
    cJSON_AddNumberToObject(j, "clean_correct", (double)t->correct);
    cJSON_AddNumberToObject(j, "clean_accuracy", ratio(t->correct, t->images));
    cJSON_AddNumberToObject(j, "robust_correct", (double)t->robust);
    cJSON_AddNumberToObject(j, "robust_accuracy", ratio(t->robust, t->images));
    cJSON_AddNumberToObject(j, "attacked", (double)t->attacked);
    cJSON_AddNumberToObject(j, "fooled", (double)t->fooled);
    cJSON_AddNumberToObject(j, "attack_success_rate", ratio(t->fooled, t->attacked));
    cJSON *m = cJSON_AddObjectToObject(j, "median_of_fooled");
    if (t->fooled) {
        cJSON_AddNumberToObject(m, "l2", t->l2);
        cJSON_AddNumberToObject(m, "linf", t->linf);
        cJSON_AddNumberToObject(m, "steps", t->steps);
    }
    return j;
}

static cJSON *item_json(const struct robust_item *it, const struct input_list *in,
                        const struct card *card)
{
    char buf[64];
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "image", in->items[it->input].path);
    cJSON_AddStringToObject(j, "name", in->items[it->input].name);
    cJSON_AddBoolToObject(j, "failed", it->failed);
    if (it->failed)
        return j;
    cJSON_AddNumberToObject(j, "label", (double)it->label);
    cJSON_AddStringToObject(j, "label_name", card_label(card, it->label, buf, sizeof buf));
    cJSON_AddNumberToObject(j, "clean_prediction", (double)it->clean);
    cJSON_AddBoolToObject(j, "clean_correct", it->clean == it->label);
    cJSON_AddBoolToObject(j, "attacked", it->attacked);
    if (!it->attacked)
        return j;
    cJSON_AddNumberToObject(j, "adversarial_prediction", (double)it->adversarial);
    cJSON_AddBoolToObject(j, "fooled", it->fooled);
    cJSON_AddNumberToObject(j, "l2", it->l2);
    cJSON_AddNumberToObject(j, "linf", it->linf);
    cJSON_AddNumberToObject(j, "steps", (double)it->steps);
    return j;
}

static int write_json(const struct robustness *r, const struct input_list *in,
                      const struct card *card, const cJSON *settings, const struct totals *t,
                      const char *path)
{
    cJSON *j = cJSON_Duplicate(settings, 1);
    cJSON_AddItemToObject(j, "totals", totals_json(t));
    cJSON *items = cJSON_AddArrayToObject(j, "images");
    for (size_t i = 0; i < r->n; i++)
        cJSON_AddItemToArray(items, item_json(&r->items[i], in, card));
    char *text = cJSON_Print(j);
    int rc = text ? write_file_atomic(path, text, strlen(text)) : fail(EXIT_INTERNAL, "out of memory");
    cJSON_free(text);
    cJSON_Delete(j);
    return rc;
}

/* A CSV field: quoted when it holds a comma, quote or line break. */
static void csv_text(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static int write_csv(const struct robustness *r, const struct input_list *in, const char *path)
{
    struct atomic_file a;
    int rc = atomic_open(&a, path);
    if (rc)
        return rc;
    fputs("image,failed,label,clean_prediction,clean_correct,attacked,adversarial_prediction,"
          "fooled,l2,linf,steps\n", a.f);
    for (size_t i = 0; i < r->n; i++) {
        const struct robust_item *it = &r->items[i];
        csv_text(a.f, in->items[it->input].path);
        if (it->failed)
            fputs(",1,,,,,,,,,\n", a.f);
        else if (!it->attacked)
            fprintf(a.f, ",0,%ld,%ld,%d,0,,,,,\n", it->label, it->clean, it->clean == it->label);
        else
            fprintf(a.f, ",0,%ld,%ld,%d,1,%ld,%d,%.6g,%.6g,%ld\n", it->label, it->clean,
                    it->clean == it->label, it->adversarial, it->fooled, it->l2, it->linf,
                    it->steps);
    }
    return atomic_close(&a, 1);
}

static void print_table(FILE *out, const cJSON *settings, const struct totals *t,
                        const char *json, const char *csv)
{
    fprintf(out, "%s: %zu images", cJSON_GetStringValue(cJSON_GetObjectItem(settings, "title")),
            t->images);
    if (t->failed)
        fprintf(out, " (%zu failed, left out)", t->failed);
    fprintf(out, "\n  clean accuracy   %6zu/%-6zu %6.2f%%\n", t->correct, t->images,
            100 * ratio(t->correct, t->images));
    fprintf(out, "  robust accuracy  %6zu/%-6zu %6.2f%%\n", t->robust, t->images,
            100 * ratio(t->robust, t->images));
    fprintf(out, "  attack success   %6zu/%-6zu %6.2f%%  of the images attacked (correctly "
            "classified)\n", t->fooled, t->attacked, 100 * ratio(t->fooled, t->attacked));
    if (t->fooled)
        fprintf(out, "  median of the fooled: L2 %.4f, Linf %.4f (%.1f/255), %.0f steps\n",
                t->l2, t->linf, t->linf * 255, t->steps);
    fprintf(out, "  wrote %s\n  wrote %s\n", json, csv);
}

int robustness_write(const struct robustness *r, const struct input_list *in,
                     const struct card *card, const cJSON *settings, const char *dir,
                     enum robust_print print, FILE *out)
{
    char json[PATH_MAX], csv[PATH_MAX];
    struct totals t;
    int rc = path_join(json, sizeof json, dir, "robustness.json");
    if (rc == EXIT_OK)
        rc = path_join(csv, sizeof csv, dir, "robustness.csv");
    if (rc == EXIT_OK)
        rc = count(r, &t);
    if (rc == EXIT_OK)
        rc = write_json(r, in, card, settings, &t, json);
    if (rc == EXIT_OK)
        rc = write_csv(r, in, csv);
    if (rc == EXIT_OK && print == ROBUST_TABLE)
        print_table(out, settings, &t, json, csv);
    if (rc == EXIT_OK && print == ROBUST_JSON) {
        cJSON *j = cJSON_Duplicate(settings, 1);
        cJSON_AddItemToObject(j, "totals", totals_json(&t));
        char *line = cJSON_PrintUnformatted(j);
        if (line)
            fprintf(out, "%s\n", line);
        cJSON_free(line);
        cJSON_Delete(j);
        rc = line ? EXIT_OK : fail(EXIT_INTERNAL, "out of memory");
    }
    return rc;
}
