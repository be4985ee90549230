/* gradcam.h - class activation maps of a layer: Grad-CAM and its variants,
 * shared by gradcam (and its --variant) and guided-gradcam. */
#ifndef ATTRIB_GRADCAM_H
#define ATTRIB_GRADCAM_H

#include "explain/method.h"

enum cam_variant { CAM_GRADCAM, CAM_GRADCAM_PP, CAM_SCORECAM, CAM_EIGENCAM, CAM_HIRESCAM,
                   CAM_LAYERCAM, CAM_XGRADCAM, CAM_EIGENGRADCAM, CAM_ABLATIONCAM, CAM_FEM,
                   CAM_KPCACAM };

/* The parameters of the CAM methods (run->params). */
struct cam_params {
    int variant;         /* enum cam_variant: what gradcam's --variant chose */
    long internal_batch; /* Score-CAM's masked, Ablation-CAM's ablated copies per pass */
    long max_memory;     /* their --max-memory MB; 0: no bound */
    int aug_smooth;      /* --aug-smooth: the mean over 6 flipped and scaled inputs */
    int eigen_smooth;    /* --eigen-smooth: first principal component, not the sum */
    double sigmas;       /* fem's --sigmas; NAN: not given (FEM_SIGMAS) */
    int kernel;          /* kpcacam's --kernel: enum cam_kernel */
    double gamma;        /* kpcacam's --gamma; NAN: not given (1 / channels) */
};

/* Variant v's map of run->layer for the batch and per-image classes
 * targets (< 0: the top-1): every a->map (input size), a->cam and the
 * layer fields of the summaries; b->res holds the pass. p: the smoothing
 * options (NULL: none; Score-CAM's batch is its run's own). */
int cam_compute(struct explain_run *run, struct batch *b, const int64_t *targets,
                enum cam_variant v, const struct cam_params *p);

/* --aug-smooth's row, one for the CAM variants and FullGrad. */
#define AUG_SMOOTH_OPTION(st, field)                                                           \
    OPT_FLAG(0, "aug-smooth", st, field,                                                        \
             "test-time augmentation: the mean of the maps of the input flipped or not, times " \
             "0.9, 1 or 1.1 (6 passes), each scaled to [0, 1] first (to [-1, 1] if signed)")

/* --aug-smooth for any map (the CAM variants', FullGrad's): maps(ctx, aug,
 * out, h, w) runs the pass over one augmented batch (its result left in
 * aug->res) and makes every image's map, h x w, into a new *out [n][h * w];
 * each is flipped back, rescaled and averaged into a new *avg [n][h * w].
 * b->res becomes the unaugmented pass's. EXIT_OK or the first failure. */
typedef int (*cam_aug_maps_fn)(void *ctx, struct batch *aug, float **out, int *h, int *w);
int cam_aug_average(struct batch *b, cam_aug_maps_fn maps, void *ctx, float **avg, int *h,
                    int *w);

#endif
