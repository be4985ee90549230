/* explain/targets.h - --target beyond classes: the model's output looked at
 * once (its shape), the reference read (a mask, an image's embedding, a
 * vector), the shim's head set from it; per batch, the rows' entries (and
 * for segment:CLASS the masks the model itself predicts); each image's
 * target in its summary. */
#ifndef ATTRIB_EXPLAIN_TARGETS_H
#define ATTRIB_EXPLAIN_TARGETS_H

#include <stdint.h>

#include "options.h"
#include "target.h"

struct explain_run;

/* --target and the thresholds of its box: form (target_option_rows'
 * destinations; TARGET_OPTIONS puts them in a command's table). */
struct target_opts {
    struct target_spec spec;
    double iou_threshold, score_threshold;
};
extern const struct opt target_option_rows[];
#define TARGET_OPTIONS(st, field)                                                          \
    OPT_GROUP("What is explained beyond classes (segmenters, embedders, detectors)", st,   \
              field, target_option_rows)
struct batch;
struct summary;
struct input_list;

/* What the head needs, made once before any image. */
struct target_state {
    int kind;              /* enum target_kind; TARGET_CLASS: nothing here */
    int64_t out[4];        /* the model's output for one input: [1, C, h, w] or [1, D] */
    int out_ndim;
    float *mask;           /* segment:CLASS@MASK: [h, w] in the output's frame */
    long mask_pixels;      /* its pixels */
    float *reference;      /* similar-to: the embedding compared with [D] */
    float *masks;          /* segment:CLASS: a batch's predicted masks [n, h, w] */
    long *pixels;          /* and their pixels, per image */
    int64_t *entries;      /* each row's entry of the head (MAX_BATCH_SIZE) */
};

/* Checks --target against the other options and the model's output, reads
 * its reference and sets the head. EXIT_OK; EXIT_USAGE (a target the output
 * cannot serve, a reference that does not fit: before any image); EXIT_INPUT
 * (a reference file that cannot be read); EXIT_MODEL. */
int targets_prepare(struct explain_run *run);
void targets_release(struct explain_run *run);

/* The rows' targets for compute: b's own (classes), or the head's entries;
 * for segment:CLASS, the masks of b's images predicted and the head set. */
int targets_batch(struct explain_run *run, const struct batch *b, const int64_t **targets);

/* Image i's target in its summary (a target that is not a class). */
void targets_summary(const struct explain_run *run, int i, struct summary *s);

#endif
