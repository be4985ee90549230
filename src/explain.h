/* explain.h - the driver every attribution subcommand runs on: options,
 * model, inputs (files, directories, stdin), mini-batches, and turning maps
 * into heatmap, overlay, raw file and summary, per image and for the run.
 * A method only computes its maps (struct method). */
#ifndef ATTRIB_EXPLAIN_H
#define ATTRIB_EXPLAIN_H

#include "cli.h"
#include "colormap.h"
#include "model.h"
#include "summary.h"

#define DEFAULT_BATCH_SIZE 2 /* measured: no gain above 2 (docs/BENCHMARKS.md) */
#define MAX_BATCH_SIZE 256

struct explain_opts {
    struct model_opts model;
    long target;            /* --class; -1: the predicted class */
    const char *class_file; /* --class-file TSV */
    const char *layer;      /* --layer; NULL: the method's default */
    const char *out_dir;    /* -o */
    enum colormap cmap;     /* --cmap */
    double alpha;           /* --alpha: weight of the heatmap in the overlay */
    double clip;            /* --clip: percent of hottest pixels drawn saturated */
    const char *raw;        /* --raw FILE (one image) */
    int save_raw;           /* --save-raw: NAME.METHOD.npy for every image */
    long batch_size;        /* --batch-size */
    long shard_k, shard_n;  /* --shard K/N; 0/0: all */
    int recursive, json, quiet, no_report;
    const char *sheet;      /* --sheet FILE.png */
};

/* What a method computes for one image, at the model's input size H x W. */
struct attribution {
    float *map;  /* H x W, always: the heatmap */
    float *chw;  /* 3 x H x W, for methods with per-channel values */
    int has_chw; /* set by the method when chw holds its result */
    float *cam;  /* layer methods: the low-resolution map (owned) */
};

/* A mini-batch of n preprocessed images. */
struct batch {
    int n, h, w;
    const float *x;          /* [n, 3, h, w], normalised */
    const int64_t *targets;  /* n classes; -1: the top-1 */
    struct attribution *a;   /* n */
    struct summary *s;       /* n */
    attrib_result *res;      /* set by compute: the pass whose logits and
                                classes the summaries report */
};

struct explain_run;

/* Option ids of a method's own options start here. */
#define OPT_METHOD_FIRST 1100

struct method {
    const char *name;  /* subcommand and file-name suffix: "saliency" */
    const char *usage; /* the --help text before the shared options */
    int uses_layer;    /* accepts --layer (default: the Grad-CAM layer) */
    /* The method's own options (ids >= OPT_METHOD_FIRST, {0}-terminated),
     * their --help lines, and their parser (EXIT_OK, EXIT_USAGE, or -1 for
     * an option that is not the method's; it may switch run->method to a
     * variant that shares these options). Optional. */
    const struct option *options;
    const char *options_help;
    int (*parse)(struct explain_run *run, int opt, const char *arg);
    /* Called once the model is open, before any image (e.g. to load a
     * baseline image). Optional. */
    int (*prepare)(struct explain_run *run);
    /* Computes every b->a[i]; sets b->res and, for layer methods, the layer
     * fields of b->s[i]. */
    int (*compute)(struct explain_run *run, struct batch *b);
};

/* State of one invocation, shared with the method's compute(). */
struct explain_run {
    const struct method *method;
    struct explain_opts opts;
    struct model model;
    const char *layer; /* the layer in use (layer methods) */
    double t_start;
};

/* `attrib NAME INPUT... [options]` for method m. */
int explain_main(const struct method *m, int argc, char **argv);

/* A run of method m on an already open model (shared, not owned), with the
 * default options, its layer chosen and the method prepared: how `attrib
 * eval` runs several methods on one model. Release with explain_run_close. */
int explain_run_open(struct explain_run *run, const struct method *m, const struct model *model,
                     const struct model_opts *mo);
void explain_run_close(struct explain_run *run);

/* A failed shim call during compute(): --class errors are usage errors,
 * everything else is the model's. */
int explain_shim_error(struct explain_run *run, attrib_status st);

/* Forward and backward pass over the batch as it is, for the summaries'
 * classes and scores (top-1 targets resolved): b->res. Methods whose own
 * passes are over other inputs (noisy, interpolated, occluded) start here. */
int explain_reference_pass(struct explain_run *run, struct batch *b);

/* Image i's class (resolved) and its unnormalised score in b->res. */
int64_t explain_target(const struct batch *b, int i);
double explain_target_score(const struct batch *b, int i);

/* Shape of the batch for the shim: {n, 3, h, w}. */
void batch_shape(const struct batch *b, int64_t shape[4]);

#endif
