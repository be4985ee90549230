/* gradcam.c - `attrib gradcam`: class activation maps of a layer. Grad-CAM
 * (Selvaraju et al. 2016): the layer's channels weighted by their mean
 * gradient, rectified and upsampled bilinearly to the input size; --variant
 * picks another weighting (cam.c computes them; Score-CAM's masked and
 * Ablation-CAM's ablated passes are here). cam_compute is shared with
 * guided-gradcam. */
#include "gradcam.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "augment.h"
#include "cam.h"
#include "error.h"
#include "heatmap.h"
#include "methods.h"
#include "sampling.h"

#define FEM_SIGMAS 2 /* pytorch-grad-cam's k: the "k sigma rule" of Fuad et al. */

/* Score-CAM's channel scores of image i (masked forward passes). */
static int score_cam(struct explain_run *run, struct batch *b, int i, const float *act, int ch,
                     int h, int w, int64_t target, double *scores);
/* Ablation-CAM's channel weights of image i (ablated forward passes). */
static int ablation_cam(struct explain_run *run, struct batch *b, int i, const float *act,
                        int ch, int h, int w, int64_t target, double *weight);

/* Variant v's weighted activations wa [ch][h*w] of one image. */
static int weighted_activations(enum cam_variant v, struct explain_run *run, struct batch *b,
                                int i, const float *act, const float *grad, int ch, int h,
                                int w, int64_t target, double *wa)
{
    const size_t n = (size_t)h * w;
    if (v == CAM_HIRESCAM || v == CAM_EIGENGRADCAM || v == CAM_LAYERCAM) {
        cam_pointwise(act, grad, ch, n, v == CAM_LAYERCAM, wa);
        return EXIT_OK;
    }
    double *weight = malloc((size_t)ch * sizeof *weight), *scores = NULL;
    int rc = weight ? EXIT_OK : fail(EXIT_INTERNAL, "out of memory");
    for (int k = 0; rc == EXIT_OK && v == CAM_EIGENCAM && k < ch; k++)
        weight[k] = 1; /* the activations themselves */
    if (rc == EXIT_OK && v == CAM_GRADCAM)
        cam_gradcam_weights(act, grad, ch, n, weight);
    else if (rc == EXIT_OK && v == CAM_FEM) {
        const double sigmas = METHOD_PARAMS(struct cam_params, run)->sigmas;
        cam_fem_weights(act, ch, n, isnan(sigmas) ? FEM_SIGMAS : sigmas, weight);
    }
    else if (rc == EXIT_OK && v == CAM_GRADCAM_PP)
        cam_gradcam_pp_weights(act, grad, ch, n, weight);
    else if (rc == EXIT_OK && v == CAM_XGRADCAM)
        cam_xgrad_weights(act, grad, ch, n, weight);
    else if (rc == EXIT_OK && v == CAM_ABLATIONCAM)
        rc = ablation_cam(run, b, i, act, ch, h, w, target, weight);
    else if (rc == EXIT_OK && v == CAM_SCORECAM) {
        rc = (scores = malloc((size_t)ch * sizeof *scores)) ? EXIT_OK
                                                            : fail(EXIT_INTERNAL, "out of memory");
        if (rc == EXIT_OK && (rc = score_cam(run, b, i, act, ch, h, w, target, scores)) == EXIT_OK)
            cam_softmax_weights(scores, ch, weight);
    }
    if (rc == EXIT_OK)
        cam_weigh_channels(act, weight, ch, n, wa);
    free(weight);
    free(scores);
    return rc;
}

/* The low-resolution map of image i: variant v's weighted activations
 * summed, or their first principal component (Eigen-CAM, EigenGradCAM,
 * --eigen-smooth), then --sign. */
static int cam_of(enum cam_variant v, int eigen_smooth, struct explain_run *run, struct batch *b,
                  int i, const float *act, const float *grad, int ch, int h, int w,
                  int64_t target, float *cam)
{
    const size_t n = (size_t)h * w;
    if (v == CAM_KPCACAM) { /* of the activations themselves */
        const struct cam_params *p = METHOD_PARAMS(struct cam_params, run);
        int rc = cam_kernel_component(act, ch, h, w, (enum cam_kernel)p->kernel,
                                      isnan(p->gamma) ? 0 : p->gamma, cam);
        if (rc == EXIT_OK)
            explain_sign_map(run, cam, n);
        return rc;
    }
    double *wa = malloc((size_t)ch * n * sizeof *wa);
    int rc = wa ? weighted_activations(v, run, b, i, act, grad, ch, h, w, target, wa)
                : fail(EXIT_INTERNAL, "out of memory");
    int principal = v == CAM_EIGENCAM || v == CAM_EIGENGRADCAM || eigen_smooth;
    if (rc == EXIT_OK && principal)
        rc = cam_principal_component(wa, ch, h, w, cam);
    else if (rc == EXIT_OK)
        cam_sum_channels(wa, ch, n, cam);
    free(wa);
    /* the ReLU (--sign positive) belongs before the upsampling, as in
     * the papers: relu(upsample(cam)) would differ */
    if (rc == EXIT_OK)
        explain_sign_map(run, cam, n);
    return rc;
}

