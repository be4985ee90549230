/* cmd_saliency.c - `attrib saliency`: Simonyan et al. 2014, "Deep Inside
 * Convolutional Networks": |d score_c / d input|, max over colour channels. */
#include "commands.h"
#include "explain.h"
#include "heatmap.h"

static int saliency(struct explain_run *run, const float *x, struct attribution *a,
                    struct summary *s)
{
    const int64_t shape[4] = { 1, 3, s->map_h, s->map_w };
    double t0 = now_ms();
    attrib_status st = attrib_input_gradient(run->model.handle, x, shape, &run->opts.target, &a->res);
    s->pass_ms = now_ms() - t0;
    if (st != ATTRIB_OK)
        return explain_shim_error(run, st);
    heatmap_abs_channel_max(attrib_result_input_grad(a->res, NULL), 3, s->map_h, s->map_w, a->map);
    return 0;
}

static const struct method method = {
    .name = "saliency",
    .usage =
        "usage: attrib saliency IMAGE... [--class N] [-o DIR] [options]\n\n"
        "Gradient of the class's unnormalised score with respect to the input pixels,\n"
        "absolute value, maximum over the colour channels (Simonyan et al. 2014): an\n"
        "HxW map at the model's input size. Writes NAME.saliency.png (heatmap),\n"
        "NAME.saliency.overlay.png (over the original, at its size) and\n"
        "NAME.saliency.json (summary).\n",
    .compute = saliency,
};

int cmd_saliency(int argc, char **argv)
{
    return explain_main(&method, argc, argv);
}
