/* cmd_deconvnet.c - `attrib deconvnet`: Zeiler & Fergus 2013: the input
 * gradient with every rectifier passing back only the positive part of the
 * gradient, whatever its forward input was. */
#include "commands.h"
#include "explain.h"
#include "guided.h"
#include "methods.h"

static int deconvnet(struct explain_run *run, struct batch *b)
{
    return modified_backward_compute(run, b, ATTRIB_DECONVNET);
}

const struct method method_deconvnet = {
    .name = "deconvnet",
    .usage =
        "usage: attrib deconvnet IMAGE|DIR|-... [--class N] [-o DIR] [options]\n\n"
        "Deconvnet (Zeiler & Fergus 2013): the gradient of the class score with respect\n"
        "to the input, with every ReLU, ReLU6 and leaky ReLU passing back only positive\n"
        "gradients, whatever its forward input (guided backprop also requires the\n"
        "input to have been in the linear range). Writes NAME.deconvnet.png (|max over\n"
        "channels|), .rgb.png, .overlay.png and .json; --raw writes the 3xHxW gradient.\n",
    .compute = deconvnet,
};

int cmd_deconvnet(int argc, char **argv)
{
    return explain_main(&method_deconvnet, argc, argv);
}
