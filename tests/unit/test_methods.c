/* Unit tests of the pure-C parts of the newer methods: integration rules,
 * CAM weightings, baselines and deletion/insertion curves. */
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "baseline.h"
#include "cam.h"
#include "check.h"
#include "mapsign.h"
#include "curves.h"
#include "error.h"
#include "heatmap.h"
#include "localisation.h"
#include "quadrature.h"
#include "redraw.h"
#include "risemask.h"
#include "slic.h"
#include "surrogate.h"
#include "rng.h"
#include "similarity.h"
#include "tests.h"

void gauss_legendre_integrates_polynomials_exactly(void)
{
    double a[5], w[5];
    quadrature_nodes(QUAD_GAUSS_LEGENDRE, 5, a, w);
    /* m nodes integrate degree 2m - 1 exactly: int_0^1 t^k dt = 1 / (k + 1) */
    for (int k = 0; k <= 9; k++) {
        double sum = 0;
        for (int i = 0; i < 5; i++)
            sum += w[i] * pow(a[i], k);
        CHECK_NEAR(sum, 1.0 / (k + 1), 1e-12);
    }
    for (int i = 1; i < 5; i++)
        CHECK(a[i] > a[i - 1]); /* ascending, inside (0, 1) */
    CHECK(a[0] > 0 && a[4] < 1);
    CHECK_NEAR(a[2], 0.5, 1e-15); /* the middle node of an odd rule */
}

void riemann_rule_is_the_right_sum(void)
{
    double a[4], w[4];
    quadrature_nodes(QUAD_RIEMANN, 4, a, w);
    CHECK(a[0] == 0.25 && a[3] == 1.0 && w[2] == 0.25);
    enum quadrature q;
    CHECK(quadrature_parse("riemann", &q) == 0 && q == QUAD_RIEMANN);
    CHECK(quadrature_parse("simpson", &q) == -1);
}

void gradcam_pp_weighs_only_positive_gradients(void)
{
    /* 2 channels of 2x1: channel 0 has positive gradients, channel 1 negative */
    const float act[] = { 1, 3, 5, 7 }, grad[] = { 0.5f, 0.5f, -1, -1 };
    float cam[2];
    double weight[2], wa[4];
    cam_gradcam_pp_weights(act, grad, 2, 2, weight);
    cam_weigh_channels(act, weight, 2, 2, wa);
    cam_sum_channels(wa, 2, 2, cam);
    /* w0 = 2 * g^3 / (2 g^2 + 4 g^3 + eps) with g = 0.5 */
    double w0 = 2 * 0.125 / (2 * 0.25 + 4 * 0.125 + 1e-6);
    CHECK_NEAR(cam[0], w0 * 1, 1e-6);
    CHECK_NEAR(cam[1], w0 * 3, 1e-6);
}

void eigencam_finds_the_dominant_pattern_with_a_positive_sign(void)
{
    /* 3 channels over 4 positions, all following the pattern p = (0, 1, 2, 3)
     * scaled, plus a small orthogonal wobble in channel 2. */
    const float p[4] = { 0, 1, 2, 3 }, q[4] = { 1, -1, -1, 1 };
    double act[12];
    float cam[4];
    for (int i = 0; i < 4; i++) {
        act[i] = 2 * p[i];
        act[4 + i] = 1 * p[i];
        act[8 + i] = 3 * p[i] + 0.01f * q[i];
    }
    CHECK(cam_principal_component(act, 3, 2, 2, cam) == EXIT_OK);
    /* the centred pattern (-1.5 .. 1.5) times |(2, 1, 3)|; rectified by --sign */
    double scale = sqrt(14.0);
    CHECK_NEAR(cam[0], -1.5 * scale, 1e-2);
    map_sign_apply(SIGN_POSITIVE, cam, 4);
    CHECK_NEAR(cam[0], 0, 1e-3);
    CHECK_NEAR(cam[2], 0.5 * scale, 1e-2);
    CHECK_NEAR(cam[3], 1.5 * scale, 1e-2);
    CHECK(cam[3] > cam[2]); /* grows with the activation, whatever the SVD sign */
}

