/* pictures.c - colouring and PNG-encoding a batch's pictures in parallel. */
#include "pictures.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>

#include "canvas.h"
#include "colorbar.h"
#include "heatmap.h"
#include "image.h"
#include "png.h"

#define MAX_ENCODERS 64

struct worker {
    struct picture_job *jobs;
    int first, step, n;
    const struct overlay_style *style;
    int colorbar;
};

/* The overlay's PNG (over img: the photo, or its shrunk copy), with a
 * colour bar beside it if asked for. */
static int encode_overlay(struct picture_job *j, const struct image *img,
                          const unsigned char *px, enum colormap cm, int colorbar)
{
    if (!colorbar)
        return png_encode(img->width, img->height, 3, px, &j->overlay);
    struct canvas c;
    int rc = colorbar_attach(px, img->width, img->height, cm, j->s->display_lo, j->s->display_hi,
                             &c);
    if (rc == 0)
        rc = png_encode(c.w, c.h, 3, c.px, &j->overlay);
    canvas_free(&c);
    return rc;
}

/* The photo the overlay is drawn over: img, or under --overlay-max-side a
 * copy shrunk into *shrunk (antialiased, as the model's input is) with
 * *region scaled to it; NULL: out of memory. */
static const struct image *overlay_photo(const struct image *img, int max_side,
                                         struct image *shrunk, struct rect *region)
{
    int w, h;
    overlay_size(img->width, img->height, max_side, &w, &h);
    if (w == img->width && h == img->height)
        return img;
    if (image_alloc(shrunk, w, h) != 0)
        return NULL;
    struct rect whole = { 0, 0, img->width, img->height };
    if (image_resize_plane(img->px, img->width, img->height, 3, whole, shrunk->px, w, h) != 0)
        return NULL;
    const double kx = (double)w / img->width, ky = (double)h / img->height;
    int x0 = (int)lround(region->x * kx), y0 = (int)lround(region->y * ky);
    int x1 = (int)lround((region->x + region->width) * kx);
    int y1 = (int)lround((region->y + region->height) * ky);
    *region = (struct rect){ x0, y0, x1 - x0 > 0 ? x1 - x0 : 1, y1 - y0 > 0 ? y1 - y0 : 1 };
    return shrunk;
}

/* The box a box: target explains, drawn on the overlay px (the photo's
 * size): from the model's input pixels into the part of the photo the
 * model saw (region). */
static void draw_target_box(const struct summary *s, const struct image *photo,
                            struct rect region, unsigned char *px)
{
    static const unsigned char cyan[3] = { 0, 255, 255 };
    const double *b = s->target_box;
    const double kx = (double)region.width / s->model.input_w;
    const double ky = (double)region.height / s->model.input_h;
    int x0 = (int)lround(region.x + b[0] * kx), y0 = (int)lround(region.y + b[1] * ky);
    int x1 = (int)lround(region.x + (b[0] + b[2]) * kx);
    int y1 = (int)lround(region.y + (b[1] + b[3]) * ky);
    struct canvas c = { photo->width, photo->height, px };
    canvas_frame(&c, x0, y0, x1 - x0, y1 - y0, canvas_frame_width(c.w, c.h), cyan);
}

static void encode_one(struct picture_job *j, const struct overlay_style *style, int colorbar)
{
    const enum colormap cm = style->cm;
    const struct summary *s = j->s;
    const struct image *img = j->img;
    float lo = s->display_lo, hi = s->display_hi;
    size_t big = (size_t)img->width * img->height * 3, small = (size_t)s->map_w * s->map_h * 3;
    unsigned char *px = malloc(big > small ? big : small);
    int failed = !px;
    if (!failed) {
        heatmap_render(j->a->map, s->map_w, s->map_h, lo, hi, cm, px);
        failed = png_encode(s->map_w, s->map_h, 3, px, &j->heat) != 0;
    }
    if (!failed && j->a->has_chw) {
        heatmap_render_gradient(j->a->chw, s->map_h, s->map_w, px);
        failed = png_encode(s->map_w, s->map_h, 3, px, &j->rgb) != 0;
    }
    struct image shrunk = { 0 };
    struct rect region = s->region;
    const struct image *photo =
        failed ? img : overlay_photo(img, style->max_side, &shrunk, &region);
    failed = failed || !photo;
    if (!failed)
        failed = heatmap_overlay(photo, region, j->a->map, s->map_w, s->map_h, lo, hi, style,
                                 px) != 0;
    if (!failed && s->target_box)
        draw_target_box(s, photo, region, px);
    if (!failed)
        failed = encode_overlay(j, photo, px, cm, colorbar) != 0;
    image_free(&shrunk);
    free(px);
    j->failed = failed;
}

static void *work(void *arg)
{
    struct worker *w = arg;
    for (int i = w->first; i < w->n; i += w->step)
        encode_one(&w->jobs[i], w->style, w->colorbar);
    return NULL;
}

void pictures_encode(struct picture_job *jobs, int n, int threads,
                     const struct overlay_style *style, int colorbar)
{
    if (threads > n)
        threads = n;
    if (threads > MAX_ENCODERS)
        threads = MAX_ENCODERS;
    if (threads < 1)
        threads = 1;
    struct worker w[MAX_ENCODERS];
    pthread_t tid[MAX_ENCODERS];
    int started[MAX_ENCODERS] = { 0 };
    for (int t = 0; t < threads; t++)
        w[t] = (struct worker){ jobs, t, threads, n, style, colorbar };
    /* a thread that cannot start leaves its share to the calling thread */
    for (int t = 1; t < threads; t++)
        started[t] = pthread_create(&tid[t], NULL, work, &w[t]) == 0;
    work(&w[0]);
    for (int t = 1; t < threads; t++)
        if (started[t])
            pthread_join(tid[t], NULL);
        else
            work(&w[t]);
}

void pictures_free(struct picture_job *job)
{
    buffer_free(&job->heat);
    buffer_free(&job->rgb);
    buffer_free(&job->overlay);
}
