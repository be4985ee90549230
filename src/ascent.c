/* ascent.c - gradient ascent on a batch of images (see ascent.h). */
#include "ascent.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "diversity.h"
#include "error.h"
#include "planes.h"

int ascent_init(struct ascent *a, const struct model *m, int n, long iters,
                struct lucid_choice lucid, struct rng *r)
{
    *a = (struct ascent){ .n = n, .h = m->card.input_h, .w = m->card.input_w };
    /* the C work between passes on as many threads as the model's */
    a->chain.workers = attrib_runtime_threads();
    a->len = (size_t)n * 3 * a->h * a->w;
    a->x = malloc(4 * a->len * sizeof *a->x);
    a->objective = malloc(2 * (size_t)iters * sizeof *a->objective);
    a->draws = malloc((size_t)iters * sizeof *a->draws);
    a->image_objective = calloc((size_t)n, sizeof *a->image_objective);
    a->probs = malloc((size_t)n * m->classes * sizeof *a->probs);
    a->lucid = lucid.use ? calloc(1, sizeof *a->lucid) : NULL;
    if (!a->x || !a->objective || !a->draws || !a->image_objective || !a->probs ||
        (lucid.use && !a->lucid)) {
        ascent_free(a);
        return fail(EXIT_INTERNAL, "out of memory");
    }
    a->pix = a->x + a->len, a->input = a->pix + a->len, a->grad = a->input + a->len;
    a->probability = a->objective + iters;
    if (!a->lucid) {
        for (size_t i = 0; i < a->len; i++)
            a->x[i] = (float)rng_normal(r);
        for (int k = 0; k < n; k++)
            clamp_normalised(a->x + (size_t)k * 3 * a->h * a->w, a->h, a->w, m->card.mean,
                             m->card.std);
        return EXIT_OK;
    }
    struct lucid *l = a->lucid;
    /* Lucent's initialisation: N(0, 0.01^2) */
    int rc = image_param_init(&l->p, n, a->h, a->w, lucid.fft, lucid.decorrelate, a->chain.workers,
                              r, 0.01);
    if (rc == EXIT_OK)
        rc = adam_init(&l->adam, (size_t)n * l->p.count);
    if (rc == EXIT_OK && !(l->grad = malloc((size_t)n * l->p.count * sizeof *l->grad)))
        rc = fail(EXIT_INTERNAL, "out of memory");
    if (rc)
        ascent_free(a);
    return rc;
}

void ascent_free(struct ascent *a)
{
    if (a->lucid) {
        image_param_free(&a->lucid->p);
        adam_free(&a->lucid->adam);
        free(a->lucid->grad);
        free(a->lucid);
    }
    transform_chain_free(&a->chain);
    free(a->x);
    free(a->objective);
    free(a->draws);
    free(a->image_objective);
    free(a->probs);
    *a = (struct ascent){ 0 };
}

static size_t image_len(const struct ascent *a)
{
    return (size_t)3 * a->h * a->w;
}

/* Normalises (or with back, de-normalises) each of the n images. */
static void normalise_batch(const struct ascent *a, const struct model *m, const float *in,
                            float *out, int back)
{
    for (int k = 0; k < a->n; k++) {
        size_t at = (size_t)k * image_len(a);
        if (back)
            denormalise_planes(in + at, out + at, a->h, a->w, m->card.mean, m->card.std);
        else
            normalise_planes(in + at, out + at, a->h, a->w, m->card.mean, m->card.std);
    }
}

void ascent_normalise(const struct ascent *a, const struct model *m, const float *pix,
                      float *out)
{
    normalise_batch(a, m, pix, out, 0);
}

void ascent_images(struct ascent *a, const struct model *m)
{
    if (a->lucid)
        image_param_image(&a->lucid->p, a->pix);
    else
        normalise_batch(a, m, a->x, a->pix, 1);
}

void ascent_grid(const float *images, int n, int h, int w, float *grid)
{
    size_t plane = (size_t)h * w;
    for (int k = 0; k < n; k++)
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < h; y++)
                memcpy(grid + (size_t)c * n * plane + (size_t)y * n * w + (size_t)k * w,
                       images + ((size_t)k * 3 + c) * plane + (size_t)y * w, w * sizeof *grid);
}

