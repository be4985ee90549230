/* heatmap.h - attribution maps: reduction, statistics and rendering. */
#ifndef ATTRIB_HEATMAP_H
#define ATTRIB_HEATMAP_H

#include <stddef.h>
#include <stdint.h>

#include "colormap.h"
#include "image.h"

/* Fraction of the pixels whose centre of mass and bounding box the summary
 * reports: "where the map is hottest". */
#define HEATMAP_TOP_FRACTION 0.05

/* map[y][x] = max over channels c of |chw[c][y][x]| (Simonyan et al. 2014). */
void heatmap_abs_channel_max(const float *chw, int channels, int height, int width, float *map);

/* map[y][x] = the value of largest magnitude over channels, with its sign:
 * the signed map whose |.| is heatmap_abs_channel_max's (gradients). */
void heatmap_channel_max_magnitude(const float *chw, int channels, int height, int width,
                                   float *map);

/* The channel of largest value at pixel p of a [channels, plane] map
 * (a segmenter's class there); ties go to the first. */
int64_t heatmap_channel_argmax(const float *chw, int64_t channels, size_t plane, size_t p);

/* map[y][x] = sum over channels c of chw[c][y][x]: the map of attributions
 * that add up (integrated gradients, input x gradient), as Captum's
 * visualiser reduces them. */
void heatmap_channel_sum(const float *chw, int channels, int height, int width, float *map);

/* The usual picture of a signed per-channel gradient: normalise to zero
 * mean and unit standard deviation, scale by 0.1, shift to 0.5, clip to
 * [0, 1]. chw is [3, h, w]; rgb gets h * w * 3 bytes. */
void heatmap_render_gradient(const float *chw, int h, int w, unsigned char *rgb);

struct map_stats {
    float min, max, mean;
    size_t nonfinite;      /* NaN or infinite values (excluded from the rest) */
    /* The top_count hottest pixels (HEATMAP_TOP_FRACTION of them, plus ties). */
    float top_threshold;   /* smallest value among them */
    size_t top_count;
    double com_x, com_y;   /* their value-weighted centre of mass, in pixels */
    struct rect top_box;   /* their bounding box, in pixels */
};

/* Returns EXIT_OK, or EXIT_INTERNAL when out of memory. */
int heatmap_stats(const float *map, int width, int height, double top_fraction,
                  struct map_stats *s);

/* The pct-th percentile (0..100, nearest rank) of the finite values of map:
 * renderings saturate the hottest few pixels so one outlier does not leave
 * the rest of the map black. */
int heatmap_percentile(const float *map, size_t n, double pct, float *out);

/* The smallest of the ceil(fraction * n) largest finite values: pixels at
 * or above it are "the top fraction" (as in heatmap_stats). */
int heatmap_top_threshold(const float *map, size_t n, double fraction, float *out);

/* Colours map (width x height) into rgb (3 bytes a pixel), with lo..hi
 * spread over the colour map. */
void heatmap_render(const float *map, int width, int height, float lo, float hi,
                    enum colormap cm, unsigned char *rgb);

/* How the coloured map is mixed into the photo. rising: the map's weight
 * grows with its heat (as its square root), from 0 (the photo as it is) to
 * alpha at the hottest, so the parts the model does not look at stay
 * readable; flat: alpha everywhere (pytorch-grad-cam's and Captum's
 * blend), which tints the whole photo with the colour map's cold end. */
enum blend { BLEND_RISING, BLEND_FLAT };
extern const char *const blend_names[];

struct overlay_style {
    enum colormap cm;
    float alpha;       /* the map's weight (its most, for BLEND_RISING) */
    enum blend blend;
    int centred;       /* a signed map: zero is mid-range, the heat is |value| */
    int max_side;      /* the overlay's longest side at most this (the photo shrunk,
                          antialiased); 0: the photo's own size */
};

/* The size of img's overlay under max_side (0: img's own). */
void overlay_size(int width, int height, int max_side, int *w, int *h);

/* Blends the coloured map over img: the map is resized to region (the part
 * of img the model saw) and mixed as style says; pixels outside region are
 * dimmed. rgb holds img->width * img->height * 3 bytes. */
int heatmap_overlay(const struct image *img, struct rect region, const float *map, int width,
                    int height, float lo, float hi, const struct overlay_style *style,
                    unsigned char *rgb);

#endif
