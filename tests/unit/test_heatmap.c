/* Maps: channel reduction, statistics, percentiles, colour maps, rendering, plot axes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "canvas.h"
#include "check.h"
#include "colorbar.h"
#include "colormap.h"
#include "display.h"
#include "error.h"
#include "heatmap.h"
#include "plot.h"
#include "mapsign.h"
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
    struct overlay_style flat = { .cm = CMAP_GRAY, .alpha = 0.5f, .blend = BLEND_FLAT };
    CHECK(heatmap_overlay(&img, region, map, 1, 1, 0.0f, 1.0f, &flat, rgb) == EXIT_OK);
    CHECK(rgb[0] < 128);                         /* outside: dimmed */
    CHECK(rgb[3 * 2] == 255 && rgb[3 * 7] == 255); /* inside: white mixed with white */
    heatmap_overlay(&img, region, map, 1, 1, 2.0f, 3.0f, &flat, rgb);
    CHECK(rgb[3 * 2] == 128); /* white mixed with black, half and half */
    image_free(&img);
}

void a_rising_blend_leaves_the_photo_where_the_map_is_cold(void)
{
    struct image img;
    CHECK(image_alloc(&img, 3, 1) == EXIT_OK);
    for (int i = 0; i < 9; i++)
        img.px[i] = 1.0f; /* white, under a grey map: black at 0, white at 1 */
    const float map[3] = { 0.0f, 0.25f, 1.0f };
    struct rect region = { 0, 0, 3, 1 };
    unsigned char rgb[9];
    struct overlay_style rising = { .cm = CMAP_GRAY, .alpha = 0.5f, .blend = BLEND_RISING };
    CHECK(heatmap_overlay(&img, region, map, 3, 1, 0.0f, 1.0f, &rising, rgb) == EXIT_OK);
    CHECK(rgb[0] == 255);                   /* cold: the photo untouched */
    CHECK(rgb[3] == 207);                   /* weight 0.5 * sqrt(0.25) of 0.25 grey */
    CHECK(rgb[6] == 255);                   /* hottest: weight alpha, of white */
    /* signed: the heat is |value|, so zero (mid-range) keeps the photo */
    const float signed_map[3] = { -1.0f, 0.0f, 1.0f };
    rising.centred = 1;
    heatmap_overlay(&img, region, signed_map, 3, 1, -1.0f, 1.0f, &rising, rgb);
    CHECK(rgb[0] == 128 && rgb[3] == 255 && rgb[6] == 255);
    image_free(&img);
}

void signed_maps_keep_the_largest_channels_sign_or_add_the_channels(void)
{
    /* 3 channels of a 1x2 image, as in the saliency test */
    const float chw[6] = { 0.1f, -3.0f, -0.5f, 2.0f, 0.2f, 1.0f };
    float map[2];
    heatmap_channel_max_magnitude(chw, 3, 1, 2, map);
    CHECK_NEAR(map[0], -0.5, 1e-7); /* |.| gives saliency's 0.5 */
    CHECK_NEAR(map[1], -3.0, 1e-7);
    heatmap_channel_sum(chw, 3, 1, 2, map);
    CHECK_NEAR(map[0], -0.2, 1e-7);
    CHECK_NEAR(map[1], 0.0, 1e-7);
}

void sign_choices_show_all_evidence_or_one_side_of_it(void)
{
    const float v[4] = { -2.0f, 0.0f, 3.0f, NAN };
    const float want[4][3] = { { 2, 0, 3 }, { 0, 0, 3 }, { 2, 0, 0 }, { -2, 0, 3 } };
    for (int s = SIGN_ABSOLUTE; s <= SIGN_SIGNED; s++) {
        float m[4];
        memcpy(m, v, sizeof m);
        map_sign_apply((enum map_sign)s, m, 4);
        for (int i = 0; i < 3; i++)
            CHECK_NEAR(m[i], want[s][i], 0);
        CHECK(!signbit(m[1])); /* no -0 in a picture's or a file's numbers */
        CHECK(isnan(m[3]));    /* left for the driver to report */
    }
    CHECK(strcmp(map_sign_names[SIGN_NEGATIVE], "negative") == 0);
    CHECK(strstr(map_sign_convention(SIGN_NEGATIVE), "max(-attribution, 0)") != NULL);
}

