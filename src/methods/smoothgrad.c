/* smoothgrad.c - `attrib smoothgrad`: Smilkov et al. 2017,
 * "SmoothGrad: removing noise by adding noise": the gradient averaged over
 * noisy copies of the image; also its squared form and VarGrad (Adebayo et
 * al. 2018), the variance of those gradients. */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "explain/method.h"
#include "heatmap.h"
#include "methods.h"
#include "rng.h"
#include "sampling.h"

#define DEFAULT_SAMPLES 50
#define MAX_SAMPLES 10000
#define DEFAULT_NOISE 0.15 /* the paper's recommended 10-20 % */
/* Every image draws the same standard normals (the generator is seeded
 * afresh per image), so up to this many bytes of them are drawn once per
 * run and kept: drawing costs ~2.4 ms per 224x224 copy, an eighth of its
 * pass (docs/BENCHMARKS.md). More samples than fit are drawn per chunk. */
#define NOISE_CACHE_MAX (64u << 20)

enum smooth_variant { SG_MEAN, SG_SQUARED, SG_VARGRAD };
static const char *const variant_names[] = { "smoothgrad", "squared", "vargrad", NULL };

struct sg_params {
    struct sampling sampling;
    long samples;
    double noise;
    int variant; /* enum smooth_variant */
    float *normals; /* samples x (3 h w) standard normals, or NULL (prepare) */
};

static const struct opt options[] = {
    OPT_INT(0, "samples", struct sg_params, samples, 1, MAX_SAMPLES, DEFAULT_SAMPLES, "N",
            "noisy copies"),
    OPT_REAL(0, "noise", struct sg_params, noise, 0, 10, DEFAULT_NOISE, "F",
             "noise standard deviation as a fraction of the input's range (max - min of the "
             "normalised image)"),
    OPT_ENUM(0, "variant", struct sg_params, variant, variant_names, SG_MEAN,
             "smoothgrad (the mean gradient), squared (mean of squares) or vargrad (variance)"),
    SAMPLING_OPTIONS(struct sg_params, sampling, gradient),
    OPT_END,
};

static int prepare(struct explain_run *run)
{
    struct sg_params *p = METHOD_PARAMS(struct sg_params, run);
    if (p->variant != SG_MEAN && run->opts.sign != SIGN_ABSOLUTE)
        return fail(EXIT_USAGE, "--sign %s: --variant %s maps are never negative (only the "
                    "mean gradient has a sign)", map_sign_names[run->opts.sign],
                    variant_names[p->variant]);
    const size_t n = (size_t)3 * run->model.card.input_h * run->model.card.input_w;
    p->normals = NULL;
    if ((size_t)p->samples * n * sizeof(float) <= NOISE_CACHE_MAX &&
        (p->normals = malloc((size_t)p->samples * n * sizeof(float)))) {
        struct rng r;
        rng_seed(&r, (uint64_t)p->sampling.seed);
        for (long k = 0; k < p->samples; k++)
            rng_normals(&r, p->normals + (size_t)k * n, n);
    }
    return sampling_prepare(&p->sampling, run);
}

static void release(struct explain_run *run)
{
    struct sg_params *p = METHOD_PARAMS(struct sg_params, run);
    free(p->normals);
    p->normals = NULL;
    sampling_release(&p->sampling);
}

/* Sums of the gradients and of their squares over the noisy copies of x.
 * The noise is drawn from a generator seeded afresh for every image, so an
 * image gets the same noise alone, in any batch and in any shard; copy k
 * takes the normals k n to (k + 1) n - 1 (rng_normals), whatever
 * --internal-batch is. */
