/* cmd_gradcam.c - `attrib gradcam`: Selvaraju et al. 2016, "Grad-CAM":
 * the layer's channels weighted by their mean gradient, rectified, and
 * upsampled bilinearly to the input size. */
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "error.h"
#include "explain.h"
#include "gradcam.h"
#include "heatmap.h"

int gradcam_compute(struct explain_run *run, const float *x, int64_t target,
                    struct attribution *a, struct summary *s)
{
    const int64_t shape[4] = { 1, 3, s->map_h, s->map_w };
    double t0 = now_ms();
    attrib_status st = attrib_layer_gradient(run->model.handle, x, shape, &target, run->layer,
                                             &a->res);
    s->pass_ms = now_ms() - t0;
    if (st != ATTRIB_OK)
        return explain_shim_error(run, st);
    int64_t ls[4];
    const float *act = attrib_result_layer(a->res, ls);
    const float *grad = attrib_result_layer_grad(a->res, NULL);
    a->cam = malloc((size_t)(ls[2] * ls[3]) * sizeof *a->cam);
    if (!a->cam)
        return fail(EXIT_INTERNAL, "out of memory");
    heatmap_gradcam(act, grad, (int)ls[1], (int)ls[2], (int)ls[3], a->cam);
    s->layer = run->layer;
    s->layer_shape[0] = (int)ls[1];
    s->layer_shape[1] = (int)ls[2];
    s->layer_shape[2] = (int)ls[3];
    s->cam = a->cam;
    s->cam_h = (int)ls[2];
    s->cam_w = (int)ls[3];
    struct rect whole = { 0, 0, s->cam_w, s->cam_h };
    return image_resize_plane(a->cam, s->cam_w, s->cam_h, 1, whole, a->map, s->map_w, s->map_h);
}

static int gradcam(struct explain_run *run, const float *x, struct attribution *a,
                   struct summary *s)
{
    return gradcam_compute(run, x, run->opts.target, a, s);
}

static const struct method method = {
    .name = "gradcam",
    .usage =
        "usage: attrib gradcam IMAGE... [--class N] [--layer PATH] [-o DIR] [options]\n\n"
        "Grad-CAM (Selvaraju et al. 2016): the layer's activation maps weighted by the\n"
        "spatial mean of the class score's gradient, summed and rectified, then\n"
        "upsampled bilinearly to the model's input size. The backward pass stops at\n"
        "the layer. Writes NAME.gradcam.png, NAME.gradcam.overlay.png and\n"
        "NAME.gradcam.json (with the layer and its low-resolution map); --raw writes\n"
        "the full-resolution map.\n",
    .uses_layer = 1,
    .compute = gradcam,
};

int cmd_gradcam(int argc, char **argv)
{
    return explain_main(&method, argc, argv);
}
