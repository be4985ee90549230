/* plot.c - line charts as PNG: the curves of `attrib eval`. */
#include "plot.h"

#include <math.h>
#include <stdio.h>

#include "canvas.h"
#include "error.h"
#include "png.h"

enum {
    PANEL_W = 300, PANEL_H = 220, /* plotting area of a panel */
    MARGIN_L = 40, MARGIN_R = 20, MARGIN_T = 40, MARGIN_B = 36,
    LEGEND_ROW = 14, LEGEND_COLUMNS = 3, LEGEND_COL_W = 245, LINE_W = 2,
};

/* Tableau's ten categorical colours (matplotlib's tab10). */
static const unsigned char palette[10][3] = {
    { 31, 119, 180 }, { 255, 127, 14 }, { 44, 160, 44 }, { 214, 39, 40 }, { 148, 103, 189 },
    { 140, 86, 75 },  { 227, 119, 194 }, { 127, 127, 127 }, { 188, 189, 34 }, { 23, 190, 207 },
};
static const unsigned char white[3] = { 255, 255, 255 }, black[3] = { 0, 0, 0 },
                           grid[3] = { 225, 225, 225 };

static void panel(struct canvas *c, int x0, int y0, const struct plot_panel *p, int nseries)
{
    char tick[16];
    const double lo = p->y_min == p->y_max ? 0 : p->y_min, hi = p->y_min == p->y_max ? 1 : p->y_max;
    canvas_text(c, x0, y0 - 28, p->title, PANEL_W, black);
    for (int t = 0; t <= 4; t++) { /* grid and ticks at quarters of each axis */
        int gx = x0 + t * PANEL_W / 4, gy = y0 + PANEL_H - t * PANEL_H / 4;
        canvas_fill(c, gx, y0, 1, PANEL_H, grid);
        canvas_fill(c, x0, gy, PANEL_W, 1, grid);
        snprintf(tick, sizeof tick, "%.2g", t / 4.0);
        canvas_text(c, gx - canvas_text_width(tick) / 2, y0 + PANEL_H + 4, tick, 40, black);
        snprintf(tick, sizeof tick, "%.2g", lo + (hi - lo) * t / 4.0);
        canvas_text(c, x0 - 6 - canvas_text_width(tick), gy - 4, tick, 40, black);
    }
    canvas_fill(c, x0, y0, 1, PANEL_H + 1, black); /* axes */
    canvas_fill(c, x0, y0 + PANEL_H, PANEL_W + 1, 1, black);
    canvas_text(c, x0 + PANEL_W / 2 - canvas_text_width(p->x_label) / 2, y0 + PANEL_H + 18,
                p->x_label, PANEL_W, black);
    canvas_text(c, x0, y0 - 14, p->y_label ? p->y_label : "class probability", PANEL_W, black);
    for (int s = 0; s < nseries; s++)
        for (int k = 1; k < p->points; k++) {
            double a = p->y[s][k - 1], b = p->y[s][k];
            if (isnan(a) || isnan(b))
                continue;
            double xa = x0 + (double)(k - 1) / (p->points - 1) * PANEL_W;
            double xb = x0 + (double)k / (p->points - 1) * PANEL_W;
            double ya = y0 + (hi - a) / (hi - lo) * PANEL_H, yb = y0 + (hi - b) / (hi - lo) * PANEL_H;
            canvas_line(c, xa, ya, xb, yb, LINE_W, palette[s % 10]);
        }
}

int plot_write(const char *path, const char *title, const struct plot_panel *panels,
               int npanels, const char *const *names, int nseries)
{
    const int cell_w = MARGIN_L + PANEL_W + MARGIN_R, rows = (nseries + 2) / LEGEND_COLUMNS;
    int w = npanels * cell_w + MARGIN_R, legend_w = LEGEND_COLUMNS * LEGEND_COL_W + MARGIN_L;
    w = w > legend_w ? w : legend_w;
    const int h = 20 + MARGIN_T + PANEL_H + MARGIN_B + rows * LEGEND_ROW + 10;
    struct canvas c;
    int rc = canvas_create(&c, w, h, white);
    if (rc)
        return rc;
    canvas_text(&c, MARGIN_L, 6, title, w - MARGIN_L, black);
    for (int p = 0; p < npanels; p++)
        panel(&c, p * cell_w + MARGIN_L, 20 + MARGIN_T, &panels[p], nseries);
    int ly = 20 + MARGIN_T + PANEL_H + MARGIN_B;
    for (int s = 0; s < nseries; s++) {
        int lx = MARGIN_L + (s % LEGEND_COLUMNS) * LEGEND_COL_W;
        int y = ly + (s / LEGEND_COLUMNS) * LEGEND_ROW;
        canvas_fill(&c, lx, y + 3, 16, 3, palette[s % 10]);
        canvas_text(&c, lx + 22, y, names[s], LEGEND_COL_W - 26, black);
    }
    rc = png_write(path, c.w, c.h, 3, c.px);
    canvas_free(&c);
    return rc;
}
