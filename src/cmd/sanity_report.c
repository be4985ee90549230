/* sanity_report.c - attrib sanity's files: per image its JSON (every
 * method's similarity at every step), a chart of similarity against the
 * blocks re-drawn and a strip of the maps, its text; then the run's
 * summary, mean and SD per method and step. */
#include "sanity_report.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canvas.h"
#include "error.h"
#include "fsutil.h"
#include "plot.h"
#include "png.h"
#include "summary.h"

const char *const sanity_metric_names[] = { "spearman_abs", "spearman", "ssim", NULL };

static cJSON *number_or_null(double v)
{
    return isfinite(v) ? cJSON_CreateNumber(round(v * 1e6) / 1e6) : cJSON_CreateNull();
}

static cJSON *sim_json(const struct sim *v, const char *block)
{
    cJSON *o = cJSON_CreateObject();
    if (block)
        cJSON_AddStringToObject(o, "randomized", block);
    for (int m = 0; m < METRICS; m++)
        cJSON_AddItemToObject(o, sanity_metric_names[m], number_or_null(v->v[m]));
    return o;
}

static cJSON *sanity_json(const struct sanity *s)
{
    struct model_info mi = model_info(&s->model);
    cJSON *j = summary_header("sanity", &mi);
    cJSON_AddNumberToObject(j, "seed", (double)s->o.seed);
    cJSON_AddStringToObject(j, "randomization",
                            "each parameter tensor re-drawn from a Gaussian with its own mean and "
                            "standard deviation, block by block from the logits down");
    cJSON_AddStringToObject(j, "compared",
                            "signed maps (CAMs before their ReLU); spearman_abs: of |map|; "
                            "ssim: of |map| / its 99th percentile, clipped to 1");
    cJSON *b = cJSON_AddArrayToObject(j, "blocks"); /* in the order they are re-drawn */
    for (int k = 0; k < s->nblocks; k++)
        cJSON_AddItemToArray(b, cJSON_CreateString(s->blocks[sanity_block_at(s, k)]));
    return j;
}

int sanity_check_step(const struct sanity *s)
{
    return s->o.check_blocks && s->o.check_blocks < s->nblocks ? (int)s->o.check_blocks
                                                                : s->nblocks;
}

/* The value --max-similarity judges. */
static double final_value(const struct sanity *s, const struct image_result *r, int k)
{
    return r->cascade[(size_t)k * s->nblocks + sanity_check_step(s) - 1].v[s->o.metric];
}

static int checked(const struct sanity *s)
{
    return !isnan(s->o.max_similarity);
}

static int above(const struct sanity *s, double v)
{
    return checked(s) && isfinite(v) && v > s->o.max_similarity;
}

/* The chart: similarity against the number of blocks re-drawn, a panel
 * per metric, a curve per method (the paper's Figure 4). */
static int write_chart(const struct sanity *s, const char *path, const char *title,
                       double *const *series)
{
    /* "abs": the bitmap font draws '|' like 'l' */
    static const char *const titles[METRICS] = { "rank correlation of abs(map)",
                                                 "rank correlation (signed)", "SSIM of abs(map)" };
    const int points = s->nblocks + 1;
    struct plot_panel panels[METRICS];
    const double *y[METRICS][METHOD_LIST_MAX];
    char x_label[96];
    snprintf(x_label, sizeof x_label, "blocks re-drawn from the logits down (of %d)", s->nblocks);
    for (int m = 0; m < METRICS; m++) {
        for (int k = 0; k < s->ml.n; k++)
            y[m][k] = series[m * s->ml.n + k];
        panels[m] = (struct plot_panel){ .title = titles[m], .x_label = x_label, .y = y[m],
                                         .points = points, .x_min = 0, .x_max = s->nblocks,
                                         .y_label = "similarity to the trained model's map",
                                         .y_min = -1, .y_max = 1 };
    }
    return plot_write(path, title, panels, METRICS, s->ml.names, s->ml.n);
}

/* The strip: a row per method, the trained model's map then each
 * cascading step's. */
