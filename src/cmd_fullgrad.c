/* cmd_fullgrad.c - `attrib fullgrad`: Srinivas & Fleuret 2019, "Full-Gradient
 * Representation for Neural-Network Visualization". For a network whose
 * pieces are linear with biases, the score is the input times its gradient
 * plus, over every bias, the bias times the gradient at the layer that adds
 * it. FullGrad draws all of those terms: each |term| channel, rescaled to
 * [0, 1] and upsampled to the input, summed - as the authors' code and
 * pytorch-grad-cam's FullGrad compute it (convolution biases and batch-norm
 * biases, beta - mean * gamma / sqrt(var + eps); the classifier's 1-D bias
 * has no map and is left out). One pass, no layer to choose. */
#include <math.h>
#include <stdlib.h>

#include "error.h"
#include "explain.h"
#include "image.h"
#include "methods.h"

/* pytorch-grad-cam's scale_cam_image: (v - min) / (RESCALE_EPS + max - min),
 * so a flat term (a zero bias) adds nothing instead of dividing by zero. */
#define RESCALE_EPS 1e-7

/* acc (n floats) += |scale * g| rescaled to [0, 1]. */
static void add_rescaled(const float *g, float scale, size_t n, float *acc)
{
    float lo = INFINITY, hi = -INFINITY;
    for (size_t j = 0; j < n; j++) {
        float v = fabsf(scale * g[j]);
        lo = fminf(lo, v);
        hi = fmaxf(hi, v);
    }
    const double range = RESCALE_EPS + ((double)hi - lo);
    for (size_t j = 0; j < n; j++)
        acc[j] += (float)((fabsf(scale * g[j]) - lo) / range);
}

/* Image i's map: its input terms (one per colour channel), then every bias
 * layer's channels. A layer's rescaled channels are summed at its own size
 * and upsampled once: upsampling is linear, so that is the sum of the
 * upsampled channels. acc holds the largest layer plane, up the input's.
 * Returns how many terms it summed in *terms. */
static int fullgrad_map(struct batch *b, int i, float *acc, float *up, long *terms)
{
    const size_t plane = (size_t)b->h * b->w;
    const float *x = b->x + (size_t)i * 3 * plane;
    const float *g = attrib_result_input_grad(b->res, NULL) + (size_t)i * 3 * plane;
    float *map = b->a[i].map;
    for (size_t j = 0; j < plane; j++)
        map[j] = 0;
    for (int c = 0; c < 3; c++) { /* |x * grad|, a colour channel at a time */
        for (size_t j = 0; j < plane; j++)
            up[j] = x[c * plane + j] * g[c * plane + j];
        add_rescaled(up, 1.0f, plane, map);
    }
    *terms = 3;
    for (size_t l = 0; l < attrib_result_bias_count(b->res); l++) {
        int64_t shape[4], ch;
        const float *gl = attrib_result_bias_grad(b->res, l, shape);
        const float *bias = attrib_result_bias(b->res, l, &ch);
        const int w = (int)shape[3], h = (int)shape[2];
        const size_t n = (size_t)w * h;
        for (size_t j = 0; j < n; j++)
            acc[j] = 0;
        for (int64_t c = 0; c < ch; c++)
            add_rescaled(gl + ((size_t)i * ch + c) * n, bias[c], n, acc);
        *terms += (long)ch;
        const float *src = acc;
        if (w != b->w || h != b->h) {
            struct rect whole = { 0, 0, w, h };
            int rc = image_resize_plane(acc, w, h, 1, whole, up, b->w, b->h);
            if (rc)
                return rc;
            src = up;
        }
        for (size_t j = 0; j < plane; j++)
            map[j] += src[j];
    }
    return EXIT_OK;
}

static int fullgrad(struct explain_run *run, struct batch *b)
{
    int64_t shape[4];
    batch_shape(b, shape);
    attrib_status st = attrib_bias_gradients(run->model.handle, b->x, shape, b->targets, &b->res);
    if (st != ATTRIB_OK)
        return explain_shim_error(run, st);
    const size_t plane = (size_t)b->h * b->w;
    size_t largest = plane; /* the largest layer plane, for acc */
    for (size_t l = 0; l < attrib_result_bias_count(b->res); l++) {
        int64_t s[4];
        attrib_result_bias_grad(b->res, l, s);
        if ((size_t)(s[2] * s[3]) > largest)
            largest = (size_t)(s[2] * s[3]);
    }
    float *acc = malloc(largest * sizeof *acc), *up = malloc(plane * sizeof *up);
    int rc = acc && up ? EXIT_OK : fail(EXIT_INTERNAL, "out of memory");
    for (int i = 0; rc == EXIT_OK && i < b->n; i++) {
        long terms;
        rc = fullgrad_map(b, i, acc, up, &terms);
        summary_detail_number(&b->s[i], "bias_layers", (double)attrib_result_bias_count(b->res));
        summary_detail_number(&b->s[i], "terms", (double)terms);
    }
    free(acc);
    free(up);
    return rc;
}

const struct method method_fullgrad = {
    .name = "fullgrad",
    .synopsis = "attrib fullgrad IMAGE|DIR|-... [--class N] [-o DIR] [options]",
    .description =
        "FullGrad (Srinivas & Fleuret 2019): the input times its gradient plus, for every\n"
        "layer that adds a bias per channel (convolutions with a bias; batch norms, whose\n"
        "bias is beta - mean * gamma / sqrt(var + eps)), that bias times the gradient at\n"
        "the layer's output. Each term's absolute value is rescaled to [0, 1] per channel,\n"
        "upsampled to the input and summed, as the authors' code and pytorch-grad-cam do.\n"
        "One pass over every layer: no --layer. Writes NAME.fullgrad.png, .overlay.png\n"
        "and .json (bias_layers, terms).\n",
    .in_eval = 0,
    .sign = SIGN_POSITIVE,
    .compute = fullgrad,
};