void scorecam_masks_are_scaled_and_flat_ones_mask_everything(void)
{
    float plane[4] = { 2, 4, 6, 10 }, flat[3] = { 5, 5, 5 };
    CHECK(cam_mask_normalise(plane, 4) == 0);
    CHECK(plane[0] == 0 && plane[3] == 1 && fabsf(plane[1] - 0.25f) < 1e-7f);
    CHECK(cam_mask_normalise(flat, 3) == 1);
    CHECK(flat[0] == 0 && flat[2] == 0);
    const float act[] = { 1, 0, 0, 1 };
    const double scores[] = { 0, 0 };
    float cam[2];
    double weight[2], wa[4];
    cam_softmax_weights(scores, 2, weight);
    cam_weigh_channels(act, weight, 2, 2, wa);
    cam_sum_channels(wa, 2, 2, cam);
    CHECK_NEAR(cam[0], 0.5, 1e-7); /* equal scores: equal weights */
}

void baselines_black_and_zeros_are_what_they_say(void)
{
    const float mean[3] = { 0.5f, 0.25f, 0 }, std[3] = { 0.5f, 0.25f, 1 }, x[12] = { 0 };
    float out[12];
    struct baseline b;
    baseline_parse("black", &b);
    CHECK(b.kind == BASELINE_BLACK);
    CHECK(baseline_make(&b, x, 2, 2, mean, std, 0, out) == EXIT_OK);
    CHECK(out[0] == -1 && out[4] == -1 && out[8] == 0);
    baseline_parse("zeros", &b);
    CHECK(baseline_make(&b, x, 2, 2, mean, std, 0, out) == EXIT_OK);
    CHECK(out[0] == 0 && out[11] == 0);
    baseline_parse("some/file.png", &b);
    CHECK(b.kind == BASELINE_FILE && strcmp(baseline_name(&b), "some/file.png") == 0);
}

void noise_baseline_is_seeded_and_in_the_pixel_range(void)
{
    const float mean[3] = { 0, 0, 0 }, std[3] = { 1, 1, 1 }, x[48] = { 0 };
    float a[48], b2[48], c[48];
    struct baseline b = { .kind = BASELINE_NOISE };
    baseline_make(&b, x, 4, 4, mean, std, 1, a);
    baseline_make(&b, x, 4, 4, mean, std, 1, b2);
    baseline_make(&b, x, 4, 4, mean, std, 2, c);
    CHECK(memcmp(a, b2, sizeof a) == 0);
    CHECK(memcmp(a, c, sizeof a) != 0);
    for (int i = 0; i < 48; i++)
        CHECK(a[i] >= 0 && a[i] < 1);
}

void curve_order_is_most_attributed_first_and_stable(void)
{
    const float map[6] = { 0.5f, 2, NAN, 2, -1, 0.5f };
    size_t order[6];
    CHECK(curve_order(map, 6, order) == EXIT_OK);
    const size_t want[6] = { 1, 3, 0, 5, 4, 2 };
    CHECK(memcmp(order, want, sizeof want) == 0);
}

void curves_change_the_right_pixels_and_auc_is_trapezoidal(void)
{
    CHECK(curve_pixels(100, 10, 0) == 0 && curve_pixels(100, 10, 10) == 100);
    CHECK(curve_pixels(7, 2, 1) == 4); /* rounded to the nearest pixel */
    const float from[6] = { 1, 1, 2, 2, 3, 3 }, to[6] = { 9, 9, 8, 8, 7, 7 };
    const size_t order[2] = { 1, 0 };
    float out[6];
    curve_mix(from, to, order, 1, 2, out);
    const float want[6] = { 1, 9, 2, 8, 3, 7 };
    CHECK(memcmp(out, want, sizeof want) == 0);
    const double y[3] = { 1, 0.5, 0 };
    CHECK_NEAR(curve_auc(y, 3), 0.5, 1e-15);
    const double flat[5] = { 0.25, 0.25, 0.25, 0.25, 0.25 };
    CHECK_NEAR(curve_auc(flat, 5), 0.25, 1e-15);
}

