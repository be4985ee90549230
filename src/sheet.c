/* sheet.c - a contact sheet PNG of a batch: per image its overlay and
 * heatmap, labelled with stb_easy_font's bitmap font. */
#include <math.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stb_image.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#include <stb_easy_font.h>
#pragma GCC diagnostic pop

#include "error.h"
#include "fsutil.h"
#include "image.h"
#include "png.h"
#include "report.h"

enum {
    TILE = 160,        /* side of a picture's square tile */
    GAP = 8,           /* between tiles and cells */
    LABEL_H = 30,      /* two lines of text under the tiles */
    FONT_SCALE = 1,
    COLUMNS = 4,
    CELL_W = 2 * TILE + 3 * GAP,
    CELL_H = TILE + LABEL_H + 2 * GAP,
};

struct canvas {
    int w, h;
    unsigned char *px; /* RGB */
};

static void fill(struct canvas *c, int x, int y, int w, int h, const unsigned char rgb[3])
{
    for (int j = y < 0 ? 0 : y; j < y + h && j < c->h; j++)
        for (int i = x < 0 ? 0 : x; i < x + w && i < c->w; i++)
            memcpy(c->px + 3 * ((size_t)j * c->w + i), rgb, 3);
}

/* Draws text with its top-left corner at (x, y), clipped to max_w pixels. */
static void text(struct canvas *c, int x, int y, const char *s, int max_w)
{
    static float quads[4 * 4 * 2000]; /* 16-byte vertices, 4 per quad */
    char line[96];
    snprintf(line, sizeof line, "%s", s);
    while (stb_easy_font_width(line) * FONT_SCALE > max_w && strlen(line) > 4)
        strcpy(line + strlen(line) - 4, "..."); /* shorten until it fits */
    unsigned char black[4] = { 0, 0, 0, 255 };
    int n = stb_easy_font_print(0, 0, line, black, quads, sizeof quads);
    for (int q = 0; q < n; q++) {
        const float *v = quads + q * 16; /* 4 vertices of x, y, z, colour */
        float x0 = v[0], y0 = v[1], x1 = v[8], y1 = v[9];
        fill(c, x + (int)(x0 * FONT_SCALE), y + (int)(y0 * FONT_SCALE),
             (int)ceilf((x1 - x0) * FONT_SCALE), (int)ceilf((y1 - y0) * FONT_SCALE), black);
    }
}

/* Draws the PNG at dir/rel into a TILE x TILE square at (x, y), letterboxed. */
static void picture(struct canvas *c, int x, int y, const char *dir, const char *rel)
{
    static const unsigned char grey[3] = { 220, 220, 220 };
    char path[PATH_MAX];
    fill(c, x, y, TILE, TILE, grey);
    int w, h, comp;
    unsigned char *p = path_join(path, sizeof path, dir, rel) ? NULL
                                                              : stbi_load(path, &w, &h, &comp, 3);
    if (!p)
        return;
    double scale = (double)TILE / (w > h ? w : h);
    int tw = (int)(w * scale + 0.5), th = (int)(h * scale + 0.5);
    tw = tw < 1 ? 1 : tw;
    th = th < 1 ? 1 : th;
    struct image src;
    float *dst = malloc((size_t)tw * th * 3 * sizeof *dst);
    if (dst && image_alloc(&src, w, h) == EXIT_OK) {
        for (size_t i = 0; i < (size_t)w * h * 3; i++)
            src.px[i] = p[i] / 255.0f;
        struct rect whole = { 0, 0, w, h };
        if (image_resize_plane(src.px, w, h, 3, whole, dst, tw, th) == EXIT_OK) {
            int ox = x + (TILE - tw) / 2, oy = y + (TILE - th) / 2;
            for (int j = 0; j < th; j++)
                for (int i = 0; i < tw; i++)
                    for (int k = 0; k < 3; k++) {
                        float v = dst[3 * ((size_t)j * tw + i) + k];
                        c->px[3 * ((size_t)(oy + j) * c->w + ox + i) + k] =
                            (unsigned char)(v <= 0 ? 0 : v >= 1 ? 255 : v * 255 + 0.5f);
                    }
        }
        image_free(&src);
    }
    free(dst);
    stbi_image_free(p);
}

int report_write_sheet(const cJSON *root, const char *dir, const char *file)
{
    static const unsigned char white[3] = { 255, 255, 255 }, red[3] = { 240, 200, 200 };
    const cJSON *images = cJSON_GetObjectItemCaseSensitive(root, "images"), *o;
    int n = cJSON_GetArraySize(images);
    if (n < 1)
        return fail(EXIT_INPUT, "--sheet: no images to draw");
    int cols = n < COLUMNS ? n : COLUMNS, rows = (n + cols - 1) / cols;
    struct canvas c = { cols * CELL_W + GAP, rows * CELL_H + GAP, NULL };
    c.px = malloc((size_t)c.w * c.h * 3);
    if (!c.px)
        return fail(EXIT_INTERNAL, "out of memory for a %dx%d sheet", c.w, c.h);
    fill(&c, 0, 0, c.w, c.h, white);
    int i = 0;
    cJSON_ArrayForEach(o, images) {
        int x = GAP + (i % cols) * CELL_W, y = GAP + (i / cols) * CELL_H;
        char line[160];
        if (strcmp(record_text(o, "status", NULL), "ok") == 0) {
            picture(&c, x, y, dir, record_text(o, "outputs", "overlay"));
            picture(&c, x + TILE + GAP, y, dir, record_text(o, "outputs", "heatmap"));
            snprintf(line, sizeof line, "%s", record_text(o, "name", NULL));
            text(&c, x, y + TILE + 4, line, CELL_W - GAP);
            snprintf(line, sizeof line, "%.0f %s  p=%.3f", record_number(o, "target", "index"),
                     record_text(o, "target", "label"), record_number(o, "target", "probability"));
            text(&c, x, y + TILE + 16, line, CELL_W - GAP);
        } else {
            fill(&c, x, y, 2 * TILE + GAP, TILE, red);
            snprintf(line, sizeof line, "failed: %s", record_text(o, "name", NULL));
            text(&c, x + 4, y + 4, line, 2 * TILE);
            text(&c, x + 4, y + 16, record_text(o, "error", NULL), 2 * TILE);
        }
        i++;
    }
    char path[PATH_MAX];
    int rc = file[0] == '/' ? (snprintf(path, sizeof path, "%s", file), EXIT_OK)
                            : path_join(path, sizeof path, dir, file);
    if (rc == EXIT_OK)
        rc = png_write(path, c.w, c.h, 3, c.px);
    free(c.px);
    return rc;
}