static int write_strip(const struct sanity *s, struct image_result *r, const char *path)
{
    static const unsigned char white[3] = { 255, 255, 255 }, black[3] = { 0, 0, 0 };
    const int cols = s->nblocks + 1, cell = THUMB + THUMB_GAP;
    struct canvas c;
    if (canvas_create(&c, STRIP_LABEL_W + cols * cell, STRIP_HEAD_H + s->ml.n * cell, white))
        return fail(EXIT_INTERNAL, "out of memory for the strip");
    for (int j = 0; j < cols; j++)
        canvas_text(&c, STRIP_LABEL_W + j * cell, 3, j ? s->blocks[sanity_block_at(s, j - 1)] : "trained",
                    THUMB, black);
    for (int k = 0; k < s->ml.n; k++) {
        int y = STRIP_HEAD_H + k * cell;
        canvas_text(&c, 4, y + THUMB / 2 - 4, s->ml.names[k], STRIP_LABEL_W - 8, black);
        for (int j = 0; j < cols; j++) {
            const unsigned char *t = sanity_tile_at(s, r, k, j);
            for (int row = 0; row < THUMB; row++)
                memcpy(c.px + 3 * ((size_t)(y + row) * c.w + STRIP_LABEL_W + j * cell),
                       t + (size_t)row * THUMB * 3, THUMB * 3);
        }
    }
    int rc = png_write(path, c.w, c.h, 3, c.px);
    canvas_free(&c);
    return rc;
}

static void add_stats(struct sanity *s, int k, int col, const struct sim *v)
{
    size_t at = (size_t)k * sanity_columns(s) + col;
    for (int m = 0; m < METRICS; m++)
        if (isfinite(v->v[m])) { /* a constant map has no rank correlation */
            s->sum[at][m] += v->v[m];
            s->sum_sq[at][m] += v->v[m] * v->v[m];
            s->count[at][m]++;
        }
}

static void print_image(const struct sanity *s, const struct image_result *r)
{
    char what[PATH_MAX + 96];
    targets_score_line(&s->o.target_opts.spec, &r->cls, s->o.target >= 0 ? "class" : "predicted",
                       what, sizeof what, 4);
    printf("%s: %s\n", r->it->path, what);
    printf("  similarity to the trained model's map with all %d blocks re-drawn (rank "
           "correlation of |map|, of the signed map; SSIM of |map|):\n", s->nblocks);
    int wd = method_list_width(&s->ml, 16);
    /* the columns are named as --metric names them */
    printf("  %-*s %13s %9s %8s", wd, "method", sanity_metric_names[METRIC_SPEARMAN_ABS],
           sanity_metric_names[METRIC_SPEARMAN], sanity_metric_names[METRIC_SSIM]);
    if (s->o.random_logit)
        printf("   class %ld instead: spearman_abs", r->other);
    printf("\n");
    for (int k = 0; k < s->ml.n; k++) {
        const struct sim *v = &r->cascade[(size_t)k * s->nblocks + s->nblocks - 1];
        printf("  %-*s %13.4f %9.4f %8.4f", wd, s->ml.names[k], v->v[METRIC_SPEARMAN_ABS],
               v->v[METRIC_SPEARMAN], v->v[METRIC_SSIM]);
        if (s->o.random_logit)
            printf("   %32.4f", r->random[k].v[METRIC_SPEARMAN_ABS]);
        if (above(s, final_value(s, r, k)))
            printf("  %s %.4f > --max-similarity after %s", sanity_metric_names[s->o.metric],
                   final_value(s, r, k), s->blocks[sanity_block_at(s, sanity_check_step(s) - 1)]);
        printf("\n");
    }
}

