/* classviz's numerics: Lucid's parameterisations and their transpose, the
 * FFT, the transforms' warps, the diversity term, layer objectives, Adam. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adam.h"
#include "check.h"
#include "diversity.h"
#include "error.h"
#include "fft.h"
#include "imageparam.h"
#include "layerobjective.h"
#include "rng.h"
#include "tests.h"
#include "transforms.h"

/* sum(G * image(params)) as a function of the parameters. */
static double param_probe(struct image_param *p, const float *g, float *pix)
{
    image_param_image(p, pix);
    double s = 0;
    for (int i = 0; i < p->n * 3 * p->h * p->w; i++)
        s += (double)g[i] * pix[i];
    return s;
}

/* The parameterisation's backward pass against central differences. */
static void check_param_gradient(int n, int fft, int decorrelate, int H, int W)
{
    struct image_param p;
    struct rng r;
    rng_seed(&r, 11);
    CHECK(image_param_init(&p, n, H, W, fft, decorrelate, n, &r, 0.5) == EXIT_OK); /* n threads */
    size_t all = (size_t)n * p.count, values = (size_t)n * 3 * H * W;
    float *g = malloc(values * sizeof *g), *pix = malloc(values * sizeof *pix);
    float *grad = malloc(all * sizeof *grad);
    for (size_t i = 0; i < values; i++)
        g[i] = (float)rng_normal(&r);
    param_probe(&p, g, pix);
    image_param_backward(&p, pix, g, grad);
    double worst = 0;
    for (size_t i = 0; i < all; i++) {
        float keep = p.params[i];
        p.params[i] = keep + 1e-2f;
        double up = param_probe(&p, g, pix);
        p.params[i] = keep - 1e-2f;
        double down = param_probe(&p, g, pix);
        p.params[i] = keep;
        worst = fmax(worst, fabs((up - down) / 2e-2 - grad[i]));
    }
    CHECK(worst < 2e-4);
    if (fft && W % 2 == 0) { /* the imaginary parts of the real-valued corner frequencies do nothing */
        size_t corner = 2 * 0 + 1, nyquist = 2 * ((size_t)(H / 2) * p.kw + (size_t)(W / 2)) + 1;
        CHECK(grad[corner] == 0 && fabs(grad[nyquist]) < 1e-12);
    }
    for (size_t i = 0; i < values; i++)
        CHECK(pix[i] > 0 && pix[i] < 1);
    free(g);
    free(pix);
    free(grad);
    image_param_free(&p);
}

void fourier_image_gradient_matches_finite_differences(void)
{
    check_param_gradient(1, 1, 1, 6, 8); /* even and odd frequency counts, Nyquist bins */
    check_param_gradient(2, 1, 0, 5, 7); /* two images, odd sizes (a row unpaired), no colour mix */
    check_param_gradient(1, 0, 1, 6, 8); /* Lucid's pixels with decorrelated colour */
}

/* The FFT against the plain sum, for lengths with small, repeated and
 * large prime factors, both directions, read with a stride. */
void fft_matches_the_plain_dft(void)
{
    static const int sizes[] = { 1, 2, 6, 7, 8, 13, 224, 97 * 2 };
    struct rng r;
    rng_seed(&r, 3);
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        int n = sizes[i];
        struct fft_plan p;
        CHECK(fft_plan_init(&p, n) == EXIT_OK);
        double *in = malloc(4 * (size_t)n * sizeof *in), *out = malloc(2 * (size_t)n * sizeof *out);
        for (int j = 0; j < 4 * n; j++)
            in[j] = rng_normal(&r);
        for (int sign = -1; sign <= 1; sign += 2) {
            fft_run(&p, in, in + 1, 2, out, out + n, sign); /* re, im interleaved: stride 2 */
            double worst = 0;
            for (int k = 0; k < n; k++) {
                double sr = 0, si = 0;
                for (int j = 0; j < n; j++) {
                    double a = sign * 2 * M_PI * (double)((long)j * k % n) / n;
                    sr += in[2 * j] * cos(a) - in[2 * j + 1] * sin(a);
                    si += in[2 * j] * sin(a) + in[2 * j + 1] * cos(a);
                }
                worst = fmax(worst, fmax(fabs(sr - out[k]), fabs(si - out[n + k])));
            }
            CHECK(worst < 1e-9 * n);
        }
        free(in);
        free(out);
        fft_plan_free(&p);
    }
}

