/* attacks.c - the attacks of `attrib fool` (see attacks.h). The network's
 * gradients come from the shim in the model's normalised input space and
 * are brought to pixel space here (d/dpixel = d/dnormalised / std); every
 * update, projection and the 8-bit rounding are plain C over [3, h, w]. */
#include "attacks.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adam.h"
#include "error.h"
#include "planes.h"
#include "progress.h"

const char *const attack_names[] = { "iterative", "fgsm", "pgd", "cw", "deepfool", NULL };
const char *const norm_names[] = { "linf", "l2", NULL };

/* Carlini-Wagner: the bound standing for "no upper constant found yet",
 * and how much the loss must fall over a tenth of the steps for a
 * constant's descent to go on (the paper's early abort). */
#define CW_NO_UPPER 1e10
#define CW_ABORT_FALL 1e-4
/* tanh's inverse at exactly 0 or 1 is infinite: start a hair inside. */
#define CW_EDGE (1.0 - 1e-6)

/* How many times a contrast gradient is redone when the runner-up class
 * it was taken against turns out not to be the runner-up at that image. */
#define CONTRAST_TRIES 3

int attack_reached(const struct attack_params *p, const struct attack_state *a, long top)
{
    return p->untargeted ? top != a->goal : top == a->goal;
}

static long argmax_except(const float *v, int n, long except)
{
    long best = -1;
    for (int i = 0; i < n; i++)
        if (i != except && (best < 0 || v[i] > v[best]))
            best = i;
    return best;
}

/* Whether the attack keeps a budget around the start (fgsm, pgd). */
static int budgeted(const struct attack_params *p)
{
    return p->kind == ATTACK_FGSM || p->kind == ATTACK_PGD;
}

static double distance_l2(const float *a, const float *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)(a[i] - b[i]) * (a[i] - b[i]);
    return sqrt(s);
}

void attack_quantise(const struct attack_params *p, const float *start, const float *src,
                     float *dst, size_t n)
{
    memcpy(dst, src, n * sizeof *dst);
    quantise_pixels(dst, n);
    if (!budgeted(p))
        return;
    if (p->norm == NORM_LINF) { /* start is on the 8-bit grid: whole levels of it */
        float levels = floorf((float)(p->eps * 255.0 + 1e-6));
        for (size_t i = 0; i < n; i++) {
            float d = roundf((dst[i] - start[i]) * 255.0f);
            d = d < -levels ? -levels : d > levels ? levels : d;
            dst[i] = start[i] + d / 255.0f;
        }
        return;
    }
    /* L2: shrink the float perturbation until its rounding fits. */
    double scale = 1;
    for (int round = 0; round < 64; round++) {
        double norm = distance_l2(dst, start, n);
        if (norm <= p->eps)
            return;
        scale *= fmin(p->eps / norm, 0.99);
        for (size_t i = 0; i < n; i++)
            dst[i] = start[i] + (float)scale * (src[i] - start[i]);
        quantise_pixels(dst, n);
    }
    memcpy(dst, start, n * sizeof *dst); /* not reached in practice */
}

/* The pixel-space gradients of f(logits)[targets[r]] - f(logits)[versus]
 * (versus < 0: none) for rows copies of x, into grad (rows * n), and x's
 * logits into logits (classes). xin holds rows * n floats. */
static int gradients(struct attack_state *a, const float *x, int rows, const int64_t *targets,
                     attrib_objective objective, int64_t versus, float *xin, float *grad,
                     float *logits)
{
    struct model *m = a->m;
    const int64_t shape[4] = { rows, 3, a->h, a->w };
    attrib_result *res = NULL;
    normalise_planes(x, xin, a->h, a->w, m->card.mean, m->card.std);
    for (int r = 1; r < rows; r++)
        memcpy(xin + (size_t)r * a->n, xin, a->n * sizeof *xin);
    attrib_status st = attrib_model_set_objective(m->handle, objective, versus);
    if (st == ATTRIB_OK)
        st = attrib_input_gradient(m->handle, xin, shape, targets, &res);
    if (st != ATTRIB_OK)
        return model_error(st, m->path);
    int rc = model_check_logits(m, res, rows);
    if (rc == EXIT_OK) {
        memcpy(logits, result_logits(res, NULL, NULL), (size_t)m->classes * sizeof *logits);
        const float *g = attrib_result_get(res, ATTRIB_OUT_INPUT_GRAD, 0, NULL, NULL);
        size_t plane = (size_t)a->h * a->w;
        for (size_t i = 0; i < (size_t)rows * a->n; i++)
            grad[i] = g[i] / m->card.std[(i / plane) % 3];
    }
    attrib_result_free(res);
    return rc;
}

