/* methods.c - the attribution methods by name: the one list that eval's
 * --methods, its default set and the messages that name methods come from. */
#include "methods.h"

#include <stdio.h>
#include <string.h>

/* In the order eval reports them. */
static const struct method *const all[] = {
    &method_saliency, &method_input_x_gradient, &method_integrated_gradients, &method_gradient_shap,
    &method_deeplift, &method_lrp,
    &method_smoothgrad, &method_guided_backprop, &method_deconvnet, &method_guided_gradcam,
    &method_gradcam, &method_gradcam_pp, &method_scorecam, &method_eigencam, &method_hirescam,
    &method_layercam, &method_xgradcam, &method_eigengradcam, &method_ablationcam, &method_fem,
    &method_kpcacam, &method_fullgrad,
    &method_occlusion, &method_rise, &method_lime,
    &method_kernel_shap,
    &method_attention_rollout, &method_attention_relevance,
};

const int nmethods = (int)(sizeof all / sizeof all[0]);

const struct method *method_at(int i)
{
    return i >= 0 && i < nmethods ? all[i] : NULL;
}

const struct method *method_find(const char *name)
{
    for (int i = 0; i < nmethods; i++)
        if (strcmp(all[i]->name, name) == 0)
            return all[i];
    return NULL;
}

void method_names(char *buf, size_t size, int eval_default_only)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < nmethods && used < size; i++)
        if (!eval_default_only || all[i]->in_eval)
            used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? ", " : "",
                                     all[i]->name);
}
