/* png.c - 8-bit PNG encoder over zlib, written atomically.
 *
 * stb_image_write tries all five row filters with its own deflate and was
 * the largest cost of a folder run (20 % of the time). Here each row takes
 * the Paeth filter (best on photos and smooth heatmaps alike) and zlib
 * deflates at its fastest level: level 3 took 27 ms of pictures per image
 * on the 11 shared photos, level 1 16.5 ms, for files 4.4 % larger.
 * libdeflate's level 1, where the build has it, deflates a run's pictures
 * in half zlib's level 1's time into 4 % smaller files
 * (bench/png_deflate.c). */
#include "png.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>
#ifdef ATTRIB_HAVE_LIBDEFLATE
#include <libdeflate.h>
#include <pthread.h>
#endif

#include "error.h"
#include "fsutil.h"

enum { DEFLATE_LEVEL = 1, FILTER_PAETH = 4 };

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

static void chunk(struct buffer *b, const char *type, const unsigned char *data, size_t len)
{
    unsigned char head[8], crc[4];
    put32(head, (uint32_t)len);
    memcpy(head + 4, type, 4);
    buffer_append(b, head, 8);
    buffer_append(b, data, len);
    uLong c = crc32(0L, (const Bytef *)type, 4);
    c = crc32(c, data, (uInt)len);
    put32(crc, (uint32_t)c);
    buffer_append(b, crc, 4);
}

static unsigned char paeth(int a, int b, int c)
{
    int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    return (unsigned char)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
}

/* Rows prefixed with their filter byte, Paeth-filtered. */
static unsigned char *filter_rows(int width, int height, int channels, const unsigned char *px,
                                  size_t *len)
{
    size_t stride = (size_t)width * channels, out_stride = stride + 1;
    unsigned char *out = malloc(out_stride * height);
    if (!out)
        return NULL;
    for (int y = 0; y < height; y++) {
        const unsigned char *row = px + y * stride, *up = y ? row - stride : NULL;
        unsigned char *o = out + y * out_stride;
        o[0] = FILTER_PAETH;
        for (size_t i = 0; i < stride; i++) {
            int a = i >= (size_t)channels ? row[i - channels] : 0;
            int b = up ? up[i] : 0;
            int c = up && i >= (size_t)channels ? up[i - channels] : 0;
            o[1 + i] = (unsigned char)(row[i] - paeth(a, b, c));
        }
    }
    *len = out_stride * height;
    return out;
}

#ifdef ATTRIB_HAVE_LIBDEFLATE
/* One compressor per thread (pictures.c encodes on several, started per
 * batch), kept while the thread lives: its allocation costs as much as a
 * small picture's deflate. Freed when its thread ends. */
static pthread_key_t compressor_key;
static pthread_once_t compressor_once = PTHREAD_ONCE_INIT;
static int compressor_key_ok;

static void free_compressor(void *c)
{
    libdeflate_free_compressor(c);
}

static void make_compressor_key(void)
{
    compressor_key_ok = pthread_key_create(&compressor_key, free_compressor) == 0;
}

static struct libdeflate_compressor *thread_compressor(void)
{
    pthread_once(&compressor_once, make_compressor_key);
    if (!compressor_key_ok)
        return NULL;
    struct libdeflate_compressor *c = pthread_getspecific(compressor_key);
    if (!c && (c = libdeflate_alloc_compressor(DEFLATE_LEVEL)) &&
        pthread_setspecific(compressor_key, c) != 0) {
        libdeflate_free_compressor(c);
        c = NULL;
    }
    return c;
}
#endif

/* raw deflated into a zlib stream in *z (malloc'd) of *z_len bytes; 0 on
 * success, -1 out of memory. */
static int deflate_rows(const unsigned char *raw, size_t raw_len, unsigned char **z,
                        size_t *z_len)
{
#ifdef ATTRIB_HAVE_LIBDEFLATE
    struct libdeflate_compressor *c = thread_compressor();
    if (!c)
        return -1;
    size_t bound = libdeflate_zlib_compress_bound(c, raw_len);
    *z = malloc(bound);
    *z_len = *z ? libdeflate_zlib_compress(c, raw, raw_len, *z, bound) : 0;
    return *z_len ? 0 : -1;
#else
    uLongf len = compressBound((uLong)raw_len);
    *z = malloc(len);
    int ok = *z && compress2(*z, &len, raw, (uLong)raw_len, DEFLATE_LEVEL) == Z_OK;
    *z_len = len;
    return ok ? 0 : -1;
#endif
}

/* The PNG of rows px (channels samples a pixel) of colour type colour; a
 * palette of colours (RGB each) before the pixels when it has one. */
static int encode(int width, int height, int channels, int colour, const unsigned char *palette,
                  int colours, const unsigned char *px, struct buffer *out)
{
    static const unsigned char signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
    size_t raw_len = 0, z_len = 0;
    unsigned char *raw = filter_rows(width, height, channels, px, &raw_len), *z = NULL;
    int ok = raw && deflate_rows(raw, raw_len, &z, &z_len) == 0;
    if (ok) {
        unsigned char ihdr[13];
        put32(ihdr, (uint32_t)width);
        put32(ihdr + 4, (uint32_t)height);
        ihdr[8] = 8;                       /* bits per sample */
        ihdr[9] = (unsigned char)colour;
        ihdr[10] = ihdr[11] = ihdr[12] = 0; /* deflate, adaptive filters, no interlace */
        buffer_append(out, signature, sizeof signature);
        chunk(out, "IHDR", ihdr, sizeof ihdr);
        if (palette)
            chunk(out, "PLTE", palette, (size_t)colours * 3);
        chunk(out, "IDAT", z, z_len);
        chunk(out, "IEND", NULL, 0);
    }
    free(z);
    free(raw);
    return ok && !out->failed ? 0 : -1;
}

/* PNG colour types */
#define PNG_GREY 0
#define PNG_RGB 2
#define PNG_INDEXED 3

int png_encode(int width, int height, int channels, const unsigned char *px, struct buffer *out)
{
    return encode(width, height, channels, channels == 3 ? PNG_RGB : PNG_GREY, NULL, 0, px, out);
}

int png_encode_indexed(int width, int height, const unsigned char *index,
                       const unsigned char *palette, int colours, struct buffer *out)
{
    if (colours < 1 || colours > 256)
        return -1;
    return encode(width, height, 1, PNG_INDEXED, palette, colours, index, out);
}

int png_write(const char *path, int width, int height, int channels, const unsigned char *px)
{
    struct buffer b = { 0 };
    if (png_encode(width, height, channels, px, &b)) {
        buffer_free(&b);
        return fail(EXIT_INTERNAL, "encoding '%s' as PNG failed (out of memory)", path);
    }
    int rc = write_file_atomic(path, b.data, b.len);
    buffer_free(&b);
    return rc;
}