/* <T x, y> against <x, T^T y> for the chain's linear part (fill 0 is not
 * what the chain uses, so T(0) is subtracted). */
void transform_chain_backward_is_its_transpose(void)
{
    enum { H = 20, W = 17, OH = 15, OW = 18, PLANES = 2 };
    struct transform_chain c = { .workers = 2 };
    struct rng r;
    rng_seed(&r, 5);
    struct transform_draw d = { 3, 8, 1.06, -7, 4, 1 };
    transform_chain_plan(&c, &d, H, W, OH, OW);
    CHECK(c.count == 3 && c.warp[2].out_h == OH && c.warp[2].out_w == OW);
    CHECK(c.warp[0].a[2] == 3 - TRANSFORM_PAD); /* the crop's corner in the picture */
    static float x[PLANES * H * W], zero[PLANES * H * W], y[PLANES * OH * OW];
    static float tx[PLANES * OH * OW], t0[PLANES * OH * OW], ty[PLANES * H * W];
    for (int i = 0; i < PLANES * H * W; i++)
        x[i] = (float)rng_normal(&r);
    for (int i = 0; i < PLANES * OH * OW; i++)
        y[i] = (float)rng_normal(&r);
    CHECK(transform_chain_forward(&c, x, PLANES, tx) == EXIT_OK);
    CHECK(transform_chain_forward(&c, zero, PLANES, t0) == EXIT_OK);
    CHECK(transform_chain_backward(&c, y, PLANES, ty) == EXIT_OK);
    double left = 0, right = 0, grey = 0;
    for (int i = 0; i < PLANES * OH * OW; i++)
        left += (double)(tx[i] - t0[i]) * y[i], grey = fmax(grey, t0[i]);
    for (int i = 0; i < PLANES * H * W; i++)
        right += (double)x[i] * ty[i];
    CHECK(fabs(left - right) < 1e-4 * fabs(left) && fabs(left) > 1);
    CHECK(grey <= TRANSFORM_PAD_VALUE + 1e-6 && grey > 0.4); /* the border reads grey */
    /* in place (grad_in in grad_out's buffer, as ascent.c calls it) the same */
    static float both[PLANES * H * W > PLANES * OH * OW ? PLANES * H * W : PLANES * OH * OW];
    memcpy(both, y, sizeof y);
    CHECK(transform_chain_backward(&c, both, PLANES, both) == EXIT_OK);
    CHECK(memcmp(both, ty, sizeof ty) == 0);
    transform_chain_free(&c);
    /* draws stay in their ranges */
    for (int i = 0; i < 500; i++) {
        transform_draw(&r, &d);
        CHECK(d.crop1_x >= 0 && d.crop1_x <= TRANSFORM_JITTER_FIRST);
        CHECK(d.crop2_y >= 0 && d.crop2_y <= TRANSFORM_JITTER_LAST);
        CHECK(d.scale > 0.899 && d.scale < 1.101 && abs(d.angle) <= 10);
    }
}

/* A shift by whole pixels copies, a rotation by 0 is the identity, a
 * rotation by 90 degrees turns the picture a quarter. */
void warps_shift_rotate_and_resize_exactly(void)
{
    float in[12] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 }, out[12]; /* 3 rows x 4 */
    struct warp w = { 3, 4, 3, 4, { 1, 0, 1, 0, 1, 0 }, 0.5f };
    warp_forward(&w, in, out);
    CHECK(out[0] == 1 && out[2] == 3 && out[3] == 0.5f && out[4] == 5);
    float sq[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, turned[9];
    struct warp still = warp_rotation(3, 3, 0), quarter = warp_rotation(3, 3, 90);
    warp_forward(&still, sq, turned);
    for (int i = 0; i < 9; i++)
        CHECK(fabsf(turned[i] - sq[i]) < 1e-6f);
    warp_forward(&quarter, sq, turned); /* anticlockwise: the right column comes to the top */
    CHECK(fabsf(turned[0] - 3) < 1e-5f && fabsf(turned[1] - 6) < 1e-5f);
    CHECK(fabsf(turned[2] - 9) < 1e-5f && fabsf(turned[6] - 1) < 1e-5f);
    struct warp up = { 2, 2, 3, 3, { 0.5, 0, 0, 0, 0.5, 0 }, 0 }; /* resize 2 -> 3, corners kept */
    float two[4] = { 0, 2, 4, 6 }, three[9];
    warp_forward(&up, two, three);
    CHECK(three[0] == 0 && three[2] == 2 && three[4] == 3 && three[8] == 6);
}

