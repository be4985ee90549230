/* planes.c - what the image-optimising subcommands (fool, classviz) and
 * the baselines do to [3, h, w] float planes between gradient passes:
 * roll, blur, clamp, normalise, quantise to 8 bits, norms. */
#include "planes.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

static int wrap(int i, int n)
{
    i %= n;
    return i < 0 ? i + n : i;
}

int roll_planes(float *chw, int channels, int h, int w, int dx, int dy)
{
    size_t plane = (size_t)h * w;
    float *tmp = malloc(plane * sizeof *tmp);
    if (!tmp)
        return fail(EXIT_INTERNAL, "out of memory");
    for (int c = 0; c < channels; c++) {
        float *p = chw + c * plane;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                tmp[(size_t)wrap(y + dy, h) * w + wrap(x + dx, w)] = p[(size_t)y * w + x];
        memcpy(p, tmp, plane * sizeof *tmp);
    }
    free(tmp);
    return EXIT_OK;
}

/* Mirrored index (d c b a | a b c d | d c b a), for any offset. */
static int mirror(int i, int n)
{
    int period = 2 * n;
    i = wrap(i, period);
    return i < n ? i : period - 1 - i;
}

int blur_planes(float *chw, int channels, int h, int w, double sigma)
{
    if (!(sigma > 0))
        return EXIT_OK;
    int radius = (int)(4.0 * sigma + 0.5);
    size_t plane = (size_t)h * w;
    float *kernel = malloc((size_t)(2 * radius + 1) * sizeof *kernel);
    float *tmp = malloc(plane * sizeof *tmp);
    if (!kernel || !tmp) {
        free(kernel);
        free(tmp);
        return fail(EXIT_INTERNAL, "out of memory");
    }
    double sum = 0;
    for (int k = -radius; k <= radius; k++)
        sum += kernel[k + radius] = (float)exp(-0.5 * k * k / (sigma * sigma));
    for (int k = 0; k <= 2 * radius; k++)
        kernel[k] = (float)(kernel[k] / sum);
    for (int c = 0; c < channels; c++) {
        float *p = chw + c * plane;
        for (int y = 0; y < h; y++) /* along rows */
            for (int x = 0; x < w; x++) {
                float acc = 0;
                for (int k = -radius; k <= radius; k++)
                    acc += kernel[k + radius] * p[(size_t)y * w + mirror(x + k, w)];
                tmp[(size_t)y * w + x] = acc;
            }
        for (int y = 0; y < h; y++) /* along columns */
            for (int x = 0; x < w; x++) {
                float acc = 0;
                for (int k = -radius; k <= radius; k++)
                    acc += kernel[k + radius] * tmp[(size_t)mirror(y + k, h) * w + x];
                p[(size_t)y * w + x] = acc;
            }
    }
    free(kernel);
    free(tmp);
    return EXIT_OK;
}

void clamp_normalised(float *chw, int h, int w, const float mean[3], const float std[3])
{
    size_t plane = (size_t)h * w;
    for (int c = 0; c < 3; c++) {
        float lo = -mean[c] / std[c], hi = (1.0f - mean[c]) / std[c];
        for (size_t i = 0; i < plane; i++) {
            float *v = &chw[c * plane + i];
            *v = *v < lo ? lo : *v > hi ? hi : *v;
        }
    }
}

void normalise_planes(const float *pix, float *out, int h, int w, const float mean[3],
                      const float std[3])
{
    size_t plane = (size_t)h * w;
    for (int c = 0; c < 3; c++)
        for (size_t i = 0; i < plane; i++)
            out[c * plane + i] = (pix[c * plane + i] - mean[c]) / std[c];
}

void denormalise_planes(const float *in, float *pix, int h, int w, const float mean[3],
                        const float std[3])
{
    size_t plane = (size_t)h * w;
    for (int c = 0; c < 3; c++)
        for (size_t i = 0; i < plane; i++)
            pix[c * plane + i] = in[c * plane + i] * std[c] + mean[c];
}

void quantise_pixels(float *pix, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float v = pix[i] < 0 ? 0 : pix[i] > 1 ? 1 : pix[i];
        pix[i] = roundf(v * 255.0f) / 255.0f;
    }
}

void planes_to_rgb8(const float *pix, int h, int w, unsigned char *rgb)
{
    size_t plane = (size_t)h * w;
    for (size_t i = 0; i < plane; i++)
        for (int c = 0; c < 3; c++) {
            float v = pix[c * plane + i];
            v = v < 0 ? 0 : v > 1 ? 1 : v;
            rgb[3 * i + c] = (unsigned char)lroundf(v * 255.0f);
        }
}

double norm_l2(const float *v, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)v[i] * v[i];
    return sqrt(s);
}

double norm_linf(const float *v, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        if (fabs(v[i]) > m)
            m = fabs(v[i]);
    return m;
}
