/* redraw.c - parameter blocks and Gaussian re-draws for the sanity checks. */
#include "redraw.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rng.h"

static int numeric(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return n > 0;
}

/* The length of path up to the end of the first component that passes
 * test (whole: numeric; else: ends in a digit), or 0. */
static size_t cut_after(const char *path, size_t len, int whole)
{
    for (size_t start = 0; start < len;) {
        size_t end = start;
        while (end < len && path[end] != '.')
            end++;
        int hit = whole ? numeric(path + start, end - start)
                        : end > start && isdigit((unsigned char)path[end - 1]);
        if (hit)
            return end;
        start = end + 1;
    }
    return 0;
}

void redraw_block_name(const char *param, char *block, size_t size)
{
    const char *last = strrchr(param, '.');
    size_t module = last ? (size_t)(last - param) : 0; /* the module's path: all but the name */
    size_t n = module == 0 ? strlen(param) : cut_after(param, module, 1);
    if (module && !n)
        n = cut_after(param, module, 0);
    if (module && !n)
        n = module;
    snprintf(block, size, "%.*s", (int)n, param);
}

uint64_t redraw_seed(uint64_t seed, size_t i)
{
    return seed + (uint64_t)i;
}

void redraw_gaussian(const float *orig, float *out, size_t n, uint64_t seed)
{
    double sum = 0, sq = 0;
    for (size_t i = 0; i < n; i++)
        sum += orig[i];
    double mean = n ? sum / (double)n : 0;
    for (size_t i = 0; i < n; i++)
        sq += ((double)orig[i] - mean) * ((double)orig[i] - mean);
    double sd = n ? sqrt(sq / (double)n) : 0;
    struct rng r;
    rng_seed(&r, seed);
    rng_normals(&r, out, n);
    for (size_t i = 0; i < n; i++)
        out[i] = (float)(mean + sd * (double)out[i]);
}