/* The gradient of Z_cls - Z_other at x, other being the runner-up class
 * there (*other: a guess in, the runner-up out). */
static int contrast_gradient(struct attack_state *a, const float *x, long cls, long *other,
                             float *logits)
{
    const int64_t target = cls;
    int rc = EXIT_OK;
    for (int t = 0; rc == EXIT_OK && t < CONTRAST_TRIES; t++) {
        rc = gradients(a, x, 1, &target, ATTRIB_SCORE, *other, a->xn, a->grad, logits);
        long runner_up = argmax_except(logits, a->m->classes, cls);
        if (rc || runner_up == *other)
            break;
        *other = runner_up;
    }
    return rc;
}

int attack_classify(struct attack_state *a, const float *x, float *logits, long *top)
{
    struct model *m = a->m;
    const int64_t shape[4] = { 1, 3, a->h, a->w };
    attrib_result *res;
    normalise_planes(x, a->xn, a->h, a->w, m->card.mean, m->card.std);
    attrib_status st = attrib_forward(m->handle, a->xn, shape, &res);
    if (st != ATTRIB_OK)
        return model_error(st, m->path);
    int rc = model_check_logits(m, res, 1);
    if (rc == EXIT_OK) {
        memcpy(logits, result_logits(res, NULL, NULL), (size_t)m->classes * sizeof *logits);
        *top = argmax_except(logits, m->classes, -1);
    }
    attrib_result_free(res);
    return rc;
}

/* Whether the 8-bit rounding of x (left in a->probe) meets the goal; its
 * top-1 in a->final. */
static int probe(const struct attack_params *p, struct attack_state *a, const float *x,
                 float *logits, int *yes)
{
    attack_quantise(p, a->start, x, a->probe, a->n);
    int rc = attack_classify(a, a->probe, logits, &a->final);
    *yes = rc == EXIT_OK && attack_reached(p, a, a->final);
    return rc;
}

static void clip_pixels(float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = x[i] < 0 ? 0 : x[i] > 1 ? 1 : x[i];
}

/* One step of the iterative, fgsm or pgd attack along gradient g (already
 * signed as an ascent), then back into the budget and [0, 1]. */
static void gradient_step(const struct attack_params *p, struct attack_state *a, const float *g)
{
    size_t n = a->n;
    double size = p->kind == ATTACK_ITERATIVE ? p->lr : p->kind == ATTACK_FGSM ? p->eps : p->step;
    if (p->kind == ATTACK_ITERATIVE || p->norm == NORM_L2) {
        double norm = norm_l2(g, n);
        for (size_t i = 0; norm > 0 && i < n; i++)
            a->x[i] += (float)(size * g[i] / norm);
    } else {
        for (size_t i = 0; i < n; i++)
            a->x[i] += (float)(size * ((g[i] > 0) - (g[i] < 0)));
    }
    if (budgeted(p) && p->norm == NORM_LINF) {
        for (size_t i = 0; i < n; i++) {
            float lo = a->start[i] - (float)p->eps, hi = a->start[i] + (float)p->eps;
            a->x[i] = a->x[i] < lo ? lo : a->x[i] > hi ? hi : a->x[i];
        }
    } else if (budgeted(p)) {
        double norm = distance_l2(a->x, a->start, n);
        for (size_t i = 0; norm > p->eps && i < n; i++)
            a->x[i] = a->start[i] + (float)(p->eps / norm) * (a->x[i] - a->start[i]);
    }
    clip_pixels(a->x, n); /* only moves pixels towards start: stays in budget */
}

