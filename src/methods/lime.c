/* lime.c - `attrib lime`: Ribeiro et al. 2016, "Why Should I Trust
 * You?", as Captum's Lime defines it for images: copies keeping a random
 * half of the SLIC superpixels (the rest from the baseline), weighted by an
 * exponential kernel of their cosine distance to the image, and a
 * weighted Lasso of the class's score on which superpixels were kept; the
 * coefficients are the map. Forward passes only. */
#include <math.h>

#include "error.h"
#include "explain/method.h"
#include "methods.h"
#include "superpixels.h"
#include "surrogate.h"

#define DEFAULT_KERNEL_WIDTH 1.0 /* Captum's */
#define DEFAULT_ALPHA 0.01       /* Captum's SkLearnLasso(alpha=0.01) */
#define KEEP_PROBABILITY 0.5     /* Captum's default_perturb_func */

struct lime_params {
    struct superpixel_params sp;
    double kernel_width, alpha;
};
SAMPLING_FIRST(struct lime_params, sp.sampling);

static const struct opt options[] = {
    OPT_REAL(0, "kernel-width", struct lime_params, kernel_width, 1e-6, 1e6,
             DEFAULT_KERNEL_WIDTH, "W",
             "width of the similarity kernel exp(-d^2 / (2 W^2)), d the cosine distance of a "
             "copy to the image"),
    OPT_REAL(0, "lasso-alpha", struct lime_params, alpha, 0, 1e6, DEFAULT_ALPHA, "A",
             "the Lasso's L1 weight (0: weighted least squares)"),
    SUPERPIXEL_OPTIONS(struct lime_params, sp),
    OPT_END,
};

static int draw(struct rng *r, int m, int n, unsigned char *z)
{
    for (size_t j = 0; j < (size_t)n * m; j++)
        z[j] = rng_uniform(r) < KEEP_PROBABILITY;
    return EXIT_OK;
}

static void weigh(const struct explain_run *run, const unsigned char *z, const double *cos_sim,
                  int n, int m, double *w)
{
    (void)z, (void)m;
    const double width = METHOD_PARAMS(struct lime_params, run)->kernel_width;
    for (int i = 0; i < n; i++) {
        double d = 1 - cos_sim[i];
        w[i] = exp(-d * d / (2 * width * width));
    }
}

static int fit(const struct explain_run *run, const unsigned char *z, const double *y,
               const double *w, int n, int m, double *coef, double *intercept)
{
    const double alpha = METHOD_PARAMS(struct lime_params, run)->alpha;
    return alpha > 0 ? surrogate_lasso(z, y, w, n, m, alpha, coef, intercept)
                     : surrogate_least_squares(z, y, w, n, m, coef, intercept);
}

static const struct surrogate_kind lime_kind = { draw, weigh, fit };

static int lime(struct explain_run *run, struct batch *b)
{
    const struct lime_params *p = METHOD_PARAMS(struct lime_params, run);
    int rc = superpixels_compute(run, b, &p->sp, &lime_kind);
    for (int i = 0; rc == EXIT_OK && i < b->n; i++) {
        summary_detail_number(&b->s[i], "kernel_width", p->kernel_width);
        summary_detail_number(&b->s[i], "lasso_alpha", p->alpha);
    }
    return rc;
}

const struct method method_lime = {
    .name = "lime",
    .many_passes = 1,
    .summary = "LIME: a Lasso on which superpixels a copy keeps",
    .synopsis = "attrib lime IMAGE|DIR|-... [--class N] [--segments 50] [--samples 1000]\n"
                "                   [--kernel-width 1] [--lasso-alpha 0.01] [--seed N] [options]",
    .description =
        "LIME (Ribeiro et al. 2016), as Captum's Lime: the image is cut into SLIC\n"
        "superpixels (Achanta et al. 2012; --segments, --compactness); each of --samples\n"
        "copies keeps every superpixel with probability 1/2 and takes the rest from the\n"
        "baseline; the class's score on the copies, weighted by exp(-d^2 / (2 W^2)) with d\n"
        "their cosine distance to the image, is fitted by a Lasso (--lasso-alpha) on which\n"
        "superpixels were kept. Each superpixel's coefficient is its value in the map\n"
        "(signed). Forward passes only: any model. Seeded. Writes NAME.lime.png,\n"
        ".overlay.png and .json (fit_r2: how well the linear model fits); --save-raw also\n"
        "the superpixels, NAME.lime.segments.npy.\n",
    .signed_map = 1,
    .sign = SIGN_SIGNED,
    .options = options,
    .prepare = superpixels_method_prepare,
    .release = sampling_method_release,
    .compute = lime,
};
