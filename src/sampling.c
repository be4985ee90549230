/* sampling.c - options and passes shared by the many-pass methods. */
#include "sampling.h"

#include <stdio.h>
#include <stdlib.h>

#include "error.h"

const struct opt sampling_options[] = {
    INTERNAL_BATCH_OPTION(struct sampling, internal_batch),
    OPT_INT(0, "seed", struct sampling, seed, 0, MAX_SEED, 0, "N",
            "random seed; the same seed and --threads give the same files"),
    OPT_END,
};

int baseline_option_parse(const struct opt *o, const char *arg, void *baseline)
{
    (void)o;
    if (!*arg)
        return fail(EXIT_USAGE, "--baseline needs a value, got an empty one");
    baseline_parse(arg, baseline);
    return EXIT_OK;
}

int sampling_prepare(struct sampling *s, struct explain_run *run)
{
    if (s->baseline.kind != BASELINE_FILE)
        return EXIT_OK;
    const struct card *c = &run->model.card;
    struct image img = { 0 };
    struct rect region;
    free(s->baseline_file);
    s->baseline_file = malloc((size_t)3 * c->input_w * c->input_h * sizeof(float));
    if (!s->baseline_file)
        return fail(EXIT_INTERNAL, "out of memory");
    int rc = image_load(s->baseline.file, &img);
    if (rc == EXIT_OK)
        rc = model_input(&run->model, run->opts.model.resize, &img, &region, s->baseline_file);
    image_free(&img);
    if (rc) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", error_message());
        return fail(rc, "--baseline: %s", msg);
    }
    s->baseline.file_chw = s->baseline_file;
    return EXIT_OK;
}

void sampling_release(struct sampling *s)
{
    free(s->baseline_file);
    s->baseline_file = NULL;
    s->baseline.file_chw = NULL;
}

int sampling_baseline(const struct sampling *s, const struct explain_run *run, const float *x,
                      float *out)
{
    const struct card *c = &run->model.card;
    return baseline_make(&s->baseline, x, c->input_h, c->input_w, c->mean, c->std,
                         (uint64_t)s->seed, out);
}

int sampling_pass(struct explain_run *run, int grad, const float *xs, int count, int h, int w,
                  int64_t target, attrib_result **res)
{
    int64_t shape[4] = { count, 3, h, w }, targets[MAX_INTERNAL_BATCH];
    for (int i = 0; i < count; i++)
        targets[i] = target;
    attrib_status st = grad ? attrib_input_gradient(run->model.handle, xs, shape, targets, res)
                            : attrib_forward(run->model.handle, xs, shape, res);
    return st == ATTRIB_OK ? EXIT_OK : explain_shim_error(run, st);
}