void signed_maps_are_drawn_on_a_range_centred_on_zero(void)
{
    float map[100], lo, hi;
    for (int i = 0; i < 100; i++)
        map[i] = (float)(i - 20); /* -20 .. 79 */
    CHECK(display_range(map, 100, 0, 0, &lo, &hi) == EXIT_OK);
    CHECK_NEAR(lo, -20, 0);
    CHECK_NEAR(hi, 79, 0);
    CHECK(display_range(map, 100, 1, 0, &lo, &hi) == EXIT_OK);
    CHECK_NEAR(lo, -79, 0);
    CHECK_NEAR(hi, 79, 0);
    CHECK(display_range(map, 100, 1, 10, &lo, &hi) == EXIT_OK); /* 90th percentile of |v| */
    CHECK_NEAR(hi, 69, 0);
    CHECK_NEAR(lo, -hi, 0);
}

void scale_takes_image_batch_or_an_increasing_pair(void)
{
    struct display_scale s;
    CHECK(parse_display_scale(NULL, "batch", &s) == EXIT_OK && s.kind == SCALE_BATCH);
    CHECK(parse_display_scale(NULL, "image", &s) == EXIT_OK && s.kind == SCALE_IMAGE);
    CHECK(parse_display_scale(NULL, "-1e-3:0.5", &s) == EXIT_OK && s.kind == SCALE_FIXED);
    CHECK_NEAR(s.lo, -1e-3, 0);
    CHECK_NEAR(s.hi, 0.5, 0);
    const char *bad[] = { "5:1", "1:1", "x", "1:", ":1", "1:2:3", "nan:1", "0:inf", "" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        CHECK(parse_display_scale(NULL, bad[i], &s) == EXIT_USAGE);
        CHECK(strstr(error_message(), "--scale") != NULL);
        clear_error();
    }
}

void diverging_map_is_blue_below_near_white_at_zero_and_red_above(void)
{
    unsigned char lo[3], mid[3], hi[3];
    colormap_apply(CMAP_RDBU, 0.0f, lo);
    colormap_apply(CMAP_RDBU, 0.5f, mid);
    colormap_apply(CMAP_RDBU, 1.0f, hi);
    CHECK(lo[0] == 5 && lo[1] == 48 && lo[2] == 97);   /* ColorBrewer RdBu #053061 */
    CHECK(hi[0] == 103 && hi[1] == 0 && hi[2] == 31);  /* #67001f */
    CHECK(mid[0] > 240 && mid[1] > 240 && mid[2] > 240); /* #f7f7f7, near white */
    CHECK(colormap_resolve(CMAP_AUTO, 1) == CMAP_RDBU);
    CHECK(colormap_resolve(CMAP_AUTO, 0) == CMAP_INFERNO);
    CHECK(colormap_resolve(CMAP_GRAY, 1) == CMAP_GRAY);
}

void colour_bar_runs_from_low_at_the_bottom_to_high_at_the_top(void)
{
    enum { W = 30, H = 120 };
    unsigned char px[W * H * 3];
    memset(px, 77, sizeof px);
    struct canvas c;
    CHECK(colorbar_attach(px, W, H, CMAP_GRAY, -1.0f, 1.0f, &c) == EXIT_OK);
    CHECK(c.w == W + COLORBAR_STRIP_W && c.h == H);
    CHECK(c.px[3 * (10 * c.w + 5)] == 77); /* the picture is kept */
    int x = W + 8 + 7;                     /* the middle of the bar */
    unsigned char top = c.px[3 * (8 * c.w + x)], bottom = c.px[3 * ((H - 9) * c.w + x)];
    CHECK(top == 255 && bottom == 0);
    int dark = 0; /* the labels: black text right of the bar */
    for (int y = 0; y < H; y++)
        for (int i = W + 8 + 14 + 5; i < c.w; i++)
            dark += c.px[3 * (y * c.w + i)] == 0;
    CHECK(dark > 30);
    canvas_free(&c);
    /* a picture lower than the bar gets a taller canvas, white below */
    CHECK(colorbar_attach(px, W, 10, CMAP_GRAY, 0.0f, 1.0f, &c) == EXIT_OK);
    CHECK(c.h > 10 && c.px[3 * ((c.h - 1) * c.w + 2)] == 255);
    canvas_free(&c);
    char label[32];
    colorbar_label(-0.012345f, label, sizeof label);
    CHECK(strcmp(label, "-0.0123") == 0);
}

void plot_axes_tick_at_round_numbers_of_what_they_count(void)
{
    CHECK_NEAR(plot_tick_step(0, 1), 0.25, 1e-12);  /* fractions: quarters */
    CHECK_NEAR(plot_tick_step(1, 200), 50, 1e-9);   /* classviz's steps */
    CHECK_NEAR(plot_tick_step(1, 60), 20, 1e-9);
    CHECK_NEAR(plot_tick_step(0, 20), 5, 1e-9);     /* sanity's blocks */
    CHECK_NEAR(plot_tick_step(0, 3), 1, 1e-9);
    CHECK_NEAR(plot_tick_step(0, 0.004), 0.001, 1e-12);
}
