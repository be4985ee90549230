/* explain/method.h - the method SDK: what an attribution method is (struct
 * method), what it is given (the run and a batch of images) and the
 * helpers its compute calls. A method's file (src/methods/NAME.c) includes
 * this and nothing of the driver; the driver (explain.c) runs it over
 * inputs, batches and outputs.
 *
 * To add a method: src/methods/NAME.c with a const struct method whose
 * compute(run, batch) fills each b->a[i].map (HxW; chw 3xHxW if per
 * channel) and sets b->res; one line in methods.c's list; the file in
 * CMakeLists.txt. */
#ifndef ATTRIB_EXPLAIN_METHOD_H
#define ATTRIB_EXPLAIN_METHOD_H

#include <stddef.h>

#include "attribution.h"
#include "cache.h"
#include "cli.h"
#include "display.h"
#include "inputs.h"
#include "mapsign.h"
#include "model.h"
#include "objective.h"
#include "progress.h"
#include "summary.h"
#include "targets.h"

/* The options every attribution command shares (explain/spec.c's rows). */
struct explain_opts {
    struct model_opts model;
    long target;            /* --class; -1: the predicted class */
    struct target_opts target_opts; /* --target (class:N is --class N) and its thresholds */
    struct objective objective; /* --objective, --versus */
    const char *class_file; /* --class-file TSV */
    const char *layer;      /* --layer; NULL: the method's default */
    const char *out_dir;    /* -o */
    int sign;               /* --sign: an enum map_sign (the method's default without
                               the option) */
    int cmap;               /* --cmap: an enum colormap (auto: by the map's sign) */
    struct display_scale scale; /* --scale */
    int colorbar;           /* --colorbar: a labelled colour bar on the overlay */
    double alpha;           /* --alpha: weight of the heatmap in the overlay */
    int blend;              /* --blend: an enum blend (rising: weight grows with heat) */
    long overlay_max_side;  /* --overlay-max-side; 0: the photo's size */
    double clip;            /* --clip: percent of hottest pixels drawn saturated */
    const char *raw;        /* --raw FILE (one image) */
    int save_raw;           /* --save-raw: NAME.METHOD.npy for every image */
    long batch_size;        /* --batch-size */
    long workers;           /* --workers; -1: auto */
    struct shard shard;     /* --shard K/N; 0/0: all */
    int recursive, json, quiet, no_report, resume;
    int class_from_folder;  /* --class-from-folder: ImageFolder's classes */
    int timings;            /* --timings: per-stage times on stderr at the end */
    double log_every;       /* --log-every: seconds between progress lines in a log */
    const char *sheet;      /* --sheet FILE.png */
    const char *cache;      /* --cache DIR; NULL: none */
};

/* A mini-batch of n <= MAX_BATCH_SIZE preprocessed images. */
#define MAX_BATCH_SIZE 256

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

/* The most bytes a method's parameters (its options) may take. */
#define METHOD_PARAMS_MAX 256

struct method {
    const char *name;        /* subcommand and file-name suffix: "saliency" */
    const char *summary;     /* its line in 'attrib --help'; NULL: not a command of
                                its own (gradcam's variants) */
    const char *synopsis;    /* usage line(s) for --help and the man page */
    const char *description; /* what it computes and writes */
    int uses_layer;          /* accepts --layer (default: the Grad-CAM layer) */
    int signed_map;          /* its map has a sign: accepts --sign */
    int sign;                /* enum map_sign: the --sign default (or, without
                                signed_map, what compute is given) */
    int in_eval;             /* in eval's default list */
    int many_passes;         /* many passes per image (steps, samples, masks): the network
                                is nearly all its time, so a run keeps every core for it */
    int objective;           /* enum objective_kind: the --objective default */
    /* The method's own options: rows whose destinations are in its
     * parameters (run->params, a struct of the method's). Optional. */
    const struct opt *options;
    /* The method that runs with these parameters (gradcam's --variant
     * picks gradcam++, ...). Optional. */
    const struct method *(*resolve)(const struct explain_run *run);
    /* Called once the model is open, before any image (e.g. to load a
     * baseline image). Optional. */
    int (*prepare)(struct explain_run *run);
    /* Frees what prepare made. Optional. */
    void (*release)(struct explain_run *run);
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
    attrib_layer_view layer_view; /* how its output reads as [N, C, h, w] */
    double t_start;
    /* --scale batch: a first pass over every image measures the range
     * (measuring set, outputs skipped); the second draws with it. */
    struct { int measuring, seen; float lo, hi; } batch_range;
    char run_key[65];  /* resume.h: in every summary; "" for eval's runs */
    size_t resumed;    /* --resume: images whose earlier outputs were kept */
    struct cache cache; /* --cache (cache.h): its hits and misses */
    size_t explained, failed; /* images of this run so far */
    struct target_state target; /* --target beyond classes: the head's references */
    int workers;       /* the pipeline's threads beside the passes (pipeline.h); 0: none */
    /* A single image's many passes (explain_passes): a progress line,
     * wanted when the run has no line of its own over images. */
    int passes_wanted;
    struct progress passes;
    long passes_done;
    _Alignas(max_align_t) unsigned char params[METHOD_PARAMS_MAX];
};

/* The method's parameters in run, as its own struct type. */
#define METHOD_PARAMS(type, run)                                                          \
    ((type *)(void *)(run)->params +                                                      \
     0 * sizeof(char[sizeof(type) <= METHOD_PARAMS_MAX ? 1 : -1]))

/* The method's compute on batch b, with the run's objective set on the
 * model (which runs of eval, sanity and drift share). */
int explain_compute(struct explain_run *run, struct batch *b);

/* For methods of many passes per image (RISE, LIME, Score-CAM, IG, ...):
 * done of total passes of the image in hand, after each chunk of them.
 * Where the run wants it (one image, not quiet), a progress line on
 * stderr once the image has taken a second: passes, rate, time left. */
void explain_passes(struct explain_run *run, long done, long total);

/* A failed shim call during compute(): an out-of-range class is a usage
 * error (targets are checked per image before compute, so only a class no
 * check caught gets here), everything else is the model's. */
int explain_shim_error(struct explain_run *run, attrib_status st);

/* Forward and backward pass over the batch as it is, for the summaries'
 * classes and scores (top-1 targets resolved): b->res. Methods whose own
 * passes are over other inputs (noisy, interpolated, occluded) start here. */
int explain_reference_pass(struct explain_run *run, struct batch *b);

/* Image i's class (resolved) and the objective's value for it in b->res
 * (--objective, --versus: what the method explains). */
int64_t explain_target(const struct batch *b, int i);
double explain_target_score(const struct explain_run *run, const struct batch *b, int i);

/* The objective's value for target on one row of logits (a forward-only
 * method's own passes). */
double explain_objective(const struct explain_run *run, const float *logits, int64_t classes,
                         int64_t target);

/* Applies --sign to a signed map of n values (a method's compute calls
 * this once it has the map, at whatever resolution the sign belongs to). */
void explain_sign_map(const struct explain_run *run, float *map, size_t n);

/* Whether the run's maps are drawn signed (--sign signed on a signed map). */
int explain_signed(const struct explain_run *run);

/* Shape of the batch for the shim: {n, 3, h, w}. */
void batch_shape(const struct batch *b, int64_t shape[4]);

#endif