/* Lucid's diversity term and its gradient against central differences. */
void diversity_term_value_and_gradient(void)
{
    enum { N = 3, C = 4, HW = 5 };
    float maps[N * C * HW], grad[N * C * HW] = { 0 };
    struct rng r;
    rng_seed(&r, 9);
    for (int i = 0; i < N * C * HW; i++)
        maps[i] = (float)rng_normal(&r);
    double d, up, down;
    CHECK(diversity_term(maps, N, C, HW, 2.0, grad, &d) == EXIT_OK);
    CHECK(d > 0 && d < N - 1);
    double worst = 0;
    for (int i = 0; i < N * C * HW; i++) {
        float keep = maps[i];
        maps[i] = keep + 1e-2f;
        diversity_term(maps, N, C, HW, 0, NULL, &up);
        maps[i] = keep - 1e-2f;
        diversity_term(maps, N, C, HW, 0, NULL, &down);
        maps[i] = keep;
        worst = fmax(worst, fabs(-2.0 * (up - down) / 2e-2 - grad[i]));
    }
    CHECK(worst < 1e-3);
    /* identical images: every cosine 1, D = N - 1 */
    for (int i = C * HW; i < N * C * HW; i++)
        maps[i] = maps[i % (C * HW)];
    CHECK(diversity_term(maps, N, C, HW, 1, NULL, &d) == EXIT_OK);
    CHECK(fabs(d - (N - 1)) < 1e-9);
}

void layer_objectives_value_and_gradient(void)
{
    float map[2 * 2 * 3] = { 1, 2, 3, 4, 5, 6, -1, -2, -3, -4, -5, -6 }, w[12];
    struct layer_objective ch = { .kind = TERM_CHANNEL, .channel = 1 };
    CHECK_NEAR(layer_objective_eval(&ch, map, 2, 2, 3, w), -3.5, 1e-12);
    CHECK_NEAR(w[6], 1.0 / 6, 1e-7);
    CHECK(w[0] == 0);
    struct layer_objective neuron = { .kind = TERM_NEURON, .channel = 0, .x = 2, .y = 1,
                                      .negative = 1 };
    CHECK_NEAR(layer_objective_eval(&neuron, map, 2, 2, 3, w), -6, 1e-12);
    CHECK(w[5] == -1 && w[4] == 0);
    struct layer_objective dream = { .kind = TERM_DEEPDREAM };
    CHECK_NEAR(layer_objective_eval(&dream, map, 2, 2, 3, w), 182.0 / 12, 1e-9);
    CHECK_NEAR(w[11], 2 * -6 / 12.0, 1e-7);
    CHECK(layer_objective_check(&neuron, "l", 2, 2, 3) == EXIT_OK);
    neuron.x = 3;
    CHECK(layer_objective_check(&neuron, "l", 2, 2, 3) == EXIT_USAGE);
    clear_error();
}

void adam_steps_like_torch_optim_adam(void)
{
    /* f(x) = (x - 3)^2 from 0: the first step moves by exactly lr (the
     * bias-corrected m / sqrt(v) is the gradient's sign); the second by a
     * little less (the gradient shrank: -5.6 after -6); a negative lr climbs. */
    struct adam a;
    float x[1] = { 0 }, g[1];
    CHECK(adam_init(&a, 1) == EXIT_OK);
    g[0] = 2 * (x[0] - 3);
    adam_step(&a, x, g, 0.1);
    CHECK_NEAR(x[0], 0.1, 1e-6);
    g[0] = 2 * (x[0] - 3);
    adam_step(&a, x, g, 0.1);
    CHECK(x[0] > 0.19 && x[0] < 0.2);
    adam_reset(&a);
    CHECK(a.t == 0 && a.m1[0] == 0 && a.m2[0] == 0);
    float before = x[0];
    g[0] = -1;
    adam_step(&a, x, g, -0.5); /* climbing a gradient of -1: down by 0.5 */
    CHECK_NEAR(x[0], before - 0.5, 1e-6);
    adam_free(&a);
}