int cam_aug_average(struct batch *b, cam_aug_maps_fn maps, void *ctx, float **avg, int *h,
                    int *w)
{
    float *x = malloc((size_t)b->n * 3 * b->h * b->w * sizeof *x), *out = NULL;
    int rc = x ? EXIT_OK : fail(EXIT_INTERNAL, "out of memory");
    *avg = NULL;
    *h = *w = 0;
    for (int t = 0; rc == EXIT_OK && t < AUG_COUNT; t++) {
        struct batch aug = *b;
        aug.x = x;
        aug.res = NULL;
        aug_apply(t, b->x, x, b->n, b->h, b->w);
        rc = maps(ctx, &aug, &out, h, w);
        const size_t plane = (size_t)*h * *w;
        if (rc == EXIT_OK && !*avg && !(*avg = calloc((size_t)b->n * plane, sizeof **avg)))
            rc = fail(EXIT_INTERNAL, "out of memory");
        for (int i = 0; rc == EXIT_OK && i < b->n; i++) {
            float *one = out + (size_t)i * plane;
            aug_undo(t, one, *h, *w);
            aug_scale(one, plane);
            for (size_t p = 0; p < plane; p++)
                (*avg)[i * plane + p] += one[p] / AUG_COUNT;
        }
        free(out);
        out = NULL;
        if (t == AUG_IDENTITY && rc == EXIT_OK)
            b->res = aug.res;
        else
            attrib_result_free(aug.res);
    }
    free(x);
    if (rc) {
        free(*avg);
        *avg = NULL;
    }
    return rc;
}

/* What variant v's maps of one augmented batch need (cam_aug_average's ctx). */
struct variant_pass {
    struct explain_run *run;
    const int64_t *targets;
    enum cam_variant v;
    int eigen_smooth;
};

/* One augmented batch's layer pass and every image's low-resolution map. */
static int variant_maps(void *ctx, struct batch *aug, float **out, int *h, int *w)
{
    const struct variant_pass *vp = ctx;
    int64_t shape[4], ls[4];
    batch_shape(aug, shape);
    attrib_status st = attrib_layer_gradient(vp->run->model.handle, aug->x, shape, vp->targets,
                                             vp->run->layer, &vp->run->layer_view, &aug->res);
    if (st != ATTRIB_OK)
        return explain_shim_error(vp->run, st);
    const float *act = attrib_result_get(aug->res, ATTRIB_OUT_LAYER, 0, ls, NULL);
    const float *grad = attrib_result_get(aug->res, ATTRIB_OUT_LAYER_GRAD, 0, NULL, NULL);
    const int ch = (int)ls[1];
    *h = (int)ls[2], *w = (int)ls[3];
    const size_t per_image = (size_t)ch * *h * *w, plane = (size_t)*h * *w;
    if (!(*out = malloc((size_t)aug->n * plane * sizeof **out)))
        return fail(EXIT_INTERNAL, "out of memory");
    int rc = EXIT_OK;
    for (int i = 0; rc == EXIT_OK && i < aug->n; i++)
        rc = cam_of(vp->v, vp->eigen_smooth, vp->run, aug, i, act + i * per_image,
                    grad + i * per_image, ch, *h, *w, attrib_result_targets(aug->res)[i],
                    *out + i * plane);
    return rc;
}

/* Every image's low-resolution map of variant v over run->layer, upsampled
 * into a->map; the summaries get the layer. */
