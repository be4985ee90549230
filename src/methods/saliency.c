/* saliency.c - `attrib saliency`: Simonyan et al. 2014, "Deep Inside
 * Convolutional Networks": |d score_c / d input|, max over colour channels. */
#include "explain/method.h"
#include "heatmap.h"
#include "methods.h"

static int saliency(struct explain_run *run, struct batch *b)
{
    int64_t shape[4];
    batch_shape(b, shape);
    attrib_status st = attrib_input_gradient(run->model.handle, b->x, shape, b->targets, &b->res);
    if (st != ATTRIB_OK)
        return explain_shim_error(run, st);
    const float *grad = attrib_result_get(b->res, ATTRIB_OUT_INPUT_GRAD, 0, NULL, NULL);
    size_t per_image = (size_t)3 * b->h * b->w;
    for (int i = 0; i < b->n; i++) {
        heatmap_channel_max_magnitude(grad + i * per_image, 3, b->h, b->w, b->a[i].map);
        explain_sign_map(run, b->a[i].map, (size_t)b->h * b->w);
    }
    return 0;
}

const struct method method_saliency = {
    .name = "saliency",
    .summary = "gradient saliency map (Simonyan et al. 2014)",
    .synopsis =
        "attrib saliency IMAGE|DIR|-... [--class N] [-o DIR] [options]",
    .description =
        "Gradient of the class's unnormalised score with respect to the input pixels,\n"
        "absolute value, maximum over the colour channels (Simonyan et al. 2014): an\n"
        "HxW map at the model's input size (--sign keeps the sign of that channel's\n"
        "gradient). Writes NAME.saliency.png (heatmap),\n"
        "NAME.saliency.overlay.png (over the original, at its size) and\n"
        "NAME.saliency.json (summary); a batch also gets summary.json, summary.csv\n"
        "and index.html.\n",
    .in_eval = 1,
    .signed_map = 1,
    .sign = SIGN_ABSOLUTE,
    .compute = saliency,
};
