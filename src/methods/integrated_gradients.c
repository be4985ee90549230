/* integrated_gradients.c - `attrib integrated-gradients`: Sundararajan
 * et al. 2017, "Axiomatic Attribution for Deep Networks": (x - x') times the
 * gradient integrated along the straight path from the baseline x' to x. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "explain/method.h"
#include "heatmap.h"
#include "methods.h"
#include "quadrature.h"
#include "sampling.h"

#define DEFAULT_STEPS 50
#define MAX_STEPS 10000

#define MAX_DOUBLINGS 6 /* --max-error: at most 64 times --steps */

struct ig_params {
    struct sampling sampling;
    long steps;
    int quad;         /* enum quadrature */
    double max_error; /* > 0: double the steps until the relative error is within */
};
SAMPLING_FIRST(struct ig_params, sampling);

static const struct opt options[] = {
    OPT_INT(0, "steps", struct ig_params, steps, 1, MAX_STEPS, DEFAULT_STEPS, "N",
            "points on the path"),
    OPT_ENUM(0, "method", struct ig_params, quad, quadrature_names, QUAD_GAUSS_LEGENDRE,
             "quadrature: gauss-legendre, or riemann (right sum, k/N)"),
    { .kind = OPTK_REAL, .name = "max-error", .offset = OPT_FIELD(struct ig_params, max_error,
                                                                  double),
      .min = 1e-9, .max = 1, .metavar = "F", .default_text = "off",
      .help = "double the steps (up to 64 times) until the completeness error is within F of "
              "score(image) - score(baseline)" },
    BASELINE_OPTION(struct ig_params, sampling.baseline, "black"),
    SAMPLING_OPTIONS(struct ig_params, sampling, gradient),
    OPT_END,
};

/* Sum over the path nodes of weight * gradient at baseline + alpha (x - baseline),
 * into acc (3 x h x w, double). */
static int path_integral(struct explain_run *run, const float *x, const float *base, int h,
                         int w, int64_t target, int steps, const double *alpha,
                         const double *weight, double *acc)
{
    const size_t n = (size_t)3 * h * w;
    const int chunk = (int)METHOD_PARAMS(struct ig_params, run)->sampling.internal_batch;
    float *xs = malloc((size_t)chunk * n * sizeof *xs);
    int rc = xs ? EXIT_OK : fail(EXIT_INTERNAL, "out of memory");
    for (int first = 0; rc == EXIT_OK && first < steps; first += chunk) {
        int count = steps - first < chunk ? steps - first : chunk;
        for (int k = 0; k < count; k++)
            for (size_t j = 0; j < n; j++)
                xs[k * n + j] = (float)(base[j] + alpha[first + k] * (x[j] - base[j]));
        attrib_result *res = NULL;
        rc = sampling_pass(run, 1, xs, count, h, w, target, &res);
        if (rc == EXIT_OK) {
            const float *g = attrib_result_get(res, ATTRIB_OUT_INPUT_GRAD, 0, NULL, NULL);
            for (int k = 0; k < count; k++)
                for (size_t j = 0; j < n; j++)
                    acc[j] += weight[first + k] * g[k * n + j];
        }
        attrib_result_free(res);
        explain_passes(run, first + count, steps);
    }
    free(xs);
    return rc;
}

/* The baseline's score for target (one forward pass). */
static int baseline_score(struct explain_run *run, const float *base, int h, int w,
                          int64_t target, double *score)
{
    attrib_result *res = NULL;
    int rc = sampling_pass(run, 0, base, 1, h, w, target, &res);
    if (rc == EXIT_OK) {
        int64_t classes;
        const float *logits = result_logits(res, NULL, &classes);
        *score = explain_objective(run, logits, classes, target);
    }
    attrib_result_free(res);
    return rc;
}

