/* png_deflate.c - the deflate stage of attrib's PNG encoder, zlib against
 * libdeflate at each level, on the pictures of a real run: each PNG given is
 * decoded, Paeth-filtered as src/png.c does, and compressed REPS times by
 * each; prints ms per picture and the total size per setting.
 *
 *   cc -O2 -o png_deflate bench/png_deflate.c -lz -ldeflate -lm
 *   ./png_deflate out/*.png
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libdeflate.h>
#include <zlib.h>

#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>

enum { REPS = 5 };

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static unsigned char paeth(int a, int b, int c)
{
    int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    return (unsigned char)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
}

static unsigned char *filtered(const unsigned char *px, int w, int h, int ch, size_t *len)
{
    size_t stride = (size_t)w * ch, os = stride + 1;
    unsigned char *out = malloc(os * h);
    for (int y = 0; y < h; y++) {
        const unsigned char *row = px + y * stride, *up = y ? row - stride : NULL;
        unsigned char *o = out + y * os;
        o[0] = 4;
        for (size_t i = 0; i < stride; i++) {
            int a = i >= (size_t)ch ? row[i - ch] : 0, b = up ? up[i] : 0;
            int c = up && i >= (size_t)ch ? up[i - ch] : 0;
            o[1 + i] = (unsigned char)(row[i] - paeth(a, b, c));
        }
    }
    *len = os * h;
    return out;
}

struct setting {
    const char *name;
    int libdeflate, level;
    double ms;
    size_t bytes;
};

int main(int argc, char **argv)
{
    struct setting s[] = {
        { "zlib 1 (today)", 0, 1 }, { "zlib 3", 0, 3 }, { "libdeflate 1", 1, 1 },
        { "libdeflate 2", 1, 2 },   { "libdeflate 3", 1, 3 }, { "libdeflate 4", 1, 4 },
        { "libdeflate 6", 1, 6 },
    };
    const int ns = sizeof s / sizeof *s;
    int pictures = 0;
    for (int f = 1; f < argc; f++) {
        int w, h, ch;
        unsigned char *px = stbi_load(argv[f], &w, &h, &ch, 3);
        if (!px)
            continue;
        size_t len;
        unsigned char *raw = filtered(px, w, h, 3, &len);
        size_t cap = compressBound(len) + 1024;
        unsigned char *z = malloc(cap);
        for (int k = 0; k < ns; k++) {
            struct libdeflate_compressor *c =
                s[k].libdeflate ? libdeflate_alloc_compressor(s[k].level) : NULL;
            size_t zl = 0;
            double t0 = now_ms();
            for (int r = 0; r < REPS; r++) {
                if (c) {
                    zl = libdeflate_zlib_compress(c, raw, len, z, cap);
                } else {
                    uLongf l = cap;
                    compress2(z, &l, raw, len, s[k].level);
                    zl = l;
                }
            }
            s[k].ms += (now_ms() - t0) / REPS;
            s[k].bytes += zl;
            if (c)
                libdeflate_free_compressor(c);
        }
        pictures++;
        free(z);
        free(raw);
        stbi_image_free(px);
    }
    printf("%d pictures\n%-16s %10s %12s %8s\n", pictures, "deflate", "ms/picture", "bytes",
           "size");
    for (int k = 0; k < ns; k++)
        printf("%-16s %10.2f %12zu %7.1f%%\n", s[k].name, s[k].ms / pictures, s[k].bytes,
               100.0 * s[k].bytes / s[0].bytes);
    return 0;
}