/* The class's mean probability over the batch from a pass's logits. */
static void note_probability(const struct ascent_params *o, const struct model *m,
                             struct ascent *a, const float *logits)
{
    if (o->target < 0)
        return;
    a->last_prob = 0;
    for (int k = 0; k < a->n; k++) {
        float *p = a->probs + (size_t)k * m->classes;
        class_probabilities(&m->card, logits + (size_t)k * m->classes, m->classes, p);
        a->last_prob += p[o->target] / a->n;
    }
}

/* The gradient of the mean class score at a->input into a->grad; its value
 * in *score. */
static int class_gradient(const struct ascent_params *o, struct model *m, struct ascent *a,
                          double *score)
{
    const int64_t shape[4] = { a->n, 3, a->h, a->w };
    int64_t *targets = malloc((size_t)a->n * sizeof *targets);
    if (!targets)
        return fail(EXIT_INTERNAL, "out of memory");
    for (int k = 0; k < a->n; k++)
        targets[k] = o->target;
    attrib_result *res;
    attrib_status st = attrib_input_gradient(m->handle, a->input, shape, targets, &res);
    free(targets);
    if (st != ATTRIB_OK)
        return st == ATTRIB_E_ARG ? fail(EXIT_USAGE, "--class: %s", attrib_last_error())
                                  : model_error(st, m->path);
    int rc = model_check_logits(m, res, a->n);
    if (rc == EXIT_OK) {
        const float *g = attrib_result_get(res, ATTRIB_OUT_INPUT_GRAD, 0, NULL, NULL);
        const float *logits = result_logits(res, NULL, NULL);
        for (size_t i = 0; i < a->len; i++)
            a->grad[i] = g[i] / a->n;
        *score = 0;
        for (int k = 0; k < a->n; k++) {
            a->image_objective[k] = logits[(size_t)k * m->classes + o->target];
            *score += a->image_objective[k] / a->n;
        }
        note_probability(o, m, a, logits);
    }
    attrib_result_free(res);
    return rc;
}

/* The objective's weights on the maps [n, c, h, w]: each image's term over
 * n (the objective is the images' mean), minus the diversity term's
 * gradient. Each image's term in a->image_objective, the whole in *value. */
static int layer_weights(const struct ascent_params *o, struct ascent *a, const float *maps,
                         int fill, double *value)
{
    struct layer_goal *g = a->goal;
    size_t len = (size_t)g->c * g->h * g->w;
    *value = 0;
    for (int k = 0; k < a->n; k++) {
        float *w = fill ? g->weights + k * len : NULL;
        a->image_objective[k] = layer_objective_eval(&g->term, maps + k * len, g->c, g->h, g->w, w);
        for (size_t i = 0; w && i < len; i++)
            w[i] /= (float)a->n;
        *value += a->image_objective[k] / a->n;
    }
    a->diversity = 0;
    if (!g->diversity)
        return EXIT_OK;
    int rc = diversity_term(maps, a->n, g->c, (long)g->h * g->w, o->diversity,
                            fill ? g->weights : NULL, &a->diversity);
    *value -= o->diversity * a->diversity;
    return rc;
}

/* Whether the layer's weights depend on the map (then they are made during
 * the pass: attrib_layer_objective_params' weigh). */
static int goal_nonlinear(const struct layer_goal *g)
{
    return g->diversity || layer_objective_nonlinear(&g->term);
}

/* A layer pass's logits and gradient: the class's score added to the
 * objective (its mean) and each image's, its probability, the gradient
 * into a->grad. */
static int finish_layer_pass(const struct ascent_params *o, struct model *m, struct ascent *a,
                             attrib_result *res, int grad, double *value)
{
    int rc = model_check_logits(m, res, a->n);
    if (rc)
        return rc;
    const float *logits = result_logits(res, NULL, NULL);
    for (int k = 0; o->target >= 0 && k < a->n; k++) {
        double score = logits[(size_t)k * m->classes + o->target];
        a->image_objective[k] += score;
        *value += score / a->n;
    }
    note_probability(o, m, a, logits);
    if (grad)
        memcpy(a->grad, attrib_result_get(res, ATTRIB_OUT_INPUT_GRAD, 0, NULL, NULL),
               a->len * sizeof *a->grad);
    return EXIT_OK;
}