/* Attributions of one image with m path points into a->chw; their sum. */
static int attribute(struct explain_run *run, const float *x, const float *base, int h, int w,
                     int64_t target, int m, struct attribution *a, double *total)
{
    const size_t n = (size_t)3 * h * w;
    double *alpha = malloc(m * sizeof *alpha), *weight = malloc(m * sizeof *weight);
    double *acc = calloc(n, sizeof *acc);
    int rc = alpha && weight && acc ? EXIT_OK : fail(EXIT_INTERNAL, "out of memory");
    if (rc == EXIT_OK) {
        quadrature_nodes(METHOD_PARAMS(struct ig_params, run)->quad, m, alpha, weight);
        rc = path_integral(run, x, base, h, w, target, m, alpha, weight, acc);
    }
    *total = 0;
    for (size_t j = 0; rc == EXIT_OK && j < n; j++) {
        a->chw[j] = (float)((x[j] - base[j]) * acc[j]);
        *total += (x[j] - base[j]) * acc[j];
    }
    free(alpha);
    free(weight);
    free(acc);
    return rc;
}

static int ig_image(struct explain_run *run, struct batch *b, int i, const float *x,
                    const float *base)
{
    const struct ig_params *p = METHOD_PARAMS(struct ig_params, run);
    struct attribution *a = &b->a[i];
    double score_base = 0, total = 0, err = 0;
    int m = (int)p->steps;
    int rc = baseline_score(run, base, b->h, b->w, explain_target(b, i), &score_base);
    const double delta = explain_target_score(run, b, i) - score_base;
    for (int doubling = 0; rc == EXIT_OK; doubling++, m *= 2) {
        rc = attribute(run, x, base, b->h, b->w, explain_target(b, i), m, a, &total);
        err = delta != 0 ? fabs(total - delta) / fabs(delta) : INFINITY;
        if (!(p->max_error > 0) || err <= p->max_error || doubling == MAX_DOUBLINGS)
            break;
    }
    if (rc)
        return rc;
    a->has_chw = 1;
    heatmap_channel_sum(a->chw, 3, b->h, b->w, a->map);
    explain_sign_map(run, a->map, (size_t)b->h * b->w);
    struct summary *s = &b->s[i];
    summary_detail_number(s, "steps", m);
    summary_detail_text(s, "quadrature", quadrature_name(p->quad));
    summary_detail_text(s, "baseline", baseline_name(&p->sampling.baseline));
    summary_detail_number(s, "internal_batch", (double)p->sampling.internal_batch);
    summary_detail_number(s, "baseline_score", score_base);
    summary_detail_number(s, "score_difference", delta);
    summary_detail_number(s, "attribution_sum", total);
    summary_detail_number(s, "completeness_error", fabs(total - delta));
    summary_detail_number(s, "completeness_relative_error", err);
    if (p->max_error > 0 && err > p->max_error) {
        s->warning = "--max-error not reached with 64 times --steps";
        report_warning(s->method, "%s: %s", s->image, s->warning);
    }
    return EXIT_OK;
}

static int integrated_gradients(struct explain_run *run, struct batch *b)
{
    return sampling_each_image(run, b, &METHOD_PARAMS(struct ig_params, run)->sampling,
                               ig_image);
}

const struct method method_integrated_gradients = {
    .name = "integrated-gradients",
    .many_passes = 1,
    .summary = "integrated gradients from a baseline (Sundararajan et al. 2017)",
    .synopsis =
        "attrib integrated-gradients IMAGE|DIR|-... [--class N] [--steps 50]\n"
        "                                   [--baseline black|zeros|blur|noise|FILE] [options]",
    .description =
        "Integrated gradients (Sundararajan et al. 2017): the gradient of the class score\n"
        "averaged along the straight path from a baseline to the image, times the\n"
        "difference image-baseline; the attributions add up to score(image) -\n"
        "score(baseline), and the summary reports how closely (\"completeness_error\").\n"
        "The path's points go through the network --internal-batch at a time. The\n"
        "map is the sum over colour channels (drawn as |sum| unless --sign says\n"
        "otherwise); --raw and --save-raw write the signed 3xHxW attributions. Writes NAME.integrated-gradients.png, .rgb.png,\n"
        ".overlay.png and .json.\n",
    .in_eval = 1,
    .signed_map = 1,
    .sign = SIGN_ABSOLUTE,
    .options = options,
    .prepare = sampling_method_prepare,
    .release = sampling_method_release,
    .compute = integrated_gradients,
};