/* The iterative attack (the target's score), FGSM and PGD (its
 * log-probability): ascend until the 8-bit image meets the goal. */
static int gradient_attack(const struct attack_params *p, struct attack_state *a,
                           struct progress *bar, float *logits)
{
    long budget = p->kind == ATTACK_FGSM ? 1 : p->max_iter;
    attrib_objective objective = p->kind == ATTACK_ITERATIVE ? ATTRIB_SCORE : ATTRIB_LOG_PROB;
    const int64_t goal = a->goal;
    int rc = EXIT_OK, yes = 0;
    char note[64];
    for (a->iterations = 0;; a->iterations++) {
        if ((rc = gradients(a, a->x, 1, &goal, objective, -1, a->xn, a->grad, logits)))
            break;
        long top = argmax_except(logits, a->m->classes, -1);
        if (attack_reached(p, a, top) && ((rc = probe(p, a, a->x, logits, &yes)) || yes))
            break; /* the float image does it, and so does the PNG */
        if (a->iterations == budget)
            break;
        if (p->untargeted)
            for (size_t i = 0; i < a->n; i++)
                a->grad[i] = -a->grad[i];
        gradient_step(p, a, a->grad);
        snprintf(note, sizeof note, "top-1 %ld", top);
        progress_update(bar, (int)a->iterations + 1, note);
    }
    return rc;
}

/* Carlini-Wagner L2 state: w (x = (tanh w + 1) / 2), Adam's state and the
 * best 8-bit adversarial image so far. */
struct cw_state {
    float *w, *best;
    struct adam adam;
    double best_l2;
    long best_top;
    long other;
};

/* Keeps x as the best adversarial image if its 8-bit rounding fools the
 * model with a smaller L2 than the best so far; *fooled: it does. */
static int cw_keep(const struct attack_params *p, struct attack_state *a, struct cw_state *s,
                   const float *x, float *logits, int *fooled)
{
    int yes, rc = probe(p, a, x, logits, &yes);
    if (rc || !yes)
        return rc;
    *fooled = 1;
    double l2 = distance_l2(a->probe, a->start, a->n);
    if (l2 < s->best_l2) {
        s->best_l2 = l2;
        s->best_top = a->final;
        memcpy(s->best, a->probe, a->n * sizeof *a->probe);
    }
    return EXIT_OK;
}

/* One constant's descent; *fooled: an image on the way, rounded to 8 bits,
 * fooled the model. Every iterate that meets the goal by kappa closer to
 * the start than any before is rounded and classified: the rounding undoes
 * the smallest perturbations, so the float image alone cannot tell. */
static int cw_descent(const struct attack_params *p, struct attack_state *a, struct cw_state *s,
                      double c, struct progress *bar, float *logits, int *fooled)
{
    size_t n = a->n;
    double closest = INFINITY, checked_loss = INFINITY;
    long every = p->max_iter / 10 > 0 ? p->max_iter / 10 : 1;
    float sign = p->untargeted ? 1.0f : -1.0f; /* d f / d (Z_goal - Z_other) */
    int rc = EXIT_OK;
    char note[64];
    for (size_t i = 0; i < n; i++) {
        double v = 2.0 * a->start[i] - 1.0;
        s->w[i] = (float)atanh(fmax(-CW_EDGE, fmin(CW_EDGE, v)));
    }
    adam_reset(&s->adam);
    *fooled = 0;
    for (long t = 1; t <= p->max_iter; t++) {
        for (size_t i = 0; i < n; i++)
            a->x[i] = (tanhf(s->w[i]) + 1.0f) / 2.0f;
        if ((rc = contrast_gradient(a, a->x, a->goal, &s->other, logits)))
            return rc;
        double margin = (double)logits[a->goal] - logits[s->other]; /* Z_goal - Z_other */
        double f = p->untargeted ? margin : -margin;                /* > -kappa: not there */
        double dist = distance_l2(a->x, a->start, n);
        if (f <= -p->kappa && dist < closest) {
            closest = dist; /* (the rounding's check leaves a->grad as it is) */
            if ((rc = cw_keep(p, a, s, a->x, logits, fooled)))
                return rc;
        }
        double loss = dist * dist + c * fmax(f, -p->kappa);
        if (t % every == 0) {
            if (loss > checked_loss * (1 - CW_ABORT_FALL))
                break;
            checked_loss = loss;
        }
        int active = f > -p->kappa;
        for (size_t i = 0; i < n; i++) { /* a->grad becomes the loss's gradient in w */
            float x = a->x[i];
            float dx = 2.0f * (x - a->start[i]) + (active ? (float)c * sign * a->grad[i] : 0.0f);
            a->grad[i] = dx * 2.0f * x * (1.0f - x); /* dx/dw = (1 - tanh^2 w) / 2 */
        }
        adam_step(&s->adam, s->w, a->grad, p->lr);
        a->iterations++;
        snprintf(note, sizeof note, "c %.3g, L2 %.3f", c, dist);
        progress_update(bar, (int)a->iterations, note);
    }
    return EXIT_OK;
}

