/* occlusion.c - `attrib occlusion`: Zeiler & Fergus 2013, "Visualizing
 * and Understanding Convolutional Networks": slide a patch of the baseline
 * over the image and record how much the class score drops. */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "explain/method.h"
#include "methods.h"
#include "sampling.h"

#define DEFAULT_WINDOW 32
#define DEFAULT_STRIDE 16
#define MAX_WINDOW 4096

struct occlusion_params {
    struct sampling sampling;
    long window, stride;
};
SAMPLING_FIRST(struct occlusion_params, sampling);

static const struct opt options[] = {
    OPT_INT(0, "window", struct occlusion_params, window, 1, MAX_WINDOW, DEFAULT_WINDOW, "N",
            "side of the square patch, in pixels of the model's input"),
    OPT_INT(0, "stride", struct occlusion_params, stride, 1, MAX_WINDOW, DEFAULT_STRIDE, "N",
            "pixels between patch positions"),
    BASELINE_OPTION(struct occlusion_params, sampling.baseline, "zeros"),
    SAMPLING_OPTIONS(struct occlusion_params, sampling, forward),
    OPT_END,
};

static int prepare(struct explain_run *run)
{
    const struct card *c = &run->model.card;
    struct occlusion_params *p = METHOD_PARAMS(struct occlusion_params, run);
    if (p->window > c->input_w || p->window > c->input_h)
        return fail(EXIT_USAGE, "--window %ld is larger than the model's input (%dx%d)",
                    p->window, c->input_w, c->input_h);
    return sampling_prepare(&p->sampling, run);
}

/* Window positions along a side of n pixels: 0, stride, ... while the
 * window fits (as Captum's Occlusion slides). */
static int positions(const struct occlusion_params *op, int n)
{
    return (n - (int)op->window) / (int)op->stride + 1;
}

/* x with the window at (px, py) taken from base, into out. */
static void occlude(const struct occlusion_params *op, const float *x, const float *base, int h,
                    int w, int px, int py, float *out)
{
    const size_t plane = (size_t)h * w;
    const int win = (int)op->window;
    memcpy(out, x, 3 * plane * sizeof *out);
    for (int c = 0; c < 3; c++)
        for (int y = py; y < py + win; y++)
            memcpy(out + c * plane + (size_t)y * w + px, base + c * plane + (size_t)y * w + px,
                   (size_t)win * sizeof *out);
}

/* map = mean over the windows covering each pixel of score(x) - score(occluded). */
static int occlusion_map(struct explain_run *run, const float *x, const float *base, int h,
                         int w, int64_t target, double score, float *map)
{
    const size_t n = (size_t)3 * h * w;
    const struct occlusion_params *op = METHOD_PARAMS(struct occlusion_params, run);
    const int nx = positions(op, w), ny = positions(op, h), total = nx * ny;
    const int chunk = (int)op->sampling.internal_batch, win = (int)op->window;
    float *xs = malloc((size_t)chunk * n * sizeof *xs);
    double *sum = calloc((size_t)h * w, sizeof *sum);
    int *count = calloc((size_t)h * w, sizeof *count);
    int rc = xs && sum && count ? EXIT_OK : fail(EXIT_INTERNAL, "out of memory");
    for (int first = 0; rc == EXIT_OK && first < total; first += chunk) {
        int k, m = total - first < chunk ? total - first : chunk;
        for (k = 0; k < m; k++) {
            int p = first + k;
            occlude(op, x, base, h, w, p % nx * (int)op->stride, p / nx * (int)op->stride,
                    xs + k * n);
        }
        attrib_result *res = NULL;
        rc = sampling_pass(run, 0, xs, m, h, w, target, &res);
        int64_t classes;
        const float *logits = rc == EXIT_OK ? result_logits(res, NULL, &classes) : NULL;
        for (k = 0; rc == EXIT_OK && k < m; k++) {
            int p = first + k, px = p % nx * (int)op->stride, py = p / nx * (int)op->stride;
            double drop = score - explain_objective(run, logits + k * classes, classes, target);
            for (int y = py; y < py + win; y++)
                for (int xx = px; xx < px + win; xx++) {
                    sum[(size_t)y * w + xx] += drop;
                    count[(size_t)y * w + xx]++;
                }
        }
        attrib_result_free(res);
        explain_passes(run, first + m, total);
    }
    for (size_t j = 0; rc == EXIT_OK && j < (size_t)h * w; j++)
        map[j] = count[j] ? (float)(sum[j] / count[j]) : 0.0f;
    free(xs);
    free(sum);
    free(count);
    return rc;
}

static int occlusion_image(struct explain_run *run, struct batch *b, int i, const float *x,
                           const float *base)
{
    const struct occlusion_params *op = METHOD_PARAMS(struct occlusion_params, run);
    int rc = occlusion_map(run, x, base, b->h, b->w, explain_target(b, i),
                           explain_target_score(run, b, i), b->a[i].map);
    explain_sign_map(run, b->a[i].map, (size_t)b->h * b->w);
    struct summary *s = &b->s[i];
    summary_detail_number(s, "window", (double)op->window);
    summary_detail_number(s, "stride", (double)op->stride);
    summary_detail_text(s, "baseline", baseline_name(&op->sampling.baseline));
    summary_detail_number(s, "internal_batch", (double)op->sampling.internal_batch);
    summary_detail_number(s, "positions", positions(op, b->w) * positions(op, b->h));
    return rc;
}

static int occlusion(struct explain_run *run, struct batch *b)
{
    return sampling_each_image(run, b, &METHOD_PARAMS(struct occlusion_params, run)->sampling,
                               occlusion_image);
}

const struct method method_occlusion = {
    .name = "occlusion",
    .many_passes = 1,
    .summary = "score drop when a sliding patch hides the image (Zeiler & Fergus)",
    .synopsis =
        "attrib occlusion IMAGE|DIR|-... [--class N] [--window 32] [--stride 16]\n"
        "                        [--baseline zeros|black|blur|noise|FILE] [options]",
    .description =
        "Occlusion (Zeiler & Fergus 2013): a square of the baseline slides over the image\n"
        "(at the model's input size) and each pixel gets the mean drop of the class's\n"
        "unnormalised score over the windows that covered it (positive: hiding it\n"
        "hurts the class, negative: it hides evidence against it), drawn signed by\n"
        "default. Forward passes only, --internal-batch at a time. Writes\n"
        "NAME.occlusion.png, .overlay.png and .json.\n",
    .in_eval = 1,
    .signed_map = 1,
    .sign = SIGN_SIGNED,
    .options = options,
    .prepare = prepare,
    .release = sampling_method_release,
    .compute = occlusion,
};
