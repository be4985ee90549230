/* deconvnet.c - `attrib deconvnet`: Zeiler & Fergus 2013: the input
 * gradient with every rectifier passing back only the positive part of the
 * gradient, whatever its forward input was. */
#include "explain/method.h"
#include "guided.h"
#include "methods.h"

static int deconvnet(struct explain_run *run, struct batch *b)
{
    return modified_backward_compute(run, b, ATTRIB_DECONVNET);
}

const struct method method_deconvnet = {
    .name = "deconvnet",
    .summary = "deconvnet backward rule (Zeiler & Fergus 2013)",
    .synopsis =
        "attrib deconvnet IMAGE|DIR|-... [--class N] [-o DIR] [options]",
    .description =
        "Deconvnet (Zeiler & Fergus 2013): the gradient of the class score with respect\n"
        "to the input, with every ReLU, ReLU6 and leaky ReLU passing back only positive\n"
        "gradients, whatever its forward input (guided backprop also requires the\n"
        "input to have been in the linear range). Writes NAME.deconvnet.png (|max over\n"
        "channels|), .rgb.png, .overlay.png and .json; --raw writes the 3xHxW gradient.\n",
    .signed_map = 1,
    .sign = SIGN_ABSOLUTE,
    .compute = deconvnet,
};