int cam_compute(struct explain_run *run, struct batch *b, const int64_t *targets,
                enum cam_variant v, const struct cam_params *p)
{
    int64_t shape[4], ls[4];
    float *smoothed = NULL;
    const int eigen_smooth = p && p->eigen_smooth;
    int rc = EXIT_OK;
    if (p && p->aug_smooth) {
        struct variant_pass vp = { run, targets, v, eigen_smooth };
        int sh, sw;
        if ((rc = cam_aug_average(b, variant_maps, &vp, &smoothed, &sh, &sw)))
            return rc;
    } else {
        batch_shape(b, shape);
        attrib_status st = attrib_layer_gradient(run->model.handle, b->x, shape, targets,
                                                 run->layer, &run->layer_view, &b->res);
        if (st != ATTRIB_OK)
            return explain_shim_error(run, st);
    }
    attrib_result_get(b->res, ATTRIB_OUT_LAYER, 0, ls, NULL); /* the unaugmented pass's */
    const float *act = attrib_result_get(b->res, ATTRIB_OUT_LAYER, 0, NULL, NULL);
    const float *grad = attrib_result_get(b->res, ATTRIB_OUT_LAYER_GRAD, 0, NULL, NULL);
    const int64_t *used = attrib_result_targets(b->res);
    const int ch = (int)ls[1], h = (int)ls[2], w = (int)ls[3];
    const size_t per_image = (size_t)ch * h * w, plane = (size_t)h * w;
    for (int i = 0; rc == EXIT_OK && i < b->n; i++) {
        struct attribution *a = &b->a[i];
        struct summary *s = &b->s[i];
        free(a->cam);
        if (!(a->cam = malloc(plane * sizeof *a->cam))) {
            rc = fail(EXIT_INTERNAL, "out of memory");
            break;
        }
        if (smoothed)
            memcpy(a->cam, smoothed + i * plane, plane * sizeof *a->cam);
        else
            rc = cam_of(v, eigen_smooth, run, b, i, act + i * per_image, grad + i * per_image, ch, h, w,
                        used[i], a->cam);
        s->layer = run->layer;
        s->layer_shape[0] = ch, s->layer_shape[1] = h, s->layer_shape[2] = w;
        if (p && p->aug_smooth)
            summary_detail_number(s, "augmentations", AUG_COUNT);
        if (eigen_smooth)
            summary_detail_text(s, "smoothing", "eigen");
        s->cam = a->cam, s->cam_h = h, s->cam_w = w;
        struct rect whole = { 0, 0, w, h };
        if (rc == EXIT_OK)
            rc = image_resize_plane(a->cam, w, h, 1, whole, a->map, b->w, b->h);
    }
    free(smoothed);
    return rc;
}

/* Score-CAM: each channel, upsampled to the input size and scaled to
 * [0, 1], masks the (normalised) input; the class's score on the masked
 * copy weighs the channel. A flat channel masks everything, so all flat
 * channels share one pass. */
static int score_cam(struct explain_run *run, struct batch *b, int i, const float *act, int ch,
                     int h, int w, int64_t target, double *scores)
{
    const size_t plane = (size_t)b->h * b->w, n = 3 * plane;
    const int chunk = (int)METHOD_PARAMS(struct cam_params, run)->internal_batch;
    const float *x = b->x + i * n;
    int *channel = malloc((size_t)chunk * sizeof *channel), first_flat = -1, passes = 0;
    char *flat = calloc((size_t)ch, 1);
    float *xs = malloc((size_t)chunk * n * sizeof *xs), *mask = malloc(plane * sizeof *mask);
    int rc = channel && flat && xs && mask ? EXIT_OK
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
        const float *logits = rc == EXIT_OK ? result_logits(res, NULL, &classes) : NULL;
        for (int j = 0; rc == EXIT_OK && j < m; j++)
            scores[channel[j]] = explain_objective(run, logits + j * classes, classes, target);
        passes += m;
        attrib_result_free(res);
        explain_passes(run, k, ch); /* channels done */
    }
    int nflat = 0;
    for (int k = 0; rc == EXIT_OK && k < ch; k++)
        if (flat[k]) {
            scores[k] = scores[first_flat];
            nflat++;
        }
    if (rc == EXIT_OK) {
        summary_detail_number(&b->s[i], "masked_copies", passes);
        summary_detail_number(&b->s[i], "flat_channels", nflat);
    }
    free(channel);
    free(flat);
    free(xs);
    free(mask);
    return rc;
}

/* Ablation-CAM (Desai & Ramaswamy 2020), as pytorch-grad-cam: w_k =
 * (s - s_k) / s, s the class's score and s_k its score with channel k of
 * the layer zeroed (one forward pass per channel, --internal-batch at a
 * time). Zeroing an all-zero channel changes nothing: its weight is 0
 * without a pass. */
