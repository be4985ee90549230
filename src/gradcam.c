/* gradcam.c - class activation maps of a layer (Grad-CAM and the variants
 * whose weights cam.c computes; Score-CAM's masked passes here), shared by
 * gradcam and guided-gradcam. */
#include "gradcam.h"

#include <stdlib.h>

#include "cam.h"
#include "error.h"
#include "heatmap.h"
#include "sampling.h"

/* The map of one image from its layer activation and gradient [ch, h, w]. */
static int score_cam(struct explain_run *run, struct batch *b, int i, const float *act, int ch,
                     int h, int w, int64_t target, float *cam);

static int cam_of(enum cam_variant v, struct explain_run *run, struct batch *b, int i,
                  const float *act, const float *grad, int ch, int h, int w, int64_t target,
                  float *cam)
{
    switch (v) {
    case CAM_GRADCAM:
        heatmap_gradcam(act, grad, ch, h, w, cam);
        return EXIT_OK;
    case CAM_GRADCAM_PP:
        return cam_gradcam_pp(act, grad, ch, h, w, cam);
    case CAM_SCORECAM:
        return score_cam(run, b, i, act, ch, h, w, target, cam);
    case CAM_EIGENCAM:
        return cam_eigen(act, ch, h, w, cam);
    case CAM_HIRESCAM:
        cam_hires(act, grad, ch, h, w, cam);
        return EXIT_OK;
    case CAM_LAYERCAM:
        cam_layer(act, grad, ch, h, w, cam);
        return EXIT_OK;
    case CAM_XGRADCAM:
        return cam_xgrad(act, grad, ch, h, w, cam);
    }
    return fail(EXIT_INTERNAL, "unknown CAM variant");
}

/* Every image's low-resolution map of variant v over run->layer, upsampled
 * into a->map; the summaries get the layer. */
int cam_compute(struct explain_run *run, struct batch *b, const int64_t *targets,
                enum cam_variant v)
{
    int64_t shape[4], ls[4];
    batch_shape(b, shape);
    attrib_status st = attrib_layer_gradient(run->model.handle, b->x, shape, targets, run->layer,
                                             &run->layer_view, &b->res);
    if (st != ATTRIB_OK)
        return explain_shim_error(run, st);
    const float *act = attrib_result_layer(b->res, ls);
    const float *grad = attrib_result_layer_grad(b->res, NULL);
    const int64_t *used = attrib_result_targets(b->res);
    const size_t per_image = (size_t)(ls[1] * ls[2] * ls[3]);
    const int ch = (int)ls[1], h = (int)ls[2], w = (int)ls[3];
    for (int i = 0; i < b->n; i++) {
        struct attribution *a = &b->a[i];
        struct summary *s = &b->s[i];
        free(a->cam);
        if (!(a->cam = malloc((size_t)h * w * sizeof *a->cam)))
            return fail(EXIT_INTERNAL, "out of memory");
        int rc = cam_of(v, run, b, i, act + i * per_image, grad + i * per_image, ch, h, w,
                        used[i], a->cam);
        if (rc)
            return rc;
        /* the ReLU (--sign positive) belongs before the upsampling, as in
         * the papers: relu(upsample(cam)) would differ */
        explain_sign_map(run, a->cam, (size_t)h * w);
        s->layer = run->layer;
        s->layer_shape[0] = ch, s->layer_shape[1] = h, s->layer_shape[2] = w;
        s->cam = a->cam, s->cam_h = h, s->cam_w = w;
        struct rect whole = { 0, 0, w, h };
        if ((rc = image_resize_plane(a->cam, w, h, 1, whole, a->map, b->w, b->h)))
            return rc;
    }
    return 0;
}

/* Score-CAM: each channel, upsampled to the input size and scaled to
 * [0, 1], masks the (normalised) input; the class's score on the masked
 * copy weighs the channel. A flat channel masks everything, so all flat
 * channels share one pass. */
static int score_cam(struct explain_run *run, struct batch *b, int i, const float *act, int ch,
                     int h, int w, int64_t target, float *cam)
{
    const size_t plane = (size_t)b->h * b->w, n = 3 * plane;
    const int chunk = (int)METHOD_PARAMS(struct cam_params, run)->internal_batch;
    const float *x = b->x + i * n;
    double *scores = malloc((size_t)ch * sizeof *scores);
    int *channel = malloc((size_t)chunk * sizeof *channel), first_flat = -1, passes = 0;
    char *flat = calloc((size_t)ch, 1);
    float *xs = malloc((size_t)chunk * n * sizeof *xs), *mask = malloc(plane * sizeof *mask);
    int rc = scores && channel && flat && xs && mask ? EXIT_OK
                                                    : fail(EXIT_INTERNAL, "out of memory");
    struct rect whole = { 0, 0, w, h };
    for (int k = 0; rc == EXIT_OK && k < ch;) {
        int m = 0; /* masked copies in this pass */
        for (; rc == EXIT_OK && k < ch && m < chunk; k++) {
            rc = image_resize_plane(act + (size_t)k * h * w, w, h, 1, whole, mask, b->w, b->h);
            if (rc == EXIT_OK && (flat[k] = (char)cam_mask_normalise(mask, plane))) {
                if (first_flat >= 0)
                    continue;
                first_flat = k;
            }
            for (int c = 0; c < 3; c++)
                for (size_t j = 0; j < plane; j++)
                    xs[m * n + c * plane + j] = x[c * plane + j] * mask[j];
            channel[m++] = k;
        }
        if (rc || m == 0)
            break;
        attrib_result *res = NULL;
        rc = sampling_pass(run, 0, xs, m, b->h, b->w, target, &res);
        int64_t classes;
        const float *logits = rc == EXIT_OK ? attrib_result_logits(res, NULL, &classes) : NULL;
        for (int j = 0; rc == EXIT_OK && j < m; j++)
            scores[channel[j]] = explain_objective(run, logits + j * classes, classes, target);
        passes += m;
        attrib_result_free(res);
    }
    int nflat = 0;
    for (int k = 0; rc == EXIT_OK && k < ch; k++)
        if (flat[k]) {
            scores[k] = scores[first_flat];
            nflat++;
        }
    if (rc == EXIT_OK)
        rc = cam_score_weighted(act, scores, ch, h, w, cam);
    if (rc == EXIT_OK) {
        summary_detail_number(&b->s[i], "masked_copies", passes);
        summary_detail_number(&b->s[i], "flat_channels", nflat);
    }
    free(scores);
    free(channel);
    free(flat);
    free(xs);
    free(mask);
    return rc;
}