int ascent_layer_pass(const struct ascent_params *o, struct model *m, struct ascent *a,
                      const float *input, int grad, double *value)
{
    struct layer_goal *g = a->goal;
    const int64_t shape[4] = { a->n, 3, a->h, a->w };
    size_t len = (size_t)a->n * g->c * g->h * g->w;
    attrib_result *res;
    attrib_layer_objective_params q = attrib_layer_objective_default_params();
    q.layer = g->path, q.view = g->view;
    q.layer_weights = grad ? g->weights : NULL, q.layer_weights_len = len;
    q.logit_weights = grad ? g->logit_w : NULL;
    attrib_status st = attrib_layer_objective_gradient(m->handle, input, shape, &q, &res);
    if (st != ATTRIB_OK)
        return model_error(st, m->path);
    int rc = layer_weights(o, a, attrib_result_get(res, ATTRIB_OUT_LAYER, 0, NULL, NULL), 0,
                           value);
    if (rc == EXIT_OK)
        rc = finish_layer_pass(o, m, a, res, grad, value);
    attrib_result_free(res);
    return rc;
}

/* What the shim's weighted pass hands the weights' maker. */
struct weighing {
    const struct ascent_params *o;
    struct ascent *a;
    double value;
    int rc;
};

/* The weights of this pass's maps (DeepDream's and the diversity term's
 * depend on them). */
static attrib_status weigh_maps(void *ctx, const float *map, const int64_t shape[4],
                                float *weights)
{
    struct weighing *w = ctx;
    struct layer_goal *g = w->a->goal;
    if (shape[0] != w->a->n || shape[1] != g->c || shape[2] != g->h || shape[3] != g->w) {
        w->rc = fail(EXIT_MODEL, "layer '%s' changed shape between passes", g->path);
        return ATTRIB_E_MODEL;
    }
    w->rc = layer_weights(w->o, w->a, map, 1, &w->value);
    if (w->rc)
        return ATTRIB_E_MODEL;
    memcpy(weights, g->weights, (size_t)w->a->n * g->c * g->h * g->w * sizeof *weights);
    return ATTRIB_OK;
}

/* One pass for an objective whose weights depend on the maps: forward,
 * weights from the maps, backward. */
static int weighted_layer_pass(const struct ascent_params *o, struct model *m, struct ascent *a,
                               double *value)
{
    struct layer_goal *g = a->goal;
    const int64_t shape[4] = { a->n, 3, a->h, a->w };
    struct weighing w = { o, a, 0, EXIT_OK };
    attrib_result *res;
    attrib_layer_objective_params q = attrib_layer_objective_default_params();
    q.layer = g->path, q.view = g->view;
    q.weigh = weigh_maps, q.ctx = &w;
    q.logit_weights = g->logit_w;
    attrib_status st = attrib_layer_objective_gradient(m->handle, a->input, shape, &q, &res);
    if (st != ATTRIB_OK)
        return w.rc ? w.rc : model_error(st, m->path);
    *value = w.value;
    int rc = finish_layer_pass(o, m, a, res, 1, value);
    attrib_result_free(res);
    return rc;
}

/* The objective's gradient at a->input into a->grad, its value in *score. */
static int objective_gradient(const struct ascent_params *o, struct model *m, struct ascent *a,
                              double *score)
{
    if (!a->goal)
        return class_gradient(o, m, a, score);
    if (goal_nonlinear(a->goal))
        return weighted_layer_pass(o, m, a, score);
    return ascent_layer_pass(o, m, a, a->input, 1, score);
}

int ascent_goal_ready(const struct ascent_params *o, const struct model *m, struct ascent *a)
{
    struct layer_goal *g = a->goal;
    if (g->logit_w) {
        memset(g->logit_w, 0, (size_t)a->n * m->classes * sizeof *g->logit_w);
        for (int k = 0; o->target >= 0 && k < a->n; k++)
            g->logit_w[(size_t)k * m->classes + o->target] = 1.0f / a->n;
    }
    if (goal_nonlinear(g))
        return EXIT_OK;
    /* a channel's or a neuron's weights: the same for any map (zeros here) */
    size_t one = (size_t)g->c * g->h * g->w;
    float *zeros = calloc((size_t)a->n * one, sizeof *zeros);
    if (!zeros)
        return fail(EXIT_INTERNAL, "out of memory");
    double value;
    int rc = layer_weights(o, a, zeros, 1, &value);
    free(zeros);
    return rc;
}

