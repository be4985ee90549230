/* compare.c - map metrics: scaled differences, correlations, top-k IoU. */
#include "compare.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include <cJSON.h>

#include "error.h"
#include "fsutil.h"
#include "heatmap.h"
#include "mapfile.h"
#include "similarity.h"
#include "verdicts.h"


const struct opt tolerance_options[] = {
    TOLERANCE_ROWS(0.01, 0.001, 0.99, 0.99, 0.9, NULL),
    OPT_END,
};

const struct opt compare_options[] = {
    OPT_FLAG(0, "json", struct compare_opts, json, "one JSON object with every pair"),
    OPT_FLAG('q', "quiet", struct compare_opts, quiet, "list only the pairs that fail"),
    OPT_GROUP("Tolerances", struct compare_opts, t, tolerance_options),
    OPT_END,
};

void tolerances_default(struct tolerances *t)
{
    opts_defaults(tolerance_options, t);
}

static double pearson(const double *a, const double *b, size_t n)
{
    double ma = 0, mb = 0, sab = 0, saa = 0, sbb = 0;
    for (size_t i = 0; i < n; i++)
        ma += a[i], mb += b[i];
    ma /= n, mb /= n;
    for (size_t i = 0; i < n; i++) {
        sab += (a[i] - ma) * (b[i] - mb);
        saa += (a[i] - ma) * (a[i] - ma);
        sbb += (b[i] - mb) * (b[i] - mb);
    }
    if (saa == 0 && sbb == 0)
        return 1; /* two flat maps agree */
    if (saa == 0 || sbb == 0)
        return 0;
    return sab / sqrt(saa * sbb);
}

int map_compare(const float *a, const float *b, size_t n, double top_percent, struct map_diff *d)
{
    memset(d, 0, sizeof *d);
    double scale = 0, sum = 0;
    for (size_t i = 0; i < n; i++)
        if (fabs(a[i]) > scale)
            scale = fabs(a[i]);
    if (scale == 0)
        scale = 1;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)a[i] - b[i]) / scale;
        sum += e;
        if (e > d->max_abs || isnan(e))
            d->max_abs = isnan(e) ? INFINITY : e;
    }
    d->mean_abs = n ? sum / n : 0;
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    int rc = x && y ? EXIT_OK : fail(EXIT_INTERNAL, "out of memory");
    if (rc == EXIT_OK) {
        for (size_t i = 0; i < n; i++)
            x[i] = a[i], y[i] = b[i];
        d->pearson = pearson(x, y, n);
        if (similarity_ranks(a, n, x) || similarity_ranks(b, n, y))
            rc = fail(EXIT_INTERNAL, "out of memory");
        else
            d->spearman = pearson(x, y, n);
    }
    float ta, tb;
    if (rc == EXIT_OK && !(rc = heatmap_top_threshold(a, n, top_percent / 100, &ta)) &&
        !(rc = heatmap_top_threshold(b, n, top_percent / 100, &tb))) {
        size_t both = 0, either = 0;
        for (size_t i = 0; i < n; i++) {
            int ia = a[i] >= ta, ib = b[i] >= tb;
            both += ia && ib;
            either += ia || ib;
        }
        d->iou = either ? (double)both / either : 1;
    }
    free(x);
    free(y);
    return rc;
}

