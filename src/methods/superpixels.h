/* superpixels.h - what LIME and KernelSHAP share: the image cut into SLIC
 * superpixels, copies that keep some of them (the rest from the baseline),
 * the model's objective on each copy, and the fitted coefficients painted
 * back onto the superpixels. Their options are one group of rows. */
#ifndef ATTRIB_SUPERPIXELS_H
#define ATTRIB_SUPERPIXELS_H

#include "explain/method.h"
#include "rng.h"
#include "sampling.h"

#define SUPERPIXELS_DEFAULT_SEGMENTS 50
#define SUPERPIXELS_DEFAULT_SAMPLES 1000 /* the LIME paper's and package's */
#define SUPERPIXELS_MAX_SEGMENTS 4096
#define SUPERPIXELS_MAX_SAMPLES 100000

struct superpixel_params {
    struct sampling sampling; /* --internal-batch, --seed, --max-memory, --baseline */
    long segments;            /* --segments: SLIC's target count */
    double compactness;       /* --compactness */
    long samples;             /* --samples: perturbed copies */
};

/* --segments, --compactness, --samples, --baseline and the forward
 * sampling options, into a struct superpixel_params at field. */
extern const struct opt superpixel_options[];
#define SUPERPIXEL_OPTIONS(st, field) OPT_GROUP(NULL, st, field, superpixel_options)

/* --segments against the model's input (EXIT_USAGE: more segments than
 * pixels), then sampling_prepare. */
int superpixels_prepare(struct superpixel_params *p, struct explain_run *run);
/* superpixels_prepare as a method's prepare, for parameters that start
 * with their struct superpixel_params (SAMPLING_FIRST(type, sp.sampling));
 * the release is sampling_method_release. */
int superpixels_method_prepare(struct explain_run *run);

/* The superpixels of normalised input x [3][h][w] into a->segments (as
 * float labels 0 .. *count - 1), and as ints into labels. */
int superpixels_segment(const struct superpixel_params *p, const struct explain_run *run,
                        const float *x, int h, int w, struct attribution *a, int *labels,
                        int *count);

/* The objective for target on n copies of x, copy i keeping superpixel j
 * where z[i * m + j] is 1 and the baseline elsewhere: into y[i]; with
 * cos_sim, also the cosine similarity of each copy to x (flattened
 * normalised tensors, as Captum's LIME kernel takes it). */
int superpixels_scores(const struct superpixel_params *p, struct explain_run *run,
                       const float *x, const float *base, int h, int w, const int *labels,
                       int m, const unsigned char *z, int n, int64_t target, double *y,
                       double *cos_sim);

/* map[p] = coef[labels[p]]. */
void superpixels_paint(const int *labels, size_t n, const double *coef, float *map);

#endif

/* How a surrogate method samples, weighs and fits (LIME, KernelSHAP). */
struct surrogate_kind {
    /* n interpretable samples, rows of m bytes (1: superpixel kept), from r;
     * EXIT_OK or EXIT_INTERNAL */
    int (*draw)(struct rng *r, int m, int n, unsigned char *z);
    /* the samples' weights, given each copy's cosine similarity to x */
    void (*weigh)(const struct explain_run *run, const unsigned char *z, const double *cos_sim,
                  int n, int m, double *w);
    /* the linear model: coefficients per superpixel and intercept */
    int (*fit)(const struct explain_run *run, const unsigned char *z, const double *y,
               const double *w, int n, int m, double *coef, double *intercept);
};

/* Every image of the batch: reference pass, superpixels, kind's samples
 * (the generator restarts at --seed per image), scores, weights, fit; the
 * coefficients painted into a->map (signed; --sign applied) and a->segments;
 * details in the summaries. */
int superpixels_compute(struct explain_run *run, struct batch *b,
                        const struct superpixel_params *p, const struct surrogate_kind *kind);
