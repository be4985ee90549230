/* target.h - what an attribution explains (--target SPEC): a class, a
 * segment of a segmentation model's masks, or an embedding's similarity to
 * a reference. The spec as parsed; explain/targets.c makes the model's
 * head from it. */
#ifndef ATTRIB_TARGET_H
#define ATTRIB_TARGET_H

#include <stddef.h>

struct opt;

enum target_kind {
    TARGET_CLASS = 0, /* class:N, or --class (the default: the predicted class) */
    TARGET_SEGMENT,   /* segment:CLASS[@MASK.png]: the class's mask logits summed */
    TARGET_SIMILAR,   /* similar-to:IMAGE|VECTOR.npy: cosine similarity of the embedding */
    TARGET_BOX        /* box:X,Y,W,H[:CLASS]: a detector's detection of that box */
};

struct target_spec {
    int kind;          /* enum target_kind */
    long cls;          /* CLASS: the class (-1: none given); SEGMENT: the class; BOX: the
                          detection's class (-1: any) */
    double box[4];     /* BOX: x, y, width, height in the model's input pixels */
    const char *path;  /* SEGMENT: the mask (NULL: the pixels the model gives the class);
                          SIMILAR: the reference image or vector */
    int vector;        /* SIMILAR: path is a .npy vector, not an image */
    char sha256[65];   /* path's file's, once read ("" before): part of a run's key */
};

/* The default: the class the model predicts (or --class's). */
#define TARGET_PREDICTED "class:predicted"

/* The kinds' names as the JSON and messages say them ("segment"). */
extern const char *const target_kind_names[];

/* The words --target completes to. */
extern const char *const target_words[];

/* --target's parser and its text for a run's key (struct target_spec). */
int parse_target(const struct opt *o, const char *arg, void *dest);
void format_target(const void *dest, char *buf, size_t size);

#endif
