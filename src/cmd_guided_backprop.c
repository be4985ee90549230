/* cmd_guided_backprop.c - `attrib guided-backprop`: Springenberg et al.
 * 2015, "Striving for Simplicity": the input gradient with every rectifier
 * passing back only positive gradients where its input was positive. */
#include <string.h>

#include "commands.h"
#include "explain.h"
#include "guided.h"
#include "heatmap.h"

int guided_compute(struct explain_run *run, const float *x, int64_t target,
                   struct attribution *a, struct summary *s)
{
    const int64_t shape[4] = { 1, 3, s->map_h, s->map_w };
    double t0 = now_ms();
    attrib_status st = attrib_modified_gradient(run->model.handle, ATTRIB_GUIDED, x, shape,
                                                &target, &a->res);
    s->pass_ms = now_ms() - t0;
    if (st != ATTRIB_OK)
        return explain_shim_error(run, st);
    size_t n = (size_t)3 * s->map_h * s->map_w;
    memcpy(a->chw, attrib_result_input_grad(a->res, NULL), n * sizeof(float));
    a->has_chw = 1;
    heatmap_abs_channel_max(a->chw, 3, s->map_h, s->map_w, a->map);
    return 0;
}

static int guided(struct explain_run *run, const float *x, struct attribution *a,
                  struct summary *s)
{
    return guided_compute(run, x, run->opts.target, a, s);
}

static const struct method method = {
    .name = "guided-backprop",
    .usage =
        "usage: attrib guided-backprop IMAGE... [--class N] [-o DIR] [options]\n\n"
        "Guided backpropagation (Springenberg et al. 2015): the gradient of the class\n"
        "score with respect to the input, with every ReLU, ReLU6 and leaky ReLU passing\n"
        "back only positive gradients where its input was in the linear range. Writes\n"
        "NAME.guided-backprop.png (|max over channels| heatmap), .rgb.png (the signed\n"
        "gradient as a picture), .overlay.png and .json; --raw writes the 3xHxW gradient.\n",
    .compute = guided,
};

int cmd_guided_backprop(int argc, char **argv)
{
    return explain_main(&method, argc, argv);
}
