/* sanity_report.h - attrib sanity's files (sanity_report.c: each image's
 * JSON, chart and strip, and the summary) and what its run (sanity.c: the
 * weights re-drawn, the methods re-run, the maps compared) hands them. */
#ifndef ATTRIB_CMD_SANITY_REPORT_H
#define ATTRIB_CMD_SANITY_REPORT_H

#include "attrib/shim.h"
#include "classify.h"
#include "explain/explain.h"
#include "methodlist.h"
#include "model.h"
#include "redraw.h"

#define MAX_CHUNK 64
#define MAX_BLOCKS 256
#define THUMB 72    /* the strip's tiles */
#define THUMB_GAP 4
#define STRIP_LABEL_W 130
#define STRIP_HEAD_H 16

enum metric { METRIC_SPEARMAN_ABS, METRIC_SPEARMAN, METRIC_SSIM, METRICS };
struct sanity_opts {
    struct model_opts model;
    long target;
    struct target_opts target_opts; /* --target beyond classes */
    const char *methods;
    int independent, random_logit;
    long seed, chunk;
    double max_similarity; /* NaN: no check */
    long check_blocks;     /* judged with this many blocks re-drawn; 0: all */
    int metric;            /* enum metric the check uses */
    const char *out_dir;
    int recursive, json, quiet;
};

/* Similarity of a map to the trained model's. */
struct sim {
    double v[METRICS];
};

/* One image's results: per method, the cascading and independent steps,
 * the random-logit comparison and the strip's tiles. */
struct image_result {
    const struct input *it;
    int ok;
    struct class_score cls;
    char label[SUMMARY_LABEL];
    long other;             /* the random-logit class */
    struct sim *cascade;    /* [method][block] */
    struct sim *independent;
    struct sim *random;     /* [method] */
    unsigned char *tiles;   /* [method][1 + block][THUMB * THUMB * 3] */
};

struct sanity {
    struct sanity_opts o;
    struct model model;
    struct method_list ml;
    struct explain_run runs[METHOD_LIST_MAX];
    int opened[METHOD_LIST_MAX];
    struct explain_run scope; /* --target beyond classes: the head of the images' scores */
    int beyond;               /* a --target that is not a class */
    attrib_params *params;  /* the trained values */
    size_t nparams, largest;
    int *param_block;       /* block of each parameter */
    int nblocks;            /* blocks, in the module's order; re-drawn from the last */
    char (*blocks)[REDRAW_BLOCK_NAME];
    int *drawn;             /* per parameter: currently re-drawn */
    float *scratch;         /* a parameter's worth of floats */
    int h, w;
    /* per method and step, over the images that worked: sums for mean and SD */
    double (*sum)[METRICS], (*sum_sq)[METRICS];
    size_t (*count)[METRICS]; /* [method][column]: columns are cascade, independent, random */
    size_t images_ok;
    int failed_check;       /* images x methods above --max-similarity */
    struct progress *step_bar; /* one image: re-drawing steps done; NULL: none */
    int worst;
};

/* The metrics' names in the JSON (enum metric order). */
extern const char *const sanity_metric_names[];

/* The steps a method's row has: cascade, independent, random logit. */
static inline int sanity_columns(const struct sanity *s)
{
    return 2 * s->nblocks + 1;
}

/* The block re-drawn at step k (0-based): the logits' first. */
static inline int sanity_block_at(const struct sanity *s, int k)
{
    return s->nblocks - 1 - k;
}

/* Image r's strip tile of method k after step (0: the trained model). */
static inline unsigned char *sanity_tile_at(const struct sanity *s, struct image_result *r,
                                            int k, int step)
{
    return r->tiles + ((size_t)k * (s->nblocks + 1) + step) * THUMB * THUMB * 3;
}

/* How many blocks are re-drawn when --max-similarity judges. */
int sanity_check_step(const struct sanity *s);

/* NAME.sanity.json, .png (chart) and .strip.png of one image, its text. */
int sanity_write_image(struct sanity *s, struct image_result *r);
/* sanity-summary.json and .png: mean and SD per method and step. */
int sanity_write_summary(struct sanity *s);

#endif
