/* cmd_guided_backprop.c - `attrib guided-backprop`: Springenberg et al.
 * 2015, "Striving for Simplicity": the input gradient with every rectifier
 * passing back only positive gradients where its input was positive. */
#include <string.h>

#include "commands.h"
#include "explain.h"
#include "guided.h"
#include "heatmap.h"
#include "methods.h"

int modified_backward_compute(struct explain_run *run, struct batch *b,
                              attrib_backward_rule rule)
{
    int64_t shape[4];
    batch_shape(b, shape);
    attrib_status st = attrib_modified_gradient(run->model.handle, rule, b->x, shape,
                                                b->targets, &b->res);
    if (st != ATTRIB_OK)
        return explain_shim_error(run, st);
    const float *grad = attrib_result_input_grad(b->res, NULL);
    size_t per_image = (size_t)3 * b->h * b->w;
    for (int i = 0; i < b->n; i++) {
        memcpy(b->a[i].chw, grad + i * per_image, per_image * sizeof(float));
        b->a[i].has_chw = 1;
        heatmap_abs_channel_max(b->a[i].chw, 3, b->h, b->w, b->a[i].map);
    }
    return 0;
}

int guided_compute(struct explain_run *run, struct batch *b)
{
    return modified_backward_compute(run, b, ATTRIB_GUIDED);
}

const struct method method_guided_backprop = {
    .name = "guided-backprop",
    .usage =
        "usage: attrib guided-backprop IMAGE|DIR|-... [--class N] [-o DIR] [options]\n\n"
        "Guided backpropagation (Springenberg et al. 2015): the gradient of the class\n"
        "score with respect to the input, with every ReLU, ReLU6 and leaky ReLU passing\n"
        "back only positive gradients where its input was in the linear range. Writes\n"
        "NAME.guided-backprop.png (|max over channels| heatmap), .rgb.png (the signed\n"
        "gradient as a picture), .overlay.png and .json; --raw writes the 3xHxW gradient.\n",
    .compute = guided_compute,
};

int cmd_guided_backprop(int argc, char **argv)
{
    return explain_main(&method_guided_backprop, argc, argv);
}
