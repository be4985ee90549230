/* pictures.h - an image's PNGs (heatmap, per-channel gradient, overlay on
 * the original), coloured and encoded into memory, the images of a batch
 * on several threads: the encoding is a third of a one-pass method's time
 * per image, and the network's threads are idle meanwhile. Pure work (no
 * files, no error messages), so the threads share nothing. */
#ifndef ATTRIB_PICTURES_H
#define ATTRIB_PICTURES_H

#include "attribution.h"
#include "colormap.h"
#include "fsutil.h"
#include "heatmap.h"
#include "image.h"
#include "summary.h"

struct picture_job {
    const struct image *img;        /* the original, for the overlay */
    const struct attribution *a;    /* the map (and chw: the rgb picture) */
    const struct summary *s;        /* map size, region, display range */
    struct buffer heat, rgb, overlay; /* the PNG files (rgb: when a->has_chw) */
    int failed;                     /* out of memory */
};

/* Encodes jobs[0..n) on up to threads threads (the calling one included);
 * style: how the overlay mixes the map in; colorbar: the overlays get a
 * labelled colour bar. */
void pictures_encode(struct picture_job *jobs, int n, int threads,
                     const struct overlay_style *style, int colorbar);
/* Frees a job's buffers. */
void pictures_free(struct picture_job *job);

#endif
