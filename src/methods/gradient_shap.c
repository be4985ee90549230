/* gradient_shap.c - `attrib gradient-shap`: GradientSHAP (Lundberg &
 * Lee 2017's expected gradients, as Captum defines GradientShap): the
 * gradient at a random point between a baseline drawn from a set and the
 * (optionally noisy) image, times the image minus that baseline, averaged
 * over samples. Its attributions add up, in expectation, to the score's
 * difference between the image and the baselines. */
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
#define MAX_BASELINES 8

struct gshap_params {
    struct sampling sampling;
    long samples;
    double stdev;
    const char *baselines; /* comma-separated baseline keywords */
};
SAMPLING_FIRST(struct gshap_params, sampling);

static const struct opt options[] = {
    OPT_INT(0, "samples", struct gshap_params, samples, 1, MAX_SAMPLES, DEFAULT_SAMPLES, "N",
            "random (baseline, point on the path) pairs, one forward+backward pass each"),
    OPT_REAL(0, "stdev", struct gshap_params, stdev, 0, 10, 0, "S",
             "standard deviation of Gaussian noise added to the normalised image per sample "
             "(Captum's stdevs)"),
    { .kind = OPTK_LIST, .name = "baselines",
      .offset = OPT_FIELD(struct gshap_params, baselines, const char *), .words = baseline_words,
      .def_str = "black,noise", .metavar = "LIST",
      .help = "the baselines each sample draws one of, uniformly: black, zeros (the mean "
              "colour), blur (the image blurred), noise (uniform random pixels, --seed)" },
    SAMPLING_OPTIONS(struct gshap_params, sampling, gradient),
    OPT_END,
};

static int prepare(struct explain_run *run)
{
    struct gshap_params *p = METHOD_PARAMS(struct gshap_params, run);
    int count = 1;
    for (const char *c = p->baselines; *c; c++)
        count += *c == ',';
    if (count > MAX_BASELINES)
        return fail(EXIT_USAGE, "--baselines: at most %d baselines, got %d", MAX_BASELINES,
                    count);
    return sampling_prepare(&p->sampling, run);
}

/* The listed baselines for input x into bases [k][n]; their count. */
static int make_baselines(struct explain_run *run, const float *x, float *bases, int *k)
{
    const struct gshap_params *p = METHOD_PARAMS(struct gshap_params, run);
    const struct card *c = &run->model.card;
    const size_t n = (size_t)3 * c->input_h * c->input_w;
    char list[256];
    snprintf(list, sizeof list, "%s", p->baselines);
    *k = 0;
    int rc = EXIT_OK;
    for (char *save = NULL, *w = strtok_r(list, ",", &save); rc == EXIT_OK && w;
         w = strtok_r(NULL, ",", &save)) {
        struct baseline b; /* at most MAX_BASELINES: prepare checked */
        baseline_parse(w, &b);
        rc = baseline_make(&b, x, c->input_h, c->input_w, c->mean, c->std,
                           (uint64_t)p->sampling.seed, bases + (size_t)(*k)++ * n);
    }
    return rc;
}

/* Sum over the samples of grad(b + a (x' - b)) (x' - b), x' = x + stdev e.
 * The generator restarts at --seed for every image; sample k draws, in
 * order, the baseline's index, a, and (with --stdev) 3 h w normals. */
