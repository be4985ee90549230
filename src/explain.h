/* explain.h - the driver every attribution subcommand runs on: options,
 * model, the per-image loop, and turning a map into heatmap, overlay, raw
 * file and summary. A method only computes its map (struct method). */
#ifndef ATTRIB_EXPLAIN_H
#define ATTRIB_EXPLAIN_H

#include "cli.h"
#include "colormap.h"
#include "model.h"
#include "summary.h"

struct explain_opts {
    struct model_opts model;
    long target;         /* --class; -1: the predicted class */
    const char *layer;   /* --layer; NULL: the method's default */
    const char *out_dir; /* -o */
    enum colormap cmap;  /* --cmap */
    double alpha;        /* --alpha: weight of the heatmap in the overlay */
    double clip;         /* --clip: percent of hottest pixels drawn saturated */
    const char *raw;     /* --raw FILE */
    int json, quiet;
};

/* What a method computes for one image, at the model's input size H x W. */
struct attribution {
    float *map;        /* H x W, always: the heatmap */
    float *chw;        /* 3 x H x W, for methods with per-channel values */
    int has_chw;       /* set by the method when chw holds its result */
    float *cam;        /* layer methods: the low-resolution map, owned */
    attrib_result *res;/* the pass whose logits and target are reported */
};

struct explain_run;

struct method {
    const char *name;  /* subcommand and file-name suffix: "saliency" */
    const char *usage; /* the --help text before the shared options */
    int uses_layer;    /* accepts --layer (default: the Grad-CAM layer) */
    /* Computes a for the normalised input x [1, 3, H, W]; fills
     * s->pass_ms and, for layer methods, s->layer* and s->cam*. */
    int (*compute)(struct explain_run *run, const float *x, struct attribution *a,
                   struct summary *s);
};

/* State of one invocation, shared with the method's compute(). */
struct explain_run {
    const struct method *method;
    struct explain_opts opts;
    struct model model;
    const char *layer; /* the layer in use (layer methods) */
    double t_start;
};

/* `attrib NAME IMAGE... [options]` for method m. */
int explain_main(const struct method *m, int argc, char **argv);

/* A failed shim call during compute(): --class errors are usage errors,
 * everything else is the model's. */
int explain_shim_error(struct explain_run *run, attrib_status st);

#endif