int map_within(const struct map_diff *d, const struct tolerances *t, char *why, size_t size)
{
    if (!(d->max_abs <= t->max_abs))
        snprintf(why, size, "max abs diff %.3g > %.3g", d->max_abs, t->max_abs);
    else if (!(d->mean_abs <= t->mean_abs))
        snprintf(why, size, "mean abs diff %.3g > %.3g", d->mean_abs, t->mean_abs);
    else if (!(d->pearson >= t->min_pearson))
        snprintf(why, size, "pearson %.4f < %.4f", d->pearson, t->min_pearson);
    else if (!(d->spearman >= t->min_spearman))
        snprintf(why, size, "spearman %.4f < %.4f", d->spearman, t->min_spearman);
    else if (!(d->iou >= t->min_iou))
        snprintf(why, size, "top-%g%% IoU %.3f < %.3f", t->top_percent, d->iou, t->min_iou);
    else
        return 1;
    return 0;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* --- Pairing files and reporting, for `attrib compare` and `golden check`. */

struct pair_list {
    char **rel; /* paths relative to the golden root */
    size_t n, cap;
};

static int is_map_file(const char *name, int npy)
{
    if (npy)
        return ends_with(name, ".npy");
    return ends_with(name, ".png") && !ends_with(name, ".overlay.png") &&
           !ends_with(name, ".rgb.png") && !ends_with(name, ".diff.png") &&
           !ends_with(name, ".original.png") && strstr(name, ".") != strrchr(name, '.');
}

static int list_maps(const char *root, const char *rel, int npy, struct pair_list *l)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s%s%s", root, *rel ? "/" : "", rel);
    DIR *d = opendir(dir);
    if (!d)
        return fail(EXIT_INPUT, "cannot read directory '%s'", dir);
    int rc = EXIT_OK;
    for (struct dirent *e; rc == EXIT_OK && (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        char sub[PATH_MAX], full[PATH_MAX];
        struct stat st;
        if (snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", e->d_name) >= (int)sizeof sub ||
            snprintf(full, sizeof full, "%s/%s", root, sub) >= (int)sizeof full || stat(full, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            rc = list_maps(root, sub, npy, l);
        } else if (is_map_file(e->d_name, npy)) {
            if (l->n == l->cap) {
                l->cap = l->cap ? 2 * l->cap : 64;
                char **p = realloc(l->rel, l->cap * sizeof *p);
                if (!p) {
                    rc = fail(EXIT_INTERNAL, "out of memory");
                    break;
                }
                l->rel = p;
            }
            if (!(l->rel[l->n++] = strdup(sub)))
                rc = fail(EXIT_INTERNAL, "out of memory");
        }
    }
    closedir(d);
    return rc;
}

static int by_string(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_list(struct pair_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->rel[i]);
    free(l->rel);
}

static cJSON *diff_json(const char *name, const struct map_diff *d, int ok, const char *why)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "file", name);
    cJSON_AddBoolToObject(o, "ok", ok);
    if (d) {
        cJSON_AddNumberToObject(o, "max_abs", d->max_abs);
        cJSON_AddNumberToObject(o, "mean_abs", d->mean_abs);
        cJSON_AddNumberToObject(o, "pearson", d->pearson);
        cJSON_AddNumberToObject(o, "spearman", d->spearman);
        cJSON_AddNumberToObject(o, "iou", d->iou);
    }
    if (!ok)
        cJSON_AddStringToObject(o, "why", why);
    return o;
}

/* Compares one pair; adds its record to out; returns 1 if it passed,
 * 0 if not, or -code on an error that is not about the maps. */
static int compare_pair(const char *a_path, const char *b_path, const char *name,
                        const struct tolerances *t, cJSON *out)
{
    float *a = NULL, *b = NULL;
    size_t na, nb;
    char why[160] = "";
    struct map_diff d;
    int rc = map_read(a_path, &a, &na), ok = 0, measured = 0;
    if (rc == EXIT_OK)
        rc = map_read(b_path, &b, &nb);
    if (rc == EXIT_OK && na != nb)
        snprintf(why, sizeof why, "%zu values against %zu in the golden", nb, na);
    else if (rc == EXIT_OK && (rc = map_compare(a, b, na, t->top_percent, &d)) == EXIT_OK)
        ok = map_within(&d, t, why, sizeof why), measured = 1;
    if (rc == EXIT_INPUT) { /* unreadable: that pair fails */
        snprintf(why, sizeof why, "%s", error_message());
        clear_error();
        rc = EXIT_OK;
    }
    if (rc == EXIT_OK)
        cJSON_AddItemToArray(out, diff_json(name, measured ? &d : NULL, ok, why));
    free(a);
    free(b);
    return rc ? -rc : ok;
}

