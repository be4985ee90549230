/* canvas.h - an RGB picture the tool draws itself (contact sheets, plots):
 * rectangles, lines and stb_easy_font's bitmap text. */
#ifndef ATTRIB_CANVAS_H
#define ATTRIB_CANVAS_H

struct canvas {
    int w, h;
    unsigned char *px; /* RGB, w * h * 3 */
};

/* A w x h canvas filled with rgb. EXIT_OK or EXIT_INTERNAL. */
int canvas_create(struct canvas *c, int w, int h, const unsigned char rgb[3]);
void canvas_free(struct canvas *c);

/* A rectangle, clipped to the canvas. */
void canvas_fill(struct canvas *c, int x, int y, int w, int h, const unsigned char rgb[3]);
/* A rectangle's outline, t pixels thick inside it (a box on a photo). */
void canvas_frame(struct canvas *c, int x, int y, int w, int h, int t, const unsigned char rgb[3]);
/* The outline's thickness that shows on a w x h picture at any size. */
int canvas_frame_width(int w, int h);
/* A line of the given thickness from (x0, y0) to (x1, y1). */
void canvas_line(struct canvas *c, double x0, double y0, double x1, double y1, int thickness,
                 const unsigned char rgb[3]);
/* Text with its top-left corner at (x, y), shortened with "..." to fit
 * max_w pixels. */
void canvas_text(struct canvas *c, int x, int y, const char *s, int max_w,
                 const unsigned char rgb[3]);
/* Width in pixels of s as canvas_text draws it. */
int canvas_text_width(const char *s);

#endif
