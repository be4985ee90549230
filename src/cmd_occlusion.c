/* cmd_occlusion.c - `attrib occlusion`: Zeiler & Fergus 2013, "Visualizing
 * and Understanding Convolutional Networks": slide a patch of the baseline
 * over the image and record how much the class score drops. */
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "error.h"
#include "explain.h"
#include "methods.h"
#include "sampling.h"

#define DEFAULT_WINDOW 32
#define DEFAULT_STRIDE 16
#define MAX_WINDOW 4096

enum { OPT_WINDOW = OPT_SAMPLING_LAST, OPT_STRIDE };

static struct occlusion_params {
    struct sampling sampling;
    long window, stride;
} params = { .sampling = { .internal_batch = DEFAULT_INTERNAL_BATCH,
                           .baseline = { .kind = BASELINE_ZEROS } },
             .window = DEFAULT_WINDOW, .stride = DEFAULT_STRIDE };

static const struct option options[] = {
    { "window", required_argument, NULL, OPT_WINDOW },
    { "stride", required_argument, NULL, OPT_STRIDE },
    BASELINE_LONGOPT, INTERNAL_BATCH_LONGOPT, SEED_LONGOPT, { 0 },
};

static int parse(struct explain_run *run, int opt, const char *arg)
{
    (void)run;
    switch (opt) {
    case OPT_WINDOW:
        return parse_long(arg, 1, MAX_WINDOW, "--window", &params.window);
    case OPT_STRIDE:
        return parse_long(arg, 1, MAX_WINDOW, "--stride", &params.stride);
    default:
        return sampling_parse(&params.sampling, opt, arg);
    }
}

static int prepare(struct explain_run *run)
{
    const struct card *c = &run->model.card;
    if (params.window > c->input_w || params.window > c->input_h)
        return fail(EXIT_USAGE, "--window %ld is larger than the model's input (%dx%d)",
                    params.window, c->input_w, c->input_h);
    return sampling_prepare(&params.sampling, run);
}

/* Window positions along a side of n pixels: 0, stride, ... while the
 * window fits (as Captum's Occlusion slides). */
static int positions(int n)
{
    return (n - (int)params.window) / (int)params.stride + 1;
}

/* x with the window at (px, py) taken from base, into out. */
static void occlude(const float *x, const float *base, int h, int w, int px, int py, float *out)
{
    const size_t plane = (size_t)h * w;
    const int win = (int)params.window;
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
    const int nx = positions(w), ny = positions(h), total = nx * ny;
    const int chunk = (int)params.sampling.internal_batch, win = (int)params.window;
    float *xs = malloc((size_t)chunk * n * sizeof *xs);
    double *sum = calloc((size_t)h * w, sizeof *sum);
    int *count = calloc((size_t)h * w, sizeof *count);
    int rc = xs && sum && count ? EXIT_OK : fail(EXIT_INTERNAL, "out of memory");
    for (int first = 0; rc == EXIT_OK && first < total; first += chunk) {
        int k, m = total - first < chunk ? total - first : chunk;
        for (k = 0; k < m; k++) {
            int p = first + k;
            occlude(x, base, h, w, p % nx * (int)params.stride, p / nx * (int)params.stride,
                    xs + k * n);
        }
        attrib_result *res = NULL;
        rc = sampling_pass(run, 0, xs, m, h, w, target, &res);
        int64_t classes;
        const float *logits = rc == EXIT_OK ? attrib_result_logits(res, NULL, &classes) : NULL;
        for (k = 0; rc == EXIT_OK && k < m; k++) {
            int p = first + k, px = p % nx * (int)params.stride, py = p / nx * (int)params.stride;
            double drop = score - logits[k * classes + target];
            for (int y = py; y < py + win; y++)
                for (int xx = px; xx < px + win; xx++) {
                    sum[(size_t)y * w + xx] += drop;
                    count[(size_t)y * w + xx]++;
                }
        }
        attrib_result_free(res);
    }
    for (size_t j = 0; rc == EXIT_OK && j < (size_t)h * w; j++)
        map[j] = count[j] ? (float)(sum[j] / count[j]) : 0.0f;
    free(xs);
    free(sum);
    free(count);
    return rc;
}

static int occlusion(struct explain_run *run, struct batch *b)
{
    int rc = explain_reference_pass(run, b);
    if (rc)
        return rc;
    const size_t n = (size_t)3 * b->h * b->w;
    float *base = malloc(n * sizeof *base);
    if (!base)
        return fail(EXIT_INTERNAL, "out of memory");
    for (int i = 0; rc == EXIT_OK && i < b->n; i++) {
        const float *x = b->x + i * n;
        rc = sampling_baseline(&params.sampling, run, x, base);
        if (rc == EXIT_OK)
            rc = occlusion_map(run, x, base, b->h, b->w, explain_target(b, i),
                               explain_target_score(b, i), b->a[i].map);
        struct summary *s = &b->s[i];
        summary_detail_number(s, "window", (double)params.window);
        summary_detail_number(s, "stride", (double)params.stride);
        summary_detail_text(s, "baseline", baseline_name(&params.sampling.baseline));
        summary_detail_number(s, "positions", positions(b->w) * positions(b->h));
    }
    free(base);
    return rc;
}

const struct method method_occlusion = {
    .name = "occlusion",
    .usage =
        "usage: attrib occlusion IMAGE|DIR|-... [--class N] [--window 32] [--stride 16]\n"
        "                        [--baseline zeros|black|blur|noise|FILE] [options]\n\n"
        "Occlusion (Zeiler & Fergus 2013): a square of the baseline slides over the image\n"
        "(at the model's input size) and each pixel gets the mean drop of the class's\n"
        "unnormalised score over the windows that covered it (positive: hiding it\n"
        "hurts the class). Forward passes only, --internal-batch at a time. Writes\n"
        "NAME.occlusion.png, .overlay.png and .json.\n",
    .options = options,
    .options_help =
        "  --window N         side of the square, in input pixels (default: 32)\n"
        "  --stride N         step between windows (default: 16)\n"
        "  --baseline B       what fills the square: zeros (the mean colour, default),\n"
        "                     black, blur, noise (--seed) or an image FILE\n"
        INTERNAL_BATCH_HELP SEED_HELP,
    .parse = parse,
    .prepare = prepare,
    .compute = occlusion,
};

int cmd_occlusion(int argc, char **argv)
{
    return explain_main(&method_occlusion, argc, argv);
}
