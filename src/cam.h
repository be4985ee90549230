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
/* FEM (Fuad et al. 2020, pytorch-grad-cam's FEM): the share of the positions
 * where A_k exceeds its mean by sigmas of its standard deviation (over the
 * positions): a channel that stands out in few places weighs little, one
 * that stands out in many weighs more; no gradient, no class. */
void cam_fem_weights(const float *act, int ch, size_t n, double sigmas, double *weight);

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

/* KPCA-CAM's kernels, in the order of their names (scikit-learn's): */
enum cam_kernel {
    CAM_KERNEL_SIGMOID, /* tanh(gamma x.y + 1) */
    CAM_KERNEL_RBF,     /* exp(-gamma |x - y|^2) */
    CAM_KERNEL_POLY,    /* (gamma x.y + 1)^3 */
    CAM_KERNEL_COSINE,  /* x.y / (|x| |y|) */
    CAM_KERNEL_LINEAR,  /* x.y: Eigen-CAM's component */
};
/* KPCA-CAM (Karmani et al. 2024; pytorch-grad-cam's KPCA_CAM, which is
 * scikit-learn's KernelPCA): the h*w positions as points x in ch
 * dimensions, centred; their kernel matrix K, centred in the kernel's
 * feature space; the map sqrt(lambda) v for K's largest eigenvalue lambda
 * and its eigenvector v (0 where lambda <= 0). gamma <= 0: 1 / ch, as
 * scikit-learn's default. The sign as cam_principal_component's: the one
 * that agrees with the channel sum. EXIT_OK or EXIT_INTERNAL. */
int cam_kernel_component(const float *act, int ch, int h, int w, enum cam_kernel kernel,
                         double gamma, float *cam);

/* Score-CAM mask: the plane scaled to [0, 1] in place. Returns 0, or 1
 * when the plane is flat (then it is set to 0: a dead channel masks
 * everything). */
int cam_mask_normalise(float *plane, size_t n);

#endif
