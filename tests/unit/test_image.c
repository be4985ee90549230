/* Image decoding, resizing and normalisation. */
#include <stdlib.h>
#include <string.h>

#include <stb_image.h>
#include <stb_image_write.h>

#include "check.h"
#include "error.h"
#include "fsutil.h"
#include "image.h"
#include "png.h"
#include "tests.h"

static void append(void *ctx, void *data, int size)
{
    buffer_append(ctx, data, (size_t)size);
}

static struct buffer encode_png(int w, int h, int comp, const unsigned char *px)
{
    struct buffer b = { 0 };
    stbi_write_png_to_func(append, &b, w, h, comp, px, w * comp);
    return b;
}

void grey_png_decodes_to_three_equal_channels(void)
{
    unsigned char px[6] = { 0, 51, 102, 153, 204, 255 };
    struct buffer b = encode_png(3, 2, 1, px);
    struct image img = { 0 };
    CHECK(image_decode(b.data, b.len, "grey.png", &img) == EXIT_OK);
    CHECK(img.width == 3 && img.height == 2);
    for (int i = 0; i < 6 && img.px; i++)
        for (int c = 0; c < 3; c++)
            CHECK_NEAR(img.px[3 * i + c], px[i] / 255.0, 1e-7);
    image_free(&img);
    buffer_free(&b);
}

void rgba_png_decodes_to_rgb_without_alpha(void)
{
    unsigned char px[8] = { 255, 0, 0, 0, 0, 255, 0, 128 };
    struct buffer b = encode_png(2, 1, 4, px);
    struct image img = { 0 };
    CHECK(image_decode(b.data, b.len, "rgba.png", &img) == EXIT_OK);
    CHECK_NEAR(img.px[0], 1.0, 0);
    CHECK_NEAR(img.px[1], 0.0, 0);
    CHECK_NEAR(img.px[4], 1.0, 0); /* the half-transparent green stays green */
    image_free(&img);
    buffer_free(&b);
}

static struct buffer encode_jpeg(void)
{
    enum { W = 64, H = 48 };
    static unsigned char px[W * H * 3];
    for (int i = 0; i < W * H * 3; i++)
        px[i] = (unsigned char)(i * 7);
    struct buffer b = { 0 };
    stbi_write_jpg_to_func(append, &b, W, H, 3, px, 90);
    return b;
}

void complete_jpeg_decodes(void)
{
    struct buffer b = encode_jpeg();
    struct image img = { 0 };
    CHECK(image_decode(b.data, b.len, "ok.jpg", &img) == EXIT_OK);
    CHECK(img.width == 64 && img.height == 48);
    image_free(&img);
    buffer_free(&b);
}

void truncated_jpeg_is_refused_not_filled_with_grey(void)
{
    struct buffer b = encode_jpeg();
    struct image img = { 0 };
    CHECK(image_decode(b.data, b.len * 2 / 3, "cut.jpg", &img) == EXIT_INPUT);
    CHECK(strstr(error_message(), "truncated") != NULL);
    CHECK(img.px == NULL);
    buffer_free(&b);
}

/* A 54-byte BMP header claiming width x height, 24 bits, no pixel data. */
static void bmp_header(unsigned char *h, int width, int height)
{
    memset(h, 0, 54);
    h[0] = 'B', h[1] = 'M';
    h[10] = 54, h[14] = 40;
    for (int i = 0; i < 4; i++) {
        h[18 + i] = (unsigned char)(width >> (8 * i));
        h[22 + i] = (unsigned char)(height >> (8 * i));
    }
    h[26] = 1, h[28] = 24;
}

void huge_image_is_refused_from_its_header(void)
{
    unsigned char h[54];
    bmp_header(h, 20000, 20000);
    struct image img = { 0 };
    CHECK(image_decode(h, sizeof h, "huge.bmp", &img) == EXIT_INPUT);
    CHECK(strstr(error_message(), "megapixels") != NULL);
}

void non_image_bytes_are_refused(void)
{
    const char text[] = "hello, this is not an image\n";
    struct image img = { 0 };
    CHECK(image_decode((const unsigned char *)text, sizeof text, "x.txt", &img) == EXIT_INPUT);
    CHECK(image_decode((const unsigned char *)text, 0, "empty", &img) == EXIT_INPUT);
}

static float *filled(int w, int h, int channels, float v)
{
    float *p = malloc((size_t)w * h * channels * sizeof *p);
    for (int i = 0; i < w * h * channels; i++)
        p[i] = v;
    return p;
}

void resize_keeps_a_flat_image_flat_at_any_ratio(void)
{
    /* 2000 -> 1304 aborted inside stb_image_resize (nothings/stb#1449). */
    static const int sizes[][4] = { { 2000, 30, 1304, 7 }, { 512, 341, 224, 224 },
                                    { 7, 5, 224, 224 }, { 1, 1, 3, 2 }, { 300, 3, 17, 1 },
                                    { 3, 3000, 64, 48 } /* tall and thin: columns first */ };
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int sw = sizes[s][0], sh = sizes[s][1], dw = sizes[s][2], dh = sizes[s][3];
        float *src = filled(sw, sh, 3, 0.25f), *dst = filled(dw, dh, 3, -1);
        struct rect r = { 0, 0, sw, sh };
        CHECK(image_resize_plane(src, sw, sh, 3, r, dst, dw, dh) == EXIT_OK);
        for (int i = 0; i < dw * dh * 3; i++)
            CHECK_NEAR(dst[i], 0.25, 1e-6);
        free(src);
        free(dst);
    }
}

