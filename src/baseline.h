/* baseline.h - the "absence of signal" an image is compared with: where
 * integrated gradients start their path and what occlusion pastes in.
 * Pure C; tensors are normalised model inputs [3, h, w]. */
#ifndef ATTRIB_BASELINE_H
#define ATTRIB_BASELINE_H

#include <stdint.h>

enum baseline_kind {
    BASELINE_BLACK, /* pixels 0: black */
    BASELINE_ZEROS, /* 0 after normalisation: the dataset's mean colour */
    BASELINE_BLUR,  /* the image blurred (Gaussian, BASELINE_BLUR_SIGMA) */
    BASELINE_NOISE, /* uniform random pixels, seeded */
    BASELINE_FILE   /* another image, preprocessed like the input */
};

/* RISE's insertion blur (Petsiuk et al. 2018): sigma 5 at 224 pixels. */
#define BASELINE_BLUR_SIGMA 5.0

/* The keywords, in enum order, NULL-ended; anything else is a file. */
extern const char *const baseline_words[];

struct baseline {
    enum baseline_kind kind;
    const char *file;     /* BASELINE_FILE: its path */
    const float *file_chw; /* BASELINE_FILE: the preprocessed image (not owned) */
};

/* A keyword, or else a file name. */
void baseline_parse(const char *arg, struct baseline *b);
/* "black", ..., or the file's path. */
const char *baseline_name(const struct baseline *b);

/* The baseline for input x: out gets 3 * h * w floats. mean and std are the
 * model's normalisation; seed drives BASELINE_NOISE. EXIT_OK or
 * EXIT_INTERNAL. */
int baseline_make(const struct baseline *b, const float *x, int h, int w, const float mean[3],
                  const float std[3], uint64_t seed, float *out);

#endif
