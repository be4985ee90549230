/* cam.c - how the CAM variants weigh a layer's activations, and the two
 * ways a map is made of the weighted activations (sum, first principal
 * component). */
#include "cam.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

#define GRADCAM_PP_EPS 1e-6 /* pytorch-grad-cam's guard against 0 / 0 */
#define XGRADCAM_EPS 1e-7   /* the same guard in its XGradCAM */
#define JACOBI_MAX_SWEEPS 100
/* KPCA-CAM's power iteration: stop when |K v - mu v| <= this * |mu| (a
 * direction that accurate to 1e-10 and better, for the gaps seen), or after
 * so many products (n^2 each: 784 positions, 28 x 28, take 0.6 M). */
#define POWER_TOLERANCE 1e-12
#define POWER_MAX_ITERATIONS 20000

/* wa[k][p] = weight[k] * act[k][p]. */
void cam_weigh_channels(const float *act, const double *weight, int ch, size_t n, double *wa)
{
    for (int k = 0; k < ch; k++)
        for (size_t p = 0; p < n; p++)
            wa[(size_t)k * n + p] = weight[k] * act[(size_t)k * n + p];
}

void cam_pointwise(const float *act, const float *grad, int ch, size_t n, int rectify,
                   double *wa)
{
    for (size_t j = 0; j < (size_t)ch * n; j++) {
        double g = grad[j];
        wa[j] = (rectify && g < 0 ? 0 : g) * act[j];
    }
}

void cam_sum_channels(const double *wa, int ch, size_t n, float *cam)
{
    for (size_t p = 0; p < n; p++) {
        double v = 0;
        for (int k = 0; k < ch; k++)
            v += wa[(size_t)k * n + p];
        cam[p] = (float)v;
    }
}

/* Each channel's weight from its activation and gradient over n positions. */
static void channel_weights(const float *act, const float *grad, int ch, size_t n,
                            double (*weight_of)(const float *a, const float *g, size_t n),
                            double *weight)
{
    for (int k = 0; k < ch; k++)
        weight[k] = weight_of(act + (size_t)k * n, grad + (size_t)k * n, n);
}

static double mean_gradient(const float *a, const float *g, size_t n)
{
    (void)a;
    double sum = 0;
    for (size_t p = 0; p < n; p++)
        sum += g[p];
    return sum / (double)n;
}

void cam_gradcam_weights(const float *act, const float *grad, int ch, size_t n, double *weight)
{
    channel_weights(act, grad, ch, n, mean_gradient, weight);
}

static double xgrad_weight(const float *a, const float *g, size_t n)
{
    double sum_a = 0, sum_ga = 0;
    for (size_t p = 0; p < n; p++)
        sum_a += a[p], sum_ga += (double)g[p] * a[p];
    return sum_ga / (sum_a + XGRADCAM_EPS);
}

void cam_xgrad_weights(const float *act, const float *grad, int ch, size_t n, double *weight)
{
    channel_weights(act, grad, ch, n, xgrad_weight, weight);
}

static double gradcam_pp_weight(const float *a, const float *g, size_t n)
{
    double sum_a = 0, wk = 0;
    for (size_t p = 0; p < n; p++)
        sum_a += a[p];
    for (size_t p = 0; p < n; p++) {
        double g1 = g[p], g2 = g1 * g1, g3 = g2 * g1;
        if (g1 > 0)
            wk += g1 * g2 / (2 * g2 + sum_a * g3 + GRADCAM_PP_EPS);
    }
    return wk;
}

void cam_gradcam_pp_weights(const float *act, const float *grad, int ch, size_t n,
                            double *weight)
{
    channel_weights(act, grad, ch, n, gradcam_pp_weight, weight);
}

void cam_softmax_weights(const double *scores, int ch, double *weight)
{
    double top = -INFINITY, sum = 0;
    for (int k = 0; k < ch; k++)
        top = scores[k] > top ? scores[k] : top;
    for (int k = 0; k < ch; k++)
        sum += weight[k] = exp(scores[k] - top);
    for (int k = 0; k < ch; k++)
        weight[k] /= sum;
}

void cam_fem_weights(const float *act, int ch, size_t n, double sigmas, double *weight)
{
    for (int k = 0; k < ch; k++) {
        const float *a = act + (size_t)k * n;
        double mean = 0, var = 0;
        for (size_t p = 0; p < n; p++)
            mean += a[p];
        mean /= (double)n;
        for (size_t p = 0; p < n; p++)
            var += (a[p] - mean) * (a[p] - mean);
        const double threshold = mean + sigmas * sqrt(var / (double)n);
        size_t above = 0;
        for (size_t p = 0; p < n; p++)
            above += a[p] > threshold;
        weight[k] = (double)above / (double)n;
    }
}

