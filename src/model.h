/* model.h - a classifier as the subcommands see it: the libtorch handle,
 * its card, and where it came from. */
#ifndef ATTRIB_MODEL_H
#define ATTRIB_MODEL_H

#include <limits.h>

#include "attrib/shim.h"
#include "card.h"
#include "layers.h"
#include "cli.h"
#include "summary.h"
#include "timer.h"

#define DEFAULT_MODEL_FILE "mobilenet_v2_1.0_224.pt"
#define MODEL_ENV "ATTRIB_MODEL"
#define MODEL_MAX_FILE_BYTES (2048L * 1024 * 1024)

struct model {
    attrib_model *handle;
    struct card card;
    char path[PATH_MAX];
    char sha256[65];
    char card_source[PATH_MAX + 16];
    int classes;  /* known after the first pass; 0 before */
    int scores_entries; /* the passes score a --target's entries, not classes (targets.c) */
    int64_t output_shape[4]; /* masks [1, C, h, w] of a segmenter (targets.c); else zeros */
    char device[16]; /* where it runs: "cpu", "cuda:0" */
    double load_ms;
};

/* Finds (--model, $ATTRIB_MODEL, default), reads, hashes and loads the model
 * and its card; sets up libtorch's threads first. EXIT_OK or EXIT_MODEL. */
int model_open(const struct model_opts *opts, struct model *m);
void model_close(struct model *m);

/* A result's logits [rows, classes] (attrib_result_get's, its two numbers
 * into rows and classes, either NULL). */
const float *result_logits(const attrib_result *res, int64_t *rows, int64_t *classes);

/* Maps a failed shim call to an exit code and message. */
int model_error(attrib_status st, const char *what);
/* Whether the last failure model_error mapped was the device (or host)
 * running out of memory: a batch can go on with smaller mini-batches. */
int model_out_of_memory(void);

/* Makes sure m->classes is known: if no pass has run yet, one forward pass
 * of a blank input of the card's size. EXIT_OK or EXIT_MODEL. */
int model_probe_classes(struct model *m);

/* The model's output as it is for n inputs x [n, 3, H, W] (the shim's head
 * set to none, which it stays): *y points into *res (the caller frees it),
 * its shape into shape (ATTRIB_MAX_DIMS) and *ndim. For models that are
 * not classifiers. EXIT_OK or EXIT_MODEL (also for a non-finite value). */
int model_raw_output(struct model *m, const float *x, int n, attrib_result **res,
                     const float **y, int64_t *shape, int *ndim);

/* Checks a pass's logits ([n, classes], all finite) and records classes. */
int model_check_logits(struct model *m, const attrib_result *res, int n);

/* The model's input tensor for img: resized (region: the part of img used)
 * and normalised; chw holds 3 * input_w * input_h floats. */
int model_input(const struct model *m, enum resize_mode mode, const struct image *img,
                struct rect *region, float *chw);

/* The image file at path as the model's input: decoded (image_load), then
 * model_input into chw (region: the part used, or NULL). keep: where the
 * decoded image stays for the caller (who frees it, also on failure), or
 * NULL to free it here. ms: the milliseconds of the two steps (decoding,
 * preprocessing), or NULL. */
int model_read_input(const struct model *m, enum resize_mode mode, const char *path,
                     struct image *keep, struct rect *region, float *chw, double ms[2]);

/* The model's layers (submodule outputs) and their shapes for one input of
 * the card's size; one forward pass. */
int model_layers(struct model *m, struct layer_list *out);

/* The default Grad-CAM layer of layers (the model's): the last feature map,
 * on a segmenter the last before its mask logits (m->output_shape); -1: none. */
long model_default_layer(const struct model *m, const struct layer_list *layers);

/* The shape of the model's output as it is for one blank input of the
 * card's size (model_raw_output's: the head is left as none). */
int model_output_shape(struct model *m, int64_t shape[ATTRIB_MAX_DIMS], int *ndim);

/* A segmenter (its card's task): its masks' shape into m->output_shape, one
 * blank pass (for model_default_layer where no --target has probed it). */
int model_segmenter_output(struct model *m);

/* The layer called name (NULL: the default Grad-CAM layer) checked against
 * the model: its path (malloc'd) and how it reads as a feature map.
 * EXIT_OK; EXIT_USAGE naming the model's feature maps (unknown, or not a
 * map); EXIT_MODEL (no default). */
int model_map_layer(struct model *m, const char *name, char **path, attrib_layer_view *view);

/* The score of class want (< 0: the top-1) in one row of classes logits:
 * logit, softmax probability, label (kept in label, size bytes). EXIT_OK, or
 * EXIT_INTERNAL when out of memory. */
int model_class_score(const struct model *m, const float *logits, int classes, long want,
                      struct class_score *out, char *label, size_t size);

/* The model_info view used by summaries. */
struct model_info model_info(const struct model *m);


#endif
