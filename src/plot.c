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
    LEGEND_ROW = 14, LEGEND_MAX_COLUMNS = 4, LEGEND_SWATCH = 22, LEGEND_GAP = 18, LINE_W = 2,
};

/* Tableau's ten categorical colours (matplotlib's tab10). */
static const unsigned char palette[10][3] = {
    { 31, 119, 180 }, { 255, 127, 14 }, { 44, 160, 44 }, { 214, 39, 40 }, { 148, 103, 189 },
    { 140, 86, 75 },  { 227, 119, 194 }, { 127, 127, 127 }, { 188, 189, 34 }, { 23, 190, 207 },
};
static const unsigned char white[3] = { 255, 255, 255 }, black[3] = { 0, 0, 0 },
                           grid[3] = { 225, 225, 225 };

double plot_tick_step(double lo, double hi)
{
    static const double nice[] = { 1, 2, 2.5, 5, 10 };
    double raw = (hi - lo) / (PLOT_MAX_TICKS - 1), unit = pow(10, floor(log10(raw)));
    for (size_t i = 0; i < sizeof nice / sizeof *nice; i++)
        if (nice[i] * unit >= raw * (1 - 1e-9))
            return nice[i] * unit;
    return 10 * unit;
}

/* The x axis: grid lines and labels at tick_step's multiples in the panel's range. */
static void x_ticks(struct canvas *c, int x0, int y0, const struct plot_panel *p)
{
    const double lo = p->x_min == p->x_max ? 0 : p->x_min, hi = p->x_min == p->x_max ? 1 : p->x_max;
    const double step = plot_tick_step(lo, hi);
    char tick[16];
    for (double v = ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) {
        int gx = x0 + (int)lround((v - lo) / (hi - lo) * PANEL_W);
        canvas_fill(c, gx, y0, 1, PANEL_H, grid);
        snprintf(tick, sizeof tick, "%.4g", fabs(v) < step * 1e-9 ? 0.0 : v);
        canvas_text(c, gx - canvas_text_width(tick) / 2, y0 + PANEL_H + 4, tick, 40, black);
    }
}

static void panel(struct canvas *c, int x0, int y0, const struct plot_panel *p, int nseries)
{
    char tick[16];
    const double lo = p->y_min == p->y_max ? 0 : p->y_min, hi = p->y_min == p->y_max ? 1 : p->y_max;
    canvas_text(c, x0, y0 - 28, p->title, PANEL_W, black);
    x_ticks(c, x0, y0, p);
    for (int t = 0; t <= 4; t++) { /* y: grid and ticks at quarters of the axis */
        int gy = y0 + PANEL_H - t * PANEL_H / 4;
        canvas_fill(c, x0, gy, PANEL_W, 1, grid);
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
    const int cell_w = MARGIN_L + PANEL_W + MARGIN_R;
    int col_w = 0; /* the legend's columns: as wide as the longest name, never cut */
    for (int s = 0; s < nseries; s++) {
        int tw = canvas_text_width(names[s]);
        col_w = tw > col_w ? tw : col_w;
    }
    col_w += LEGEND_SWATCH + LEGEND_GAP;
    int w = npanels * cell_w + MARGIN_R;
    w = w > MARGIN_L + col_w ? w : MARGIN_L + col_w;
    int columns = (w - MARGIN_L) / col_w;
    columns = columns > LEGEND_MAX_COLUMNS ? LEGEND_MAX_COLUMNS : columns;
    const int rows = (nseries + columns - 1) / columns;
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
        int lx = MARGIN_L + (s % columns) * col_w, y = ly + (s / columns) * LEGEND_ROW;
        canvas_fill(&c, lx, y + 3, 16, 3, palette[s % 10]);
        canvas_text(&c, lx + LEGEND_SWATCH, y, names[s], col_w - LEGEND_SWATCH, black);
    }
    rc = png_write(path, c.w, c.h, 3, c.px);
    canvas_free(&c);
    return rc;
}