/* NAME.sanity.json, .png (chart) and .strip.png of one image. */
int sanity_write_image(struct sanity *s, struct image_result *r)
{
    char json_path[PATH_MAX], png_path[PATH_MAX], strip_path[PATH_MAX];
    const char *name = r->it->name;
    int rc = output_path(s->o.out_dir, name, ".sanity.json", json_path, sizeof json_path);
    if (rc == EXIT_OK)
        rc = output_path(s->o.out_dir, name, ".sanity.png", png_path, sizeof png_path);
    if (rc == EXIT_OK)
        rc = output_path(s->o.out_dir, name, ".sanity.strip.png", strip_path, sizeof strip_path);
    if (rc)
        return rc;
    const int points = s->nblocks + 1;
    double *series = malloc((size_t)METRICS * s->ml.n * points * sizeof *series);
    double *rows[METRICS * METHOD_LIST_MAX];
    if (!series)
        return fail(EXIT_INTERNAL, "out of memory");
    cJSON *j = sanity_json(s);
    cJSON_AddStringToObject(j, "image", r->it->path);
    cJSON_AddItemToObject(j, "target", targets_score_json(&s->o.target_opts.spec, &r->cls));
    cJSON *ms = cJSON_AddObjectToObject(j, "methods");
    cJSON *failed = cJSON_CreateArray();
    for (int k = 0; k < s->ml.n; k++) {
        cJSON *m = cJSON_AddObjectToObject(ms, s->ml.names[k]);
        cJSON *cas = cJSON_AddArrayToObject(m, "cascading");
        for (int mt = 0; mt < METRICS; mt++) {
            rows[mt * s->ml.n + k] = series + ((size_t)mt * s->ml.n + k) * points;
            rows[mt * s->ml.n + k][0] = 1.0; /* a map is itself */
        }
        for (int b = 0; b < s->nblocks; b++) {
            const struct sim *v = &r->cascade[(size_t)k * s->nblocks + b];
            cJSON_AddItemToArray(cas, sim_json(v, s->blocks[sanity_block_at(s, b)]));
            for (int mt = 0; mt < METRICS; mt++)
                rows[mt * s->ml.n + k][b + 1] = v->v[mt];
            add_stats(s, k, b, v);
        }
        if (s->o.independent) {
            cJSON *ind = cJSON_AddArrayToObject(m, "independent");
            for (int b = 0; b < s->nblocks; b++) {
                const struct sim *v = &r->independent[(size_t)k * s->nblocks + b];
                cJSON_AddItemToArray(ind, sim_json(v, s->blocks[sanity_block_at(s, b)]));
                add_stats(s, k, s->nblocks + b, v);
            }
        }
        if (s->o.random_logit) {
            cJSON *rl = sim_json(&r->random[k], NULL);
            cJSON_AddNumberToObject(rl, "class", (double)r->other);
            cJSON_AddItemToObject(m, "random_logit", rl);
            add_stats(s, k, 2 * s->nblocks, &r->random[k]);
        }
        if (above(s, final_value(s, r, k))) {
            cJSON_AddItemToArray(failed, cJSON_CreateString(s->ml.names[k]));
            s->failed_check++;
        }
    }
    if (checked(s)) {
        cJSON *ck = cJSON_AddObjectToObject(j, "check");
        cJSON_AddStringToObject(ck, "metric", sanity_metric_names[s->o.metric]);
        cJSON_AddNumberToObject(ck, "max_similarity", s->o.max_similarity);
        cJSON_AddNumberToObject(ck, "blocks", sanity_check_step(s));
        cJSON_AddStringToObject(ck, "after", s->blocks[sanity_block_at(s, sanity_check_step(s) - 1)]);
        cJSON_AddItemToObject(ck, "above", failed);
    } else {
        cJSON_Delete(failed);
    }
    cJSON *out = cJSON_AddObjectToObject(j, "outputs");
    cJSON_AddStringToObject(out, "summary", json_path);
    cJSON_AddStringToObject(out, "chart", png_path);
    cJSON_AddStringToObject(out, "strip", strip_path);
    char title[2 * PATH_MAX + 128], what[PATH_MAX + 96];
    if (s->beyond)
        targets_score_line(&s->o.target_opts.spec, &r->cls, "class", what, sizeof what, 3);
    else
        snprintf(what, sizeof what, "class %ld \"%s\"", r->cls.index, r->cls.label);
    snprintf(title, sizeof title, "%s: %s, cascading randomisation", r->it->path, what);
    rc = write_chart(s, png_path, title, rows);
    if (rc == EXIT_OK)
        rc = write_strip(s, r, strip_path);
    if (rc == EXIT_OK)
        rc = summary_emit(j, json_path, s->o.json);
    cJSON_Delete(j);
    free(series);
    if (rc == EXIT_OK && !s->o.json && !s->o.quiet) {
        print_image(s, r);
        printf("  wrote %s\n  wrote %s\n  wrote %s\n", json_path, png_path, strip_path);
    }
    return rc;
}

