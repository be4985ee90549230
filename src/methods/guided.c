/* guided.c - the input gradient with every rectifier's backward rule
 * replaced (guided backprop, deconvnet), shared by guided-backprop,
 * deconvnet and guided-gradcam. */
#include "guided.h"

#include <string.h>

#include "heatmap.h"

int modified_backward_compute(struct explain_run *run, struct batch *b,
                              attrib_backward_rule rule)
{
    int64_t shape[4];
    batch_shape(b, shape);
    attrib_backward_params q = attrib_backward_default_params();
    q.rule = rule;
    attrib_status st = attrib_modified_gradient(run->model.handle, &q, b->x, shape, b->targets,
                                                &b->res);
    if (st != ATTRIB_OK)
        return explain_shim_error(run, st);
    const float *grad = attrib_result_get(b->res, ATTRIB_OUT_INPUT_GRAD, 0, NULL, NULL);
    size_t per_image = (size_t)3 * b->h * b->w;
    for (int i = 0; i < b->n; i++) {
        memcpy(b->a[i].chw, grad + i * per_image, per_image * sizeof(float));
        b->a[i].has_chw = 1;
        heatmap_channel_max_magnitude(b->a[i].chw, 3, b->h, b->w, b->a[i].map);
        explain_sign_map(run, b->a[i].map, (size_t)b->h * b->w);
    }
    return 0;
}

int guided_compute(struct explain_run *run, struct batch *b)
{
    return modified_backward_compute(run, b, ATTRIB_GUIDED);
}
