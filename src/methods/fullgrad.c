/* fullgrad.c - `attrib fullgrad`: Srinivas & Fleuret 2019, "Full-Gradient
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
#include <string.h>

#include "augment.h"
#include "cam.h"
#include "error.h"
#include "explain/method.h"
#include "gradcam.h"
#include "image.h"
#include "methods.h"

/* pytorch-grad-cam's scale_cam_image: (v - min) / (RESCALE_EPS + max - min),
 * so a flat term (a zero bias) adds nothing instead of dividing by zero. */
#define RESCALE_EPS 1e-7

struct fullgrad_params {
    int aug_smooth;   /* --aug-smooth */
    int eigen_smooth; /* --eigen-smooth */
};

static const struct opt options[] = {
    AUG_SMOOTH_OPTION(struct fullgrad_params, aug_smooth),
    OPT_FLAG(0, "eigen-smooth", struct fullgrad_params, eigen_smooth,
             "the first principal component of the terms (3 + one per bias layer) instead of "
             "their sum"),
    OPT_END,
};

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

/* Image i's terms, each at the input's size: its input terms (one per
 * colour channel), then one per bias layer - the layer's rescaled channels
 * summed at its own size and upsampled once (upsampling is linear, so that
 * is the sum of the upsampled channels). Each is added to map, or written
 * to terms[k] (k < 3 + bias layers) when terms is not NULL. acc holds the
 * largest layer plane, up the input's. */
static int fullgrad_terms(const struct batch *b, int i, float *acc, float *up, float *map,
                          double *terms)
{
    const size_t plane = (size_t)b->h * b->w;
    const float *x = b->x + (size_t)i * 3 * plane;
    const float *g =
        attrib_result_get(b->res, ATTRIB_OUT_INPUT_GRAD, 0, NULL, NULL) + (size_t)i * 3 * plane;
    const size_t layers = attrib_result_count(b->res, ATTRIB_OUT_BIAS);
    for (size_t j = 0; j < plane; j++)
        map[j] = 0;
    for (size_t k = 0; k < 3 + layers; k++) {
        const float *term = acc;
        if (k < 3) { /* |x * grad|, a colour channel at a time */
            for (size_t j = 0; j < plane; j++)
                up[j] = x[k * plane + j] * g[k * plane + j];
            for (size_t j = 0; j < plane; j++)
                acc[j] = 0;
            add_rescaled(up, 1.0f, plane, acc);
        } else {
            int64_t shape[4], ch;
            const float *gl = attrib_result_get(b->res, ATTRIB_OUT_BIAS_GRAD, k - 3, shape, NULL);
            const float *bias = attrib_result_get(b->res, ATTRIB_OUT_BIAS, k - 3, &ch, NULL);
            const int w = (int)shape[3], h = (int)shape[2];
            const size_t n = (size_t)w * h;
            for (size_t j = 0; j < n; j++)
                acc[j] = 0;
            for (int64_t c = 0; c < ch; c++)
                add_rescaled(gl + ((size_t)i * ch + c) * n, bias[c], n, acc);
            if (w != b->w || h != b->h) {
                struct rect whole = { 0, 0, w, h };
                int rc = image_resize_plane(acc, w, h, 1, whole, up, b->w, b->h);
                if (rc)
                    return rc;
                term = up;
            }
        }
        for (size_t j = 0; j < plane; j++) {
            if (terms)
                terms[k * plane + j] = term[j];
            else
                map[j] += term[j];
        }
    }
    return EXIT_OK;
}

/* The number of terms of b's pass: 3 colour channels plus every bias
 * layer's channels. */
static long term_count(const struct batch *b)
{
    long terms = 3;
    for (size_t l = 0; l < attrib_result_count(b->res, ATTRIB_OUT_BIAS); l++) {
        int64_t ch;
        attrib_result_get(b->res, ATTRIB_OUT_BIAS, l, &ch, NULL);
        terms += (long)ch;
    }
    return terms;
}

/* Every image's map from b's pass (b->res) into maps [n][h * w]: the sum of
 * the terms, or with eigen_smooth their first principal component (the
 * 3 + L term maps as channels, as pytorch-grad-cam's eigen_smooth). */
