/* layerobjective.c - feature visualisation's objectives on a layer map. */
#include "layerobjective.h"

#include <stdio.h>
#include <string.h>

#include "error.h"

int layer_objective_check(const struct layer_objective *o, const char *layer, long c, long h,
                          long w)
{
    if (o->kind != TERM_CHANNEL && o->kind != TERM_NEURON)
        return EXIT_OK;
    if (o->channel >= c)
        return fail(EXIT_USAGE, "--channel %ld is out of range: layer '%s' has channels 0 to %ld",
                    o->channel, layer, c - 1);
    if (o->kind == TERM_NEURON && (o->x >= w || o->y >= h))
        return fail(EXIT_USAGE, "--neuron %ld,%ld is outside layer '%s''s %ldx%ld grid "
                    "(x 0 to %ld, y 0 to %ld)", o->x, o->y, layer, w, h, w - 1, h - 1);
    return EXIT_OK;
}

double layer_objective_eval(const struct layer_objective *o, const float *map, long c, long h,
                            long w, float *weights)
{
    size_t plane = (size_t)h * w, n = (size_t)c * plane;
    double sign = o->negative ? -1 : 1, value = 0;
    if (weights)
        memset(weights, 0, n * sizeof *weights);
    if (o->kind == TERM_CHANNEL) {
        const float *a = map + (size_t)o->channel * plane;
        for (size_t i = 0; i < plane; i++)
            value += a[i];
        value /= (double)plane;
        for (size_t i = 0; weights && i < plane; i++)
            weights[(size_t)o->channel * plane + i] = (float)(sign / (double)plane);
    } else if (o->kind == TERM_NEURON) {
        size_t at = (size_t)o->channel * plane + (size_t)o->y * w + (size_t)o->x;
        value = map[at];
        if (weights)
            weights[at] = (float)sign;
    } else if (o->kind == TERM_DEEPDREAM) { /* mean(A^2): d/dA = 2 A / n */
        for (size_t i = 0; i < n; i++)
            value += (double)map[i] * map[i];
        value /= (double)n;
        for (size_t i = 0; weights && i < n; i++)
            weights[i] = (float)(sign * 2.0 * map[i] / (double)n);
    }
    return sign * value;
}

int layer_objective_nonlinear(const struct layer_objective *o)
{
    return o->kind == TERM_DEEPDREAM;
}

void layer_objective_text(const struct layer_objective *o, const char *layer, char *buf,
                          size_t size)
{
    const char *neg = o->negative ? "-" : "";
    if (o->kind == TERM_CHANNEL)
        snprintf(buf, size, "%s%s channel %ld", neg, layer, o->channel);
    else if (o->kind == TERM_NEURON)
        snprintf(buf, size, "%s%s channel %ld at (%ld, %ld)", neg, layer, o->channel, o->x, o->y);
    else if (o->kind == TERM_DEEPDREAM)
        snprintf(buf, size, "%s%s deepdream", neg, layer);
    else
        snprintf(buf, size, "none");
}
