/* sheet.c - a contact sheet PNG of a batch: per image its overlay and
 * heatmap, labelled with stb_easy_font's bitmap font. */
#include "sheet.h"

#include <math.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stb_image.h>


#include "canvas.h"
#include "colorbar.h"
#include "error.h"
#include "fsutil.h"
#include "image.h"
#include "png.h"
#include "report.h"

enum {
    TILE = 160,        /* side of a picture's square tile */
    GAP = 8,           /* between tiles and cells */
    LABEL_H = 30,      /* two lines of text under the tiles */
    COLUMNS = 4,
    CELL_W = 2 * TILE + 3 * GAP,
    CELL_H = TILE + LABEL_H + 2 * GAP,
    BAR_ROW_H = 22,    /* --colorbar: a bar and its end values under the heatmap */
    BAR_H = 8,
};

static const unsigned char black[3] = { 0, 0, 0 };

/* Draws the PNG at dir/rel into a TILE x TILE square at (x, y), letterboxed. */
static void picture(struct canvas *c, int x, int y, const char *dir, const char *rel)
{
    static const unsigned char grey[3] = { 220, 220, 220 };
    char path[PATH_MAX];
    canvas_fill(c, x, y, TILE, TILE, grey);
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

struct sheet {
    struct canvas c;
    const char *dir;
    int cols, cell_h, colorbar, i;
    enum colormap cm;
};

static int draw_cell(struct report *r, const cJSON *o, void *ctx)
{
    static const unsigned char red[3] = { 240, 200, 200 };
    (void)r;
    struct sheet *sh = ctx;
    struct canvas *c = &sh->c;
    int x = GAP + (sh->i % sh->cols) * CELL_W, y = GAP + (sh->i / sh->cols) * sh->cell_h;
    char line[160];
    if (strcmp(record_text(o, "status", NULL), "ok") == 0) {
        picture(c, x, y, sh->dir, record_text(o, "outputs", "overlay"));
        picture(c, x + TILE + GAP, y, sh->dir, record_text(o, "outputs", "heatmap"));
        snprintf(line, sizeof line, "%s", record_text(o, "name", NULL));
        canvas_text(c, x, y + TILE + 4, line, CELL_W - GAP, black);
        snprintf(line, sizeof line, "%.0f %s  p=%.3f", record_number(o, "target", "index"),
                 record_text(o, "target", "label"), record_number(o, "target", "probability"));
        canvas_text(c, x, y + TILE + 16, line, CELL_W - GAP, black);
        if (sh->colorbar) /* this image's range, under its heatmap */
            colorbar_horizontal(c, x + TILE + GAP, y + TILE + LABEL_H, TILE, BAR_H, sh->cm,
                                (float)record_number(o, "map", "display_low"),
                                (float)record_number(o, "map", "display_high"));
    } else {
        canvas_fill(c, x, y, 2 * TILE + GAP, TILE, red);
        snprintf(line, sizeof line, "failed: %s", record_text(o, "name", NULL));
        canvas_text(c, x + 4, y + 4, line, 2 * TILE, black);
        canvas_text(c, x + 4, y + 16, record_text(o, "error", NULL), 2 * TILE, black);
    }
    sh->i++;
    return EXIT_OK;
}

int report_write_sheet(struct report *r, const char *dir, const char *file, int colorbar,
                       enum colormap cm)
{
    static const unsigned char white[3] = { 255, 255, 255 };
    int n = (int)r->n;
    if (n < 1)
        return fail(EXIT_INPUT, "--sheet: no images to draw");
    struct sheet sh = { .dir = dir, .cols = n < COLUMNS ? n : COLUMNS, .colorbar = colorbar,
                        .cm = cm, .cell_h = CELL_H + (colorbar ? BAR_ROW_H : 0) };
    int rows = (n + sh.cols - 1) / sh.cols;
    struct canvas *c = &sh.c;
    if (canvas_create(c, sh.cols * CELL_W + GAP, rows * sh.cell_h + GAP, white))
        return fail(EXIT_INTERNAL, "out of memory for a %dx%d sheet", sh.cols * CELL_W + GAP,
                    rows * sh.cell_h + GAP);
    int rc = report_each(r, draw_cell, &sh);
    if (rc == EXIT_OK)
        rc = png_write(file, c->w, c->h, 3, c->px);
    canvas_free(c);
    return rc;
}
