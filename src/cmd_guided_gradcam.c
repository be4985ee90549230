/* cmd_guided_gradcam.c - `attrib guided-gradcam`: guided backpropagation
 * times the upsampled Grad-CAM map, pointwise (Selvaraju et al. 2016). */
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "error.h"
#include "explain.h"
#include "gradcam.h"
#include "guided.h"
#include "heatmap.h"

static int guided_gradcam(struct explain_run *run, const float *x, struct attribution *a,
                          struct summary *s)
{
    size_t plane = (size_t)s->map_h * s->map_w;
    struct attribution guided = { .map = a->map, .chw = a->chw };
    int rc = guided_compute(run, x, run->opts.target, &guided, s);
    double guided_ms = s->pass_ms;
    int64_t target = rc ? -1 : attrib_result_targets(guided.res)[0];
    attrib_result_free(guided.res);
    if (rc)
        return rc;
    /* Grad-CAM writes its upsampled map into a->map; the guided gradient
     * stays in a->chw. Both explain the class the first pass explained. */
    rc = gradcam_compute(run, x, target, a, s);
    s->pass_ms += guided_ms;
    if (rc)
        return rc;
    for (int c = 0; c < 3; c++)
        for (size_t i = 0; i < plane; i++)
            a->chw[c * plane + i] *= a->map[i];
    a->has_chw = 1;
    heatmap_abs_channel_max(a->chw, 3, s->map_h, s->map_w, a->map);
    return 0;
}

static const struct method method = {
    .name = "guided-gradcam",
    .usage =
        "usage: attrib guided-gradcam IMAGE... [--class N] [--layer PATH] [-o DIR] [options]\n\n"
        "Guided Grad-CAM (Selvaraju et al. 2016): the guided-backpropagation gradient\n"
        "multiplied pointwise by the Grad-CAM map upsampled to the input size. Writes\n"
        "NAME.guided-gradcam.png (|max over channels| heatmap), .rgb.png, .overlay.png\n"
        "and .json (with the layer); --raw writes the 3xHxW product.\n",
    .uses_layer = 1,
    .compute = guided_gradcam,
};

int cmd_guided_gradcam(int argc, char **argv)
{
    return explain_main(&method, argc, argv);
}
