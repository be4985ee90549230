/* jpeg_decode.c - JPEG decoding, stb_image against libjpeg-turbo, on the
 * files given: ms per image (best of REPS) and the largest level difference
 * between the two decoders' RGB (IDCT and upsampling rounding).
 *
 *   cc -O2 -o jpeg_decode bench/jpeg_decode.c -lturbojpeg -lm
 *   ./jpeg_decode ../shared/images/*.jpg
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <turbojpeg.h>

#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>

enum { REPS = 10 };

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
    tjhandle tj = tjInitDecompress();
    printf("%-28s %9s %9s %10s %8s\n", "file", "size", "stb ms", "turbo ms", "max diff");
    for (int f = 1; f < argc; f++) {
        FILE *fp = fopen(argv[f], "rb");
        if (!fp)
            continue;
        fseek(fp, 0, SEEK_END);
        long len = ftell(fp);
        fseek(fp, 0, SEEK_SET);
        unsigned char *data = malloc(len);
        if (fread(data, 1, len, fp) != (size_t)len)
            return 1;
        fclose(fp);
        int w = 0, h = 0, c, sub, cs;
        double best_stb = 1e9, best_tj = 1e9;
        unsigned char *a = NULL, *b = NULL;
        for (int r = 0; r < REPS; r++) {
            double t0 = now_ms();
            stbi_image_free(a);
            a = stbi_load_from_memory(data, (int)len, &w, &h, &c, 3);
            double t1 = now_ms();
            tjDecompressHeader3(tj, data, len, &w, &h, &sub, &cs);
            free(b);
            b = malloc((size_t)w * h * 3);
            tjDecompress2(tj, data, len, b, w, 0, h, TJPF_RGB, TJFLAG_ACCURATEDCT);
            double t2 = now_ms();
            best_stb = t1 - t0 < best_stb ? t1 - t0 : best_stb;
            best_tj = t2 - t1 < best_tj ? t2 - t1 : best_tj;
        }
        int diff = 0;
        for (size_t i = 0; a && i < (size_t)w * h * 3; i++) {
            int d = abs(a[i] - b[i]);
            diff = d > diff ? d : diff;
        }
        printf("%-28s %4dx%-4d %9.2f %10.2f %8d\n", argv[f], w, h, best_stb, best_tj, diff);
        stbi_image_free(a);
        free(b);
        free(data);
    }
    tjDestroy(tj);
    return 0;
}
