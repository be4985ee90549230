/* plot.h - a small line chart drawn by the tool itself: curves over x in
 * [0, 1] with y in [0, 1] (or a panel's own range), in panels side by side,
 * with a shared legend whose columns are as wide as its longest name. */
#ifndef ATTRIB_PLOT_H
#define ATTRIB_PLOT_H

struct plot_panel {
    const char *title;   /* "deletion" */
    const char *x_label; /* "fraction of pixels removed" */
    const double *const *y; /* y[s][k]: series s at the k-th of points evenly spaced x
                               from x_min to x_max; NaN: a gap */
    int points;
    double x_min, x_max; /* what the x axis counts (its ticks' labels); both 0: [0, 1] */
    const char *y_label; /* NULL: "class probability" */
    double y_min, y_max; /* the y axis; both 0: [0, 1] */
};

/* Writes the panels (npanels <= 4) with nseries curves each, named
 * names[s] in the legend, as a PNG at path (atomically). EXIT_OK,
 * EXIT_OUTPUT or EXIT_INTERNAL. */
int plot_write(const char *path, const char *title, const struct plot_panel *panels,
               int npanels, const char *const *names, int nseries);

/* The step between an x axis's ticks from lo to hi: the smallest of 1, 2,
 * 2.5 and 5 times a power of ten that leaves at most PLOT_MAX_TICKS of
 * them, so [0, 1] gets quarters and "step 1 to 200" 50, 100, 150, 200. */
#define PLOT_MAX_TICKS 5
double plot_tick_step(double lo, double hi);

#endif
