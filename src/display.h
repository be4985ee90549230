/* display.h - which values a map's pictures draw at the colour map's ends
 * (--scale): each image its own range, one range for the whole run, or
 * fixed numbers, so pictures compare across images and runs. Signed maps
 * get a range symmetric about 0, so 0 sits at the diverging map's centre. */
#ifndef ATTRIB_DISPLAY_H
#define ATTRIB_DISPLAY_H

#include <stddef.h>

#include "options.h"

enum scale_kind { SCALE_IMAGE = 0, SCALE_BATCH, SCALE_FIXED };

struct display_scale {
    enum scale_kind kind; /* the zero value: per image */
    double lo, hi;        /* SCALE_FIXED: VMIN < VMAX */
};

/* OPTK_CUSTOM parser of --scale image|batch|VMIN:VMAX into a struct
 * display_scale. */
int parse_display_scale(const struct opt *o, const char *arg, void *dest);
/* Its value as text, for a run's key. */
void format_display_scale(const void *dest, char *buf, size_t size);
extern const char *const display_scale_words[]; /* completions */

/* "image", "batch" or "fixed". */
const char *display_scale_name(enum scale_kind k);

/* The range map's own values call for: [min, (100 - clip)-th percentile],
 * or for a signed map [-v, v] with v the (100 - clip)-th percentile of
 * |map|. EXIT_OK or EXIT_INTERNAL (out of memory). */
int display_range(const float *map, size_t n, int signed_map, double clip, float *lo, float *hi);

#endif
