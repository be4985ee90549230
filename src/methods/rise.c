/* rise.c - `attrib rise`: Petsiuk et al. 2018, "RISE: Randomized Input
 * Sampling for Explanation of Black-box Models": the class's probability on
 * copies of the image seen through random smooth masks, each mask weighted
 * by it; forward passes only, so it explains any model. */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "explain/method.h"
#include "methods.h"
#include "risemask.h"
#include "rng.h"
#include "sampling.h"

#define DEFAULT_MASKS 2000 /* chosen by eval's scores against time: docs/EVAL.md */
#define MAX_MASKS 1000000
#define DEFAULT_GRID 7     /* the paper's s for 224x224 inputs */
#define DEFAULT_KEEP 0.5   /* the paper's p1 */

struct rise_params {
    struct sampling sampling;
    long masks, grid;
    double keep;
};
SAMPLING_FIRST(struct rise_params, sampling);

static const struct opt options[] = {
    OPT_INT(0, "masks", struct rise_params, masks, 1, MAX_MASKS, DEFAULT_MASKS, "N",
            "random masks, one forward pass each"),
    OPT_INT(0, "grid", struct rise_params, grid, 2, RISE_MAX_GRID, DEFAULT_GRID, "S",
            "cells per side of a mask before upsampling (smaller: coarser masks)"),
    OPT_REAL(0, "keep", struct rise_params, keep, 0.01, 0.99, DEFAULT_KEEP, "P",
             "probability that a cell is kept (shows the image)"),
    BASELINE_OPTION(struct rise_params, sampling.baseline, "zeros"),
    SAMPLING_OPTIONS(struct rise_params, sampling, forward),
    OPT_END,
};

/* map = sum_i f(base + M_i (x - base)) M_i / (N keep), over the same masks
 * for every image (the generator restarts at --seed). */
static int rise_map(struct explain_run *run, const float *x, const float *base, int h, int w,
                    int64_t target, float *map)
{
    const struct rise_params *p = METHOD_PARAMS(struct rise_params, run);
    const size_t plane = (size_t)h * w, n = 3 * plane;
    const int chunk = (int)p->sampling.internal_batch;
    float *xs = malloc((size_t)chunk * n * sizeof *xs);
    float *masks = malloc((size_t)chunk * plane * sizeof *masks);
    double *sum = calloc(plane, sizeof *sum);
    int rc = xs && masks && sum ? EXIT_OK : fail(EXIT_INTERNAL, "out of memory");
    struct rng r;
    rng_seed(&r, (uint64_t)p->sampling.seed);
    for (long first = 0; rc == EXIT_OK && first < p->masks; first += chunk) {
        const int m = p->masks - first < chunk ? (int)(p->masks - first) : chunk;
        for (int k = 0; k < m; k++) {
            float *mask = masks + k * plane, *out = xs + k * n;
            rise_mask(&r, (int)p->grid, p->keep, h, w, mask);
            for (int c = 0; c < 3; c++)
                for (size_t j = 0; j < plane; j++)
                    out[c * plane + j] = base[c * plane + j] +
                                         mask[j] * (x[c * plane + j] - base[c * plane + j]);
        }
        attrib_result *res = NULL;
        rc = sampling_pass(run, 0, xs, m, h, w, target, &res);
        int64_t classes;
        const float *logits = rc == EXIT_OK ? result_logits(res, NULL, &classes) : NULL;
        for (int k = 0; rc == EXIT_OK && k < m; k++) {
            double score = explain_objective(run, logits + k * classes, classes, target);
            for (size_t j = 0; j < plane; j++)
                sum[j] += score * masks[k * plane + j];
        }
        attrib_result_free(res);
        explain_passes(run, first + m, p->masks);
    }
    for (size_t j = 0; rc == EXIT_OK && j < plane; j++)
        map[j] = (float)(sum[j] / ((double)p->masks * p->keep));
    free(xs);
    free(masks);
    free(sum);
    return rc;
}

static int rise_image(struct explain_run *run, struct batch *b, int i, const float *x,
                      const float *base)
{
    const struct rise_params *p = METHOD_PARAMS(struct rise_params, run);
    int rc = rise_map(run, x, base, b->h, b->w, explain_target(b, i), b->a[i].map);
    struct summary *s = &b->s[i];
    summary_detail_number(s, "masks", (double)p->masks);
    summary_detail_number(s, "grid", (double)p->grid);
    summary_detail_number(s, "keep", p->keep);
    summary_detail_text(s, "baseline", baseline_name(&p->sampling.baseline));
    summary_detail_number(s, "seed", (double)p->sampling.seed);
    summary_detail_number(s, "internal_batch", (double)p->sampling.internal_batch);
    return rc;
}

static int rise(struct explain_run *run, struct batch *b)
{
    return sampling_each_image(run, b, &METHOD_PARAMS(struct rise_params, run)->sampling,
                               rise_image);
}

const struct method method_rise = {
    .name = "rise",
    .many_passes = 1,
    .summary = "RISE: random masks weighted by the class's probability",
    .synopsis = "attrib rise IMAGE|DIR|-... [--class N] [--masks 2000] [--grid 7] [--keep 0.5]\n"
                "                   [--baseline zeros|black|blur|noise|FILE] [--seed N] [options]",
    .description =
        "RISE (Petsiuk et al. 2018): N random masks (a grid x grid pattern of cells kept\n"
        "with probability --keep, upsampled bilinearly with a random shift) each show\n"
        "part of the image over the baseline; the class's probability on each masked\n"
        "copy weighs its mask, and the map is their sum over N x keep: the expected\n"
        "probability when a pixel is seen. Forward passes only, so any model, and\n"
        "--internal-batch at a time; every image sees the same masks (--seed).\n"
        "Writes NAME.rise.png, .overlay.png and .json.\n",
    .objective = OBJECTIVE_PROBABILITY,
    .sign = SIGN_POSITIVE, /* an expected probability: no sign */
    .options = options,
    .prepare = sampling_method_prepare,
    .release = sampling_method_release,
    .compute = rise,
};
