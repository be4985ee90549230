/* colorbar.h - a labelled colour bar (the colour map from the low to the
 * high display value, with numbers), so a picture says what its colours
 * mean and pictures drawn on one --scale can be read against each other. */
#ifndef ATTRIB_COLORBAR_H
#define ATTRIB_COLORBAR_H

#include "canvas.h"
#include "colormap.h"

/* Width of the strip colorbar_attach adds on the right. */
#define COLORBAR_STRIP_W 84

/* A picture (rgb, w x h) with a vertical colour bar beside it: lo at the
 * bottom, hi at the top, labelled at both ends and in the middle, on white.
 * *out is (w + COLORBAR_STRIP_W) x max(h, a few lines of text). EXIT_OK or
 * EXIT_INTERNAL. */
int colorbar_attach(const unsigned char *rgb, int w, int h, enum colormap cm, float lo, float hi,
                    struct canvas *out);

/* A horizontal bar of w x h pixels at (x, y) in c, lo on the left, with the
 * end values written under it (text_h pixels more). */
void colorbar_horizontal(struct canvas *c, int x, int y, int w, int h, enum colormap cm, float lo,
                         float hi);

/* The number as the bars label it ("-0.0123", "4.5e-05"). */
void colorbar_label(float v, char *buf, int size);

#endif