static int expected_gradients(struct explain_run *run, const float *x, const float *bases,
                              int k, int h, int w, int64_t target, double *sum)
{
    const struct gshap_params *p = METHOD_PARAMS(struct gshap_params, run);
    const size_t n = (size_t)3 * h * w;
    const int chunk = (int)p->sampling.internal_batch, samples = (int)p->samples;
    float *xs = malloc((size_t)chunk * n * sizeof *xs), *diff = malloc((size_t)chunk * n * sizeof *diff);
    int rc = xs && diff ? EXIT_OK : fail(EXIT_INTERNAL, "out of memory");
    struct rng r;
    rng_seed(&r, (uint64_t)p->sampling.seed);
    for (int first = 0; rc == EXIT_OK && first < samples; first += chunk) {
        const int count = samples - first < chunk ? samples - first : chunk;
        for (int s = 0; s < count; s++) {
            const float *b = bases + (size_t)(int)(rng_uniform(&r) * k) * n;
            const double a = rng_uniform(&r);
            float *point = xs + (size_t)s * n, *d = diff + (size_t)s * n;
            if (p->stdev > 0)
                rng_normals(&r, d, n); /* the noise, then x' - b over it */
            for (size_t j = 0; j < n; j++) {
                float noisy = p->stdev > 0 ? (float)(x[j] + p->stdev * d[j]) : x[j];
                d[j] = noisy - b[j];
                point[j] = (float)(b[j] + a * d[j]);
            }
        }
        attrib_result *res = NULL;
        rc = sampling_pass(run, 1, xs, count, h, w, target, &res);
        const float *g =
            rc == EXIT_OK ? attrib_result_get(res, ATTRIB_OUT_INPUT_GRAD, 0, NULL, NULL) : NULL;
        for (size_t j = 0; rc == EXIT_OK && j < (size_t)count * n; j++)
            sum[j % n] += (double)g[j] * diff[j];
        attrib_result_free(res);
        explain_passes(run, first + count, samples);
    }
    free(xs);
    free(diff);
    return rc;
}

static int gradient_shap(struct explain_run *run, struct batch *b)
{
    const struct gshap_params *p = METHOD_PARAMS(struct gshap_params, run);
    int rc = explain_reference_pass(run, b);
    if (rc)
        return rc;
    const size_t n = (size_t)3 * b->h * b->w;
    float *bases = malloc(MAX_BASELINES * n * sizeof *bases);
    double *sum = malloc(n * sizeof *sum);
    if (!bases || !sum)
        rc = fail(EXIT_INTERNAL, "out of memory");
    for (int i = 0; rc == EXIT_OK && i < b->n; i++) {
        const float *x = b->x + i * n;
        int k = 0;
        memset(sum, 0, n * sizeof *sum);
        rc = make_baselines(run, x, bases, &k);
        if (rc == EXIT_OK)
            rc = expected_gradients(run, x, bases, k, b->h, b->w, explain_target(b, i), sum);
        if (rc)
            break;
        struct attribution *a = &b->a[i];
        double total = 0;
        for (size_t j = 0; j < n; j++) {
            a->chw[j] = (float)(sum[j] / (double)p->samples);
            total += a->chw[j];
        }
        a->has_chw = 1;
        heatmap_channel_sum(a->chw, 3, b->h, b->w, a->map);
        explain_sign_map(run, a->map, (size_t)b->h * b->w);
        struct summary *s = &b->s[i];
        summary_detail_number(s, "samples", (double)p->samples);
        summary_detail_number(s, "stdev", p->stdev);
        summary_detail_text(s, "baselines", p->baselines);
        summary_detail_number(s, "seed", (double)p->sampling.seed);
        summary_detail_number(s, "internal_batch", (double)p->sampling.internal_batch);
        summary_detail_number(s, "attribution_sum", total);
    }
    free(bases);
    free(sum);
    return rc;
}

const struct method method_gradient_shap = {
    .name = "gradient-shap",
    .many_passes = 1,
    .summary = "GradientSHAP: expected gradients from a set of baselines",
    .synopsis = "attrib gradient-shap IMAGE|DIR|-... [--class N] [--samples 50] [--stdev 0]\n"
                "                            [--baselines black,noise] [--seed N] [options]",
    .description =
        "GradientSHAP (Captum's GradientShap; Lundberg & Lee 2017): each sample draws a\n"
        "baseline from --baselines and a point uniformly on the straight path from it to\n"
        "the image (plus Gaussian noise, --stdev), and takes the gradient there times the\n"
        "image minus the baseline; the mean over --samples is the attribution (3 x H x W),\n"
        "drawn as its sum over the colour channels. In expectation the attributions add\n"
        "up to the score of the image minus the mean score of the baselines\n"
        "(attribution_sum in the JSON). Seeded. Writes NAME.gradient-shap.png, .rgb.png,\n"
        ".overlay.png and .json.\n",
    .signed_map = 1,
    .sign = SIGN_ABSOLUTE,
    .options = options,
    .prepare = prepare,
    .release = sampling_method_release,
    .compute = gradient_shap,
};
