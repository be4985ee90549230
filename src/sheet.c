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

/* Where a record's pictures sit: the photo (w x h) and the part of it the
 * model saw, which the heatmap covers. */
struct frame {
    int w, h;
    struct rect region;
};

/* The record's photo and region; without them (a report from before they
 * were recorded), a frame the size of the PNG at dir/rel (0 if unreadable). */
static struct frame record_frame(const cJSON *o)
{
    const cJSON *r = record_item(record_item(o, "photo", NULL), "region", NULL);
    struct frame f = { (int)record_number(o, "photo", "width"),
                       (int)record_number(o, "photo", "height"),
                       { (int)record_number(r, "x", NULL), (int)record_number(r, "y", NULL),
                         (int)record_number(r, "width", NULL),
                         (int)record_number(r, "height", NULL) } };
    int ok = f.w > 0 && f.h > 0 && f.region.x >= 0 && f.region.y >= 0 && f.region.width > 0 &&
             f.region.height > 0 && f.region.x + f.region.width <= f.w &&
             f.region.y + f.region.height <= f.h;
    return ok ? f : (struct frame){ 0 };
}

/* Resizes the top-left part (src, in the PNG's pixels) of the w x h RGB
 * bytes p into dst (in the canvas's pixels). */
static void paste(struct canvas *c, const unsigned char *p, int w, int h, struct rect src,
                  struct rect dst)
{
    struct image img;
    float *out = malloc((size_t)dst.width * dst.height * 3 * sizeof *out);
    if (out && image_alloc(&img, w, h) == EXIT_OK) {
        for (size_t i = 0; i < (size_t)w * h * 3; i++)
            img.px[i] = p[i] / 255.0f;
        if (image_resize_plane(img.px, w, h, 3, src, out, dst.width, dst.height) == EXIT_OK)
            for (int j = 0; j < dst.height; j++)
                for (int i = 0; i < dst.width; i++)
                    for (int k = 0; k < 3; k++) {
                        float v = out[3 * ((size_t)j * dst.width + i) + k];
                        c->px[3 * ((size_t)(dst.y + j) * c->w + dst.x + i) + k] =
                            (unsigned char)(v <= 0 ? 0 : v >= 1 ? 255 : v * 255 + 0.5f);
                    }
        image_free(&img);
    }
    free(out);
}

/* A part of a frame, letterboxed into the TILE x TILE square at (x, y), in
 * the canvas's pixels (at least one). */
static struct rect in_tile(int x, int y, struct frame f, struct rect part)
{
    double scale = (double)TILE / (f.w > f.h ? f.w : f.h);
    int ox = x + (TILE - (int)(f.w * scale + 0.5)) / 2, oy = y + (TILE - (int)(f.h * scale + 0.5)) / 2;
    struct rect r = { ox + (int)(part.x * scale + 0.5), oy + (int)(part.y * scale + 0.5),
                      (int)(part.width * scale + 0.5), (int)(part.height * scale + 0.5) };
    r.width = r.width < 1 ? 1 : r.width > x + TILE - r.x ? x + TILE - r.x : r.width;
    r.height = r.height < 1 ? 1 : r.height > y + TILE - r.y ? y + TILE - r.y : r.height;
    return r;
}

/* Frame f at k times its size (an overlay shrunk by --overlay-max-side:
 * its height says by how much; a colour bar only widens it). */
static struct frame scaled_frame(struct frame f, double k)
{
    struct frame g = { (int)lround(f.w * k), (int)lround(f.h * k), f.region };
    g.region.x = (int)lround(f.region.x * k), g.region.y = (int)lround(f.region.y * k);
    g.region.width = (int)lround(f.region.width * k), g.region.height = (int)lround(f.region.height * k);
    return g;
}

/* Draws the PNG at dir/rel into the TILE x TILE square at (x, y), where its
 * pictures sit in frame f: the overlay (photo-sized; a colour bar to its
 * right is left out) over the whole photo, the heatmap over the region, so
 * a spot on one is at the same place on the other. */
static void picture(struct canvas *c, int x, int y, const char *dir, const char *rel,
                    struct frame f, int heatmap)
{
    static const unsigned char grey[3] = { 220, 220, 220 };
    char path[PATH_MAX];
    canvas_fill(c, x, y, TILE, TILE, grey);
    int w, h, comp;
    unsigned char *p = path_join(path, sizeof path, dir, rel) ? NULL
                                                              : stbi_load(path, &w, &h, &comp, 3);
    if (!p)
        return;
    struct rect whole = { 0, 0, w, h };
    if (f.w > 0 && !heatmap && h != f.h && h > 0) /* --overlay-max-side: shrunk */
        f = scaled_frame(f, (double)h / f.h);
    if (f.w == 0 || (!heatmap && (w < f.w || h < f.h)))
        f = (struct frame){ w, h, whole }; /* no record of the photo: the PNG as it is */
    struct rect src = heatmap ? whole : (struct rect){ 0, 0, f.w, f.h };
    paste(c, p, w, h, src, in_tile(x, y, f, heatmap ? f.region : src));
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
        struct frame f = record_frame(o);
        picture(c, x, y, sh->dir, record_text(o, "outputs", "overlay"), f, 0);
        picture(c, x + TILE + GAP, y, sh->dir, record_text(o, "outputs", "heatmap"), f, 1);
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
