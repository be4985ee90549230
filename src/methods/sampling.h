/* sampling.h - what the methods that run many passes per image share
 * (integrated gradients, SmoothGrad, occlusion, Score-CAM, eval): the
 * passes' batch size, the seed, the baseline, and one pass over a chunk. */
#ifndef ATTRIB_SAMPLING_H
#define ATTRIB_SAMPLING_H

#include <stddef.h>

#include "baseline.h"
#include "explain/method.h"

/* Inputs per pass, chosen by bench/captum.sh (docs/BENCHMARKS.md, "Many
 * passes per image"): forward+backward passes are fastest at 8 on 2 cores
 * (16 costs as much time and 1.8x the memory); forward-only passes at 16. */
#define DEFAULT_GRADIENT_BATCH 8
#define DEFAULT_FORWARD_BATCH 16
#define MAX_INTERNAL_BATCH 256
#define MAX_SEED 0x7fffffffL

struct sampling {
    long internal_batch;
    long seed;
    long max_memory; /* --max-memory MB; 0: no bound */
    struct baseline baseline;
    float *baseline_file; /* the preprocessed --baseline FILE (owned) */
};

/* --internal-batch, --seed and --max-memory, into a struct sampling: for
 * methods whose passes are forward+backward (gradient) or forward only
 * (forward). */
extern const struct opt sampling_gradient_options[], sampling_forward_options[];
#define SAMPLING_OPTIONS(st, field, kind) OPT_GROUP(NULL, st, field, sampling_##kind##_options)
/* --seed alone, into a long. */
#define SEED_OPTION(st, field)                                                           \
    OPT_INT(0, "seed", st, field, 0, MAX_SEED, 0, "N",                                   \
            "random seed; the same seed and --threads give the same files")
/* --internal-batch alone, into a long, with its default. */
#define INTERNAL_BATCH_OPTION(st, field, dflt)                                            \
    { .kind = OPTK_INT, .name = "internal-batch", .offset = OPT_FIELD(st, field, long),      \
      .min = 1, .max = MAX_INTERNAL_BATCH, .def = dflt, .metavar = "N",                    \
      .flags = OPT_NOT_RESULT, .help = "inputs per pass through the network" }

/* --max-memory MB into a long (0: no bound). */
#define MIN_MAX_MEMORY 64 /* MB: below any model's own footprint */
#define MAX_MAX_MEMORY (1L << 24)
#define MAX_MEMORY_OPTION(st, field)                                                       \
    { .kind = OPTK_INT, .name = "max-memory", .offset = OPT_FIELD(st, field, long),        \
      .min = MIN_MAX_MEMORY, .max = MAX_MAX_MEMORY, .metavar = "MB",                       \
      .default_text = "no bound", .flags = OPT_NOT_RESULT,                                 \
      .help = "keep the process's peak resident memory within MB by lowering "             \
              "--internal-batch (measured with two probe passes; host memory)" }

/* --baseline KEYWORD|FILE into a struct baseline, with its default keyword. */
int baseline_option_parse(const struct opt *o, const char *arg, void *baseline);
void baseline_option_format(const void *baseline, char *buf, size_t size);
#define BASELINE_OPTION(st, field, def)                                                      \
    { .kind = OPTK_CUSTOM, .name = "baseline", .offset = offsetof(st, field),               \
      .parse = baseline_option_parse, .words = baseline_words, .def_str = def,              \
      .metavar = "B", .flags = OPT_COMPLETE_FILE, .format = baseline_option_format,          \
      .help = "black, zeros (the mean colour), blur (Gaussian, sigma 5 px), noise (uniform, " \
              "--seed) or an image FILE" }

/* Loads a --baseline FILE at the model's input size (EXIT_INPUT if it
 * cannot be read); with --max-memory, lowers internal_batch to fit it
 * (sampling_fit_memory). Call it after the method's own run-long buffers
 * are allocated: it measures the process as it is. */
int sampling_prepare(struct sampling *s, struct explain_run *run);
/* --max-memory: two probe passes measure what the process takes with one
 * input and what each more adds; *internal_batch becomes the most that fit
 * within max_memory MB. EXIT_USAGE when not even one input (or
 * --batch-size images) fits. */
int sampling_fit_memory(long *internal_batch, long max_memory, struct explain_run *run);
/* Frees what sampling_prepare made. */
void sampling_release(struct sampling *s);

/* The prepare and release of a method whose parameters start with their
 * struct sampling (SAMPLING_FIRST checks it) and need nothing more. */
int sampling_method_prepare(struct explain_run *run);
void sampling_method_release(struct explain_run *run);
#define SAMPLING_FIRST(type, member)                                                        \
    _Static_assert(offsetof(type, member) == 0,                                            \
                   #type "." #member " must come first: sampling_method_release frees it")

/* The baseline for input x (3 x h x w), into out. */
int sampling_baseline(const struct sampling *s, const struct explain_run *run, const float *x,
                      float *out);

/* What methods that compare each image with its baseline (integrated
 * gradients, occlusion, RISE) share: the reference pass (b->res), then for
 * every image i one(run, b, i, x, base) with x the image and base its
 * baseline (3 x h x w). Stops at the first failure. */
typedef int (*sampling_image_fn)(struct explain_run *run, struct batch *b, int i, const float *x,
                                 const float *base);
int sampling_each_image(struct explain_run *run, struct batch *b, const struct sampling *s,
                        sampling_image_fn one);

/* One pass over count inputs xs [count, 3, h, w], all for class target:
 * a forward pass, or forward and backward (grad). */
int sampling_pass(struct explain_run *run, int grad, const float *xs, int count, int h, int w,
                  int64_t target, attrib_result **res);

#endif
