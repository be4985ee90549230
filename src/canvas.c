/* canvas.c - drawing primitives for the pictures the tool makes. */
#include "canvas.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#include <stb_easy_font.h>
#pragma GCC diagnostic pop

#include "error.h"

int canvas_create(struct canvas *c, int w, int h, const unsigned char rgb[3])
{
    c->w = w, c->h = h;
    if (!(c->px = malloc((size_t)w * h * 3)))
        return fail(EXIT_INTERNAL, "out of memory");
    canvas_fill(c, 0, 0, w, h, rgb);
    return EXIT_OK;
}

void canvas_free(struct canvas *c)
{
    free(c->px);
    c->px = NULL;
}

void canvas_fill(struct canvas *c, int x, int y, int w, int h, const unsigned char rgb[3])
{
    for (int j = y < 0 ? 0 : y; j < y + h && j < c->h; j++)
        for (int i = x < 0 ? 0 : x; i < x + w && i < c->w; i++)
            memcpy(c->px + 3 * ((size_t)j * c->w + i), rgb, 3);
}

/* A two-hundredth of the picture's longer side, at least a pixel. */
#define FRAME_FRACTION 200

int canvas_frame_width(int w, int h)
{
    int side = w > h ? w : h;
    return side / FRAME_FRACTION > 1 ? side / FRAME_FRACTION : 1;
}

void canvas_frame(struct canvas *c, int x, int y, int w, int h, int t, const unsigned char rgb[3])
{
    canvas_fill(c, x, y, w, t, rgb);
    canvas_fill(c, x, y + h - t, w, t, rgb);
    canvas_fill(c, x, y, t, h, rgb);
    canvas_fill(c, x + w - t, y, t, h, rgb);
}

void canvas_line(struct canvas *c, double x0, double y0, double x1, double y1, int thickness,
                 const unsigned char rgb[3])
{
    double dx = x1 - x0, dy = y1 - y0, len = fabs(dx) > fabs(dy) ? fabs(dx) : fabs(dy);
    int steps = (int)ceil(len) + 1, half = thickness / 2;
    for (int k = 0; k <= steps; k++) {
        double t = (double)k / steps;
        canvas_fill(c, (int)lround(x0 + t * dx) - half, (int)lround(y0 + t * dy) - half,
                    thickness, thickness, rgb);
    }
}

void canvas_text(struct canvas *c, int x, int y, const char *s, int max_w,
                 const unsigned char rgb[3])
{
    /* per thread: pictures are drawn on several (pictures.c) */
    static _Thread_local float quads[4 * 4 * 2000]; /* 16-byte vertices, 4 per quad */
    char line[96];
    snprintf(line, sizeof line, "%s", s);
    while (stb_easy_font_width(line) > max_w && strlen(line) > 4)
        strcpy(line + strlen(line) - 4, "..."); /* shorten until it fits */
    unsigned char colour[4] = { rgb[0], rgb[1], rgb[2], 255 };
    int n = stb_easy_font_print(0, 0, line, colour, quads, sizeof quads);
    for (int q = 0; q < n; q++) {
        const float *v = quads + q * 16; /* 4 vertices of x, y, z, colour */
        float x0 = v[0], y0 = v[1], x1 = v[8], y1 = v[9];
        canvas_fill(c, x + (int)x0, y + (int)y0, (int)ceilf(x1 - x0), (int)ceilf(y1 - y0), rgb);
    }
}

int canvas_text_width(const char *s)
{
    return stb_easy_font_width((char *)s);
}