static int fullgrad_maps(const struct batch *b, int eigen_smooth, float *maps)
{
    const size_t plane = (size_t)b->h * b->w, maps_per_image = 3 + attrib_result_count(b->res, ATTRIB_OUT_BIAS);
    size_t largest = plane; /* the largest layer plane, for acc */
    for (size_t l = 0; l < attrib_result_count(b->res, ATTRIB_OUT_BIAS); l++) {
        int64_t s[4];
        attrib_result_get(b->res, ATTRIB_OUT_BIAS_GRAD, l, s, NULL);
        if ((size_t)(s[2] * s[3]) > largest)
            largest = (size_t)(s[2] * s[3]);
    }
    float *acc = malloc(largest * sizeof *acc), *up = malloc(plane * sizeof *up);
    double *terms = eigen_smooth ? malloc(maps_per_image * plane * sizeof *terms) : NULL;
    int rc = acc && up && (terms || !eigen_smooth) ? EXIT_OK : fail(EXIT_INTERNAL, "out of memory");
    for (int i = 0; rc == EXIT_OK && i < b->n; i++) {
        float *map = maps + (size_t)i * plane;
        rc = fullgrad_terms(b, i, acc, up, map, terms);
        if (rc == EXIT_OK && eigen_smooth)
            rc = cam_principal_component(terms, (int)maps_per_image, b->h, b->w, map);
    }
    free(acc);
    free(up);
    free(terms);
    return rc;
}

static int bias_pass(struct explain_run *run, const float *x, struct batch *b, attrib_result **res)
{
    int64_t shape[4];
    batch_shape(b, shape);
    attrib_status st = attrib_bias_gradients(run->model.handle, x, shape, b->targets, res);
    return st == ATTRIB_OK ? EXIT_OK : explain_shim_error(run, st);
}

/* What one augmented batch's maps need (cam_aug_average's ctx). */
struct fullgrad_pass {
    struct explain_run *run;
    int eigen_smooth;
};

/* One augmented batch's bias pass and every image's map, at the input's size. */
static int augmented_maps(void *ctx, struct batch *aug, float **out, int *h, int *w)
{
    const struct fullgrad_pass *fp = ctx;
    *h = aug->h, *w = aug->w;
    int rc = bias_pass(fp->run, aug->x, aug, &aug->res);
    if (rc == EXIT_OK && !(*out = malloc((size_t)aug->n * aug->h * aug->w * sizeof **out)))
        rc = fail(EXIT_INTERNAL, "out of memory");
    return rc == EXIT_OK ? fullgrad_maps(aug, fp->eigen_smooth, *out) : rc;
}

static int fullgrad(struct explain_run *run, struct batch *b)
{
    const struct fullgrad_params *p = METHOD_PARAMS(struct fullgrad_params, run);
    const size_t plane = (size_t)b->h * b->w;
    float *maps = NULL;
    int rc;
    if (p->aug_smooth) {
        struct fullgrad_pass fp = { run, p->eigen_smooth };
        int h, w;
        rc = cam_aug_average(b, augmented_maps, &fp, &maps, &h, &w);
    } else {
        maps = malloc((size_t)b->n * plane * sizeof *maps);
        rc = maps ? bias_pass(run, b->x, b, &b->res) : fail(EXIT_INTERNAL, "out of memory");
        if (rc == EXIT_OK)
            rc = fullgrad_maps(b, p->eigen_smooth, maps);
    }
    for (int i = 0; rc == EXIT_OK && i < b->n; i++)
        memcpy(b->a[i].map, maps + (size_t)i * plane, plane * sizeof *maps);
    free(maps);
    for (int i = 0; rc == EXIT_OK && i < b->n; i++) {
        struct summary *s = &b->s[i];
        summary_detail_number(s, "bias_layers", (double)attrib_result_count(b->res, ATTRIB_OUT_BIAS));
        summary_detail_number(s, "terms", (double)term_count(b));
        if (p->aug_smooth)
            summary_detail_number(s, "augmentations", AUG_COUNT);
        if (p->eigen_smooth)
            summary_detail_text(s, "smoothing", "eigen");
    }
    return rc;
}

const struct method method_fullgrad = {
    .name = "fullgrad",
    .summary = "FullGrad: input and every bias times its gradient (Srinivas & Fleuret 2019)",
    .synopsis = "attrib fullgrad IMAGE|DIR|-... [--class N] [-o DIR] [options]",
    .description =
        "FullGrad (Srinivas & Fleuret 2019): the input times its gradient plus, for every\n"
        "layer that adds a bias per channel (convolutions with a bias; batch norms, whose\n"
        "bias is beta - mean * gamma / sqrt(var + eps)), that bias times the gradient at\n"
        "the layer's output. Each term's absolute value is rescaled to [0, 1] per channel,\n"
        "upsampled to the input and summed, as the authors' code and pytorch-grad-cam do.\n"
        "One pass over every layer: no --layer. --aug-smooth and --eigen-smooth as for the\n"
        "CAM variants. Writes NAME.fullgrad.png, .overlay.png and .json (bias_layers, terms).\n",
    .in_eval = 0,
    .sign = SIGN_POSITIVE,
    .options = options,
    .compute = fullgrad,
};
