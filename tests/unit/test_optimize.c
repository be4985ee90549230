/* The helpers of fool and classviz: random numbers, jitter, blur, clamping. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "error.h"
#include "planes.h"
#include "rng.h"
#include "tests.h"

void same_seed_gives_the_same_random_numbers(void)
{
    struct rng a, b, c;
    rng_seed(&a, 42);
    rng_seed(&b, 42);
    rng_seed(&c, 43);
    int differ = 0;
    for (int i = 0; i < 100; i++) {
        uint64_t x = rng_next(&a);
        CHECK(x == rng_next(&b));
        differ += x != rng_next(&c);
    }
    CHECK(differ > 90);
}

void paired_normals_are_standard_and_share_the_single_draws_cosines(void)
{
    struct rng a, b;
    rng_seed(&a, 11);
    rng_seed(&b, 11);
    enum { N = 200001 }; /* odd: the last sine is dropped */
    static float v[N];
    rng_normals(&a, v, N);
    double sum = 0, sq = 0, lag = 0;
    for (int i = 0; i < N; i++) {
        sum += v[i];
        sq += (double)v[i] * v[i];
        lag += i ? (double)v[i] * v[i - 1] : 0;
    }
    CHECK_NEAR(sum / N, 0.0, 0.01);
    CHECK_NEAR(sq / N, 1.0, 0.01);
    CHECK_NEAR(lag / N, 0.0, 0.01); /* a pair's cosine and sine are independent */
    for (int i = 0; i < 10; i += 2)  /* cosines: rng_normal's draws */
        CHECK_NEAR(v[i], rng_normal(&b), 1e-6);
}

void normal_numbers_have_zero_mean_and_unit_variance(void)
{
    struct rng r;
    rng_seed(&r, 7);
    double sum = 0, sq = 0;
    enum { N = 200000 };
    for (int i = 0; i < N; i++) {
        double v = rng_normal(&r);
        sum += v;
        sq += v * v;
    }
    CHECK_NEAR(sum / N, 0.0, 0.01);
    CHECK_NEAR(sq / N, 1.0, 0.01);
    int lo = 0, hi = 0;
    for (int i = 0; i < 10000; i++) {
        int v = rng_range(&r, -3, 3);
        CHECK(v >= -3 && v <= 3);
        lo += v == -3;
        hi += v == 3;
    }
    CHECK(lo > 1000 && hi > 1000); /* both ends are reached, about 1/7 each */
}

void roll_wraps_around_and_rolling_back_restores(void)
{
    float p[2 * 2 * 3] = { 0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15 }; /* 2 planes of 2x3 */
    float orig[12];
    memcpy(orig, p, sizeof p);
    CHECK(roll_planes(p, 2, 2, 3, 1, 0) == EXIT_OK);
    CHECK(p[0] == 2 && p[1] == 0 && p[2] == 1 && p[6] == 12); /* like numpy.roll(x, 1, axis=1) */
    CHECK(roll_planes(p, 2, 2, 3, -1, 0) == EXIT_OK);
    CHECK(memcmp(p, orig, sizeof p) == 0);
    CHECK(roll_planes(p, 2, 2, 3, 5, -3) == EXIT_OK); /* larger than the plane */
    CHECK(roll_planes(p, 2, 2, 3, -5, 3) == EXIT_OK);
    CHECK(memcmp(p, orig, sizeof p) == 0);
}

void blur_of_an_impulse_is_the_gaussian_and_keeps_the_sum(void)
{
    enum { W = 21 };
    float p[W * W] = { 0 };
    p[10 * W + 10] = 1.0f;
    CHECK(blur_planes(p, 1, W, W, 1.0) == EXIT_OK);
    double sum = 0;
    for (int i = 0; i < W * W; i++)
        sum += p[i];
    CHECK_NEAR(sum, 1.0, 1e-5);
    /* Separable: value at (dx, dy) is g(dx) g(dy) with g normalised over +-4. */
    double norm = 0;
    for (int k = -4; k <= 4; k++)
        norm += exp(-0.5 * k * k);
    CHECK_NEAR(p[10 * W + 10], 1.0 / (norm * norm), 1e-6);
    CHECK_NEAR(p[10 * W + 12], exp(-2.0) / (norm * norm), 1e-6);
    CHECK_NEAR(p[12 * W + 10], p[10 * W + 12], 1e-7);
    float flat[4 * 5];
    for (int i = 0; i < 20; i++)
        flat[i] = 0.7f;
    CHECK(blur_planes(flat, 1, 4, 5, 2.0) == EXIT_OK); /* mirrored edges: flat stays flat */
    for (int i = 0; i < 20; i++)
        CHECK_NEAR(flat[i], 0.7, 1e-6);
}

void clamping_keeps_denormalised_pixels_in_range(void)
{
    const float mean[3] = { 0.5f, 0.4f, 0.3f }, std[3] = { 0.5f, 0.2f, 0.1f };
    float x[3] = { 5.0f, -9.0f, 0.0f }, pix[3];
    clamp_normalised(x, 1, 1, mean, std);
    denormalise_planes(x, pix, 1, 1, mean, std);
    CHECK_NEAR(pix[0], 1.0, 1e-6);
    CHECK_NEAR(pix[1], 0.0, 1e-6);
    CHECK_NEAR(pix[2], 0.3, 1e-6);
    float back[3];
    normalise_planes(pix, back, 1, 1, mean, std);
    CHECK_NEAR(back[2], 0.0, 1e-6);
}

void quantising_rounds_to_8_bit_levels_and_norms_measure(void)
{
    float v[4] = { 0.5f, 1.2f, -0.1f, 0.00196f };
    quantise_pixels(v, 4);
    CHECK_NEAR(v[0] * 255, 128, 1e-4); /* 127.5 rounds away from zero */
    CHECK_NEAR(v[1], 1.0, 0);
    CHECK_NEAR(v[2], 0.0, 0);
    CHECK_NEAR(v[3] * 255, 0, 1e-4);
    unsigned char rgb[3];
    const float px[3] = { 0.0f, 0.5f, 1.0f };
    planes_to_rgb8(px, 1, 1, rgb);
    CHECK(rgb[0] == 0 && rgb[1] == 128 && rgb[2] == 255);
    const float d[3] = { 3.0f, -4.0f, 0.0f };
    CHECK_NEAR(norm_l2(d, 3), 5.0, 1e-12);
    CHECK_NEAR(norm_linf(d, 3), 4.0, 0);
}