/* Multiplies (or with divide, divides) each image's channel c by std[c]. */
static void scale_by_std(const struct ascent *a, const struct model *m, float *v, int divide)
{
    size_t plane = (size_t)a->h * a->w;
    for (size_t i = 0; i < a->len; i++) {
        float s = m->card.std[(i / plane) % 3];
        v[i] = divide ? v[i] / s : v[i] * s;
    }
}

/* a->input from the images: the view, normalised. The pixels' own steps
 * roll the normalised images as they always have (rolling commutes with
 * normalising); Lucid's transforms work on pixels (their grey border is
 * grey in pixels). */
static int view_forward(const struct ascent_params *o, const struct model *m, struct ascent *a,
                        struct rng *r, int t, int *dx, int *dy)
{
    if (o->view == VIEW_STANDARD) {
        transform_draw(r, &a->draws[t]);
        transform_chain_plan(&a->chain, &a->draws[t], a->h, a->w, a->h, a->w);
        int rc = transform_chain_forward(&a->chain, a->pix, 3 * a->n, a->input);
        if (rc == EXIT_OK)
            normalise_batch(a, m, a->input, a->input, 0);
        return rc;
    }
    if (a->lucid)
        normalise_batch(a, m, a->pix, a->input, 0);
    else
        memcpy(a->input, a->x, a->len * sizeof *a->input);
    if (o->view == VIEW_NONE)
        return EXIT_OK;
    *dx = rng_range(r, -(int)o->jitter, (int)o->jitter);
    *dy = rng_range(r, -(int)o->jitter, (int)o->jitter);
    return roll_planes(a->input, 3 * a->n, a->h, a->w, *dx, *dy);
}

/* a->grad from the gradient at the view to that at the images: w.r.t. x
 * (normalised) for the pixels' own steps, w.r.t. pix for Lucid's. The L2
 * penalty on the normalised view (-l2 ||input||^2) comes in on the way. */
static int view_backward(const struct ascent_params *o, const struct model *m, struct ascent *a,
                         int dx, int dy)
{
    for (size_t i = 0; o->l2 > 0 && i < a->len; i++)
        a->grad[i] -= (float)(2.0 * o->l2) * a->input[i];
    if (o->view == VIEW_STANDARD) {
        scale_by_std(a, m, a->grad, 1); /* d/dpixel = d/dnormalised / std */
        int rc = transform_chain_backward(&a->chain, a->grad, 3 * a->n, a->grad);
        if (rc == EXIT_OK && !a->lucid)
            scale_by_std(a, m, a->grad, 0);
        return rc;
    }
    int rc = o->view == VIEW_ROLL ? roll_planes(a->grad, 3 * a->n, a->h, a->w, -dx, -dy)
                                  : EXIT_OK;
    if (rc == EXIT_OK && a->lucid)
        scale_by_std(a, m, a->grad, 1);
    return rc;
}

/* The pixels' step: each image by lr along its own L2-normalised
 * gradient, then clamped to the valid range. */
static void pixel_step(const struct ascent_params *o, const struct model *m, struct ascent *a)
{
    size_t one = image_len(a);
    for (int k = 0; k < a->n; k++) {
        float *x = a->x + k * one;
        const float *g = a->grad + k * one;
        double norm = norm_l2(g, one);
        if (norm > 0)
            for (size_t i = 0; i < one; i++)
                x[i] += (float)(o->lr * g[i] / norm);
        clamp_normalised(x, a->h, a->w, m->card.mean, m->card.std);
    }
}

int ascent_step(const struct ascent_params *o, struct model *m, struct ascent *a, struct rng *r,
                int t, double *score)
{
    int dx = 0, dy = 0;
    if (a->lucid || o->view == VIEW_STANDARD)
        ascent_images(a, m);
    int rc = view_forward(o, m, a, r, t, &dx, &dy);
    if (rc == EXIT_OK)
        rc = objective_gradient(o, m, a, score);
    if (rc == EXIT_OK)
        rc = view_backward(o, m, a, dx, dy);
    if (rc)
        return rc;
    if (!a->lucid) {
        pixel_step(o, m, a);
        return EXIT_OK;
    }
    struct lucid *l = a->lucid;
    image_param_backward(&l->p, a->pix, a->grad, l->grad);
    adam_step(&l->adam, l->p.params, l->grad, -o->lr); /* up the objective */
    return EXIT_OK;
}
