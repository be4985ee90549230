/* sampling.h - what the methods that run many passes per image share
 * (integrated gradients, SmoothGrad, occlusion, Score-CAM): the passes'
 * batch size, the seed, the baseline, and one pass over a chunk. */
#ifndef ATTRIB_SAMPLING_H
#define ATTRIB_SAMPLING_H

#include "baseline.h"
#include "explain.h"

#define DEFAULT_INTERNAL_BATCH 16
#define MAX_INTERNAL_BATCH 256

enum { OPT_INTERNAL_BATCH = OPT_METHOD_FIRST, OPT_SEED, OPT_BASELINE, OPT_SAMPLING_LAST };

#define INTERNAL_BATCH_LONGOPT { "internal-batch", required_argument, NULL, OPT_INTERNAL_BATCH }
#define SEED_LONGOPT { "seed", required_argument, NULL, OPT_SEED }
#define BASELINE_LONGOPT { "baseline", required_argument, NULL, OPT_BASELINE }

#define INTERNAL_BATCH_HELP \
    "  --internal-batch N inputs per pass through the network (default: 16)\n"
#define SEED_HELP \
    "  --seed N           random seed; the same seed and --threads give the same files\n" \
    "                     (default: 0)\n"

struct sampling {
    long internal_batch;
    long seed;
    struct baseline baseline;
    float *baseline_file; /* the preprocessed --baseline FILE (owned) */
};

void sampling_init(struct sampling *s, enum baseline_kind baseline);
/* EXIT_OK, EXIT_USAGE, or -1 when opt is not one of these options. */
int sampling_parse(struct sampling *s, int opt, const char *arg);
/* Loads a --baseline FILE at the model's input size (EXIT_INPUT if it
 * cannot be read). */
int sampling_prepare(struct sampling *s, struct explain_run *run);

/* The baseline for input x (3 x h x w), into out. */
int sampling_baseline(const struct sampling *s, const struct explain_run *run, const float *x,
                      float *out);

/* One pass over count inputs xs [count, 3, h, w], all for class target:
 * a forward pass, or forward and backward (grad). */
int sampling_pass(struct explain_run *run, int grad, const float *xs, int count, int h, int w,
                  int64_t target, attrib_result **res);

#endif
