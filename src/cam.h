/* cam.h - the class-activation-map variants: how each weighs a layer's
 * activations A [ch][n] (n = h * w positions) by its gradient G into
 * weighted activations wa [ch][n] (double), and how a map [h, w] is made of
 * them: their sum over channels (the variants' own maps) or their first
 * principal component (Eigen-CAM, EigenGradCAM and --eigen-smooth).
 * Pure C; the ReLU of the papers is --sign positive's, applied by the
 * caller. Conventions follow pytorch-grad-cam, the reference users compare
 * with. */
#ifndef ATTRIB_CAM_H
#define ATTRIB_CAM_H

#include <stddef.h>

/* Per-channel weights w[ch]: */
/* Grad-CAM (Selvaraju et al. 2016): the spatial mean of G_k. */
void cam_gradcam_weights(const float *act, const float *grad, int ch, size_t n, double *weight);
/* Grad-CAM++ (Chattopadhay et al. 2018): sum over positions of relu(g) *
 * g^2 / (2 g^2 + sum(A_k) g^3 + eps) (0 where g = 0). */
void cam_gradcam_pp_weights(const float *act, const float *grad, int ch, size_t n,
                            double *weight);
/* XGradCAM (Fu et al. 2020): sum(G_k A_k) / (sum(A_k) + 1e-7). */
void cam_xgrad_weights(const float *act, const float *grad, int ch, size_t n, double *weight);
/* Score-CAM (Wang et al. 2020): softmax of the channels' masked scores. */
void cam_softmax_weights(const double *scores, int ch, double *weight);

/* wa = w_k A_k. */
void cam_weigh_channels(const float *act, const double *weight, int ch, size_t n, double *wa);
/* wa = g(G) A pointwise, g the identity (HiResCAM, Draelos & Carin 2020;
 * EigenGradCAM) or with rectify the ReLU (LayerCAM, Jiang et al. 2021). */
void cam_pointwise(const float *act, const float *grad, int ch, size_t n, int rectify,
                   double *wa);

/* cam = sum_k wa_k. */
void cam_sum_channels(const double *wa, int ch, size_t n, float *cam);
/* The h*w positions as points in ch dimensions, centred, projected on
 * their first principal component (Eigen-CAM, Muhammad & Yeasin 2020, on
 * wa = A). The component's sign (arbitrary in an SVD) is chosen so that
 * the projection agrees with the channel sum. EXIT_OK or EXIT_INTERNAL. */
int cam_principal_component(const double *wa, int ch, int h, int w, float *cam);

/* Score-CAM mask: the plane scaled to [0, 1] in place. Returns 0, or 1
 * when the plane is flat (then it is set to 0: a dead channel masks
 * everything). */
int cam_mask_normalise(float *plane, size_t n);

#endif