void spearman_ranks_ties_by_their_average_and_ignores_scale(void)
{
    const float a[5] = { 1, 2, 3, 4, 5 }, b[5] = { 10, 20, 30, 40, 1000 };
    const float rev[5] = { 5, 4, 3, 2, 1 }, flat[5] = { 2, 2, 2, 2, 2 };
    CHECK_NEAR(similarity_spearman(a, b, 5), 1.0, 1e-12);   /* monotone: 1, whatever the scale */
    CHECK_NEAR(similarity_spearman(a, rev, 5), -1.0, 1e-12);
    CHECK(isnan(similarity_spearman(a, flat, 5)));          /* no ranks to correlate */
    /* ties: b ranks (1, 2.5, 2.5, 4, 5); Pearson of the ranks by hand */
    const float t[5] = { 1, 3, 3, 4, 5 };
    double ra[5] = { 1, 2, 3, 4, 5 }, rb[5] = { 1, 2.5, 2.5, 4, 5 }, sab = 0, saa = 0, sbb = 0;
    for (int i = 0; i < 5; i++) {
        sab += (ra[i] - 3) * (rb[i] - 3);
        saa += (ra[i] - 3) * (ra[i] - 3);
        sbb += (rb[i] - 3) * (rb[i] - 3);
    }
    CHECK_NEAR(similarity_spearman(a, t, 5), sab / sqrt(saa * sbb), 1e-12);
}

void ssim_is_one_for_the_same_map_and_falls_with_noise(void)
{
    enum { W = 20, H = 16 };
    float a[W * H], b[W * H], c[W * H];
    for (int i = 0; i < W * H; i++) {
        a[i] = (float)((i % W) + (i / W)) / (W + H);
        b[i] = a[i];
        c[i] = (float)((i * 7919) % 101) / 100.0f; /* unrelated */
    }
    CHECK_NEAR(similarity_ssim(a, b, W, H), 1.0, 1e-9);
    double unrelated = similarity_ssim(a, c, W, H);
    CHECK(unrelated < 0.3);
    CHECK(isnan(similarity_ssim(a, b, 5, 5))); /* smaller than a window */
    /* one 7x7 window: the formula by hand, with sample (n - 1) covariances */
    float x[49], y[49];
    double mx = 0, my = 0;
    for (int i = 0; i < 49; i++) {
        x[i] = (float)(i % 5) / 5.0f;
        y[i] = (float)(i % 3) / 3.0f;
        mx += x[i] / 49.0, my += y[i] / 49.0;
    }
    double vx = 0, vy = 0, cxy = 0;
    for (int i = 0; i < 49; i++) {
        vx += (x[i] - mx) * (x[i] - mx) / 48.0;
        vy += (y[i] - my) * (y[i] - my) / 48.0;
        cxy += (x[i] - mx) * (y[i] - my) / 48.0;
    }
    double c1 = 1e-4, c2 = 9e-4;
    double want = (2 * mx * my + c1) * (2 * cxy + c2) / ((mx * mx + my * my + c1) * (vx + vy + c2));
    CHECK_NEAR(similarity_ssim(x, y, 7, 7), want, 1e-9);
}

void maps_are_normalised_by_their_99th_percentile_before_ssim(void)
{
    float m[200], out[200];
    for (int i = 0; i < 200; i++)
        m[i] = (float)(i % 2 ? i : -i); /* |m| = 0 .. 199 */
    CHECK(similarity_normalise(m, 200, out) == EXIT_OK);
    float p99;
    float mag[200];
    for (int i = 0; i < 200; i++)
        mag[i] = fabsf(m[i]);
    CHECK(heatmap_percentile(mag, 200, 99.0, &p99) == EXIT_OK);
    CHECK_NEAR(out[100], 100 / p99, 1e-6);
    CHECK_NEAR(out[199], 1.0, 0); /* above the percentile: clipped */
    CHECK_NEAR(out[0], 0.0, 0);
}