static int ablation_cam(struct explain_run *run, struct batch *b, int i, const float *act,
                        int ch, int h, int w, int64_t target, double *weight)
{
    const size_t plane = (size_t)b->h * b->w, n = 3 * plane, np = (size_t)h * w;
    const int chunk = (int)METHOD_PARAMS(struct cam_params, run)->internal_batch;
    int64_t classes;
    const float *logits = result_logits(b->res, NULL, &classes);
    const double s = explain_objective(run, logits + i * classes, classes, target);
    const double denominator = s != 0 ? s : 1; /* the peer divides by s as it is */
    float *xs = malloc((size_t)chunk * n * sizeof *xs), *scale = malloc((size_t)chunk * ch * sizeof *scale);
    int *channel = malloc((size_t)chunk * sizeof *channel), passes = 0;
    int rc = xs && scale && channel ? EXIT_OK : fail(EXIT_INTERNAL, "out of memory");
    for (int k = 0; rc == EXIT_OK && k < ch;) {
        int m = 0;
        for (; k < ch && m < chunk; k++) {
            int dead = 1;
            for (size_t p = 0; dead && p < np; p++)
                dead = act[(size_t)k * np + p] == 0;
            weight[k] = 0;
            if (dead)
                continue;
            memcpy(xs + m * n, b->x + i * n, n * sizeof *xs);
            for (int c = 0; c < ch; c++)
                scale[(size_t)m * ch + c] = c != k;
            channel[m++] = k;
        }
        if (m == 0)
            break;
        const int64_t shape[4] = { m, 3, b->h, b->w };
        attrib_result *res = NULL;
        attrib_status st = attrib_layer_scaled_forward(run->model.handle, xs, shape, run->layer,
                                                       scale, ch, &res);
        rc = st == ATTRIB_OK ? EXIT_OK : explain_shim_error(run, st);
        const float *ablated = rc == EXIT_OK ? result_logits(res, NULL, &classes) : NULL;
        for (int j = 0; rc == EXIT_OK && j < m; j++)
            weight[channel[j]] =
                (s - explain_objective(run, ablated + j * classes, classes, target)) / denominator;
        passes += m;
        attrib_result_free(res);
        explain_passes(run, k, ch); /* channels done */
    }
    if (rc == EXIT_OK)
        summary_detail_number(&b->s[i], "ablated_channels", passes);
    free(xs);
    free(scale);
    free(channel);
    return rc;
}

/* The methods the variants are, in enum cam_variant order. */
static const struct method *const variants[] = { &method_gradcam, &method_gradcam_pp,
                                                 &method_scorecam, &method_eigencam,
                                                 &method_hirescam, &method_layercam,
                                                 &method_xgradcam, &method_eigengradcam,
                                                 &method_ablationcam, &method_fem,
                                                 &method_kpcacam };

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
                                             "eigengradcam", "ablationcam", "fem", "kpcacam",
                                             NULL };

/* KPCA-CAM's kernels, in enum cam_kernel order. */
static const char *const kernel_names[] = { "sigmoid", "rbf", "poly", "cosine", "linear", NULL };