/* ---- the run ----------------------------------------------------------- */

/* sanity-summary.json and .png: mean and SD per method and step. */
int sanity_write_summary(struct sanity *s)
{
    char json_path[PATH_MAX], png_path[PATH_MAX];
    int rc = path_join(json_path, sizeof json_path, s->o.out_dir, "sanity-summary.json");
    if (rc == EXIT_OK)
        rc = path_join(png_path, sizeof png_path, s->o.out_dir, "sanity-summary.png");
    if (rc)
        return rc;
    const int points = s->nblocks + 1, cols = sanity_columns(s);
    double *series = malloc((size_t)METRICS * s->ml.n * points * sizeof *series);
    double *rows[METRICS * METHOD_LIST_MAX];
    if (!series)
        return fail(EXIT_INTERNAL, "out of memory");
    cJSON *j = sanity_json(s);
    cJSON_AddNumberToObject(j, "images", (double)s->images_ok);
    cJSON *ms = cJSON_AddObjectToObject(j, "methods");
    static const char *const parts[3] = { "cascading", "independent", "random_logit" };
    for (int k = 0; k < s->ml.n; k++) {
        cJSON *m = cJSON_AddObjectToObject(ms, s->ml.names[k]);
        cJSON *arr[3] = { cJSON_AddArrayToObject(m, parts[0]), NULL, NULL };
        if (s->o.independent)
            arr[1] = cJSON_AddArrayToObject(m, parts[1]);
        for (int mt = 0; mt < METRICS; mt++) {
            rows[mt * s->ml.n + k] = series + ((size_t)mt * s->ml.n + k) * points;
            rows[mt * s->ml.n + k][0] = 1.0;
        }
        for (int col = 0; col < cols; col++) {
            int part = col < s->nblocks ? 0 : col < 2 * s->nblocks ? 1 : 2;
            if ((part == 1 && !s->o.independent) || (part == 2 && !s->o.random_logit))
                continue;
            size_t at = (size_t)k * cols + col;
            cJSON *o = cJSON_CreateObject();
            if (part < 2)
                cJSON_AddStringToObject(o, "randomized", s->blocks[sanity_block_at(s, col % s->nblocks)]);
            for (int mt = 0; mt < METRICS; mt++) {
                size_t n = s->count[at][mt];
                double mean = n ? s->sum[at][mt] / n : NAN;
                double var = n > 1 ? (s->sum_sq[at][mt] - n * mean * mean) / (n - 1) : 0;
                char key[32];
                snprintf(key, sizeof key, "%s_mean", sanity_metric_names[mt]);
                cJSON_AddItemToObject(o, key, number_or_null(mean));
                snprintf(key, sizeof key, "%s_sd", sanity_metric_names[mt]);
                cJSON_AddItemToObject(o, key, number_or_null(var > 0 ? sqrt(var) : 0));
                if (part == 0)
                    rows[mt * s->ml.n + k][col + 1] = mean;
            }
            if (part == 2)
                cJSON_AddItemToObject(m, parts[2], o);
            else
                cJSON_AddItemToArray(arr[part], o);
        }
    }
    char title[160];
    snprintf(title, sizeof title, "%zu images: mean similarity, cascading randomisation",
             s->images_ok);
    rc = write_chart(s, png_path, title, rows);
    if (rc == EXIT_OK)
        rc = summary_emit(j, json_path, 0);
    if (rc == EXIT_OK && !s->o.json && !s->o.quiet)
        printf("%zu images: wrote %s\n  wrote %s\n", s->images_ok, json_path, png_path);
    cJSON_Delete(j);
    free(series);
    return rc;
}
