/* kernel_shap.c - `attrib kernel-shap`: Lundberg & Lee 2017's
 * KernelSHAP, as Captum's KernelShap: coalitions of SLIC superpixels drawn
 * from the Shapley kernel's distribution of sizes, the all-kept and
 * none-kept copies weighted 10^6 so the fit meets them, and a weighted
 * least-squares fit whose coefficients estimate each superpixel's Shapley
 * value. Forward passes only. */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "explain/method.h"
#include "methods.h"
#include "superpixels.h"
#include "surrogate.h"

#define ENDPOINT_WEIGHT 1e6 /* Captum's inf_weight */

struct kshap_params {
    struct superpixel_params sp;
};
SAMPLING_FIRST(struct kshap_params, sp.sampling);

static const struct opt options[] = {
    SUPERPIXEL_OPTIONS(struct kshap_params, sp),
    OPT_END,
};

/* All kept, none kept, then per sample: a size k in 1 .. m - 1 drawn with
 * probability proportional to 1 / (k (m - k)) (one uniform, by the CDF),
 * and k superpixels drawn without replacement (k uniforms, a partial
 * Fisher-Yates shuffle). With m < 2 the rows alternate all and none. */
static int draw(struct rng *r, int m, int n, unsigned char *z)
{
    double total = 0;
    for (int k = 1; k < m; k++)
        total += 1.0 / ((double)k * (m - k));
    int *order = malloc((size_t)(m > 0 ? m : 1) * sizeof *order);
    if (!order)
        return fail(EXIT_INTERNAL, "out of memory");
    for (int i = 0; i < n; i++) {
        unsigned char *row = z + (size_t)i * m;
        if (i < 2 || m < 2) {
            memset(row, i % 2 == 0, (size_t)m);
            continue;
        }
        double u = rng_uniform(r) * total, cdf = 0;
        int k = 1;
        for (; k < m - 1; k++) {
            cdf += 1.0 / ((double)k * (m - k));
            if (u < cdf)
                break;
        }
        for (int j = 0; j < m; j++)
            order[j] = j;
        memset(row, 0, (size_t)m);
        for (int j = 0; j < k; j++) {
            int pick = rng_range(r, j, m - 1), t = order[j];
            order[j] = order[pick];
            order[pick] = t;
            row[order[j]] = 1;
        }
    }
    free(order);
    return EXIT_OK;
}

static void weigh(const struct explain_run *run, const unsigned char *z, const double *cos_sim,
                  int n, int m, double *w)
{
    (void)run, (void)cos_sim;
    for (int i = 0; i < n; i++) {
        int kept = 0;
        for (int j = 0; j < m; j++)
            kept += z[(size_t)i * m + j];
        w[i] = kept == 0 || kept == m ? ENDPOINT_WEIGHT : 1;
    }
}

static int fit(const struct explain_run *run, const unsigned char *z, const double *y,
               const double *w, int n, int m, double *coef, double *intercept)
{
    (void)run;
    return surrogate_least_squares(z, y, w, n, m, coef, intercept);
}

static const struct surrogate_kind kernel_shap_kind = { draw, weigh, fit };

static int kernel_shap(struct explain_run *run, struct batch *b)
{
    return superpixels_compute(run, b, &METHOD_PARAMS(struct kshap_params, run)->sp,
                               &kernel_shap_kind);
}

const struct method method_kernel_shap = {
    .name = "kernel-shap",
    .many_passes = 1,
    .summary = "KernelSHAP: Shapley values of superpixels by weighted least squares",
    .synopsis = "attrib kernel-shap IMAGE|DIR|-... [--class N] [--segments 50] [--samples 1000]\n"
                "                          [--seed N] [options]",
    .description =
        "KernelSHAP (Lundberg & Lee 2017), as Captum's KernelShap: the image is cut into\n"
        "SLIC superpixels; the copies keep all of them, none, then coalitions whose size\n"
        "k is drawn with probability proportional to 1 / (k (M - k)) (the Shapley\n"
        "kernel), the rest from the baseline; a weighted least-squares fit of the class's\n"
        "score (the all and none copies weighted 10^6) gives each superpixel's estimated\n"
        "Shapley value, its value in the map (signed; they add up to the score of the\n"
        "image minus that of the baseline). Forward passes only: any model. Seeded.\n"
        "Writes NAME.kernel-shap.png, .overlay.png and .json; --save-raw also the\n"
        "superpixels, NAME.kernel-shap.segments.npy.\n",
    .signed_map = 1,
    .sign = SIGN_SIGNED,
    .options = options,
    .prepare = superpixels_method_prepare,
    .release = sampling_method_release,
    .compute = kernel_shap,
};
