/* compare.h - how alike two attribution maps are: the metrics of
 * `attrib compare` and `attrib golden check`. Pure C. */
#ifndef ATTRIB_COMPARE_H
#define ATTRIB_COMPARE_H

#include "mapfile.h"

#include <stddef.h>

#include "options.h"

struct map_diff {
    double max_abs;  /* max |a - b| / max |a| (golden a's scale) */
    double mean_abs; /* mean |a - b| / max |a| */
    double pearson, spearman;
    double iou;      /* of the top_percent hottest pixels of each */
};

struct tolerances {
    double max_abs, mean_abs, min_pearson, min_spearman, min_iou, top_percent;
};

/* --max-abs, --mean-abs, --min-pearson, --min-spearman, --min-iou, --top
 * as rows with the given defaults (text: shown instead of the numbers,
 * NULL for the numbers): compare's and golden check's tables. */
#define TOLERANCE_ROWS(d_max, d_mean, d_pearson, d_spearman, d_iou, text)                      \
    { .kind = OPTK_REAL, .name = "max-abs", .offset = OPT_FIELD(struct tolerances, max_abs,     \
                                                                double),                        \
      .min = 0, .max = 1e9, .def = d_max, .metavar = "X", .default_text = text,               \
      .help = "largest |golden - new| / max |golden|" },                                       \
    { .kind = OPTK_REAL, .name = "mean-abs", .offset = OPT_FIELD(struct tolerances, mean_abs,   \
                                                                 double),                       \
      .min = 0, .max = 1e9, .def = d_mean, .metavar = "X", .default_text = text,              \
      .help = "mean of the same" },                                                            \
    { .kind = OPTK_REAL, .name = "min-pearson",                                                 \
      .offset = OPT_FIELD(struct tolerances, min_pearson, double), .min = -1, .max = 1,        \
      .def = d_pearson, .metavar = "R", .default_text = text,                                  \
      .help = "smallest Pearson correlation" },                                                \
    { .kind = OPTK_REAL, .name = "min-spearman",                                                \
      .offset = OPT_FIELD(struct tolerances, min_spearman, double), .min = -1, .max = 1,       \
      .def = d_spearman, .metavar = "R", .default_text = text,                                 \
      .help = "smallest Spearman rank correlation" },                                          \
    { .kind = OPTK_REAL, .name = "min-iou", .offset = OPT_FIELD(struct tolerances, min_iou,     \
                                                                double),                        \
      .min = 0, .max = 1, .def = d_iou, .metavar = "R", .default_text = text,                 \
      .help = "smallest IoU of the top --top % pixels" },                                      \
    OPT_REAL(0, "top", struct tolerances, top_percent, 0.01, 100, 5, "PCT",                    \
             "the hottest PCT % for the IoU")

/* compare's: 0.01, 0.001, 0.99, 0.99, 0.9, 5 %. */
extern const struct opt tolerance_options[];

void tolerances_default(struct tolerances *t);

/* What `attrib compare` and `attrib golden check` both take: --json, -q
 * and the tolerances (compare_options). */
struct compare_opts {
    struct tolerances t;
    int json, quiet;
};
extern const struct opt compare_options[];

/* Metrics of b against golden a (n values each). EXIT_OK or EXIT_INTERNAL. */
int map_compare(const float *a, const float *b, size_t n, double top_percent, struct map_diff *d);

/* 1 when d is within t; else 0 and the first failing metric is described in
 * why ("pearson 0.41 < 0.99"). */
int map_within(const struct map_diff *d, const struct tolerances *t, char *why, size_t size);

/* The records of compare_paths without printing them: into pairs (a cJSON
 * array) {"file", "ok", "why", the metrics}. EXIT_OK, or an error that is
 * not about the maps. */
struct cJSON;
int compare_collect(const char *golden, const char *fresh, const struct tolerances *t,
                    struct cJSON *pairs);

/* Compares two map files, or every map in two directories (paired by
 * relative path: .npy files, or heatmap PNGs when the golden directory has
 * no .npy), printing a line per pair and "N passed, M failed" (or one JSON
 * object with json). EXIT_OK when all pass, EXIT_INPUT (1) when any pair
 * fails or is missing on either side, another code on errors. */
int compare_paths(const char *golden, const char *fresh, const struct tolerances *t, int json,
                  int quiet);

#endif
