/* superpixels.c - SLIC segments, perturbed copies and their scores. */
#include "superpixels.h"

#include <math.h>
#include <stdlib.h>

#include "error.h"
#include "planes.h"
#include "slic.h"
#include "surrogate.h"

const struct opt superpixel_options[] = {
    OPT_INT(0, "segments", struct superpixel_params, segments, 2, SUPERPIXELS_MAX_SEGMENTS,
            SUPERPIXELS_DEFAULT_SEGMENTS, "N",
            "about how many SLIC superpixels the image is cut into (the features)"),
    OPT_REAL(0, "compactness", struct superpixel_params, compactness, 0.01, 1000,
             SLIC_DEFAULT_COMPACTNESS, "C",
             "SLIC's weight of position against colour (higher: squarer superpixels)"),
    OPT_INT(0, "samples", struct superpixel_params, samples, 1, SUPERPIXELS_MAX_SAMPLES,
            SUPERPIXELS_DEFAULT_SAMPLES, "N", "perturbed copies, one forward pass each"),
    BASELINE_OPTION(struct superpixel_params, sampling.baseline, "zeros"),
    SAMPLING_OPTIONS(struct superpixel_params, sampling, forward),
    OPT_END,
};

int superpixels_prepare(struct superpixel_params *p, struct explain_run *run)
{
    const struct card *c = &run->model.card;
    if (p->segments > (long)c->input_w * c->input_h)
        return fail(EXIT_USAGE, "--segments %ld is more than the model's input has pixels (%dx%d)",
                    p->segments, c->input_w, c->input_h);
    return sampling_prepare(&p->sampling, run);
}

int superpixels_segment(const struct superpixel_params *p, const struct explain_run *run,
                        const float *x, int h, int w, struct attribution *a, int *labels,
                        int *count)
{
    const size_t plane = (size_t)h * w;
    const struct card *c = &run->model.card;
    float *rgb = malloc(3 * plane * sizeof *rgb);
    free(a->segments);
    a->segments = malloc(plane * sizeof *a->segments);
    if (!rgb || !a->segments) {
        free(rgb);
        return fail(EXIT_INTERNAL, "out of memory");
    }
    denormalise_planes(x, rgb, h, w, c->mean, c->std);
    for (size_t j = 0; j < 3 * plane; j++) /* the pixels as the model saw them, in [0, 1] */
        rgb[j] = rgb[j] < 0 ? 0 : rgb[j] > 1 ? 1 : rgb[j];
    int rc = slic_segment(rgb, h, w, (int)p->segments, p->compactness, labels, count);
    for (size_t j = 0; rc == EXIT_OK && j < plane; j++)
        a->segments[j] = (float)labels[j];
    free(rgb);
    return rc;
}

int superpixels_scores(const struct superpixel_params *p, struct explain_run *run,
                       const float *x, const float *base, int h, int w, const int *labels,
                       int m, const unsigned char *z, int n, int64_t target, double *y,
                       double *cos_sim)
{
    const size_t plane = (size_t)h * w, size = 3 * plane;
    const int chunk = (int)p->sampling.internal_batch;
    float *xs = malloc((size_t)chunk * size * sizeof *xs);
    int rc = xs ? EXIT_OK : fail(EXIT_INTERNAL, "out of memory");
    double xx = 0;
    for (size_t j = 0; j < size; j++)
        xx += (double)x[j] * x[j];
    for (int first = 0; rc == EXIT_OK && first < n; first += chunk) {
        const int count = n - first < chunk ? n - first : chunk;
        for (int k = 0; k < count; k++) {
            const unsigned char *keep = z + (size_t)(first + k) * m;
            float *out = xs + (size_t)k * size;
            double xc = 0, cc = 0;
            for (int c = 0; c < 3; c++)
                for (size_t j = 0; j < plane; j++) {
                    size_t q = c * plane + j;
                    out[q] = keep[labels[j]] ? x[q] : base[q];
                    xc += (double)x[q] * out[q];
                    cc += (double)out[q] * out[q];
                }
            if (cos_sim)
                cos_sim[first + k] = xx > 0 && cc > 0 ? xc / sqrt(xx * cc) : 0;
        }
        attrib_result *res = NULL;
        rc = sampling_pass(run, 0, xs, count, h, w, target, &res);
        int64_t classes;
        const float *logits = rc == EXIT_OK ? result_logits(res, NULL, &classes) : NULL;
        for (int k = 0; rc == EXIT_OK && k < count; k++)
            y[first + k] = explain_objective(run, logits + k * classes, classes, target);
        attrib_result_free(res);
        explain_passes(run, first + count, n);
    }
    free(xs);
    return rc;
}