void resize_follows_a_linear_ramp_and_is_mirror_symmetric(void)
{
    enum { SW = 40, DW = 15 };
    float src[SW], dst[DW], mirror_src[SW], mirror_dst[DW];
    for (int x = 0; x < SW; x++) {
        src[x] = x + 0.5f; /* the ramp's value is the pixel centre's coordinate */
        mirror_src[SW - 1 - x] = src[x];
    }
    struct rect r = { 0, 0, SW, 1 };
    CHECK(image_resize_plane(src, SW, 1, 1, r, dst, DW, 1) == EXIT_OK);
    CHECK(image_resize_plane(mirror_src, SW, 1, 1, r, mirror_dst, DW, 1) == EXIT_OK);
    double scale = (double)SW / DW;
    for (int o = 0; o < DW; o++) {
        CHECK_NEAR(dst[o], mirror_dst[DW - 1 - o], 1e-4);
        if (o >= 2 && o < DW - 2) /* away from the clamped edges */
            CHECK_NEAR(dst[o], (o + 0.5) * scale, 0.05);
        if (o)
            CHECK(dst[o] > dst[o - 1]);
    }
}

void resize_order_does_not_change_the_result(void)
{
    /* 40x30 -> 12x20 goes rows first; its transpose 30x40 -> 20x12 goes
     * columns first. The results must be transposes of each other. */
    enum { W = 40, H = 30, DW = 12, DH = 20 };
    float a[W * H], t[W * H], ra[DW * DH], rt[DW * DH];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            a[y * W + x] = t[x * H + y] = (float)((x * 7 + y * 13) % 17) / 17;
    struct rect ar = { 0, 0, W, H }, tr = { 0, 0, H, W };
    CHECK(image_resize_plane(a, W, H, 1, ar, ra, DW, DH) == EXIT_OK);
    CHECK(image_resize_plane(t, H, W, 1, tr, rt, DH, DW) == EXIT_OK);
    for (int y = 0; y < DH; y++)
        for (int x = 0; x < DW; x++)
            CHECK_NEAR(ra[y * DW + x], rt[x * DH + y], 1e-5);
}

void resize_to_the_same_size_copies_exactly(void)
{
    float src[4 * 3 * 3], dst[2 * 2 * 3];
    for (int i = 0; i < 36; i++)
        src[i] = (float)i / 7;
    struct rect r = { 1, 1, 2, 2 };
    CHECK(image_resize_plane(src, 4, 3, 3, r, dst, 2, 2) == EXIT_OK);
    CHECK(memcmp(dst, src + (1 * 4 + 1) * 3, 6 * sizeof(float)) == 0);
    CHECK(memcmp(dst + 6, src + (2 * 4 + 1) * 3, 6 * sizeof(float)) == 0);
}

void crop_region_is_centred_with_the_models_aspect_ratio(void)
{
    struct rect r = model_region(512, 341, 224, 224, RESIZE_CROP);
    CHECK(r.width == 341 && r.height == 341 && r.x == 85 && r.y == 0);
    r = model_region(100, 300, 50, 100, RESIZE_CROP);
    CHECK(r.width == 100 && r.height == 200 && r.x == 0 && r.y == 50);
    r = model_region(512, 341, 224, 224, RESIZE_STRETCH);
    CHECK(r.x == 0 && r.y == 0 && r.width == 512 && r.height == 341);
}

void tensor_is_normalised_per_channel_in_chw_order(void)
{
    struct image img;
    CHECK(image_alloc(&img, 2, 1) == EXIT_OK);
    const float px[6] = { 0.0f, 0.5f, 1.0f, 1.0f, 0.5f, 0.0f };
    memcpy(img.px, px, sizeof px);
    const float mean[3] = { 0.5f, 0.5f, 0.25f }, std[3] = { 0.5f, 0.25f, 0.5f };
    float chw[6];
    struct rect r = { 0, 0, 2, 1 };
    CHECK(image_to_tensor(&img, r, 2, 1, mean, std, chw) == EXIT_OK);
    const float want[6] = { -1, 1, 0, 0, 1.5f, -0.5f };
    for (int i = 0; i < 6; i++)
        CHECK_NEAR(chw[i], want[i], 1e-6);
    image_free(&img);
}

void png_encoder_round_trips_exactly(void)
{
    enum { W = 37, H = 23 };
    static unsigned char rgb[W * H * 3], grey[W * H];
    for (int i = 0; i < W * H * 3; i++)
        rgb[i] = (unsigned char)((i * 7919) >> 3);
    for (int i = 0; i < W * H; i++)
        grey[i] = (unsigned char)(i * 13);
    for (int channels = 1; channels <= 3; channels += 2) {
        struct buffer b = { 0 };
        const unsigned char *px = channels == 3 ? rgb : grey;
        CHECK(png_encode(W, H, channels, px, &b) == 0);
        int w, h, comp;
        unsigned char *back = stbi_load_from_memory(b.data, (int)b.len, &w, &h, &comp, channels);
        CHECK(back && w == W && h == H && comp == channels);
        CHECK(back && memcmp(back, px, (size_t)W * H * channels) == 0);
        stbi_image_free(back);
        buffer_free(&b);
    }
}
