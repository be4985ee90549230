/* baseline.c - reference inputs for path and perturbation methods. */
#include "baseline.h"

#include <string.h>

#include "error.h"
#include "planes.h"
#include "rng.h"

const char *const baseline_words[] = { "black", "zeros", "blur", "noise", NULL };

void baseline_parse(const char *arg, struct baseline *b)
{
    *b = (struct baseline){ .kind = BASELINE_FILE, .file = arg };
    for (int k = 0; baseline_words[k]; k++)
        if (strcmp(arg, baseline_words[k]) == 0)
            *b = (struct baseline){ .kind = (enum baseline_kind)k };
}

const char *baseline_name(const struct baseline *b)
{
    return b->kind == BASELINE_FILE ? b->file : baseline_words[b->kind];
}

int baseline_make(const struct baseline *b, const float *x, int h, int w, const float mean[3],
                  const float std[3], uint64_t seed, float *out)
{
    const size_t plane = (size_t)h * w, n = 3 * plane;
    switch (b->kind) {
    case BASELINE_BLACK:
        for (int c = 0; c < 3; c++)
            for (size_t i = 0; i < plane; i++)
                out[c * plane + i] = -mean[c] / std[c];
        return EXIT_OK;
    case BASELINE_ZEROS:
        memset(out, 0, n * sizeof *out);
        return EXIT_OK;
    case BASELINE_BLUR: /* blurring is linear: the same before or after normalising */
        memcpy(out, x, n * sizeof *out);
        return blur_planes(out, 3, h, w, BASELINE_BLUR_SIGMA);
    case BASELINE_NOISE: {
        struct rng r;
        rng_seed(&r, seed);
        for (size_t i = 0; i < n; i++)
            out[i] = (float)rng_uniform(&r);
        normalise_planes(out, out, h, w, mean, std);
        return EXIT_OK;
    }
    case BASELINE_FILE:
        memcpy(out, b->file_chw, n * sizeof *out);
        return EXIT_OK;
    }
    return fail(EXIT_INTERNAL, "unknown baseline");
}
