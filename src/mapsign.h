/* mapsign.h - which part of a signed attribution a map shows (--sign), and
 * how each choice is written down: a signed map holds evidence for the class
 * (> 0) and against it (< 0); pictures of |map| mix the two. */
#ifndef ATTRIB_MAPSIGN_H
#define ATTRIB_MAPSIGN_H

#include <stddef.h>

enum map_sign { SIGN_ABSOLUTE, SIGN_POSITIVE, SIGN_NEGATIVE, SIGN_SIGNED };

/* The --sign words, in enum order, NULL-ended. */
extern const char *const map_sign_names[];

/* What the map holds under sign s, for the JSON ("max(-attribution, 0)"). */
const char *map_sign_convention(enum map_sign s);

/* map[i] becomes |v|, max(v, 0), max(-v, 0) or stays v; NaN stays NaN (for
 * the driver to report). */
void map_sign_apply(enum map_sign s, float *map, size_t n);

#endif