/* The pairs of two map files: one record. */
static int pair_files(const char *golden, const char *fresh, const struct tolerances *t,
                      cJSON *pairs)
{
    int r = compare_pair(golden, fresh, fresh, t, pairs);
    return r < 0 ? -r : EXIT_OK;
}

/* The pairs of two directories, by relative path: a record per map on
 * either side (those on one side only fail). */
static int pair_dirs(const char *golden, const char *fresh, const struct tolerances *t,
                     cJSON *pairs)
{
    struct pair_list ga = { 0 }, nb = { 0 };
    int npy = 1;
    int rc = list_maps(golden, "", 1, &ga);
    if (rc == EXIT_OK && ga.n == 0) { /* no raw maps: compare heatmap PNGs */
        npy = 0;
        rc = list_maps(golden, "", 0, &ga);
    }
    if (rc == EXIT_OK)
        rc = list_maps(fresh, "", npy, &nb);
    if (rc == EXIT_OK && ga.n == 0)
        rc = fail(EXIT_INPUT, "no maps (.npy or heatmap .png) in '%s'", golden);
    if (ga.n) /* qsort and bsearch on NULL are undefined, even for 0 items */
        qsort(ga.rel, ga.n, sizeof *ga.rel, by_string);
    if (nb.n)
        qsort(nb.rel, nb.n, sizeof *nb.rel, by_string);
    for (size_t i = 0; rc == EXIT_OK && i < ga.n; i++) {
        char pa[PATH_MAX], pb[PATH_MAX];
        if (snprintf(pa, sizeof pa, "%s/%s", golden, ga.rel[i]) >= (int)sizeof pa ||
            snprintf(pb, sizeof pb, "%s/%s", fresh, ga.rel[i]) >= (int)sizeof pb) {
            rc = fail(EXIT_INPUT, "path too long: '%s'", ga.rel[i]);
            break;
        }
        if (!nb.n || !bsearch(&ga.rel[i], nb.rel, nb.n, sizeof *nb.rel, by_string)) {
            cJSON_AddItemToArray(pairs, diff_json(ga.rel[i], NULL, 0, "missing from the new run"));
            continue;
        }
        int r = compare_pair(pa, pb, ga.rel[i], t, pairs);
        if (r < 0)
            rc = -r;
    }
    for (size_t i = 0; rc == EXIT_OK && i < nb.n; i++)
        if (!ga.n || !bsearch(&nb.rel[i], ga.rel, ga.n, sizeof *ga.rel, by_string))
            cJSON_AddItemToArray(pairs, diff_json(nb.rel[i], NULL, 0, "not in the golden set"));
    free_list(&ga);
    free_list(&nb);
    return rc;
}

int compare_collect(const char *golden, const char *fresh, const struct tolerances *t,
                    cJSON *pairs)
{
    struct stat sa, sb;
    if (stat(golden, &sa) != 0)
        return fail(EXIT_INPUT, "cannot open '%s': %s", golden, strerror(errno));
    if (stat(fresh, &sb) != 0)
        return fail(EXIT_INPUT, "cannot open '%s': %s", fresh, strerror(errno));
    if (S_ISDIR(sa.st_mode) != S_ISDIR(sb.st_mode))
        return fail(EXIT_USAGE, "compare two files or two directories, not one of each");
    return S_ISDIR(sa.st_mode) ? pair_dirs(golden, fresh, t, pairs)
                               : pair_files(golden, fresh, t, pairs);
}

int compare_paths(const char *golden, const char *fresh, const struct tolerances *t, int json,
                  int quiet)
{
    cJSON *pairs = cJSON_CreateArray();
    if (!pairs)
        return fail(EXIT_INTERNAL, "out of memory");
    int rc = compare_collect(golden, fresh, t, pairs), passed, failed;
    verdicts_count(pairs, &passed, &failed);
    if (rc == EXIT_OK && json)
        verdicts_print_json(pairs);
    else if (rc == EXIT_OK)
        verdicts_print(pairs, VERDICT_TEXT, quiet, NULL);
    cJSON_Delete(pairs);
    if (rc)
        return rc;
    return failed ? EXIT_INPUT : EXIT_OK;
}
