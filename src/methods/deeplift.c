/* deeplift.c - `attrib deeplift`: Shrikumar et al. 2017, "Learning
 * Important Features Through Propagating Activation Differences", with the
 * rescale rule, as Captum's DeepLift: the image and its baseline go through
 * the network together, every rectifier's gradient is replaced by the
 * ratio of its output and input differences, and the attribution is the
 * input difference times that modified gradient. Its attributions add up
 * to the score's difference between the image and the baseline. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "explain/method.h"
#include "heatmap.h"
#include "methods.h"
#include "sampling.h"

struct deeplift_params {
    struct sampling sampling; /* the baseline (and --seed for noise) */
};
SAMPLING_FIRST(struct deeplift_params, sampling);

static const struct opt options[] = {
    BASELINE_OPTION(struct deeplift_params, sampling.baseline, "zeros"),
    SEED_OPTION(struct deeplift_params, sampling.seed),
    OPT_END,
};

/* One modified pass over the n inputs x and their references base (the
 * logits: n rows each): whether the rule covers this model's
 * nonlinearities is known from the graph before any image (a model it does
 * not is refused here, in one line). */
static int pass(struct explain_run *run, const float *x, const float *base, int n, int h, int w,
                const int64_t *targets, attrib_result **res)
{
    const int64_t shape[4] = { n, 3, h, w };
    attrib_backward_params q = attrib_backward_default_params();
    q.rule = ATTRIB_DEEPLIFT;
    q.references = base;
    attrib_status st = attrib_modified_gradient(run->model.handle, &q, x, shape, targets, res);
    if (st == ATTRIB_E_ARG)
        return fail(EXIT_USAGE, "deeplift: %s: %s", run->model.path, attrib_last_error());
    return st == ATTRIB_OK ? EXIT_OK : explain_shim_error(run, st);
}

static int prepare(struct explain_run *run)
{
    struct deeplift_params *p = METHOD_PARAMS(struct deeplift_params, run);
    int rc = sampling_prepare(&p->sampling, run);
    const int h = run->model.card.input_h, w = run->model.card.input_w;
    float *probe = rc == EXIT_OK ? calloc((size_t)2 * 3 * h * w, sizeof *probe) : NULL;
    const int64_t target = 0;
    attrib_result *res = NULL;
    if (rc == EXIT_OK)
        rc = probe ? pass(run, probe, probe + (size_t)3 * h * w, 1, h, w, &target, &res)
                   : fail(EXIT_INTERNAL, "out of memory");
    attrib_result_free(res);
    free(probe);
    return rc;
}

static int deeplift(struct explain_run *run, struct batch *b)
{
    const struct deeplift_params *p = METHOD_PARAMS(struct deeplift_params, run);
    int rc = explain_reference_pass(run, b);
    if (rc)
        return rc;
    const size_t n = (size_t)3 * b->h * b->w;
    float *bases = malloc((size_t)b->n * n * sizeof *bases);
    int64_t targets[MAX_BATCH_SIZE];
    attrib_result *res = NULL;
    rc = bases ? EXIT_OK : fail(EXIT_INTERNAL, "out of memory");
    for (int i = 0; rc == EXIT_OK && i < b->n; i++) {
        rc = sampling_baseline(&p->sampling, run, b->x + i * n, bases + i * n);
        targets[i] = explain_target(b, i);
    }
    if (rc == EXIT_OK)
        rc = pass(run, b->x, bases, b->n, b->h, b->w, targets, &res);
    int64_t classes;
    const float *g = rc == EXIT_OK ? attrib_result_get(res, ATTRIB_OUT_INPUT_GRAD, 0, NULL, NULL)
                                   : NULL;
    const float *logits = rc == EXIT_OK ? result_logits(res, NULL, &classes) : NULL;
    for (int i = 0; rc == EXIT_OK && i < b->n; i++) {
        struct attribution *a = &b->a[i];
        const float *x = b->x + i * n, *base = bases + i * n;
        double total = 0;
        for (size_t j = 0; j < n; j++) {
            a->chw[j] = (float)((double)(x[j] - base[j]) * g[i * n + j]);
            total += a->chw[j];
        }
        a->has_chw = 1;
        heatmap_channel_sum(a->chw, 3, b->h, b->w, a->map);
        explain_sign_map(run, a->map, (size_t)b->h * b->w);
        const int64_t t = explain_target(b, i);
        double delta = explain_objective(run, logits + i * classes, classes, t) -
                       explain_objective(run, logits + (b->n + i) * classes, classes, t);
        struct summary *s = &b->s[i];
        summary_detail_text(s, "baseline", baseline_name(&p->sampling.baseline));
        summary_detail_text(s, "rule", "rescale");
        summary_detail_number(s, "score_difference", delta);
        summary_detail_number(s, "attribution_sum", total);
        summary_detail_number(s, "completeness_error", fabs(total - delta));
    }
    attrib_result_free(res);
    free(bases);
    return rc;
}

const struct method method_deeplift = {
    .name = "deeplift",
    .summary = "DeepLIFT, rescale rule (Shrikumar et al. 2017)",
    .synopsis = "attrib deeplift IMAGE|DIR|-... [--class N] [--baseline zeros|black|blur|noise|FILE]\n"
                "                       [options]",
    .description =
        "DeepLIFT (Shrikumar et al. 2017) with the rescale rule, as Captum's DeepLift: the\n"
        "image and its baseline run through the network together; on the way back each\n"
        "rectifier (relu, relu6, hardtanh, leaky_relu; gelu, silu, hardswish too) passes\n"
        "the gradient times (f(x) - f(x_ref)) / (x - x_ref) instead of f'(x), and the\n"
        "attribution is (image - baseline) times that gradient (3 x H x W), drawn as its\n"
        "sum over the colour channels. The attributions add up to the score of the image\n"
        "minus the baseline's (completeness_error in the JSON). A model with a\n"
        "nonlinearity the rule does not cover (max pooling, sigmoid, tanh, softmax, layer\n"
        "norm, ...) is refused (exit 2), naming it. Writes NAME.deeplift.png, .rgb.png,\n"
        ".overlay.png and .json.\n",
    .signed_map = 1,
    .sign = SIGN_ABSOLUTE,
    .options = options,
    .prepare = prepare,
    .release = sampling_method_release,
    .compute = deeplift,
};
