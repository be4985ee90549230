/* cam.h - the class-activation-map variants beyond Grad-CAM: how each
 * weighs a layer's activation maps. Pure C; act and grad are [ch, h, w],
 * cam is [h, w]; functions return EXIT_OK or EXIT_INTERNAL (out of memory).
 * Conventions follow pytorch-grad-cam, the reference users
 * compare with. */
#ifndef ATTRIB_CAM_H
#define ATTRIB_CAM_H

#include <stddef.h>

/* Grad-CAM++ (Chattopadhay et al. 2018): w_k = sum over positions of
 * relu(g) * g^2 / (2 g^2 + sum(A_k) g^3 + eps) (0 where g = 0);
 * cam = sum_k w_k A_k (the ReLU is --sign positive's, applied by the caller). */
int cam_gradcam_pp(const float *act, const float *grad, int ch, int h, int w, float *cam);

/* Eigen-CAM (Muhammad & Yeasin 2020): the activations as h*w points in
 * ch dimensions, centred, projected on their first principal component
 * (rectified by the caller, as every CAM is: --sign positive). The component's sign (arbitrary in an SVD) is chosen so that
 * the projection grows with the summed activation. EXIT_OK or
 * EXIT_INTERNAL. */
int cam_eigen(const float *act, int ch, int h, int w, float *cam);

/* HiResCAM (Draelos & Carin 2020): cam = sum_k grad_k * A_k, pointwise
 * (no spatial averaging of the gradient, so the map is faithful to the
 * layer's contribution at each position). */
void cam_hires(const float *act, const float *grad, int ch, int h, int w, float *cam);

/* LayerCAM (Jiang et al. 2021): cam = sum_k relu(grad_k) * A_k, pointwise. */
void cam_layer(const float *act, const float *grad, int ch, int h, int w, float *cam);

/* XGradCAM (Fu et al. 2020): w_k = sum over positions of grad_k * A_k /
 * (sum of A_k + 1e-7), cam = sum_k w_k A_k (pytorch-grad-cam's definition).
 * EXIT_OK or EXIT_INTERNAL. */
int cam_xgrad(const float *act, const float *grad, int ch, int h, int w, float *cam);

/* Score-CAM (Wang et al. 2020) mask: the plane scaled to [0, 1] in place.
 * Returns 0, or 1 when the plane is flat (then it is set to 0: a dead
 * channel masks everything). */
int cam_mask_normalise(float *plane, size_t n);

/* Score-CAM: w = softmax(scores) over the channels, cam = sum_k w_k A_k
 * (before the ReLU, as the others). */
int cam_score_weighted(const float *act, const double *scores, int ch, int h, int w, float *cam);

#endif
