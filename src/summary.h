/* summary.h - the JSON (and text) summary of one explained image. */
#ifndef ATTRIB_SUMMARY_H
#define ATTRIB_SUMMARY_H

#include <cJSON.h>

#include "heatmap.h"
#include "image.h"

#define SUMMARY_TOP 5
#define SUMMARY_LABEL 32 /* bytes of a class label kept in a summary */
#define SUMMARY_MAX_OUTPUTS 8
#define SUMMARY_MAX_DETAILS 12

struct model_info {
    const char *name, *path, *sha256;
    const char *card_source; /* "embedded", "sidecar FILE" or "defaults" */
    int input_w, input_h, classes;
    const float *mean, *std;
    const char *device;      /* "cpu", "cuda:0"; NULL: not recorded */
    const char *libtorch;    /* the libtorch version it ran on; NULL: not recorded */
    const char *output;      /* "sigmoid" for a multi-label model; NULL: softmax */
    const char *format;      /* "torchscript" or "torch.export"; NULL: not recorded */
    long fixed_batch;        /* a program's static batch; 0: any */
};

struct class_score {
    long index;
    const char *label;
    double score;       /* the unnormalised logit */
    double probability; /* softmax over all classes */
};

struct output_file {
    const char *kind; /* "heatmap", "rgb", "overlay", "summary", "raw" */
    const char *path;
};

/* A method's own parameter or result ("steps": 50, "baseline": "black"). */
struct detail {
    const char *key;
    const char *text; /* NULL: the value is number */
    double number;
};

struct summary {
    const char *method; /* "saliency", ... */
    struct model_info model;
    const char *image;
    const char *image_sha256; /* "" or NULL: not known */
    const char *run_key;      /* what --resume compares (resume.h); NULL: none */
    const char *cache;        /* --cache: "miss" (computed and stored), "hit"; NULL: none */
    int image_w, image_h;
    const char *resize; /* "stretch" or "crop" */
    struct rect region; /* part of the image the model saw */
    struct class_score target;
    int target_was_predicted; /* no --class given: the top-1 was explained */
    const char *target_kind;  /* --target beyond classes: "segment", "similar-to"; NULL: a class */
    const char *target_reference; /* its mask or reference (NULL: the mask the model predicts) */
    long mask_pixels;         /* segment: the pixels its score sums over */
    const double *target_box; /* box: x, y, width, height in the model's input pixels */
    struct class_score top[SUMMARY_TOP];
    int ntop;
    /* What the map explains: "logit", "probability" or "log-probability"
     * (NULL: not an attribution), its value, and the contrast class. */
    const char *objective;
    double objective_value;
    int has_versus;
    struct class_score versus;
    char labels[SUMMARY_TOP + 2][SUMMARY_LABEL]; /* what top[], target's and versus's
                                                    labels point at */
    int map_w, map_h;
    struct map_stats stats;
    /* Layer-based methods (Grad-CAM): the layer, its activation's shape
     * [C, h, w] and the low-resolution map over it (cam_h x cam_w). */
    const char *layer;
    int layer_shape[3];
    const float *cam;
    int cam_w, cam_h;
    float display_lo, display_hi; /* values drawn as the colour map's ends */
    int overlay_w, overlay_h;     /* --overlay-max-side shrank the overlay to this; 0: not */
    const char *sign;             /* a signed method's --sign ("absolute"); NULL: none */
    const char *sign_convention;  /* what the map holds under it */
    const char *scale;            /* --scale: "image", "batch" or "fixed"; NULL: image */
    double clip;                  /* --clip percent */
    struct output_file outputs[SUMMARY_MAX_OUTPUTS];
    int noutputs;
    double load_ms, pass_ms, total_ms;
    const char *warning; /* e.g. a flat (all-zero) map; NULL if none */
    struct detail details[SUMMARY_MAX_DETAILS]; /* "details" in the JSON */
    int ndetails;
};

/* Sets a detail of s (strings must outlive s): a key already there gets the
 * new value; new keys beyond SUMMARY_MAX_DETAILS are dropped. */
void summary_detail_number(struct summary *s, const char *key, double v);
void summary_detail_text(struct summary *s, const char *key, const char *text);

/* The fields every JSON attrib writes starts with: {"tool", "version",
 * "method", "model" (left out when NULL)}. NULL when out of memory. */
cJSON *summary_header(const char *method, const struct model_info *model);

/* A new cJSON object (caller deletes) or NULL when out of memory. */
cJSON *summary_json(const struct summary *s);
cJSON *model_info_json(const struct model_info *m);
cJSON *class_score_json(const struct class_score *c);
/* "threads": the network's thread count, "threads_from": what chose it
 * (threads.h), as every command's summary has them. */
void summary_add_threads(cJSON *o);

/* Writes j pretty-printed (ending in a newline) to path, atomically; with
 * line, also prints it compact as one line on stdout (--json). EXIT_OK,
 * EXIT_OUTPUT or EXIT_INTERNAL. */
int summary_emit(const cJSON *j, const char *path, int line);

/* Field a (or a.b) of a summary or report record: the item (NULL if
 * absent), its string ("" if absent) or its number (-1 if absent). */
const cJSON *record_item(const cJSON *o, const char *a, const char *b);
const char *record_text(const cJSON *o, const char *a, const char *b);
double record_number(const cJSON *o, const char *a, const char *b);

/* The summary j (summary_json's) as the lines a person reads on stdout:
 * the class, the map's numbers, the method's details, the files written. */
void summary_print_text(const cJSON *j);

#endif
