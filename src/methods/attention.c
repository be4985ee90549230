/* attention.c - `attrib attention-rollout` and `attrib attention-relevance`:
 * maps of a vision transformer read from its attention probabilities, the
 * class token's row of a relevance matrix over the tokens, on the patch grid.
 *
 * Rollout (Abnar & Zuidema 2020): R = prod over layers, last first, of
 * (mean over heads of A + I) / 2 - attention with the residual path.
 * Relevance (Chefer, Gur & Wolf 2021, "Generic attention-model
 * explainability", self-attention rule): R = I, then for each layer
 * R += mean over heads of max(0, dA * A) . R, with dA the gradient of the
 * class score: class-specific where rollout is not. */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "explain/method.h"
#include "image.h"
#include "layers.h"
#include "methods.h"

/* dst = v . a for a row vector v of t and a t x t matrix a (row-major). */
static void row_times(const double *v, const double *a, double *dst, int64_t t)
{
    for (int64_t j = 0; j < t; j++)
        dst[j] = 0;
    for (int64_t k = 0; k < t; k++)
        for (int64_t j = 0; j < t; j++)
            dst[j] += v[k] * a[k * t + j];
}

/* Layer l's head-averaged matrix for image i into m: mean_h A (rollout,
 * plus the identity, halved) or mean_h max(0, dA * A) (relevance). */
static void layer_matrix(const attrib_result *res, size_t l, int i, int relevance, double *m)
{
    int64_t s[4];
    const float *a = attrib_result_get(res, ATTRIB_OUT_ATTENTION, l, s, NULL);
    const float *g =
        relevance ? attrib_result_get(res, ATTRIB_OUT_ATTENTION_GRAD, l, NULL, NULL) : NULL;
    const int64_t heads = s[1], t = s[2], per = t * t;
    a += (size_t)i * heads * per;
    if (g)
        g += (size_t)i * heads * per;
    for (int64_t k = 0; k < per; k++) {
        double sum = 0;
        for (int64_t h = 0; h < heads; h++) {
            double v = a[h * per + k];
            sum += relevance ? (g[h * per + k] * v > 0 ? g[h * per + k] * v : 0) : v;
        }
        m[k] = sum / (double)heads;
        if (!relevance)
            m[k] = 0.5 * m[k] + (k % (t + 1) == 0 ? 0.5 : 0);
    }
}

static int attention_map(struct explain_run *run, struct batch *b, int relevance)
{
    int64_t shape[4];
    batch_shape(b, shape);
    attrib_status st = attrib_attention(run->model.handle, b->x, shape, b->targets, relevance,
                                        &b->res);
    if (st != ATTRIB_OK)
        return explain_shim_error(run, st);
    size_t layers = attrib_result_count(b->res, ATTRIB_OUT_ATTENTION);
    int64_t s[4];
    attrib_result_get(b->res, ATTRIB_OUT_ATTENTION, 0, s, NULL);
    const int64_t t = s[2];
    for (size_t l = 1; l < layers; l++) {
        attrib_result_get(b->res, ATTRIB_OUT_ATTENTION, l, s, NULL);
        if (s[2] != t)
            return fail(EXIT_MODEL, "'%s': its attentions are over %lld and %lld tokens: not "
                        "one token sequence", run->model.path, (long long)t, (long long)s[2]);
    }
    attrib_layer_view grid;
    if (!token_grid(t, b->h, b->w, &grid) || grid.skip_tokens < 1)
        return fail(EXIT_MODEL, "'%s': its attention is over %lld tokens, which are not a "
                    "class token and an h x w grid of the %dx%d input: %s reads the class "
                    "token's row", run->model.path, (long long)t, b->w, b->h, run->method->name);
    /* Only the class token's row of R is read, and R is a product of the
     * layers' matrices (rollout: M_L ... M_1; relevance: (I + M_L) ... (I +
     * M_1)), so the row is carried from the last layer down: t^2 work per
     * layer instead of the t^3 of forming R. */
    double *m = malloc((size_t)(t * t + 2 * t) * sizeof *m);
    if (!m)
        return fail(EXIT_INTERNAL, "out of memory");
    double *r = m + t * t, *tmp = r + t;
    int rc = EXIT_OK;
    for (int i = 0; i < b->n && rc == EXIT_OK; i++) {
        for (int64_t k = 0; k < t; k++)
            r[k] = k == 0;
        for (size_t l = layers; l-- > 0;) {
            layer_matrix(b->res, l, i, relevance, m);
            row_times(r, m, tmp, t);
            for (int64_t k = 0; k < t; k++)
                r[k] = relevance ? r[k] + tmp[k] : tmp[k];
        }
        struct attribution *a = &b->a[i];
        free(a->cam);
        const int gh = (int)grid.h, gw = (int)grid.w;
        if (!(a->cam = malloc((size_t)gh * gw * sizeof *a->cam))) {
            rc = fail(EXIT_INTERNAL, "out of memory");
            break;
        }
        for (int j = 0; j < gh * gw; j++) /* the class token's row, over the patches */
            a->cam[j] = (float)r[grid.skip_tokens + j];
        struct summary *su = &b->s[i];
        su->layer = "attention";
        su->layer_shape[0] = (int)layers, su->layer_shape[1] = gh, su->layer_shape[2] = gw;
        su->cam = a->cam, su->cam_h = gh, su->cam_w = gw;
        summary_detail_number(su, "attention_layers", (double)layers);
        summary_detail_number(su, "tokens", (double)t);
        summary_detail_number(su, "extra_tokens", (double)grid.skip_tokens);
        struct rect whole = { 0, 0, gw, gh };
        rc = image_resize_plane(a->cam, gw, gh, 1, whole, a->map, b->w, b->h);
    }
    free(m);
    return rc;
}

static int rollout(struct explain_run *run, struct batch *b)
{
    return attention_map(run, b, 0);
}

static int relevance(struct explain_run *run, struct batch *b)
{
    return attention_map(run, b, 1);
}

const struct method method_attention_rollout = {
    .name = "attention-rollout",
    .summary = "a transformer's attention rolled out over its layers (Abnar & Zuidema 2020)",
    .synopsis = "attrib attention-rollout IMAGE|DIR|-... [-o DIR] [options]",
    .description =
        "Attention rollout (Abnar & Zuidema 2020) of a vision transformer: the\n"
        "attention of every layer, averaged over heads, with the residual path\n"
        "((A + I) / 2), multiplied from the first layer to the last; the class\n"
        "token's row over the patch tokens is the map. Not class-specific (--class\n"
        "only chooses what the JSON reports). Needs self-attention over a class\n"
        "token and an h x w grid of patches (ViT, DeiT). Writes NAME.attention-\n"
        "rollout.png, .overlay.png and .json.\n",
    .compute = rollout,
};

const struct method method_attention_relevance = {
    .name = "attention-relevance",
    .summary = "gradient-weighted attention relevance (Chefer et al. 2021)",
    .synopsis = "attrib attention-relevance IMAGE|DIR|-... [--class N] [-o DIR] [options]",
    .description =
        "Gradient-weighted attention relevance (Chefer, Gur & Wolf 2021, \"Generic\n"
        "Attention-model Explainability\"): R = I, then for each layer R += mean\n"
        "over heads of max(0, dA * A) . R, where dA is the gradient of the class\n"
        "score with respect to the attention A; the class token's row over the\n"
        "patch tokens is the map. Class-specific. Needs self-attention over a\n"
        "class token and an h x w grid of patches (ViT, DeiT). Writes NAME.attention-\n"
        "relevance.png, .overlay.png and .json.\n",
    .compute = relevance,
};