/* Every variant's options (gradcam's also choose the variant). */
static const struct opt variant_options[] = {
    AUG_SMOOTH_OPTION(struct cam_params, aug_smooth),
    OPT_FLAG(0, "eigen-smooth", struct cam_params, eigen_smooth,
             "the first principal component of the weighted activations instead of their sum "
             "(less noise; eigencam and eigengradcam always are)"),
    INTERNAL_BATCH_OPTION(struct cam_params, internal_batch, DEFAULT_FORWARD_BATCH),
    MAX_MEMORY_OPTION(struct cam_params, max_memory),
    { .kind = OPTK_REAL, .name = "sigmas", .offset = OPT_FIELD(struct cam_params, sigmas, double),
      .min = 0, .max = 100, .def = NAN, .metavar = "K", .default_text = "2",
      .help = "fem: a channel's weight is the share of positions where it exceeds its mean "
              "by K standard deviations" },
    OPT_ENUM(0, "kernel", struct cam_params, kernel, kernel_names, CAM_KERNEL_SIGMOID,
             "kpcacam: the kernel of its kernel PCA (scikit-learn's: sigmoid tanh(gamma x.y "
             "+ 1), rbf exp(-gamma |x - y|^2), poly (gamma x.y + 1)^3, cosine; linear is "
             "eigencam)"),
    { .kind = OPTK_REAL, .name = "gamma", .offset = OPT_FIELD(struct cam_params, gamma, double),
      .min = 1e-12, .max = 1e12, .def = NAN, .metavar = "G", .default_text = "1 / channels",
      .help = "kpcacam: the kernel's width (not the linear or cosine kernel's)" },
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
    "  fem        FEM (Fuad et al. 2020): each map weighted by the share of its positions\n"  \
    "             above its mean plus --sigmas standard deviations (no gradient, no\n"      \
    "             class)\n"                                                                  \
    "  kpcacam    KPCA-CAM (Karmani et al. 2024): Eigen-CAM with kernel PCA, the first\n"   \
    "             component of the positions' --kernel matrix (no gradient, no class)\n"   \
    "Writes NAME.VARIANT.png, NAME.VARIANT.overlay.png and NAME.VARIANT.json (with the\n"      \
    "layer and its low-resolution map); --raw writes the full-resolution map.\n"

/* Every variant's: a variant's own option given to another is refused, not
 * ignored (--kernel is told only when it is not the default sigmoid). */
static int prepare_cam(struct explain_run *run)
{
    const struct cam_params *p = METHOD_PARAMS(struct cam_params, run);
    const char *name = run->method->name;
    if (!isnan(p->sigmas) && run->method != &method_fem)
        return fail(EXIT_USAGE, "--sigmas is fem's (--variant fem), not %s's", name);
    if ((!isnan(p->gamma) || p->kernel != CAM_KERNEL_SIGMOID) && run->method != &method_kpcacam)
        return fail(EXIT_USAGE, "--%s is kpcacam's (--variant kpcacam), not %s's",
                    isnan(p->gamma) ? "kernel" : "gamma", name);
    if (!isnan(p->gamma) && (p->kernel == CAM_KERNEL_LINEAR || p->kernel == CAM_KERNEL_COSINE))
        return fail(EXIT_USAGE, "--gamma: the %s kernel has no width", kernel_names[p->kernel]);
    return EXIT_OK;
}

/* Score-CAM's --max-memory. */
static int prepare_scorecam(struct explain_run *run)
{
    struct cam_params *p = METHOD_PARAMS(struct cam_params, run);
    int rc = prepare_cam(run);
    if (rc == EXIT_OK && p->max_memory)
        rc = sampling_fit_memory(&p->internal_batch, p->max_memory, run);
    return rc;
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

#define CAM_METHOD(ident, nm, summ, opts, res, prep, eval, many)                          \
    const struct method ident = { .name = nm, .summary = summ, .synopsis = CAM_SYNOPSIS,      \
                                  .many_passes = many,                                        \
                                  .description = CAM_DESCRIPTION, .uses_layer = 1,            \
                                  .in_eval = eval, .signed_map = 1, .sign = SIGN_POSITIVE,    \
                                  .options = opts, .resolve = res,                            \
                                  .prepare = prep, .compute = cam_variant_compute }

/* Only gradcam has --variant (and is a command): the variants are what it
 * resolves to. */
CAM_METHOD(method_gradcam, "gradcam", "Grad-CAM of a layer and its variants (--variant)",
           gradcam_options, resolve, prepare_cam, 1, 0);
CAM_METHOD(method_gradcam_pp, "gradcam++", NULL, variant_options, NULL, prepare_cam, 1, 0);
CAM_METHOD(method_scorecam, "scorecam", NULL, variant_options, NULL, prepare_scorecam, 0, 1);
CAM_METHOD(method_eigencam, "eigencam", NULL, variant_options, NULL, prepare_cam, 1, 0);
CAM_METHOD(method_hirescam, "hirescam", NULL, variant_options, NULL, prepare_cam, 0, 0);
CAM_METHOD(method_layercam, "layercam", NULL, variant_options, NULL, prepare_cam, 0, 0);
CAM_METHOD(method_xgradcam, "xgradcam", NULL, variant_options, NULL, prepare_cam, 0, 0);
CAM_METHOD(method_eigengradcam, "eigengradcam", NULL, variant_options, NULL, prepare_cam, 0, 0);
CAM_METHOD(method_ablationcam, "ablationcam", NULL, variant_options, NULL, prepare_ablationcam, 0, 1);
CAM_METHOD(method_fem, "fem", NULL, variant_options, NULL, prepare_cam, 0, 0);
CAM_METHOD(method_kpcacam, "kpcacam", NULL, variant_options, NULL, prepare_cam, 0, 0);
