/* image.c - decode with stb_image, resize with stb_image_resize, normalise. */
#include "image.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stb_image.h>
#ifdef ATTRIB_HAVE_TURBOJPEG
#include <turbojpeg.h>
#endif

#include "error.h"
#include "sha256.h"
#include "fsutil.h"

int image_alloc(struct image *img, int width, int height)
{
    img->width = width;
    img->height = height;
    img->px = malloc((size_t)width * (size_t)height * 3 * sizeof(float));
    if (!img->px)
        return fail(EXIT_INTERNAL, "out of memory for a %dx%d image", width, height);
    return EXIT_OK;
}

void image_free(struct image *img)
{
    free(img->px);
    img->px = NULL;
    img->width = img->height = 0;
}

/* stb_image decodes a truncated JPEG without complaint, filling the missing
 * part with grey. Walk the marker segments (skipping APPn payloads such as
 * EXIF thumbnails, and entropy-coded scan data) and require the end-of-image
 * marker; anything after it (e.g. a motion photo's video) is ignored. */
static int jpeg_truncated(const unsigned char *d, size_t len)
{
    if (len < 2 || d[0] != 0xFF || d[1] != 0xD8)
        return 0; /* not a JPEG */
    size_t i = 2;
    while (i + 1 < len) {
        if (d[i] != 0xFF)
            return 1; /* garbage where a marker belongs: corrupt */
        unsigned char m = d[i + 1];
        if (m == 0xD9)
            return 0; /* EOI */
        if (m == 0xFF) { /* fill byte */
            i++;
            continue;
        }
        if (m == 0x01 || (m >= 0xD0 && m <= 0xD7)) { /* markers without a length */
            i += 2;
            continue;
        }
        if (i + 3 >= len)
            return 1;
        i += 2 + ((size_t)d[i + 2] << 8 | d[i + 3]);
        if (m == 0xDA) /* start of scan: skip entropy-coded data to the next marker */
            while (i + 1 < len && !(d[i] == 0xFF && d[i + 1] != 0x00 &&
                                    !(d[i + 1] >= 0xD0 && d[i + 1] <= 0xD7)))
                i++;
    }
    return 1;
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* stb_image also reads a cut-off uncompressed BMP as if the missing rows
 * were black. The header says how many bytes the pixels take. */
static int bmp_truncated(const unsigned char *d, size_t len)
{
    if (len < 34 || d[0] != 'B' || d[1] != 'M' || le32(d + 14) < 40)
        return 0;
    uint32_t offset = le32(d + 10), compression = le32(d + 30);
    int32_t w = (int32_t)le32(d + 18), h = (int32_t)le32(d + 22);
    unsigned bpp = d[28] | d[29] << 8;
    if (compression != 0 && compression != 3) /* RLE: sizes vary */
        return 0;
    uint64_t aw = w < 0 ? -(int64_t)w : w, ah = h < 0 ? -(int64_t)h : h;
    uint64_t row = (bpp * aw + 31) / 32 * 4;
    return (uint64_t)offset + row * ah > len;
}

/* A PNG's size is in its first chunk; stb_image would refuse a very large
 * one as "unknown image type", which does not tell the user why. */
static int png_dimensions(const unsigned char *d, size_t len, uint32_t *w, uint32_t *h)
{
    static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
    if (len < 24 || memcmp(d, sig, 8) != 0 || memcmp(d + 12, "IHDR", 4) != 0)
        return 0;
    *w = be32(d + 16);
    *h = be32(d + 20);
    return 1;
}

/* The format a file's first bytes name, or NULL: so that a file stb_image
 * cannot even size is still called what it is ("a JPEG, cut short"), not
 * "unknown image type". */
static const char *format_by_magic(const unsigned char *d, size_t len)
{
    static const unsigned char png[4] = { 0x89, 'P', 'N', 'G' };
    if (len >= 3 && d[0] == 0xff && d[1] == 0xd8 && d[2] == 0xff)
        return "JPEG";
    if (len >= 4 && memcmp(d, png, 4) == 0)
        return "PNG";
    if (len >= 3 && memcmp(d, "GIF", 3) == 0)
        return "GIF";
    if (len >= 2 && memcmp(d, "BM", 2) == 0)
        return "BMP";
    return NULL;
}

static int too_large(const char *name, uint64_t w, uint64_t h)
{
    return fail(EXIT_INPUT, "'%s' is %llux%llu pixels, above the limit of %ld megapixels",
                name, (unsigned long long)w, (unsigned long long)h, IMAGE_MAX_PIXELS / 1000000);
}

#ifdef ATTRIB_HAVE_TURBOJPEG
/* A JPEG that image_decode's checks passed, decoded by libjpeg-turbo (its
 * accurate integer IDCT, as stb_image's): 8-bit RGB in *raw (malloc'd), or
 * NULL when turbo cannot read it exactly as stb_image sized it (a CMYK
 * JPEG, a warning about corrupt data): stb_image decides then, as before. */
static unsigned char *turbo_decode(const unsigned char *data, size_t len, int w, int h)
{
    if (len < 3 || data[0] != 0xff || data[1] != 0xd8 || data[2] != 0xff)
        return NULL;
    tjhandle tj = tjInitDecompress();
    int tw, th, sub, cs;
    unsigned char *raw = NULL;
    if (tj && tjDecompressHeader3(tj, data, (unsigned long)len, &tw, &th, &sub, &cs) == 0 &&
        tw == w && th == h && (raw = malloc((size_t)w * h * 3)) &&
        tjDecompress2(tj, data, (unsigned long)len, raw, w, 0, h, TJPF_RGB,
                      TJFLAG_ACCURATEDCT | TJFLAG_STOPONWARNING) != 0) {
        free(raw);
        raw = NULL;
    }
    if (tj)
        tjDestroy(tj);
    return raw;
}
#endif

/* img's pixels in [0, 1] from 8-bit (or, is16, 16-bit) RGB. */
static int from_raw(const void *raw, int is16, int w, int h, struct image *out)
{
    int rc = image_alloc(out, w, h);
    if (rc == EXIT_OK) {
        size_t n = (size_t)w * h * 3;
        if (is16)
            for (size_t i = 0; i < n; i++)
                out->px[i] = ((const uint16_t *)raw)[i] / 65535.0f;
        else
            for (size_t i = 0; i < n; i++)
                out->px[i] = ((const unsigned char *)raw)[i] / 255.0f;
    }
    return rc;
}

int image_decode(const unsigned char *data, size_t len, const char *name, struct image *out)
{
    int w, h, comp;
    uint32_t pw, ph;
    if (png_dimensions(data, len, &pw, &ph) && (uint64_t)pw * ph > (uint64_t)IMAGE_MAX_PIXELS)
        return too_large(name, pw, ph);
    if (len > (size_t)INT32_MAX || !stbi_info_from_memory(data, (int)len, &w, &h, &comp)) {
        const char *format = format_by_magic(data, len);
        if (format)
            return fail(EXIT_INPUT, "'%s' is a %s that cannot be read: cut short or corrupt",
                        name, format);
        return fail(EXIT_INPUT, "'%s' is not a readable image (%s)", name,
                    len ? stbi_failure_reason() : "empty file");
    }
    if (w <= 0 || h <= 0 || (long)w * h > IMAGE_MAX_PIXELS)
        return too_large(name, (uint64_t)w, (uint64_t)h);
    int gif = len > 3 && memcmp(data, "GIF", 3) == 0;
    if (!gif && (uint64_t)w * h * 3 > (uint64_t)len * IMAGE_MAX_EXPANSION)
        return fail(EXIT_INPUT, "'%s' claims %dx%d pixels but holds only %zu bytes "
                    "(corrupt, or a decompression bomb)", name, w, h, len);
    if (jpeg_truncated(data, len))
        return fail(EXIT_INPUT, "'%s' is a truncated or corrupt JPEG (no end-of-image marker)", name);
    if (bmp_truncated(data, len))
        return fail(EXIT_INPUT, "'%s' is a truncated BMP (pixel data shorter than its header says)",
                    name);

#ifdef ATTRIB_HAVE_TURBOJPEG
    unsigned char *jpeg = turbo_decode(data, len, w, h);
    if (jpeg) {
        int rc = from_raw(jpeg, 0, w, h, out);
        free(jpeg);
        return rc;
    }
#endif
    /* 16 bits only for PNG: stb_image's 16-bit PNM path returns a buffer
     * smaller than it reports (found by fuzzing: a 1x1 PGM with maxval 912);
     * other formats are read at 8 bits. */
    int is16 = len > 8 && data[0] == 0x89 && data[1] == 'P' &&
               stbi_is_16_bit_from_memory(data, (int)len);
    void *raw = is16 ? (void *)stbi_load_16_from_memory(data, (int)len, &w, &h, &comp, 3)
                     : (void *)stbi_load_from_memory(data, (int)len, &w, &h, &comp, 3);
    if (!raw)
        return fail(EXIT_INPUT, "'%s' could not be decoded (%s)", name, stbi_failure_reason());
    int rc = from_raw(raw, is16, w, h, out);
    stbi_image_free(raw);
    return rc;
}

int image_load(const char *path, struct image *out)
{
    unsigned char *data;
    size_t len;
    int rc = read_file(path, IMAGE_MAX_FILE_BYTES, EXIT_INPUT, &data, &len);
    if (rc)
        return rc;
    rc = image_decode(data, len, path, out);
    if (rc == EXIT_OK) /* what --resume compares: the bytes, not a date */
        sha256_hex(data, len, out->sha256);
    free(data);
    return rc;
}

/* Resampling weights for one axis: out_n outputs from in_n inputs, each
 * output o reading in[first[o] .. first[o] + count[o]) with weights
 * w[o * width ..]. The triangle filter is stretched by the scale factor when
 * shrinking, so every input pixel contributes (antialiasing) - the same
 * scheme as PIL's BILINEAR. stb_image_resize is not used: its filter set-up
 * aborts on an assertion for some size ratios (nothings/stb#1449). */
struct taps {
    int width;
    int *first, *count;
    float *w;
};

static void taps_free(struct taps *t)
{
    free(t->first);
    free(t->count);
    free(t->w);
}

static int taps_init(struct taps *t, int in_n, int out_n)
{
    double scale = (double)in_n / out_n;
    double stretch = scale > 1.0 ? scale : 1.0;
    double support = stretch; /* triangle radius 1, stretched */
    t->width = (int)ceil(support) * 2 + 1;
    t->first = malloc((size_t)out_n * sizeof *t->first);
    t->count = malloc((size_t)out_n * sizeof *t->count);
    t->w = malloc((size_t)out_n * t->width * sizeof *t->w);
    if (!t->first || !t->count || !t->w) {
        taps_free(t);
        return fail(EXIT_INTERNAL, "out of memory");
    }
    for (int o = 0; o < out_n; o++) {
        double center = (o + 0.5) * scale;
        int lo = (int)floor(center - support + 0.5), hi = (int)floor(center + support + 0.5);
        if (lo < 0)
            lo = 0;
        if (hi > in_n)
            hi = in_n;
        if (hi - lo > t->width)
            hi = lo + t->width;
        float *w = t->w + (size_t)o * t->width;
        double total = 0;
        for (int i = lo; i < hi; i++) {
            double d = fabs((i + 0.5 - center) / stretch);
            w[i - lo] = d < 1.0 ? (float)(1.0 - d) : 0.0f;
            total += w[i - lo];
        }
        for (int i = lo; i < hi; i++)
            w[i - lo] = total > 0 ? (float)(w[i - lo] / total) : 1.0f / (hi - lo);
        t->first[o] = lo;
        t->count[o] = hi - lo;
    }
    return EXIT_OK;
}

/* Columns first: r.width x r.height -> r.width x dh -> dw x dh. */
/* Resamples along x: `rows` rows of in_w pixels (row starts in_stride
 * floats apart) into rows of t's output width, stored contiguously. */
static void resample_x(const float *in, size_t in_stride, int rows, int channels,
                       const struct taps *t, int out_w, float *out)
{
    for (int y = 0; y < rows; y++) {
        const float *src = in + (size_t)y * in_stride;
        float *dst = out + (size_t)y * out_w * channels;
        for (int o = 0; o < out_w; o++) {
            const float *w = t->w + (size_t)o * t->width;
            for (int c = 0; c < channels; c++) {
                float acc = 0;
                for (int k = 0; k < t->count[o]; k++)
                    acc += w[k] * src[(size_t)(t->first[o] + k) * channels + c];
                dst[(size_t)o * channels + c] = acc;
            }
        }
    }
}

/* Resamples along y: out_h output rows of `row` floats, each a weighted sum
 * of input rows (row starts in_stride floats apart). */
static void resample_y(const float *in, size_t in_stride, size_t row, const struct taps *t,
                       int out_h, float *out)
{
    for (int o = 0; o < out_h; o++) {
        const float *w = t->w + (size_t)o * t->width;
        float *dst = out + (size_t)o * row;
        for (size_t i = 0; i < row; i++)
            dst[i] = 0;
        for (int k = 0; k < t->count[o]; k++) {
            const float *src = in + (size_t)(t->first[o] + k) * in_stride;
            for (size_t i = 0; i < row; i++)
                dst[i] += w[k] * src[i];
        }
    }
}

int image_resize_plane(const float *src, int sw, int sh, int channels, struct rect r,
                       float *dst, int dw, int dh)
{
    if (r.x < 0 || r.y < 0 || r.width < 1 || r.height < 1 || r.x + r.width > sw ||
        r.y + r.height > sh || dw < 1 || dh < 1)
        return fail(EXIT_INTERNAL, "resize region outside the image");
    const size_t in_stride = (size_t)sw * channels;
    const float *origin = src + ((size_t)r.y * sw + r.x) * channels;
    if (r.width == dw && r.height == dh) { /* same size: copy, do not filter */
        for (int y = 0; y < dh; y++)
            memcpy(dst + (size_t)y * dw * channels, origin + (size_t)y * in_stride,
                   (size_t)dw * channels * sizeof(float));
        return EXIT_OK;
    }
    /* Separable: along x then y, through an r.height x dw intermediate -
     * or, for a tall thin image where dh x r.width is smaller, y then x. */
    int x_first = (size_t)dh * r.width >= (size_t)r.height * dw;
    size_t mid_rows = x_first ? (size_t)r.height : (size_t)dh;
    size_t mid_row = (size_t)(x_first ? dw : r.width) * channels;
    struct taps tx = { 0 }, ty = { 0 };
    float *mid = malloc(mid_rows * mid_row * sizeof *mid);
    int rc = mid ? taps_init(&tx, r.width, dw) : fail(EXIT_INTERNAL, "out of memory");
    if (rc == EXIT_OK && (rc = taps_init(&ty, r.height, dh)) != EXIT_OK)
        taps_free(&tx);
    if (rc) {
        free(mid);
        return rc;
    }
    if (x_first) {
        resample_x(origin, in_stride, r.height, channels, &tx, dw, mid);
        resample_y(mid, mid_row, mid_row, &ty, dh, dst);
    } else {
        resample_y(origin, in_stride, mid_row, &ty, dh, mid);
        resample_x(mid, mid_row, dh, channels, &tx, dw, dst);
    }
    free(mid);
    taps_free(&tx);
    taps_free(&ty);
    return EXIT_OK;
}

struct rect model_region(int width, int height, int in_w, int in_h, enum resize_mode mode)
{
    struct rect r = { 0, 0, width, height };
    if (mode == RESIZE_CROP) {
        /* Largest centred rectangle with the model's aspect ratio. */
        double scale = (double)width / in_w < (double)height / in_h
                           ? (double)width / in_w : (double)height / in_h;
        r.width = (int)(in_w * scale + 0.5);
        r.height = (int)(in_h * scale + 0.5);
        if (r.width < 1) r.width = 1;
        if (r.height < 1) r.height = 1;
        if (r.width > width) r.width = width;
        if (r.height > height) r.height = height;
        r.x = (width - r.width) / 2;
        r.y = (height - r.height) / 2;
    }
    return r;
}

int image_to_tensor(const struct image *img, struct rect region, int in_w, int in_h,
                    const float mean[3], const float std[3], float *chw)
{
    size_t plane = (size_t)in_w * in_h;
    float *hwc = malloc(plane * 3 * sizeof(float));
    if (!hwc)
        return fail(EXIT_INTERNAL, "out of memory");
    int rc = image_resize_plane(img->px, img->width, img->height, 3, region, hwc, in_w, in_h);
    if (rc == EXIT_OK)
        for (size_t i = 0; i < plane; i++)
            for (int c = 0; c < 3; c++)
                chw[c * plane + i] = (hwc[i * 3 + c] - mean[c]) / std[c];
    free(hwc);
    return rc;
}

int image_file_sha256(const char *path, char hex[65])
{
    unsigned char *data;
    size_t len;
    if (read_file(path, IMAGE_MAX_FILE_BYTES, EXIT_INPUT, &data, &len)) {
        clear_error();
        return -1;
    }
    sha256_hex(data, len, hex);
    free(data);
    return 0;
}