void parameters_group_into_the_blocks_the_paper_randomises(void)
{
    const char *cases[][2] = {
        { "features.3.conv.0.weight", "features.3" }, { "features.0.0.weight", "features.0" },
        { "classifier.weight", "classifier" },         { "classifier.1.bias", "classifier.1" },
        { "layer1.0.conv1.weight", "layer1.0" },       { "conv1.weight", "conv1" },
        { "encoder.layers.encoder_layer_0.ln_1.weight", "encoder.layers.encoder_layer_0" },
        { "encoder.pos_embedding", "encoder" },       { "class_token", "class_token" },
        { "heads.head.weight", "heads.head" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char block[REDRAW_BLOCK_NAME];
        redraw_block_name(cases[i][0], block, sizeof block);
        if (strcmp(block, cases[i][1]) != 0)
            fprintf(stderr, "  %s -> %s, expected %s\n", cases[i][0], block, cases[i][1]);
        CHECK(strcmp(block, cases[i][1]) == 0);
    }
}

void redrawn_weights_keep_their_tensors_mean_and_spread_and_follow_the_seed(void)
{
    enum { N = 20000 };
    static float orig[N], a[N], b[N];
    for (int i = 0; i < N; i++)
        orig[i] = 0.5f + 0.1f * (float)((i * 37) % 200 - 100) / 100.0f; /* mean 0.5, sd ~0.058 */
    double m0 = 0, s0 = 0, m1 = 0, s1 = 0;
    for (int i = 0; i < N; i++)
        m0 += orig[i] / N;
    for (int i = 0; i < N; i++)
        s0 += (orig[i] - m0) * (orig[i] - m0) / N;
    redraw_gaussian(orig, a, N, redraw_seed(7, 3));
    redraw_gaussian(orig, b, N, redraw_seed(7, 3));
    CHECK(memcmp(a, b, sizeof a) == 0); /* the same seed, the same weights */
    redraw_gaussian(orig, b, N, redraw_seed(7, 4));
    CHECK(memcmp(a, b, sizeof a) != 0); /* each tensor its own stream */
    for (int i = 0; i < N; i++)
        m1 += a[i] / N;
    for (int i = 0; i < N; i++)
        s1 += (a[i] - m1) * (a[i] - m1) / N;
    CHECK_NEAR(m1, m0, 4 * sqrt(s0 / N));
    CHECK_NEAR(sqrt(s1), sqrt(s0), 0.03 * sqrt(s0));
    CHECK(similarity_spearman(orig, a, N) < 0.05); /* the structure is gone */
}

void localisation_scores_follow_their_definitions_on_a_small_map(void)
{
    /* 4x4 map, object = the top-left 2x2 */
    const float map[16] = { 4, 3, 0, 0,
                            2, 1, 0, -1,
                            0, 0, 5, 0,
                            0, 0, 0, 0 };
    unsigned char mask[16] = { 0 };
    mask[0] = mask[1] = mask[4] = mask[5] = 1;
    struct loc_scores s;
    CHECK(loc_score(map, mask, 4, 4, 0.0, 25.0, &s) == EXIT_OK);
    CHECK(s.hit == 0); /* the maximum (5) is outside, no tolerance */
    CHECK_NEAR(s.mass, 10.0 / 15.0, 1e-12);  /* positive relevance 4+3+2+1 of 15 */
    /* min-max normalised: (v + 1) / 6; inside (5+4+3+2)/6, all (14 + 16) / 6 */
    CHECK_NEAR(s.energy, 14.0 / 30.0, 1e-12);
    CHECK_NEAR(s.rank, 3.0 / 4.0, 1e-12);    /* the 4 highest: 5, 4, 3, 2 -> 3 inside */
    /* top 25 % = 4 pixels (5, 4, 3, 2): IoU with the 4 mask pixels = 3 / 5 */
    CHECK_NEAR(s.iou, 3.0 / 5.0, 1e-12);
    CHECK(loc_score(map, mask, 4, 4, 2.0, 25.0, &s) == EXIT_OK);
    CHECK(s.hit == 1); /* (2, 2) is 1.41 from the mask's (1, 1) */
}

void rise_masks_are_smooth_in_range_seeded_and_keep_about_p(void)
{
    enum { H = 30, W = 40, N = 200 };
    static float m[H * W], again[H * W];
    struct rng r, r2;
    rng_seed(&r, 3);
    rng_seed(&r2, 3);
    double mean = 0, jump = 0;
    for (int k = 0; k < N; k++) {
        rise_mask(&r, 5, 0.3, H, W, m);
        rise_mask(&r2, 5, 0.3, H, W, again);
        CHECK(memcmp(m, again, sizeof m) == 0); /* the same seed, the same masks */
        for (int i = 0; i < H * W; i++) {
            CHECK(m[i] >= 0 && m[i] <= 1);
            mean += m[i];
            if (i % W)
                jump = fmax(jump, fabs(m[i] - m[i - 1]));
        }
    }
    mean /= (double)N * H * W;
    CHECK_NEAR(mean, 0.3, 0.03); /* cells kept with probability 0.3 */
    /* upsampled over 8 px cells: neighbours differ by at most 1/8 */
    CHECK(jump <= 1.0 / 8 + 1e-6);
    rng_seed(&r, 3);
    rise_mask(&r, 5, 0.999999, H, W, m); /* every cell kept: the whole image */
    for (int i = 0; i < H * W; i++)
        CHECK(m[i] == 1);
}

/* Every label's pixels form one 4-connected region. */
static int regions_are_connected(const int *labels, int h, int w, int count)
{
    int *seen = calloc((size_t)h * w, sizeof *seen), *stack = malloc((size_t)h * w * sizeof *stack);
    char *label_met = calloc((size_t)count, 1);
    int ok = seen && stack && label_met;
    for (int start = 0; ok && start < h * w; start++) {
        if (seen[start])
            continue;
        if (label_met[labels[start]]) /* a second region with this label */
            ok = 0;
        label_met[labels[start]] = 1;
        int top = 0;
        stack[top++] = start;
        seen[start] = 1;
        while (top > 0) {
            int p = stack[--top], y = p / w, x = p % w;
            int nb[4] = { x > 0 ? p - 1 : -1, x + 1 < w ? p + 1 : -1, y > 0 ? p - w : -1,
                          y + 1 < h ? p + w : -1 };
            for (int k = 0; k < 4; k++)
                if (nb[k] >= 0 && !seen[nb[k]] && labels[nb[k]] == labels[p])
                    seen[nb[k]] = 1, stack[top++] = nb[k];
        }
    }
    free(seen);
    free(stack);
    free(label_met);
    return ok;
}

void slic_follows_colour_edges_and_every_superpixel_is_one_region(void)
{
    /* left 37 columns red, the rest blue, with a smooth texture */
    enum { H = 48, W = 64 };
    static float rgb[3 * H * W];
    static int labels[H * W];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            float t = (float)(0.05 * sin(x * 0.4) * cos(y * 0.3));
            rgb[y * W + x] = x < 37 ? 0.9f - t : 0.1f + t;
            rgb[H * W + y * W + x] = 0.2f + t;
            rgb[2 * H * W + y * W + x] = x < 37 ? 0.1f + t : 0.9f - t;
        }
    int count = 0;
    CHECK(slic_segment(rgb, H, W, 12, SLIC_DEFAULT_COMPACTNESS, labels, &count) == EXIT_OK);
    CHECK(count >= 6 && count <= 24);
    for (int i = 0; i < H * W; i++)
        CHECK(labels[i] >= 0 && labels[i] < count);
    CHECK(regions_are_connected(labels, H, W, count));
    /* no superpixel has both colours */
    for (int k = 0; k < count; k++) {
        int red = 0, blue = 0;
        for (int i = 0; i < H * W; i++)
            if (labels[i] == k && i % W < 37)
                red++;
            else if (labels[i] == k)
                blue++;
        CHECK(red == 0 || blue == 0);
    }
}

