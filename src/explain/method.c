/* explain/method.c - the method SDK's helpers (method.h): the objective set
 * before a method's compute, the reference pass, targets and scores, --sign,
 * and what a failed shim call means. */
#include "method.h"

#include "error.h"

int explain_shim_error(struct explain_run *run, attrib_status st)
{
    if (st == ATTRIB_E_TARGET)
        return fail(EXIT_USAGE, "--class: %s", attrib_last_error());
    return model_error(st, run->model.path);
}

void batch_shape(const struct batch *b, int64_t shape[4])
{
    shape[0] = b->n, shape[1] = 3, shape[2] = b->h, shape[3] = b->w;
}

int explain_signed(const struct explain_run *run)
{
    return run->method->signed_map && run->opts.sign == SIGN_SIGNED;
}

void explain_sign_map(const struct explain_run *run, float *map, size_t n)
{
    map_sign_apply((enum map_sign)run->opts.sign, map, n);
}

int explain_compute(struct explain_run *run, struct batch *b)
{
    const struct objective *o = &run->opts.objective;
    const int sigmoid = run->model.card.output == CARD_SIGMOID;
    attrib_objective kind = o->kind == OBJECTIVE_PROBABILITY ? (sigmoid ? ATTRIB_SIGMOID : ATTRIB_PROB)
                            : o->kind == OBJECTIVE_LOG_PROBABILITY
                                ? (sigmoid ? ATTRIB_LOG_SIGMOID : ATTRIB_LOG_PROB)
                                : ATTRIB_SCORE;
    attrib_status st = attrib_model_set_objective(run->model.handle, kind, o->versus);
    const int64_t *given = b->targets;
    int rc = st == ATTRIB_OK ? targets_batch(run, b, &b->targets) : explain_shim_error(run, st);
    for (int i = 0; rc == EXIT_OK && run->target.kind != TARGET_CLASS && i < b->n; i++)
        targets_summary(run, i, &b->s[i]);
    if (rc == EXIT_OK)
        rc = run->method->compute(run, b);
    b->targets = given;
    if (run->passes_wanted)
        progress_end(&run->passes);
    run->passes_done = 0;
    return rc;
}

/* A second: a run shorter than that is done before a line would help. */
#define PASSES_SHOWN_AFTER_MS 1000

void explain_passes(struct explain_run *run, long done, long total)
{
    if (!run->passes_wanted)
        return;
    struct progress *p = &run->passes;
    if (done <= run->passes_done || p->total != total) { /* a new image, or pass of it */
        progress_start(p, run->method->name, (int)total, 0);
        progress_log_every(p, run->opts.log_every * 1e3);
        progress_delay(p, PASSES_SHOWN_AFTER_MS);
    }
    run->passes_done = done;
    if (done > 0)
        progress_update(p, (int)done, "passes");
}

int explain_reference_pass(struct explain_run *run, struct batch *b)
{
    int64_t shape[4];
    batch_shape(b, shape);
    attrib_status st = attrib_input_gradient(run->model.handle, b->x, shape, b->targets, &b->res);
    return st == ATTRIB_OK ? EXIT_OK : explain_shim_error(run, st);
}

int64_t explain_target(const struct batch *b, int i)
{
    return attrib_result_targets(b->res)[i];
}

double explain_objective(const struct explain_run *run, const float *logits, int64_t classes,
                         int64_t target)
{
    return objective_value(&run->opts.objective, run->model.card.output == CARD_SIGMOID, logits,
                           classes, target);
}

double explain_target_score(const struct explain_run *run, const struct batch *b, int i)
{
    int64_t classes;
    const float *logits = result_logits(b->res, NULL, &classes);
    return explain_objective(run, logits + i * classes, classes, explain_target(b, i));
}
