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

int gradcam_compute(struct explain_run *run, struct batch *b, const int64_t *targets)
{
    int64_t shape[4], ls[4];
    batch_shape(b, shape);
    attrib_status st = attrib_layer_gradient(run->model.handle, b->x, shape, targets, run->layer,
                                             &b->res);
    if (st != ATTRIB_OK)
        return explain_shim_error(run, st);
    const float *act = attrib_result_layer(b->res, ls);
    const float *grad = attrib_result_layer_grad(b->res, NULL);
    const size_t per_image = (size_t)(ls[1] * ls[2] * ls[3]);
    const int ch = (int)ls[1], h = (int)ls[2], w = (int)ls[3];
    for (int i = 0; i < b->n; i++) {
        struct attribution *a = &b->a[i];
        struct summary *s = &b->s[i];
        free(a->cam);
        if (!(a->cam = malloc((size_t)h * w * sizeof *a->cam)))
            return fail(EXIT_INTERNAL, "out of memory");
        heatmap_gradcam(act + i * per_image, grad + i * per_image, ch, h, w, a->cam);
        s->layer = run->layer;
        s->layer_shape[0] = ch, s->layer_shape[1] = h, s->layer_shape[2] = w;
        s->cam = a->cam, s->cam_h = h, s->cam_w = w;
        struct rect whole = { 0, 0, w, h };
        int rc = image_resize_plane(a->cam, w, h, 1, whole, a->map, b->w, b->h);
        if (rc)
            return rc;
    }
    return 0;
}

static int gradcam(struct explain_run *run, struct batch *b)
{
    return gradcam_compute(run, b, b->targets);
}

static const struct method method = {
    .name = "gradcam",
    .usage =
        "usage: attrib gradcam IMAGE|DIR|-... [--class N] [--layer PATH] [-o DIR] [options]\n\n"
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
