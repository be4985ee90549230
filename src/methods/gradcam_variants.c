/* cmd_gradcam.c - `attrib gradcam`: Selvaraju et al. 2016, "Grad-CAM":
 * the layer's channels weighted by their mean gradient, rectified, and
 * upsampled bilinearly to the input size; --variant picks another
 * weighting: Grad-CAM++, Score-CAM or Eigen-CAM (cam.h). */
#include "error.h"
#include "explain/method.h"
#include "gradcam.h"
#include "methods.h"
#include "sampling.h"

/* The methods the variants are, in enum cam_variant order. */
static const struct method *const variants[] = { &method_gradcam, &method_gradcam_pp,
                                                 &method_scorecam, &method_eigencam,
                                                 &method_hirescam, &method_layercam,
                                                 &method_xgradcam, &method_eigengradcam,
                                                 &method_ablationcam };

/* Every variant's compute: the variant is the one its method is. */
static int cam_variant_compute(struct explain_run *run, struct batch *b)
{
    int v = 0;
    while (v + 1 < (int)(sizeof variants / sizeof *variants) && variants[v] != run->method)
        v++;
    return cam_compute(run, b, b->targets, (enum cam_variant)v,
                       METHOD_PARAMS(struct cam_params, run));
}

/* In enum cam_variant order: each is also a method of its own. */
static const char *const variant_names[] = { "gradcam", "gradcam++", "scorecam", "eigencam",
                                             "hirescam", "layercam", "xgradcam",
                                             "eigengradcam", "ablationcam", NULL };

/* Every variant's options (gradcam's also choose the variant). */
static const struct opt variant_options[] = {
    AUG_SMOOTH_OPTION(struct cam_params, aug_smooth),
    OPT_FLAG(0, "eigen-smooth", struct cam_params, eigen_smooth,
             "the first principal component of the weighted activations instead of their sum "
             "(less noise; eigencam and eigengradcam always are)"),
    INTERNAL_BATCH_OPTION(struct cam_params, internal_batch, DEFAULT_FORWARD_BATCH),
    MAX_MEMORY_OPTION(struct cam_params, max_memory),
    OPT_END,
};

static const struct opt gradcam_options[] = {
    OPT_ENUM(0, "variant", struct cam_params, variant, variant_names, CAM_GRADCAM,
             "the CAM to compute (see above)"),
    OPT_GROUP_HERE(NULL, variant_options),
    OPT_END,
};

static const struct method *resolve(const struct explain_run *run)
{
    return variants[METHOD_PARAMS(struct cam_params, run)->variant];
}

#define CAM_SYNOPSIS                                                                            \
    "attrib gradcam IMAGE|DIR|-... [--class N] [--layer PATH]\n"                                \
    "                      [--variant V] [-o DIR] [options]"

#define CAM_DESCRIPTION                                                                        \
    "Class activation maps of a layer, upsampled bilinearly to the model's input size:\n"      \
    "  gradcam    Grad-CAM (Selvaraju et al. 2016, default): the activation maps\n"           \
    "             weighted by the spatial mean of the class score's gradient, summed,\n"      \
    "             rectified (--sign: which part of the sum before the rectifier, for\n"     \
    "             every variant); the backward pass stops at the layer\n"                   \
    "  gradcam++  Grad-CAM++ (Chattopadhay et al. 2018): weights from the positive\n"         \
    "             gradients with higher-order terms\n"                                        \
    "  scorecam   Score-CAM (Wang et al. 2020): each map, scaled to [0, 1], masks the\n"      \
    "             input; softmax of the class scores of the masked copies weighs the\n"       \
    "             maps (forward passes only, --internal-batch at a time)\n"                   \
    "  eigencam   Eigen-CAM (Muhammad & Yeasin 2020): the first principal component of\n"     \
    "             the activations (no class: the same map for every class)\n"                 \
    "  hirescam   HiResCAM (Draelos & Carin 2020): gradient times activation at each\n"      \
    "             position, summed over channels (no averaging of the gradient)\n"           \
    "  layercam   LayerCAM (Jiang et al. 2021): the same with the positive gradient\n"       \
    "  xgradcam   XGradCAM (Fu et al. 2020): weights sum(gradient x activation) /\n"         \
    "             sum(activation)\n"                                                          \
    "  eigengradcam  the first principal component of gradient x activation\n"              \
    "             (pytorch-grad-cam's EigenGradCAM; HiResCAM with --eigen-smooth)\n"          \
    "  ablationcam  Ablation-CAM (Desai & Ramaswamy 2020): w_k = (s - s_k) / s, s_k the\n"   \
    "             class score with channel k zeroed (a forward pass per live channel,\n"     \
    "             --internal-batch at a time; [N, C, H, W] layers)\n"                         \
    "Writes NAME.VARIANT.png, NAME.VARIANT.overlay.png and NAME.VARIANT.json (with the\n"      \
    "layer and its low-resolution map); --raw writes the full-resolution map.\n"

/* Score-CAM's --max-memory. */
static int prepare_scorecam(struct explain_run *run)
{
    struct cam_params *p = METHOD_PARAMS(struct cam_params, run);
    return p->max_memory ? sampling_fit_memory(&p->internal_batch, p->max_memory, run)
                         : EXIT_OK;
}

/* Ablation-CAM zeroes channels of a feature map [N, C, H, W]. */
static int prepare_ablationcam(struct explain_run *run)
{
    if (run->layer_view.layout != ATTRIB_LAYOUT_NCHW)
        return fail(EXIT_USAGE, "ablationcam: layer '%s' is not read as a feature map "
                    "[N, C, H, W] (tokens or channels last): ablating its channels is not "
                    "supported", run->layer);
    return prepare_scorecam(run);
}

#define CAM_METHOD(ident, nm, opts, res, prep, eval)                                    \
    const struct method ident = { .name = nm, .synopsis = CAM_SYNOPSIS,                       \
                                  .description = CAM_DESCRIPTION, .uses_layer = 1,            \
                                  .in_eval = eval, .signed_map = 1, .sign = SIGN_POSITIVE,    \
                                  .options = opts, .resolve = res,                            \
                                  .prepare = prep, .compute = cam_variant_compute }

/* Only gradcam has --variant: the variants are what it resolves to. */
CAM_METHOD(method_gradcam, "gradcam", gradcam_options, resolve, NULL, 1);
CAM_METHOD(method_gradcam_pp, "gradcam++", variant_options, NULL, NULL, 1);
CAM_METHOD(method_scorecam, "scorecam", variant_options, NULL, prepare_scorecam, 0);
CAM_METHOD(method_eigencam, "eigencam", variant_options, NULL, NULL, 1);
CAM_METHOD(method_hirescam, "hirescam", variant_options, NULL, NULL, 0);
CAM_METHOD(method_layercam, "layercam", variant_options, NULL, NULL, 0);
CAM_METHOD(method_xgradcam, "xgradcam", variant_options, NULL, NULL, 0);
CAM_METHOD(method_eigengradcam, "eigengradcam", variant_options, NULL, NULL, 0);
CAM_METHOD(method_ablationcam, "ablationcam", variant_options, NULL, prepare_ablationcam, 0);
