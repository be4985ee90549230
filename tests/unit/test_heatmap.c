/* Maps: channel reduction, statistics, percentiles, colour maps, rendering. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "colormap.h"
#include "error.h"
#include "heatmap.h"
#include "tests.h"

void saliency_takes_the_largest_magnitude_over_channels(void)
{
    /* 3 channels of a 1x2 image. */
    const float chw[6] = { 0.1f, -3.0f, -0.5f, 2.0f, 0.2f, 1.0f };
    float map[2];
    heatmap_abs_channel_max(chw, 3, 1, 2, map);
    CHECK_NEAR(map[0], 0.5, 1e-7);
    CHECK_NEAR(map[1], 3.0, 1e-7);
}

void stats_locate_a_single_hot_square(void)
{
    enum { W = 40, H = 30 };
    float map[W * H];
    for (int i = 0; i < W * H; i++)
        map[i] = 0.01f;
    /* A 6x10 square (60 px = 5% of 1200) at x 20..25, y 5..14. */
    for (int y = 5; y < 15; y++)
        for (int x = 20; x < 26; x++)
            map[y * W + x] = 1.0f;
    struct map_stats s;
    CHECK(heatmap_stats(map, W, H, 0.05, &s) == EXIT_OK);
    CHECK_NEAR(s.min, 0.01, 1e-7);
    CHECK_NEAR(s.max, 1.0, 0);
    CHECK_NEAR(s.mean, (60 * 1.0 + 1140 * 0.01) / 1200, 1e-6);
    CHECK(s.top_count == 60);
    CHECK(s.top_box.x == 20 && s.top_box.y == 5 && s.top_box.width == 6 && s.top_box.height == 10);
    CHECK_NEAR(s.com_x, 22.5, 1e-9);
    CHECK_NEAR(s.com_y, 9.5, 1e-9);
    CHECK(s.nonfinite == 0);
}

void stats_count_and_skip_nan_values(void)
{
    float map[4] = { 1.0f, NAN, 3.0f, INFINITY };
    struct map_stats s;
    CHECK(heatmap_stats(map, 2, 2, 0.05, &s) == EXIT_OK);
    CHECK(s.nonfinite == 2);
    CHECK_NEAR(s.max, 3.0, 0);
    CHECK_NEAR(s.mean, 2.0, 1e-7);
}

void stats_of_a_flat_map_cover_the_whole_map(void)
{
    float map[12];
    for (int i = 0; i < 12; i++)
        map[i] = 2.0f;
    struct map_stats s;
    CHECK(heatmap_stats(map, 4, 3, 0.05, &s) == EXIT_OK);
    CHECK(s.top_count == 12); /* all tie with the hottest */
    CHECK(s.top_box.width == 4 && s.top_box.height == 3);
    CHECK_NEAR(s.com_x, 1.5, 1e-9);
    CHECK_NEAR(s.com_y, 1.0, 1e-9);
}

void percentile_matches_nearest_rank(void)
{
    float v[100];
    for (int i = 0; i < 100; i++)
        v[(i * 37) % 100] = (float)(i + 1); /* 1..100, shuffled */
    float p;
    CHECK(heatmap_percentile(v, 100, 100, &p) == EXIT_OK);
    CHECK_NEAR(p, 100, 0);
    heatmap_percentile(v, 100, 99, &p);
    CHECK_NEAR(p, 99, 0);
    heatmap_percentile(v, 100, 50, &p);
    CHECK_NEAR(p, 50, 0);
    heatmap_percentile(v, 100, 0, &p);
    CHECK_NEAR(p, 1, 0);
}

void colour_maps_have_their_published_end_colours(void)
{
    unsigned char rgb[3];
    enum colormap cm;
    CHECK(colormap_from_name("viridis", &cm) == 0 && cm == CMAP_VIRIDIS);
    colormap_apply(cm, 0.0f, rgb);
    CHECK(rgb[0] == 68 && rgb[1] == 1 && rgb[2] == 84);
    colormap_apply(cm, 1.0f, rgb);
    CHECK(rgb[0] == 253 && rgb[1] == 231 && rgb[2] == 37);
    CHECK(colormap_from_name("inferno", &cm) == 0);
    colormap_apply(cm, 0.0f, rgb);
    CHECK(rgb[0] == 0 && rgb[1] == 0 && rgb[2] == 4);
    CHECK(colormap_from_name("jet", &cm) == 0);
    colormap_apply(cm, 1.0f, rgb);
    CHECK(rgb[0] == 128 && rgb[1] == 0 && rgb[2] == 0);
    CHECK(colormap_from_name("gray", &cm) == 0);
    colormap_apply(cm, 0.5f, rgb);
    CHECK(rgb[0] == 128 && rgb[1] == 128 && rgb[2] == 128);
    colormap_apply(cm, NAN, rgb);
    CHECK(rgb[0] == 0);
    colormap_apply(cm, 7.0f, rgb); /* clamped */
    CHECK(rgb[0] == 255);
    CHECK(colormap_from_name("rainbow", &cm) == -1);
}

void rendering_spreads_low_to_high_over_the_colour_map(void)
{
    const float map[3] = { 0.0f, 5.0f, 10.0f };
    unsigned char rgb[9];
    heatmap_render(map, 3, 1, 0.0f, 5.0f, CMAP_GRAY, rgb);
    CHECK(rgb[0] == 0 && rgb[3] == 255 && rgb[6] == 255); /* above hi saturates */
    heatmap_render(map, 3, 1, 3.0f, 3.0f, CMAP_GRAY, rgb); /* empty range: no NaN */
    CHECK(rgb[0] == 0 && rgb[8] == 0);
}

void overlay_mixes_inside_the_region_and_dims_outside(void)
{
    struct image img;
    CHECK(image_alloc(&img, 4, 2) == EXIT_OK);
    for (int i = 0; i < 24; i++)
        img.px[i] = 1.0f; /* white */
    const float map[1] = { 1.0f };
    struct rect region = { 2, 0, 2, 2 };
    unsigned char rgb[24];
    CHECK(heatmap_overlay(&img, region, map, 1, 1, 0.0f, 1.0f, CMAP_GRAY, 0.5f, rgb) == EXIT_OK);
    CHECK(rgb[0] < 128);                         /* outside: dimmed */
    CHECK(rgb[3 * 2] == 255 && rgb[3 * 7] == 255); /* inside: white mixed with white */
    heatmap_overlay(&img, region, map, 1, 1, 2.0f, 3.0f, CMAP_GRAY, 0.5f, rgb);
    CHECK(rgb[3 * 2] == 128); /* white mixed with black, half and half */
    image_free(&img);
}
