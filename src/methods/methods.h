/* methods.h - every attribution method, by name: the subcommands run one
 * each, `attrib eval` runs several on the same image. */
#ifndef ATTRIB_METHODS_H
#define ATTRIB_METHODS_H

#include <stddef.h>

#include "explain/method.h"

extern const struct method method_saliency, method_gradcam, method_gradcam_pp,
    method_scorecam, method_eigencam, method_hirescam, method_layercam, method_xgradcam,
    method_eigengradcam, method_ablationcam, method_fem, method_kpcacam, method_fullgrad, method_rise, method_gradient_shap, method_deeplift, method_lrp,
    method_lime, method_kernel_shap,
    method_guided_backprop, method_deconvnet,
    method_guided_gradcam, method_integrated_gradients, method_smoothgrad,
    method_input_x_gradient, method_occlusion, method_attention_rollout,
    method_attention_relevance;

extern const int nmethods;

/* Method i of nmethods (in eval's order), or NULL. */
const struct method *method_at(int i);

/* NULL when there is no method of that name. */
const struct method *method_find(const char *name);

/* "saliency, input-x-gradient, ..." into buf: all methods, or those in
 * eval's default set. */
void method_names(char *buf, size_t size, int eval_default_only);

#endif