void superpixels_paint(const int *labels, size_t n, const double *coef, float *map)
{
    for (size_t j = 0; j < n; j++)
        map[j] = (float)coef[labels[j]];
}

/* One image's surrogate: segments, samples, scores, weights, fit, map. */
static int explain_one(struct explain_run *run, const struct superpixel_params *p,
                       const struct surrogate_kind *kind, const float *x, int h, int w,
                       int64_t target, struct attribution *a, struct summary *s)
{
    const size_t plane = (size_t)h * w, size = 3 * plane;
    const int n = (int)p->samples;
    int *labels = malloc(plane * sizeof *labels), m = 0;
    float *base = malloc(size * sizeof *base);
    double *y = malloc((size_t)n * sizeof *y), *cos_sim = malloc((size_t)n * sizeof *cos_sim);
    double *wt = malloc((size_t)n * sizeof *wt), *coef = NULL, intercept = 0;
    unsigned char *z = NULL;
    int rc = labels && base && y && cos_sim && wt ? EXIT_OK : fail(EXIT_INTERNAL, "out of memory");
    if (rc == EXIT_OK)
        rc = sampling_baseline(&p->sampling, run, x, base);
    if (rc == EXIT_OK)
        rc = superpixels_segment(p, run, x, h, w, a, labels, &m);
    if (rc == EXIT_OK && (!(z = malloc((size_t)n * m)) || !(coef = malloc((size_t)m * sizeof *coef))))
        rc = fail(EXIT_INTERNAL, "out of memory");
    if (rc == EXIT_OK) {
        struct rng r;
        rng_seed(&r, (uint64_t)p->sampling.seed);
        rc = kind->draw(&r, m, n, z);
        if (rc == EXIT_OK)
            rc = superpixels_scores(p, run, x, base, h, w, labels, m, z, n, target, y, cos_sim);
    }
    if (rc == EXIT_OK) {
        kind->weigh(run, z, cos_sim, n, m, wt);
        rc = kind->fit(run, z, y, wt, n, m, coef, &intercept);
    }
    if (rc == EXIT_OK) {
        superpixels_paint(labels, plane, coef, a->map);
        explain_sign_map(run, a->map, plane);
        summary_detail_number(s, "segments", m);
        summary_detail_number(s, "samples", n);
        summary_detail_text(s, "baseline", baseline_name(&p->sampling.baseline));
        summary_detail_number(s, "seed", (double)p->sampling.seed);
        summary_detail_number(s, "intercept", intercept);
        /* weights capped at 1: KernelSHAP's endpoints count as one sample each */
        for (int i = 0; i < n; i++)
            wt[i] = wt[i] < 1 ? wt[i] : 1;
        summary_detail_number(s, "fit_r2", surrogate_r2(z, y, wt, n, m, coef, intercept));
    }
    free(labels);
    free(base);
    free(y);
    free(cos_sim);
    free(wt);
    free(coef);
    free(z);
    return rc;
}

int superpixels_compute(struct explain_run *run, struct batch *b,
                        const struct superpixel_params *p, const struct surrogate_kind *kind)
{
    int rc = explain_reference_pass(run, b);
    const size_t size = (size_t)3 * b->h * b->w;
    for (int i = 0; rc == EXIT_OK && i < b->n; i++)
        rc = explain_one(run, p, kind, b->x + i * size, b->h, b->w, explain_target(b, i),
                         &b->a[i], &b->s[i]);
    return rc;
}

int superpixels_method_prepare(struct explain_run *run)
{
    return superpixels_prepare(METHOD_PARAMS(struct superpixel_params, run), run);
}
