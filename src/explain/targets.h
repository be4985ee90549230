/* explain/targets.h - --target beyond classes: the model's output looked at
 * once (its shape), the reference read (a mask, an image's embedding, a
 * vector), the shim's head set from it; per batch, the rows' entries (and
 * for segment:CLASS the masks the model itself predicts); each image's
 * target in its summary. */
#ifndef ATTRIB_EXPLAIN_TARGETS_H
#define ATTRIB_EXPLAIN_TARGETS_H

#include <stdint.h>

#include "options.h"
#include "summary.h"
#include "target.h"

struct explain_run;
struct model;
struct model_opts;

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
    int frozen;            /* segment:CLASS: the masks are held for batches of this many
                              images (targets_freeze); 0: predicted with each batch */
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

/* sanity: segment:CLASS's masks of b's images predicted at the weights as
 * they are now (the trained ones) and held for every later batch, which
 * must be of the same images, while the weights are re-drawn: the target
 * stays the trained model's. The other targets hold their reference
 * already. */
int targets_freeze(struct explain_run *run, const struct batch *b);

/* Each of b's images' target score at the weights as they are (its entry
 * of the head's scores), into scores[i]: what eval's curves, sanity and
 * drift report beside the maps. */
int targets_scores(struct explain_run *run, const struct batch *b, double *scores);

/* A score of run's target as a class_score (the class, its label; no
 * probability), for targets_score_json and targets_score_line. */
void targets_score_of(const struct explain_run *run, double score, struct class_score *cls,
                      char *label, size_t size);

/* What a command's image scores: a class (its probability) or a target
 * beyond classes (its score), as JSON ("kind" first) and as one line
 * ("class 281 "tabby" (p=0.61)", class_word for the first word). */
cJSON *targets_score_json(const struct target_spec *t, const struct class_score *cls);
/* A target beyond classes as words ("segment 2 "long"", "similar to X.png",
 * "box 30,17,7,9"), cls its class and label (targets_score_of). */
void targets_name(const struct target_spec *t, const struct class_score *cls, char *buf,
                  size_t size);
void targets_score_line(const struct target_spec *t, const struct class_score *cls,
                        const char *class_word, char *buf, size_t size, int digits);

/* A head for the command's own passes (eval's curves, sanity's and drift's
 * scores) beside its methods' runs: prepared on model, whose copy a
 * method's run then takes (a segmenter's default layer is found from it).
 * The command takes a class as --class: class:N is refused. */
int targets_open_scope(struct explain_run *scope, const char *command, struct model *model,
                       const struct model_opts *mo, long cls, const struct target_opts *t);

#endif