static int noisy_gradients(struct explain_run *run, const float *x, int h, int w,
                           int64_t target, double sigma, double *sum, double *sum_sq)
{
    const size_t n = (size_t)3 * h * w;
    const struct sg_params *p = METHOD_PARAMS(struct sg_params, run);
    const int chunk = (int)p->sampling.internal_batch, samples = (int)p->samples;
    struct rng r;
    rng_seed(&r, (uint64_t)p->sampling.seed);
    float *xs = malloc((size_t)chunk * n * sizeof *xs);
    int rc = xs ? EXIT_OK : fail(EXIT_INTERNAL, "out of memory");
    for (int first = 0; rc == EXIT_OK && first < samples; first += chunk) {
        int count = samples - first < chunk ? samples - first : chunk;
        for (int k = 0; k < count; k++) {
            float *copy = xs + (size_t)k * n;
            const float *eps = p->normals ? p->normals + (size_t)(first + k) * n : copy;
            if (!p->normals)
                rng_normals(&r, copy, n);
            for (size_t j = 0; j < n; j++)
                copy[j] = (float)(x[j] + sigma * eps[j]);
        }
        attrib_result *res = NULL;
        rc = sampling_pass(run, 1, xs, count, h, w, target, &res);
        if (rc == EXIT_OK) {
            const float *g = attrib_result_get(res, ATTRIB_OUT_INPUT_GRAD, 0, NULL, NULL);
            for (int k = 0; k < count; k++, g += n)
                for (size_t j = 0; j < n; j++) {
                    sum[j] += g[j];
                    sum_sq[j] += (double)g[j] * g[j];
                }
        }
        attrib_result_free(res);
        explain_passes(run, first + count, samples);
    }
    free(xs);
    return rc;
}

static int smoothgrad(struct explain_run *run, struct batch *b)
{
    const struct sg_params *p = METHOD_PARAMS(struct sg_params, run);
    int rc = explain_reference_pass(run, b);
    if (rc)
        return rc;
    const size_t n = (size_t)3 * b->h * b->w;
    double *sum = malloc(n * sizeof *sum), *sum_sq = malloc(n * sizeof *sum_sq);
    if (!sum || !sum_sq)
        rc = fail(EXIT_INTERNAL, "out of memory");
    for (int i = 0; rc == EXIT_OK && i < b->n; i++) {
        const float *x = b->x + i * n;
        float lo = x[0], hi = x[0];
        for (size_t j = 1; j < n; j++) {
            lo = x[j] < lo ? x[j] : lo;
            hi = x[j] > hi ? x[j] : hi;
        }
        /* the noise level is a fraction of the input's range (the paper's sigma / (max - min)) */
        double sigma = p->noise * ((double)hi - lo);
        memset(sum, 0, n * sizeof *sum);
        memset(sum_sq, 0, n * sizeof *sum_sq);
        rc = noisy_gradients(run, x, b->h, b->w, explain_target(b, i), sigma, sum, sum_sq);
        if (rc)
            break;
        struct attribution *a = &b->a[i];
        const double m = (double)p->samples;
        for (size_t j = 0; j < n; j++) {
            double mean = sum[j] / m, mean_sq = sum_sq[j] / m;
            a->chw[j] = (float)(p->variant == SG_MEAN      ? mean
                                : p->variant == SG_SQUARED ? mean_sq
                                                               : mean_sq - mean * mean);
        }
        a->has_chw = p->variant == SG_MEAN; /* the others are not signed gradients */
        heatmap_channel_max_magnitude(a->chw, 3, b->h, b->w, a->map);
        explain_sign_map(run, a->map, (size_t)b->h * b->w);
        struct summary *s = &b->s[i];
        summary_detail_text(s, "variant", variant_names[p->variant]);
        summary_detail_number(s, "samples", (double)p->samples);
        summary_detail_number(s, "noise", p->noise);
        summary_detail_number(s, "sigma", sigma);
        summary_detail_number(s, "seed", (double)p->sampling.seed);
        summary_detail_number(s, "internal_batch", (double)p->sampling.internal_batch);
    }
    free(sum);
    free(sum_sq);
    return rc;
}

const struct method method_smoothgrad = {
    .name = "smoothgrad",
    .many_passes = 1,
    .summary = "gradient averaged over noisy copies (Smilkov et al. 2017)",
    .synopsis =
        "attrib smoothgrad IMAGE|DIR|-... [--class N] [--samples 50] [--noise 0.15]\n"
        "                         [--variant smoothgrad|squared|vargrad] [options]",
    .description =
        "SmoothGrad (Smilkov et al. 2017): the gradient of the class score averaged over\n"
        "noisy copies of the image (Gaussian noise, standard deviation --noise times the\n"
        "input's range), |max over colour channels| as in saliency (--sign keeps the\n"
        "sign of that channel's mean gradient). --variant squared\n"
        "averages the squared gradients, vargrad takes their variance (Adebayo et al.\n"
        "2018). Seeded: the same --seed and --threads give the same files. Writes\n"
        "NAME.smoothgrad.png, .overlay.png and .json (and .rgb.png for the mean).\n",
    .in_eval = 1,
    .signed_map = 1,
    .sign = SIGN_ABSOLUTE,
    .options = options,
    .prepare = prepare,
    .release = release,
    .compute = smoothgrad,
};