void lasso_and_least_squares_recover_a_weighted_linear_model(void)
{
    /* y = 1 + 2 z0 - 3 z1 + 0 z2, all 8 coalitions, equal weights */
    unsigned char z[8 * 3];
    double y[8], w[8], coef[3], b;
    for (int i = 0; i < 8; i++) {
        for (int j = 0; j < 3; j++)
            z[i * 3 + j] = (unsigned char)(i >> j & 1);
        y[i] = 1 + 2 * z[i * 3] - 3 * z[i * 3 + 1];
        w[i] = 1;
    }
    CHECK(surrogate_least_squares(z, y, w, 8, 3, coef, &b) == EXIT_OK);
    CHECK_NEAR(coef[0], 2, 1e-9);
    CHECK_NEAR(coef[1], -3, 1e-9);
    CHECK_NEAR(coef[2], 0, 1e-9);
    CHECK_NEAR(b, 1, 1e-9);
    CHECK_NEAR(surrogate_r2(z, y, w, 8, 3, coef, b), 1, 1e-12);
    /* the L1 penalty shrinks each coefficient by alpha / var(z) = 0.1 / 0.25 */
    CHECK(surrogate_lasso(z, y, w, 8, 3, 0.1, coef, &b) == EXIT_OK);
    CHECK_NEAR(coef[0], 1.6, 1e-9);
    CHECK_NEAR(coef[1], -2.6, 1e-9);
    CHECK_NEAR(coef[2], 0, 1e-12);
    /* fewer samples than features: the ridge fallback still solves */
    CHECK(surrogate_least_squares(z, y, w, 2, 3, coef, &b) == EXIT_OK);
    CHECK(isfinite(coef[0]) && isfinite(b));
}
