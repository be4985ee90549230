/* display.c - the colour map's range for a map's pictures. */
#include "display.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "error.h"
#include "heatmap.h"

const char *const display_scale_words[] = { "image", "batch", NULL };

const char *display_scale_name(enum scale_kind k)
{
    return k == SCALE_BATCH ? "batch" : k == SCALE_FIXED ? "fixed" : "image";
}

void format_display_scale(const void *dest, char *buf, size_t size)
{
    const struct display_scale *s = dest;
    if (s->kind == SCALE_FIXED)
        snprintf(buf, size, "%.17g:%.17g", s->lo, s->hi);
    else
        snprintf(buf, size, "%s", display_scale_name(s->kind));
}

int parse_display_scale(const struct opt *o, const char *arg, void *dest)
{
    (void)o;
    struct display_scale *s = dest;
    if (strcmp(arg, "image") == 0 || strcmp(arg, "batch") == 0) {
        *s = (struct display_scale){ .kind = arg[0] == 'i' ? SCALE_IMAGE : SCALE_BATCH };
        return EXIT_OK;
    }
    const char *colon = strchr(arg + (arg[0] == '-'), ':'); /* "-1e-3:1e-3" */
    char lo_text[64];
    if (!colon || (size_t)(colon - arg) >= sizeof lo_text)
        return fail(EXIT_USAGE, "--scale must be image, batch or VMIN:VMAX, got '%s'", arg);
    memcpy(lo_text, arg, (size_t)(colon - arg));
    lo_text[colon - arg] = '\0';
    double lo, hi;
    if (parse_double(lo_text, -FLT_MAX, FLT_MAX, "--scale VMIN", &lo) ||
        parse_double(colon + 1, -FLT_MAX, FLT_MAX, "--scale VMAX", &hi))
        return EXIT_USAGE;
    if (!(lo < hi))
        return fail(EXIT_USAGE, "--scale %s: VMIN must be below VMAX", arg);
    *s = (struct display_scale){ SCALE_FIXED, lo, hi };
    return EXIT_OK;
}

int display_range(const float *map, size_t n, int signed_map, double clip, float *lo, float *hi)
{
    if (!signed_map) {
        float least = INFINITY;
        for (size_t i = 0; i < n; i++)
            least = map[i] < least ? map[i] : least; /* NaN compares false */
        *lo = isfinite(least) ? least : 0.0f;
        return heatmap_percentile(map, n, 100.0 - clip, hi);
    }
    float *mag = malloc(n * sizeof *mag);
    if (!mag)
        return fail(EXIT_INTERNAL, "out of memory");
    for (size_t i = 0; i < n; i++)
        mag[i] = fabsf(map[i]);
    float v;
    int rc = heatmap_percentile(mag, n, 100.0 - clip, &v);
    free(mag);
    if (rc == EXIT_OK)
        *lo = -v, *hi = v;
    return rc;
}