/* Carlini & Wagner (2017), L2: minimise ||x - start||^2 + c * f(x) by Adam
 * in tanh space for each constant c of a binary search (up when it fails,
 * down when it fools), keeping the smallest 8-bit adversarial image. */
static int cw_attack(const struct attack_params *p, struct attack_state *a,
                     struct progress *bar, float *logits)
{
    size_t n = a->n;
    struct cw_state s = { .best_l2 = INFINITY, .best_top = -1, .other = a->goal == 0 };
    float *buf = malloc(2 * n * sizeof *buf);
    if (!buf || adam_init(&s.adam, n)) {
        free(buf);
        return fail(EXIT_INTERNAL, "out of memory");
    }
    s.w = buf, s.best = buf + n;
    double lo = 0, hi = CW_NO_UPPER, c = p->c;
    int rc = EXIT_OK;
    a->iterations = 0;
    for (long k = 0; rc == EXIT_OK && k < p->search_steps; k++) {
        int fooled;
        rc = cw_descent(p, a, &s, c, bar, logits, &fooled);
        if (fooled)
            hi = fmin(hi, c);
        else
            lo = fmax(lo, c);
        c = hi < CW_NO_UPPER ? (lo + hi) / 2 : c * 10;
    }
    if (rc == EXIT_OK && s.best_top >= 0) {
        memcpy(a->x, s.best, n * sizeof *a->x);
        a->final = s.best_top;
    } else if (rc == EXIT_OK) { /* never fooled: the last image, rounded */
        int yes;
        rc = probe(p, a, a->x, logits, &yes);
        memcpy(a->x, a->probe, n * sizeof *a->x);
    }
    adam_free(&s.adam);
    free(buf);
    return rc;
}

/* Whether a pixel at v can move along +g (a saturated pixel cannot go
 * further out of [0, 1]). */
static int movable(float v, float g)
{
    return !((v >= 1 && g > 0) || (v <= 0 && g < 0));
}

/* The L2 norm of g over the pixels that can move along it: DeepFool's
 * linearised step (always along +g) then reaches the boundary inside the
 * pixel box instead of spending itself on pixels the clipping puts back -
 * without this, a photo with saturated pixels (the shared crisp packet)
 * stalled short of its boundary for good. */
static double movable_norm(const float *x, const float *g, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        if (movable(x[i], g[i]))
            s += (double)g[i] * g[i];
    return sqrt(s);
}

/* The untargeted DeepFool's candidate classes: the candidates - 1 classes
 * other than the goal with the highest logits at the start. */
static int deepfool_candidates(const struct attack_params *p, struct attack_state *a,
                               float *logits, int64_t *classes, int *count)
{
    long top;
    int rc = attack_classify(a, a->start, logits, &top), k = 0;
    int want = (int)(p->candidates < a->m->classes ? p->candidates : a->m->classes) - 1;
    for (; rc == EXIT_OK && k < want; k++) {
        classes[k] = argmax_except(logits, a->m->classes, a->goal);
        logits[classes[k]] = -INFINITY;
    }
    *count = k;
    return rc;
}

