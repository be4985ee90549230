/* mapsign.c - the --sign choices and their conventions. */
#include "mapsign.h"

#include <math.h>

const char *const map_sign_names[] = { "absolute", "positive", "negative", "signed", NULL };

/* Captum's visualize_image_attr(sign=...) is the reference point; its
 * "negative" draws the negative values' magnitude, as here. */
const char *map_sign_convention(enum map_sign s)
{
    switch (s) {
    case SIGN_ABSOLUTE:
        return "|attribution|";
    case SIGN_POSITIVE:
        return "max(attribution, 0): evidence for the class";
    case SIGN_NEGATIVE:
        return "max(-attribution, 0): evidence against the class";
    case SIGN_SIGNED:
        return "attribution: > 0 for the class, < 0 against it";
    }
    return "";
}

void map_sign_apply(enum map_sign s, float *map, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float v = map[i];
        switch (s) {
        case SIGN_ABSOLUTE:
            map[i] = fabsf(v);
            break;
        case SIGN_POSITIVE:
            map[i] = v < 0 ? 0.0f : v; /* NaN: v < 0 is false, kept */
            break;
        case SIGN_NEGATIVE:
            map[i] = v > 0 ? 0.0f : 0.0f - v; /* 0 - v: no -0 */
            break;
        case SIGN_SIGNED:
            break;
        }
    }
}
