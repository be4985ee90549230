/* goldvalues.c - the numbers a golden of predict, eval or sanity keeps. */
#include "goldvalues.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* The leaves each command's golden keeps, by their last name; "index" and
 * "class" are class indices, compared exactly. */
static const struct {
    const char *cmd;
    const char *const leaves[12];
} kept[] = {
    { "predict", { "index", "probability", NULL } },
    { "eval", { "index", "deletion_auc", "insertion_auc", "pointing_hit", "energy", "mass",
                "rank", "iou", NULL } },
    { "sanity", { "index", "class", "spearman_abs", "spearman", "ssim", NULL } },
};

static const char *const *leaves_of(const char *cmd)
{
    for (size_t i = 0; i < sizeof kept / sizeof *kept; i++)
        if (strcmp(kept[i].cmd, cmd) == 0)
            return kept[i].leaves;
    return NULL;
}

int goldvalues_command(const char *cmd)
{
    return leaves_of(cmd) != NULL;
}

static int is_index(const char *name)
{
    const char *last = strrchr(name, '.');
    last = last ? last + 1 : name;
    return strcmp(last, "index") == 0 || strcmp(last, "class") == 0;
}

static int wanted(const char *key, const char *const *leaves)
{
    for (; *leaves; leaves++)
        if (strcmp(key, *leaves) == 0)
            return 1;
    return 0;
}

/* Every kept numeric leaf below o, named by its path ("top.0.index"). */
static void flatten(const cJSON *o, const char *path, const char *const *leaves, cJSON *out)
{
    const cJSON *it;
    int i = 0;
    cJSON_ArrayForEach(it, o) {
        char name[256];
        if (it->string)
            snprintf(name, sizeof name, "%s%s%s", path, *path ? "." : "", it->string);
        else
            snprintf(name, sizeof name, "%s%s%d", path, *path ? "." : "", i);
        i++;
        if (cJSON_IsObject(it) || cJSON_IsArray(it))
            flatten(it, name, leaves, out);
        else if (cJSON_IsNumber(it) && it->string && wanted(it->string, leaves))
            cJSON_AddNumberToObject(out, name, it->valuedouble);
    }
}

int goldvalues_collect(const char *cmd, const char *text, cJSON **out)
{
    const char *const *leaves = leaves_of(cmd);
    *out = cJSON_CreateObject();
    if (!leaves || !*out)
        return fail(EXIT_INTERNAL, "no values are kept of '%s'", cmd);
    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len) {
            cJSON *j = cJSON_ParseWithLength(line, len);
            const char *image = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "image"));
            if (!image) {
                cJSON_Delete(j);
                return fail(EXIT_INPUT, "'attrib %s --json' printed a line that is not an "
                            "image's result", cmd);
            }
            cJSON *v = cJSON_CreateObject();
            flatten(j, "", leaves, v);
            cJSON_DeleteItemFromObjectCaseSensitive(*out, image); /* the last line wins */
            cJSON_AddItemToObject(*out, image, v);
            cJSON_Delete(j);
        }
        line = end ? end + 1 : NULL;
    }
    return EXIT_OK;
}

static cJSON *record(const char *image, int ok, const char *why)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "file", image);
    cJSON_AddBoolToObject(o, "ok", ok);
    if (!ok)
        cJSON_AddStringToObject(o, "why", why);
    return o;
}

/* One image: the first value that is missing, differs (an index) or is
 * furthest beyond tol; else the furthest of all. */
static cJSON *compare_image(const char *image, const cJSON *g, const cJSON *n, double tol)
{
    const cJSON *it;
    char why[320] = "";
    double worst = -1, gv = 0, nv = 0;
    cJSON_ArrayForEach(it, g) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(n, it->string);
        if (!cJSON_IsNumber(v)) {
            snprintf(why, sizeof why, "%s is missing from the new run", it->string);
            return record(image, 0, why);
        }
        double d = fabs(v->valuedouble - it->valuedouble);
        if (is_index(it->string) && d != 0) {
            snprintf(why, sizeof why, "%s is %.0f, golden %.0f", it->string, v->valuedouble,
                     it->valuedouble);
            cJSON *r = record(image, 0, why);
            cJSON_AddNumberToObject(r, "golden", it->valuedouble);
            cJSON_AddNumberToObject(r, "new", v->valuedouble);
            return r;
        }
        if (d > worst || isnan(d)) {
            worst = isnan(d) ? INFINITY : d;
            gv = it->valuedouble, nv = v->valuedouble;
            snprintf(why, sizeof why, "%s differs by %.3g > %.3g", it->string, d, tol);
        }
    }
    int ok = worst <= tol;
    cJSON *r = record(image, ok, why);
    if (worst >= 0) {
        cJSON_AddNumberToObject(r, "golden", gv);
        cJSON_AddNumberToObject(r, "new", nv);
        cJSON_AddNumberToObject(r, "max_diff", worst);
    }
    return r;
}

void goldvalues_compare(const cJSON *golden, const cJSON *fresh, double tol, cJSON *pairs)
{
    const cJSON *g;
    cJSON_ArrayForEach(g, golden) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(fresh, g->string);
        cJSON_AddItemToArray(pairs, n ? compare_image(g->string, g, n, tol)
                                      : record(g->string, 0, "missing from the new run"));
    }
    cJSON_ArrayForEach(g, fresh)
        if (!cJSON_GetObjectItemCaseSensitive(golden, g->string))
            cJSON_AddItemToArray(pairs, record(g->string, 0, "not in the golden set"));
}
