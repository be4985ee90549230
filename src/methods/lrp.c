/* lrp.c - `attrib lrp`: layer-wise relevance propagation (Bach et al.
 * 2015) with the composites Zennit defines (Anders et al. 2021): the class's
 * relevance is handed back layer by layer, each layer type with its own
 * rule, down to the input. The shim rewrites the frozen graph (batch norms
 * folded into the layer before them, as Zennit's canonizers do; every
 * convolution and linear layer with its rule's backward pass); the
 * relevance at the input is what comes back as the gradient. */
#include <math.h>
#include <stdlib.h>

#include "error.h"
#include "explain/method.h"
#include "heatmap.h"
#include "methods.h"

/* Zennit's defaults. */
#define DEFAULT_EPSILON 1e-6
#define DEFAULT_GAMMA 0.25

static const char *const composite_names[] = {
    [ATTRIB_LRP_EPSILON_PLUS_FLAT] = "epsilon-plus-flat",
    [ATTRIB_LRP_EPSILON_GAMMA_BOX] = "epsilon-gamma-box",
    [ATTRIB_LRP_EPSILON_ALPHA2_BETA1] = "epsilon-alpha2-beta1",
    NULL,
};

struct lrp_params {
    int composite; /* attrib_lrp_composite */
    double epsilon, gamma;
};

static const struct opt options[] = {
    OPT_ENUM(0, "composite", struct lrp_params, composite, composite_names,
             ATTRIB_LRP_EPSILON_PLUS_FLAT,
             "rules per layer type, as Zennit's composites: epsilon-plus-flat (convolutions "
             "z+, the first layer flat), epsilon-gamma-box (convolutions gamma, the first one "
             "z-box over the input's range), epsilon-alpha2-beta1 (convolutions alpha 2, beta "
             "1); linear layers epsilon in all three"),
    OPT_REAL(0, "epsilon", struct lrp_params, epsilon, 0, 1e6, DEFAULT_EPSILON, "E",
             "the linear layers' epsilon (added to each output, with its sign)"),
    OPT_REAL(0, "gamma", struct lrp_params, gamma, 0, 1e6, DEFAULT_GAMMA, "G",
             "epsilon-gamma-box: how much the positive (negative) contributions are favoured"),
    OPT_END,
};

/* The rules' parameters; the z-box rule's bounds are the normalised values
 * of black and white in each channel (the input's whole range). */
static attrib_lrp_params rule_params(const struct explain_run *run)
{
    const struct lrp_params *p = METHOD_PARAMS(struct lrp_params, run);
    attrib_lrp_params q = attrib_lrp_default_params();
    q.composite = (attrib_lrp_composite)p->composite;
    q.epsilon = p->epsilon, q.gamma = p->gamma;
    const struct card *card = &run->model.card;
    for (int c = 0; c < 3; c++) {
        q.low[c] = (0.0f - card->mean[c]) / card->std[c];
        q.high[c] = (1.0f - card->mean[c]) / card->std[c];
    }
    return q;
}

static int pass(struct explain_run *run, const float *x, const int64_t shape[4],
                const int64_t *targets, attrib_result **res)
{
    attrib_lrp_params q = rule_params(run);
    attrib_status st = attrib_lrp(run->model.handle, &q, x, shape, targets, res);
    if (st == ATTRIB_E_ARG)
        return fail(EXIT_USAGE, "lrp: %s: %s", run->model.path, attrib_last_error());
    return st == ATTRIB_OK ? EXIT_OK : explain_shim_error(run, st);
}

/* A model with a layer no rule covers is refused before any image. */
static int prepare(struct explain_run *run)
{
    const int h = run->model.card.input_h, w = run->model.card.input_w;
    const int64_t shape[4] = { 1, 3, h, w }, target = 0;
    float *probe = calloc((size_t)3 * h * w, sizeof *probe);
    attrib_result *res = NULL;
    int rc = probe ? pass(run, probe, shape, &target, &res) : fail(EXIT_INTERNAL, "out of memory");
    attrib_result_free(res);
    free(probe);
    return rc;
}

static int lrp(struct explain_run *run, struct batch *b)
{
    int64_t shape[4];
    batch_shape(b, shape);
    int rc = pass(run, b->x, shape, b->targets, &b->res);
    if (rc)
        return rc;
    const float *r = attrib_result_get(b->res, ATTRIB_OUT_INPUT_GRAD, 0, NULL, NULL);
    const char *composite = composite_names[METHOD_PARAMS(struct lrp_params, run)->composite];
    const size_t n = (size_t)3 * b->h * b->w;
    for (int i = 0; i < b->n; i++) {
        struct attribution *a = &b->a[i];
        double total = 0;
        for (size_t j = 0; j < n; j++)
            total += a->chw[j] = r[i * n + j];
        a->has_chw = 1;
        heatmap_channel_sum(a->chw, 3, b->h, b->w, a->map);
        explain_sign_map(run, a->map, (size_t)b->h * b->w);
        struct summary *s = &b->s[i];
        summary_detail_text(s, "composite", composite);
        summary_detail_number(s, "relevance_sum", total);
    }
    return EXIT_OK;
}

const struct method method_lrp = {
    .name = "lrp",
    .summary = "layer-wise relevance propagation with Zennit's composites (Bach et al. 2015)",
    .synopsis = "attrib lrp IMAGE|DIR|-... [--class N] [--composite NAME] [-o DIR] [options]",
    .description =
        "Layer-wise relevance propagation (Bach et al. 2015) with Zennit's composites: the\n"
        "class's relevance (the objective's gradient at the logits: 1 for --objective logit)\n"
        "is passed back layer by layer to the input. Convolutions take the composite's\n"
        "rule, linear layers the epsilon rule, the first layer its own; batch norms are\n"
        "folded into the convolution or linear layer before them (Zennit's canonizer);\n"
        "activations pass relevance through; average pooling, means and residual additions\n"
        "share it in proportion to their inputs (Norm); max pooling and reshapes keep the\n"
        "gradient. A model with any other op (sigmoid, softmax, layer norm, attention, a\n"
        "batch norm that follows no layer, ...) is refused (exit 2), naming it. The map is\n"
        "the relevance summed over the colour channels (signed; relevance_sum in the JSON).\n"
        "Writes NAME.lrp.png, .rgb.png, .overlay.png and .json.\n",
    .signed_map = 1,
    .sign = SIGN_SIGNED,
    .options = options,
    .prepare = prepare,
    .compute = lrp,
};
