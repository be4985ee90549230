/* guided_gradcam.c - `attrib guided-gradcam`: guided backpropagation
 * times the upsampled Grad-CAM map, pointwise (Selvaraju et al. 2016). */
#include <string.h>

#include "explain/method.h"
#include "gradcam.h"
#include "guided.h"
#include "heatmap.h"
#include "methods.h"

static int guided_gradcam(struct explain_run *run, struct batch *b)
{
    int rc = guided_compute(run, b);
    if (rc)
        return rc;
    /* Grad-CAM explains the classes the guided pass explained; its upsampled
     * maps replace a->map while the guided gradients stay in a->chw. */
    int64_t targets[MAX_BATCH_SIZE];
    memcpy(targets, attrib_result_targets(b->res), (size_t)b->n * sizeof *targets);
    attrib_result_free(b->res);
    b->res = NULL;
    if ((rc = cam_compute(run, b, targets, CAM_GRADCAM, NULL)))
        return rc;
    size_t plane = (size_t)b->h * b->w;
    for (int i = 0; i < b->n; i++) {
        struct attribution *a = &b->a[i];
        for (int c = 0; c < 3; c++)
            for (size_t k = 0; k < plane; k++)
                a->chw[c * plane + k] *= a->map[k];
        heatmap_abs_channel_max(a->chw, 3, b->h, b->w, a->map);
    }
    return 0;
}

const struct method method_guided_gradcam = {
    .name = "guided-gradcam",
    .summary = "guided backprop times Grad-CAM",
    .synopsis =
        "attrib guided-gradcam IMAGE|DIR|-... [--class N] [--layer PATH] [-o DIR] [options]",
    .description =
        "Guided Grad-CAM (Selvaraju et al. 2016): the guided-backpropagation gradient\n"
        "multiplied pointwise by the Grad-CAM map upsampled to the input size. Writes\n"
        "NAME.guided-gradcam.png (|max over channels| heatmap), .rgb.png, .overlay.png\n"
        "and .json (with the layer); --raw writes the 3xHxW product.\n",
    .uses_layer = 1,
    .sign = SIGN_POSITIVE, /* of its Grad-CAM: the paper's */
    .compute = guided_gradcam,
};
