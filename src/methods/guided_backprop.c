/* guided_backprop.c - `attrib guided-backprop`: Springenberg et al.
 * 2015, "Striving for Simplicity": the input gradient with every rectifier
 * passing back only positive gradients where its input was positive. */
#include "explain/method.h"
#include "guided.h"
#include "methods.h"

const struct method method_guided_backprop = {
    .name = "guided-backprop",
    .summary = "guided backpropagation (Springenberg et al. 2015)",
    .synopsis =
        "attrib guided-backprop IMAGE|DIR|-... [--class N] [-o DIR] [options]",
    .description =
        "Guided backpropagation (Springenberg et al. 2015): the gradient of the class\n"
        "score with respect to the input, with every ReLU, ReLU6 and leaky ReLU passing\n"
        "back only positive gradients where its input was in the linear range. Writes\n"
        "NAME.guided-backprop.png (|max over channels| heatmap), .rgb.png (the signed\n"
        "gradient as a picture), .overlay.png and .json; --raw writes the 3xHxW gradient.\n",
    .in_eval = 1,
    .signed_map = 1,
    .sign = SIGN_ABSOLUTE,
    .compute = guided_compute,
};
