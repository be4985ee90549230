/* compare.h - how alike two attribution maps are: the metrics of
 * `attrib compare` and `attrib golden check`. Pure C. */
#ifndef ATTRIB_COMPARE_H
#define ATTRIB_COMPARE_H

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

/* --max-abs, --mean-abs, --min-pearson, --min-spearman, --min-iou, --top:
 * the options of `attrib compare` and `attrib golden check`, with the
 * defaults (0.01, 0.001, 0.99, 0.99, 0.9, 5 %). */
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

/* Reads a map: .npy (float32, little-endian, C order), a PNG or other image
 * (its grey level in [0, 1]), or anything else as raw float32. *values is
 * malloc'd. EXIT_OK or EXIT_INPUT. */
int map_read(const char *path, float **values, size_t *n);

/* Compares two map files, or every map in two directories (paired by
 * relative path: .npy files, or heatmap PNGs when the golden directory has
 * no .npy), printing a line per pair and "N passed, M failed" (or one JSON
 * object with json). EXIT_OK when all pass, EXIT_INPUT (1) when any pair
 * fails or is missing on either side, another code on errors. */
int compare_paths(const char *golden, const char *fresh, const struct tolerances *t, int json,
                  int quiet);

#endif
