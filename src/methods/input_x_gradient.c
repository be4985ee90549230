/* input_x_gradient.c - `attrib input-x-gradient`: the input times its
 * gradient, pointwise (Shrikumar et al. 2016): a first-order estimate of
 * each pixel's contribution to the score. */
#include "explain/method.h"
#include "heatmap.h"
#include "methods.h"

static int input_x_gradient(struct explain_run *run, struct batch *b)
{
    int rc = explain_reference_pass(run, b);
    if (rc)
        return rc;
    const float *grad = attrib_result_get(b->res, ATTRIB_OUT_INPUT_GRAD, 0, NULL, NULL);
    const size_t n = (size_t)3 * b->h * b->w;
    for (int i = 0; i < b->n; i++) {
        struct attribution *a = &b->a[i];
        for (size_t j = 0; j < n; j++)
            a->chw[j] = b->x[i * n + j] * grad[i * n + j];
        a->has_chw = 1;
        heatmap_channel_sum(a->chw, 3, b->h, b->w, a->map);
        explain_sign_map(run, a->map, (size_t)b->h * b->w);
    }
    return 0;
}

const struct method method_input_x_gradient = {
    .name = "input-x-gradient",
    .summary = "input times its gradient",
    .synopsis =
        "attrib input-x-gradient IMAGE|DIR|-... [--class N] [-o DIR] [options]",
    .description =
        "Input x gradient (Shrikumar et al. 2016): the normalised input times the\n"
        "gradient of the class score, pointwise; the heatmap is |sum over colour\n"
        "channels|, --raw writes the signed 3xHxW product. Integrated gradients with\n"
        "a zeros baseline and one step. Writes NAME.input-x-gradient.png, .rgb.png,\n"
        ".overlay.png and .json.\n",
    .in_eval = 1,
    .signed_map = 1,
    .sign = SIGN_ABSOLUTE,
    .compute = input_x_gradient,
};
