/* methods.c - the attribution methods by name. */
#include "methods.h"

#include <string.h>

static const struct method *const all[] = {
    &method_saliency, &method_gradcam, &method_gradcam_pp, &method_scorecam, &method_eigencam,
    &method_guided_backprop, &method_deconvnet, &method_guided_gradcam,
    &method_integrated_gradients, &method_smoothgrad, &method_input_x_gradient,
    &method_occlusion,
};

const char method_names[] =
    "saliency, gradcam, gradcam++, scorecam, eigencam, guided-backprop, deconvnet, "
    "guided-gradcam, integrated-gradients, smoothgrad, input-x-gradient, occlusion";

const struct method *method_find(const char *name)
{
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (strcmp(all[i]->name, name) == 0)
            return all[i];
    return NULL;
}
