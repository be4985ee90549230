/* ascent.c - gradient ascent on an image (see ascent.h). */
#include "ascent.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "error.h"
#include "planes.h"



/* The class's probability from a pass's logits, into a->last_prob. */
static void note_probability(const struct ascent_params *o, const struct model *m,
                             struct ascent *a, const float *logits)
{
    if (o->target < 0)
        return;
    class_probabilities(&m->card, logits, m->classes, a->probs);
    a->last_prob = a->probs[o->target];
}

/* The gradient of the class score at x into a->grad; its value in *score. */
static int class_gradient(const struct ascent_params *o, struct model *m, struct ascent *a,
                          double *score)
{
    const int64_t shape[4] = { 1, 3, a->h, a->w };
    const int64_t target = o->target;
    attrib_result *res;
    attrib_status st = attrib_input_gradient(m->handle, a->x, shape, &target, &res);
    if (st != ATTRIB_OK)
        return st == ATTRIB_E_ARG ? fail(EXIT_USAGE, "--class: %s", attrib_last_error())
                                  : model_error(st, m->path);
    int rc = model_check_logits(m, res, 1);
    if (rc == EXIT_OK) {
        memcpy(a->grad, attrib_result_input_grad(res, NULL), a->n * sizeof *a->grad);
        *score = attrib_result_logits(res, NULL, NULL)[target];
        note_probability(o, m, a, attrib_result_logits(res, NULL, NULL));
    }
    attrib_result_free(res);
    return rc;
}

/* One pass with the layer tapped at x: with weights, the gradient of the
 * objective into a->grad (grad != 0); the objective's value in *value. */
int ascent_layer_pass(const struct ascent_params *o, struct model *m, struct ascent *a,
                      const float *x, int grad, double *value)
{
    struct layer_goal *g = a->goal;
    const int64_t shape[4] = { 1, 3, a->h, a->w };
    size_t len = (size_t)g->c * g->h * g->w;
    attrib_result *res;
    attrib_status st = attrib_layer_input_gradient(m->handle, x, shape, g->path, &g->view,
                                                   grad ? g->weights : NULL, len,
                                                   grad ? g->logit_w : NULL, &res);
    if (st != ATTRIB_OK)
        return model_error(st, m->path);
    int rc = model_check_logits(m, res, 1);
    if (rc == EXIT_OK) {
        const float *map = attrib_result_layer(res, NULL);
        /* DeepDream's weights come from this map (a pass before the gradient's) */
        *value = layer_objective_eval(&g->term, map, g->c, g->h, g->w,
                                      grad ? NULL : g->weights);
        if (o->target >= 0)
            *value += attrib_result_logits(res, NULL, NULL)[o->target];
        note_probability(o, m, a, attrib_result_logits(res, NULL, NULL));
        if (grad)
            memcpy(a->grad, attrib_result_input_grad(res, NULL), a->n * sizeof *a->grad);
    }
    attrib_result_free(res);
    return rc;
}

/* The objective's gradient at a->x into a->grad, its value in *score. */
int ascent_objective_gradient(const struct ascent_params *o, struct model *m, struct ascent *a,
                              double *score)
{
    if (!a->goal)
        return class_gradient(o, m, a, score);
    int rc = EXIT_OK;
    if (layer_objective_nonlinear(&a->goal->term))
        rc = ascent_layer_pass(o, m, a, a->x, 0, score);
    return rc ? rc : ascent_layer_pass(o, m, a, a->x, 1, score);
}

/* One step: jitter, gradient of objective - l2 ||x||^2, step, unjitter, clamp. */
int ascent_pixel_step(const struct ascent_params *o, struct model *m, struct ascent *a,
                  struct rng *r, double *score)
{
    int dx = rng_range(r, -(int)o->jitter, (int)o->jitter);
    int dy = rng_range(r, -(int)o->jitter, (int)o->jitter);
    int rc = roll_planes(a->x, 3, a->h, a->w, dx, dy);
    if (rc == EXIT_OK)
        rc = ascent_objective_gradient(o, m, a, score);
    if (rc == EXIT_OK) {
        for (size_t i = 0; i < a->n; i++)
            a->grad[i] -= (float)(2.0 * o->l2) * a->x[i];
        double norm = norm_l2(a->grad, a->n);
        if (norm > 0)
            for (size_t i = 0; i < a->n; i++)
                a->x[i] += (float)(o->lr * a->grad[i] / norm);
    }
    if (rc == EXIT_OK)
        rc = roll_planes(a->x, 3, a->h, a->w, -dx, -dy);
    clamp_normalised(a->x, a->h, a->w, m->card.mean, m->card.std);
    return rc;
}

int spectrum_init(struct spectrum *sp, int h, int w, struct rng *r, double sd)
{
    int rc = fft_param_init(&sp->p, h, w, r, sd);
    if (rc == EXIT_OK)
        rc = adam_init(&sp->adam, sp->p.count);
    if (rc == EXIT_OK && !(sp->grad = malloc(sp->p.count * sizeof *sp->grad)))
        rc = fail(EXIT_INTERNAL, "out of memory");
    return rc;
}

void spectrum_free(struct spectrum *sp)
{
    fft_param_free(&sp->p);
    adam_free(&sp->adam);
    free(sp->grad);
}

/* a->pix and a->x: the spectrum's image, in pixels and normalised. */
void spectrum_image(struct spectrum *sp, const struct model *m, struct ascent *a)
{
    fft_param_image(&sp->p, a->pix);
    normalise_planes(a->pix, a->x, a->h, a->w, m->card.mean, m->card.std);
}

/* One --param fft step: the spectrum's image, jittered;
 * the objective's gradient, unjittered, back through the parameterisation
 * to the spectrum; an Adam step up (Lucent's optimiser). */
int ascent_fft_step(const struct ascent_params *o, struct model *m, struct ascent *a,
                    struct spectrum *sp, struct rng *r, double *score)
{
    size_t plane = (size_t)a->h * a->w;
    spectrum_image(sp, m, a);
    int dx = rng_range(r, -(int)o->jitter, (int)o->jitter);
    int dy = rng_range(r, -(int)o->jitter, (int)o->jitter);
    int rc = roll_planes(a->x, 3, a->h, a->w, dx, dy);
    if (rc == EXIT_OK)
        rc = ascent_objective_gradient(o, m, a, score);
    for (size_t i = 0; rc == EXIT_OK && i < a->n; i++)
        a->grad[i] -= (float)(2.0 * o->l2) * a->x[i];
    if (rc == EXIT_OK)
        rc = roll_planes(a->grad, 3, a->h, a->w, -dx, -dy);
    if (rc)
        return rc;
    for (size_t i = 0; i < a->n; i++) /* d/dpixel = d/dnormalised / std */
        a->grad[i] /= m->card.std[i / plane];
    fft_param_backward(&sp->p, a->pix, a->grad, sp->grad);
    adam_step(&sp->adam, sp->p.params, sp->grad, -o->lr); /* up the objective */
    return EXIT_OK;
}

