/* sampling.c - options and passes shared by the many-pass methods. */
#include "sampling.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "error.h"

const struct opt sampling_gradient_options[] = {
    INTERNAL_BATCH_OPTION(struct sampling, internal_batch, DEFAULT_GRADIENT_BATCH),
    SEED_OPTION(struct sampling, seed),
    MAX_MEMORY_OPTION(struct sampling, max_memory),
    OPT_END,
};

const struct opt sampling_forward_options[] = {
    INTERNAL_BATCH_OPTION(struct sampling, internal_batch, DEFAULT_FORWARD_BATCH),
    SEED_OPTION(struct sampling, seed),
    MAX_MEMORY_OPTION(struct sampling, max_memory),
    OPT_END,
};

void baseline_option_format(const void *baseline, char *buf, size_t size)
{
    snprintf(buf, size, "%s", baseline_name(baseline));
}

int baseline_option_parse(const struct opt *o, const char *arg, void *baseline)
{
    (void)o;
    if (!*arg)
        return fail(EXIT_USAGE, "--baseline needs a value, got an empty one");
    baseline_parse(arg, baseline);
    return EXIT_OK;
}

/* The process's resident memory now and (peak: unless NULL) at its peak,
 * in MB. Linux's
 * /proc/self/status, whose VmHWM starts afresh at exec; getrusage's
 * ru_maxrss does not (it carries the forking parent's over, e.g. a Python
 * test's 1 GB) and stands in for both only where /proc is missing. */
static void resident_mb(double *now, double *peak)
{
    char line[256];
    long rss = -1, hwm = -1;
    FILE *f = fopen("/proc/self/status", "r");
    while (f && fgets(line, sizeof line, f)) {
        sscanf(line, "VmRSS: %ld kB", &rss);
        sscanf(line, "VmHWM: %ld kB", &hwm);
    }
    if (f)
        fclose(f);
    if (rss < 0 || hwm < 0) {
        struct rusage u;
        rss = hwm = getrusage(RUSAGE_SELF, &u) == 0 ? u.ru_maxrss : 0;
    }
    *now = rss / 1024.0;
    if (peak)
        *peak = hwm / 1024.0;
}

/* Inputs beyond the second grew the peak by up to 15 % more than the
 * second did (MobileNetV2, batches 5-9): each counts this much more. */
#define MEMORY_MARGIN 1.25

/* Forward+backward probe passes over 1 and 2 inputs (every method's
 * reference pass is one, at --batch-size images, and no pass of theirs
 * takes more per input, so forward-only methods get a conservative batch):
 * the peak after the first is the process's footprint with one input; as
 * freed memory stays with the process (the shim's keep_freed_memory), the
 * resident growth from the first to the second is what each more input
 * adds, with the method's chunk buffers (input and gradient copies). */
int sampling_fit_memory(long *internal_batch, long max_memory, struct explain_run *run)
{
    const struct card *c = &run->model.card;
    const size_t n = (size_t)3 * c->input_h * c->input_w;
    float *zeros = calloc(2 * n, sizeof *zeros);
    if (!zeros)
        return fail(EXIT_INTERNAL, "out of memory");
    double now[2], one = 0;
    int rc = EXIT_OK;
    for (int k = 1; rc == EXIT_OK && k <= 2; k++) {
        attrib_result *res = NULL;
        rc = sampling_pass(run, 1, zeros, k, c->input_h, c->input_w, -1, &res);
        attrib_result_free(res);
        resident_mb(&now[k - 1], k == 1 ? &one : NULL);
    }
    free(zeros);
    if (rc)
        return rc;
    double each = MEMORY_MARGIN * (now[1] - now[0] + 2.0 * n * sizeof(float) / (1 << 20));
    long fit = 1 + (long)((max_memory - one) / (each > 1 ? each : 1));
    long need = run->opts.batch_size > 1 ? run->opts.batch_size : 1;
    if (one > max_memory || fit < need)
        return fail(EXIT_USAGE, "--max-memory %ld MB is too little here: one input takes the "
                    "process to %.0f MB and each more input adds ~%.0f MB%s", max_memory,
                    one, each, need > 1 ? " (--batch-size images go through together; "
                    "--batch-size 1 needs the least)" : "");
    if (fit < *internal_batch)
        *internal_batch = fit;
    return EXIT_OK;
}

int sampling_prepare(struct sampling *s, struct explain_run *run)
{
    if (s->max_memory) {
        int rc = sampling_fit_memory(&s->internal_batch, s->max_memory, run);
        if (rc)
            return rc;
    }
    if (s->baseline.kind != BASELINE_FILE)
        return EXIT_OK;
    const struct card *c = &run->model.card;
    free(s->baseline_file);
    s->baseline_file = malloc((size_t)3 * c->input_w * c->input_h * sizeof(float));
    if (!s->baseline_file)
        return fail(EXIT_INTERNAL, "out of memory");
    int rc = model_read_input(&run->model, run->opts.model.resize, s->baseline.file, NULL, NULL,
                              s->baseline_file, NULL);
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

int sampling_each_image(struct explain_run *run, struct batch *b, const struct sampling *s,
                        sampling_image_fn one)
{
    int rc = explain_reference_pass(run, b);
    const size_t n = (size_t)3 * b->h * b->w;
    float *base = rc == EXIT_OK ? malloc(n * sizeof *base) : NULL;
    if (rc == EXIT_OK && !base)
        rc = fail(EXIT_INTERNAL, "out of memory");
    for (int i = 0; rc == EXIT_OK && i < b->n; i++) {
        const float *x = b->x + i * n;
        rc = sampling_baseline(s, run, x, base);
        if (rc == EXIT_OK)
            rc = one(run, b, i, x, base);
    }
    free(base);
    return rc;
}

int sampling_method_prepare(struct explain_run *run)
{
    return sampling_prepare(METHOD_PARAMS(struct sampling, run), run);
}

void sampling_method_release(struct explain_run *run)
{
    sampling_release(METHOD_PARAMS(struct sampling, run));
}
