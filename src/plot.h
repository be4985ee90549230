/* plot.h - a small line chart drawn by the tool itself: curves over x in
 * [0, 1] with y in [0, 1] (or a panel's own range), in panels side by side,
 * with a shared legend. */
#ifndef ATTRIB_PLOT_H
#define ATTRIB_PLOT_H

struct plot_panel {
    const char *title;   /* "deletion" */
    const char *x_label; /* "fraction of pixels removed" */
    const double *const *y; /* y[s][k]: series s at x = k / (points - 1); NaN: a gap */
    int points;
    const char *y_label; /* NULL: "class probability" */
    double y_min, y_max; /* the y axis; both 0: [0, 1] */
};

/* Writes the panels (npanels <= 4) with nseries curves each, named
 * names[s] in the legend, as a PNG at path (atomically). EXIT_OK,
 * EXIT_OUTPUT or EXIT_INTERNAL. */
int plot_write(const char *path, const char *title, const struct plot_panel *panels,
               int npanels, const char *const *names, int nseries);

#endif