/* DeepFool (Moosavi-Dezfooli et al. 2016), L2, as torchattacks steps it:
 * linearise Z_k - Z_goal for each candidate k, step to the nearest of those
 * boundaries, (1 + overshoot) times as far - over the pixels not pinned at
 * 0 or 1 in the step's direction. Targeted: the one boundary
 * between the target and the runner-up. */
static int deepfool_attack(const struct attack_params *p, struct attack_state *a,
                           struct progress *bar, float *logits)
{
    size_t n = a->n;
    int64_t *classes = malloc((size_t)a->m->classes * sizeof *classes);
    int rows = 1, rc = classes ? EXIT_OK : fail(EXIT_INTERNAL, "out of memory");
    if (rc == EXIT_OK && p->untargeted)
        rc = deepfool_candidates(p, a, logits, classes, &rows);
    float *in = rc == EXIT_OK ? malloc(2 * (size_t)rows * n * sizeof *in) : NULL;
    if (rc == EXIT_OK && !in)
        rc = fail(EXIT_INTERNAL, "out of memory");
    float *grads = in ? in + (size_t)rows * n : NULL;
    long other = a->goal == 0;
    char note[64];
    for (a->iterations = 0; rc == EXIT_OK && rows > 0; a->iterations++) {
        if (p->untargeted)
            rc = gradients(a, a->x, rows, classes, ATTRIB_SCORE, a->goal, in, grads, logits);
        else if ((rc = contrast_gradient(a, a->x, a->goal, &other, logits)) == EXIT_OK)
            memcpy(grads, a->grad, n * sizeof *grads);
        long top = argmax_except(logits, a->m->classes, -1);
        int yes = 0;
        if (rc || (attack_reached(p, a, top) && ((rc = probe(p, a, a->x, logits, &yes)) || yes)))
            break;
        if (a->iterations == p->max_iter)
            break;
        int nearest = -1;
        double best = INFINITY, f_best = 0, norm_best = 0;
        for (int r = 0; r < rows; r++) {
            long k = p->untargeted ? (long)classes[r] : a->goal;
            long from = p->untargeted ? a->goal : other;
            double f = (double)logits[k] - logits[from];
            double norm = movable_norm(a->x, grads + r * n, n);
            if (norm > 0 && fabs(f) / norm < best)
                best = fabs(f) / norm, nearest = r, f_best = f, norm_best = norm;
        }
        if (nearest < 0)
            break; /* flat: no boundary in sight */
        double size = (1 + p->overshoot) * fabs(f_best) / (norm_best * norm_best);
        const float *g = grads + nearest * n;
        for (size_t i = 0; i < n; i++)
            if (movable(a->x[i], g[i]))
                a->x[i] += (float)(size * g[i]);
        clip_pixels(a->x, n);
        snprintf(note, sizeof note, "top-1 %ld", top);
        progress_update(bar, (int)a->iterations + 1, note);
    }
    free(in);
    free(classes);
    return rc;
}

int attack_run(const struct attack_params *p, struct attack_state *a, const char *label,
               int quiet)
{
    float *logits = malloc((size_t)a->m->classes * sizeof *logits);
    if (!logits)
        return fail(EXIT_INTERNAL, "out of memory");
    long total = p->kind == ATTACK_FGSM ? 1
                 : p->kind == ATTACK_CW ? p->max_iter * p->search_steps : p->max_iter;
    struct progress bar;
    progress_start(&bar, label, (int)total, quiet);
    memcpy(a->x, a->start, a->n * sizeof *a->x);
    a->final = -1;
    int rc = p->kind == ATTACK_CW         ? cw_attack(p, a, &bar, logits)
             : p->kind == ATTACK_DEEPFOOL ? deepfool_attack(p, a, &bar, logits)
                                          : gradient_attack(p, a, &bar, logits);
    progress_end(&bar);
    if (rc == EXIT_OK && p->kind != ATTACK_CW) { /* cw keeps its best image, already rounded */
        attack_quantise(p, a->start, a->x, a->probe, a->n);
        memcpy(a->x, a->probe, a->n * sizeof *a->x);
    }
    free(logits);
    return rc;
}
