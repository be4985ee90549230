/* colorbar.c - colour bars drawn with the tool's own canvas. */
#include "colorbar.h"

#include <stdio.h>
#include <string.h>

#include "error.h"

enum {
    BAR_W = 14,     /* the vertical bar's width */
    MARGIN = 8,     /* around the bar */
    TEXT_H = 10,    /* stb_easy_font's line height */
    MIN_BAR_H = 40, /* a bar shorter than this is stretched below the picture */
    LABEL_GAP = 8,  /* between the bar and its labels */
};

static const unsigned char white[3] = { 255, 255, 255 }, black[3] = { 0, 0, 0 };

void colorbar_label(float v, char *buf, int size)
{
    snprintf(buf, (size_t)size, "%.3g", (double)v);
}

int colorbar_attach(const unsigned char *rgb, int w, int h, enum colormap cm, float lo, float hi,
                    struct canvas *out)
{
    int ch = h < MIN_BAR_H + 2 * MARGIN ? MIN_BAR_H + 2 * MARGIN : h;
    if (canvas_create(out, w + COLORBAR_STRIP_W, ch, white))
        return fail(EXIT_INTERNAL, "out of memory for a colour bar");
    for (int y = 0; y < h; y++)
        memcpy(out->px + (size_t)y * out->w * 3, rgb + (size_t)y * w * 3, (size_t)w * 3);
    int x0 = w + MARGIN, top = MARGIN, bottom = ch - MARGIN; /* the bar spans [top, bottom) */
    for (int y = top; y < bottom; y++) {
        unsigned char col[3];
        colormap_apply(cm, (float)(bottom - 1 - y) / (float)(bottom - top - 1), col);
        canvas_fill(out, x0, y, BAR_W, 1, col);
    }
    const float values[3] = { hi, lo + (hi - lo) / 2, lo };
    const int ys[3] = { top, (top + bottom) / 2 - TEXT_H / 2, bottom - TEXT_H + 2 };
    for (int k = 0; k < 3; k++) {
        char label[32];
        colorbar_label(values[k], label, sizeof label);
        /* a short tick on the bar's edge, the label well clear of it (a tick
         * next to the text would read as a minus sign) */
        canvas_fill(out, x0 + BAR_W, ys[k] + TEXT_H / 2 - 1, 2, 1, black);
        canvas_text(out, x0 + BAR_W + LABEL_GAP, ys[k], label,
                    COLORBAR_STRIP_W - BAR_W - MARGIN - LABEL_GAP, black);
    }
    return EXIT_OK;
}

void colorbar_horizontal(struct canvas *c, int x, int y, int w, int h, enum colormap cm, float lo,
                         float hi)
{
    for (int i = 0; i < w; i++) {
        unsigned char col[3];
        colormap_apply(cm, w > 1 ? (float)i / (float)(w - 1) : 0.0f, col);
        canvas_fill(c, x + i, y, 1, h, col);
    }
    char a[32], b[32];
    colorbar_label(lo, a, sizeof a);
    colorbar_label(hi, b, sizeof b);
    canvas_text(c, x, y + h + 2, a, w / 2, black);
    canvas_text(c, x + w - canvas_text_width(b), y + h + 2, b, w / 2, black);
}