/* Eigenvalues (diagonal of a, destroyed) and eigenvectors (columns of v)
 * of the symmetric n x n matrix a, by cyclic Jacobi rotations. */
static void jacobi(double *a, int n, double *v)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            v[i * n + j] = i == j;
    for (int sweep = 0; sweep < JACOBI_MAX_SWEEPS; sweep++) {
        double off = 0, diag = 0;
        for (int i = 0; i < n; i++) {
            diag += a[i * n + i] * a[i * n + i];
            for (int j = i + 1; j < n; j++)
                off += a[i * n + j] * a[i * n + j];
        }
        if (off <= DBL_EPSILON * DBL_EPSILON * diag || off == 0)
            return;
        for (int p = 0; p < n; p++)
            for (int q = p + 1; q < n; q++) {
                double apq = a[p * n + q];
                if (apq == 0)
                    continue;
                double theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
                double t = (theta >= 0 ? 1 : -1) / (fabs(theta) + sqrt(theta * theta + 1));
                double c = 1 / sqrt(t * t + 1), s = t * c;
                for (int k = 0; k < n; k++) { /* columns p, q */
                    double akp = a[k * n + p], akq = a[k * n + q];
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for (int k = 0; k < n; k++) { /* rows p, q */
                    double apk = a[p * n + k], aqk = a[q * n + k];
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
                for (int k = 0; k < n; k++) {
                    double vkp = v[k * n + p], vkq = v[k * n + q];
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
    }
}

/* Each channel of m [ch][np] less its mean over the positions. */
static void centre_channels(double *m, int ch, size_t np)
{
    for (int k = 0; k < ch; k++) {
        double mean = 0;
        for (size_t p = 0; p < np; p++)
            mean += m[k * np + p];
        mean /= (double)np;
        for (size_t p = 0; p < np; p++)
            m[k * np + p] -= mean;
    }
}

int cam_principal_component(const double *wa, int ch, int h, int w, float *cam)
{
    const size_t np = (size_t)h * w;
    /* the smaller Gram matrix: positions x positions, or channels x channels */
    const int by_pos = np <= (size_t)ch, n = by_pos ? (int)np : ch;
    double *m = malloc(np * ch * sizeof *m); /* centred, [ch][np] */
    double *g = malloc((size_t)n * n * sizeof *g), *v = malloc((size_t)n * n * sizeof *v);
    double *proj = malloc(np * sizeof *proj);
    int rc = m && g && v && proj ? EXIT_OK : fail(EXIT_INTERNAL, "out of memory");
    if (rc == EXIT_OK) {
        memcpy(m, wa, np * ch * sizeof *m);
        centre_channels(m, ch, np);
        for (int i = 0; i < n; i++)
            for (int j = i; j < n; j++) {
                double s = 0;
                if (by_pos)
                    for (int k = 0; k < ch; k++)
                        s += m[k * np + i] * m[k * np + j];
                else
                    for (size_t p = 0; p < np; p++)
                        s += m[i * np + p] * m[j * np + p];
                g[i * n + j] = g[j * n + i] = s;
            }
        jacobi(g, n, v);
        int top = 0;
        for (int i = 1; i < n; i++)
            if (g[i * n + i] > g[top * n + top])
                top = i;
        double lambda = g[top * n + top] > 0 ? g[top * n + top] : 0, sign = 0;
        for (size_t p = 0; p < np; p++) {
            double x = 0;
            if (by_pos) /* M v = sigma u */
                x = sqrt(lambda) * v[p * n + top];
            else
                for (int k = 0; k < ch; k++)
                    x += m[k * np + p] * v[k * n + top];
            proj[p] = x;
            for (int k = 0; k < ch; k++)
                sign += x * wa[k * np + p];
        }
        for (size_t p = 0; p < np; p++)
            cam[p] = (float)(sign < 0 ? -proj[p] : proj[p]);
    }
    free(m);
    free(g);
    free(v);
    free(proj);
    return rc;
}

/* The kernel of two centred positions i, j of x [ch][np]. */
static double kernel_of(enum cam_kernel kernel, double gamma, const double *x, int ch, size_t np,
                        size_t i, size_t j)
{
    double dot = 0, ii = 0, jj = 0;
    for (int k = 0; k < ch; k++) {
        const double a = x[k * np + i], b = x[k * np + j];
        dot += a * b, ii += a * a, jj += b * b;
    }
    switch (kernel) {
    case CAM_KERNEL_SIGMOID:
        return tanh(gamma * dot + 1);
    case CAM_KERNEL_RBF:
        return exp(-gamma * (ii + jj - 2 * dot));
    case CAM_KERNEL_POLY:
        return pow(gamma * dot + 1, 3);
    case CAM_KERNEL_COSINE: /* scikit-learn's: a zero point is orthogonal to all */
        return ii > 0 && jj > 0 ? dot / sqrt(ii * jj) : 0;
    case CAM_KERNEL_LINEAR:
        break;
    }
    return dot;
}

/* K - row means - column means + the mean: K centred in feature space;
 * mean: n doubles of room. */
static void centre_kernel(double *g, int n, double *mean)
{
    double all = 0;
    for (int i = 0; i < n; i++) {
        mean[i] = 0;
        for (int j = 0; j < n; j++)
            mean[i] += g[i * n + j];
        all += mean[i];
        mean[i] /= n;
    }
    all /= (double)n * n;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            g[i * n + j] += all - mean[i] - mean[j];
}

/* y = (g - shift I) v for the n x n matrix g; returns v . y. */
static double shifted_product(const double *g, int n, double shift, const double *v, double *y)
{
    double vy = 0;
    for (int i = 0; i < n; i++) {
        double s = -shift * v[i];
        for (int j = 0; j < n; j++)
            s += g[(size_t)i * n + j] * v[j];
        y[i] = s;
        vy += v[i] * s;
    }
    return vy;
}

/* The dominant eigenpair of g - shift I by power iteration: *mu and the
 * unit vector v (y: n doubles of room). */
static void power_iterate(const double *g, int n, double shift, double *v, double *y, double *mu)
{
    for (int it = 0; it < POWER_MAX_ITERATIONS; it++) {
        *mu = shifted_product(g, n, shift, v, y);
        double norm = 0, residual = 0;
        for (int i = 0; i < n; i++)
            norm += y[i] * y[i], residual += (y[i] - *mu * v[i]) * (y[i] - *mu * v[i]);
        if (norm == 0)
            return;
        norm = sqrt(norm);
        for (int i = 0; i < n; i++)
            v[i] = y[i] / norm;
        if (sqrt(residual) <= POWER_TOLERANCE * fabs(*mu))
            return;
    }
}

/* The largest eigenvalue of the symmetric n x n matrix g and its unit
 * eigenvector v (y: n doubles of room), as scikit-learn's KernelPCA takes
 * them. A kernel matrix's dominant eigenvalue is its largest, but for the
 * sigmoid kernel's, which need not be positive semi-definite: when it is
 * negative, g less it has the largest as its dominant one. */
static double largest_eigenpair(const double *g, int n, double *v, double *y)
{
    double mu = 0;
    for (int i = 0; i < n; i++) /* not the constant vector: a centred kernel's null space */
        v[i] = 1.0 + sin(1.0 + i);
    power_iterate(g, n, 0, v, y, &mu);
    if (mu >= 0)
        return mu;
    const double shift = mu;
    power_iterate(g, n, shift, v, y, &mu);
    return mu + shift;
}

int cam_kernel_component(const float *act, int ch, int h, int w, enum cam_kernel kernel,
                         double gamma, float *cam)
{
    const size_t np = (size_t)h * w;
    const int n = (int)np;
    double *x = malloc(np * ch * sizeof *x), *g = malloc(np * np * sizeof *g);
    double *v = malloc(np * sizeof *v), *scratch = malloc(np * sizeof *scratch);
    int rc = x && g && v && scratch ? EXIT_OK : fail(EXIT_INTERNAL, "out of memory");
    if (rc == EXIT_OK) {
        if (!(gamma > 0))
            gamma = 1.0 / ch;
        for (size_t j = 0; j < np * ch; j++)
            x[j] = act[j];
        centre_channels(x, ch, np); /* the positions centred, as the peer does */
        for (size_t i = 0; i < np; i++)
            for (size_t j = i; j < np; j++)
                g[i * np + j] = g[j * np + i] = kernel_of(kernel, gamma, x, ch, np, i, j);
        centre_kernel(g, n, scratch);
        const double lambda = largest_eigenpair(g, n, v, scratch);
        const double scale = lambda > 0 ? sqrt(lambda) : 0;
        double sign = 0;
        for (size_t p = 0; p < np; p++) {
            double sum = 0;
            for (int k = 0; k < ch; k++)
                sum += act[k * np + p];
            sign += v[p] * sum;
        }
        for (size_t p = 0; p < np; p++)
            cam[p] = (float)((sign < 0 ? -scale : scale) * v[p]);
    }
    free(x);
    free(g);
    free(v);
    free(scratch);
    return rc;
}

int cam_mask_normalise(float *plane, size_t n)
{
    float lo = plane[0], hi = plane[0];
    for (size_t i = 1; i < n; i++) {
        lo = plane[i] < lo ? plane[i] : lo;
        hi = plane[i] > hi ? plane[i] : hi;
    }
    if (!(hi > lo)) {
        memset(plane, 0, n * sizeof *plane);
        return 1;
    }
    for (size_t i = 0; i < n; i++)
        plane[i] = (plane[i] - lo) / (hi - lo);
    return 0;
}
