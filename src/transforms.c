/* transforms.c - Lucid's transformation robustness (see transforms.h). */
#include "transforms.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "parallel.h"

#define SCALE_CHOICES 11      /* 1 + (i - 5) / 50 for i in 0..10 */
#define ANGLE_RANGE 10        /* -10 .. 10 degrees ... */
#define ANGLE_EXTRA_ZEROS 5   /* ... and 0 five more times, as Lucid lists them */

void transform_draw(struct rng *r, struct transform_draw *d)
{
    d->crop1_x = rng_range(r, 0, TRANSFORM_JITTER_FIRST);
    d->crop1_y = rng_range(r, 0, TRANSFORM_JITTER_FIRST);
    d->scale = 1 + (rng_range(r, 0, SCALE_CHOICES - 1) - 5) / 50.0;
    int a = rng_range(r, 0, 2 * ANGLE_RANGE + ANGLE_EXTRA_ZEROS);
    d->angle = a <= 2 * ANGLE_RANGE ? a - ANGLE_RANGE : 0;
    d->crop2_x = rng_range(r, 0, TRANSFORM_JITTER_LAST);
    d->crop2_y = rng_range(r, 0, TRANSFORM_JITTER_LAST);
}

/* Bilinear resize with the corners' pixel centres kept (align_corners). */
static struct warp resize(int in_h, int in_w, int out_h, int out_w)
{
    double sx = out_w > 1 ? (in_w - 1) / (double)(out_w - 1) : 0;
    double sy = out_h > 1 ? (in_h - 1) / (double)(out_h - 1) : 0;
    return (struct warp){ in_h, in_w, out_h, out_w, { sx, 0, 0, 0, sy, 0 }, TRANSFORM_PAD_VALUE };
}

struct warp warp_rotation(int h, int w, int degrees)
{
    /* output p reads source M (p - c) + c; the picture turns by M's inverse,
     * [[cos, sin], [-sin, cos]], which with rows downwards is anticlockwise */
    double t = degrees * M_PI / 180, c = cos(t), s = sin(t);
    double cx = (w - 1) / 2.0, cy = (h - 1) / 2.0;
    return (struct warp){ h, w, h, w,
                          { c, -s, cx - c * cx + s * cy, s, c, cy - s * cx - c * cy },
                          TRANSFORM_PAD_VALUE };
}

/* Bilinear resize of the window at (x0, y0) of a picture, corners kept
 * (align_corners): in_w x in_h is the window's size, the picture's is
 * pic_h x pic_w. */
static struct warp window_resize(int pic_h, int pic_w, double x0, double y0, int in_h, int in_w,
                                 int out_h, int out_w)
{
    struct warp r = resize(in_h, in_w, out_h, out_w);
    r.in_h = pic_h, r.in_w = pic_w, r.a[2] = x0, r.a[5] = y0;
    return r;
}

/* Lucid's five transforms and the final resize in three warps: a crop at
 * whole pixels followed by a bilinear resize reads the same values as one
 * resize of the window (the corners are kept, so nothing outside the window
 * gets a weight), and the padding is what lies outside the picture. */
void transform_chain_plan(struct transform_chain *c, const struct transform_draw *d, int h, int w,
                          int out_h, int out_w)
{
    int ph = h + 2 * TRANSFORM_PAD, pw = w + 2 * TRANSFORM_PAD;
    int ch = ph - TRANSFORM_JITTER_FIRST, cw = pw - TRANSFORM_JITTER_FIRST;
    int sh = (int)lround(d->scale * ch), sw = (int)lround(d->scale * cw);
    int fh = sh - TRANSFORM_JITTER_LAST, fw = sw - TRANSFORM_JITTER_LAST;
    c->count = 0;
    /* pad, crop at (crop1_x, crop1_y), scale */
    c->warp[c->count++] = window_resize(h, w, d->crop1_x - TRANSFORM_PAD,
                                        d->crop1_y - TRANSFORM_PAD, ch, cw, sh, sw);
    c->warp[c->count++] = warp_rotation(sh, sw, d->angle);
    /* crop at (crop2_x, crop2_y), resize to the model's input */
    c->warp[c->count++] = window_resize(sh, sw, d->crop2_x, d->crop2_y, fh, fw, out_h, out_w);
}

/* Room for the intermediate images of planes planes. */
static int reserve(struct transform_chain *c, int planes)
{
    size_t need = 0;
    for (int i = 0; i + 1 < c->count; i++)
        need += (size_t)planes * c->warp[i].out_h * c->warp[i].out_w;
    if (need <= c->scratch_len)
        return EXIT_OK;
    float *s = realloc(c->scratch, need * sizeof *s);
    if (!s)
        return fail(EXIT_INTERNAL, "out of memory");
    c->scratch = s, c->scratch_len = need;
    return EXIT_OK;
}

/* Where warp i's output lives: scratch, or the caller's final buffer. */
static float *stage(struct transform_chain *c, int i, int planes, float *last)
{
    if (i == c->count - 1)
        return last;
    size_t offset = 0;
    for (int k = 0; k < i; k++)
        offset += (size_t)planes * c->warp[k].out_h * c->warp[k].out_w;
    return c->scratch + offset;
}

/* One plane through the warps (forward) or their transposes (backward). */
struct chain_job {
    struct transform_chain *c;
    const float *from;
    float *to;
    int planes;
};

static void forward_plane(void *ctx, int p, int worker)
{
    (void)worker;
    struct chain_job *j = ctx;
    struct transform_chain *c = j->c;
    const float *src = j->from + (size_t)p * c->warp[0].in_h * c->warp[0].in_w;
    for (int i = 0; i < c->count; i++) {
        const struct warp *w = &c->warp[i];
        float *dst = stage(c, i, j->planes, j->to) + (size_t)p * w->out_h * w->out_w;
        warp_forward(w, src, dst);
        src = dst;
    }
}

static void backward_plane(void *ctx, int p, int worker)
{
    (void)worker;
    struct chain_job *j = ctx;
    struct transform_chain *c = j->c;
    const struct warp *last = &c->warp[c->count - 1];
    const float *g = j->from + (size_t)p * last->out_h * last->out_w;
    for (int i = c->count - 1; i >= 0; i--) {
        const struct warp *w = &c->warp[i];
        float *dst = (i == 0 ? j->to : stage(c, i - 1, j->planes, NULL)) +
                     (size_t)p * w->in_h * w->in_w;
        warp_backward(w, g, dst);
        g = dst;
    }
}

int transform_chain_forward(struct transform_chain *c, const float *in, int planes, float *out)
{
    int rc = reserve(c, planes);
    struct chain_job j = { c, in, out, planes };
    if (rc == EXIT_OK)
        parallel_for(planes, c->workers, forward_plane, &j);
    return rc;
}

int transform_chain_backward(struct transform_chain *c, const float *grad_out, int planes,
                             float *grad_in)
{
    /* Each stage's gradient overwrites that stage's forward image: the
     * forward images are not needed backwards (the warps are linear). A
     * plane reads its part of grad_out first and writes its part of
     * grad_in last, so in place is safe when the parts are the same size;
     * otherwise grad_out is copied first. */
    int rc = reserve(c, planes);
    const struct warp *first = &c->warp[0], *last = &c->warp[c->count - 1];
    size_t in = (size_t)first->in_h * first->in_w, out = (size_t)last->out_h * last->out_w;
    float *copy = NULL;
    if (rc == EXIT_OK && grad_in == grad_out && in != out) {
        copy = malloc((size_t)planes * out * sizeof *copy);
        if (!copy)
            rc = fail(EXIT_INTERNAL, "out of memory");
        else
            memcpy(copy, grad_out, (size_t)planes * out * sizeof *copy);
    }
    struct chain_job j = { c, copy ? copy : grad_out, grad_in, planes };
    if (rc == EXIT_OK)
        parallel_for(planes, c->workers, backward_plane, &j);
    free(copy);
    return rc;
}

void transform_chain_free(struct transform_chain *c)
{
    free(c->scratch);
    c->scratch = NULL, c->scratch_len = 0;
}

/* Where output pixel (u, v) reads: the neighbour at (x0, y0) and the
 * weights of x0 + 1 and y0 + 1. */
struct taps {
    int x0, y0;
    double wx, wy;
};

static struct taps taps_at(const struct warp *w, int u, int v)
{
    double x = w->a[0] * u + w->a[1] * v + w->a[2], y = w->a[3] * u + w->a[4] * v + w->a[5];
    double fx = floor(x), fy = floor(y);
    return (struct taps){ (int)fx, (int)fy, x - fx, y - fy };
}

/* Whether all four neighbours lie inside the source (the common case:
 * then no tap needs the fill). */
static int all_inside(const struct warp *w, struct taps t)
{
    return t.x0 >= 0 && t.y0 >= 0 && t.x0 + 1 < w->in_w && t.y0 + 1 < w->in_h;
}

static int inside(const struct warp *w, int x, int y)
{
    return x >= 0 && y >= 0 && x < w->in_w && y < w->in_h;
}

static double tap_weight(struct taps t, int k)
{
    return ((k & 1) ? t.wx : 1 - t.wx) * ((k >> 1) ? t.wy : 1 - t.wy);
}

void warp_forward(const struct warp *w, const float *in, float *out)
{
    for (int v = 0; v < w->out_h; v++)
        for (int u = 0; u < w->out_w; u++) {
            struct taps t = taps_at(w, u, v);
            double sum = 0;
            if (all_inside(w, t)) {
                const float *p = in + (size_t)t.y0 * w->in_w + t.x0;
                double top = p[0] + t.wx * (p[1] - p[0]);
                double bottom = p[w->in_w] + t.wx * (p[w->in_w + 1] - p[w->in_w]);
                sum = top + t.wy * (bottom - top);
            } else {
                for (int k = 0; k < 4; k++) {
                    int x = t.x0 + (k & 1), y = t.y0 + (k >> 1);
                    double weight = tap_weight(t, k);
                    if (weight != 0)
                        sum += weight * (inside(w, x, y) ? in[(size_t)y * w->in_w + x] : w->fill);
                }
            }
            out[(size_t)v * w->out_w + u] = (float)sum;
        }
}

void warp_backward(const struct warp *w, const float *grad_out, float *grad_in)
{
    memset(grad_in, 0, (size_t)w->in_h * w->in_w * sizeof *grad_in);
    for (int v = 0; v < w->out_h; v++)
        for (int u = 0; u < w->out_w; u++) {
            struct taps t = taps_at(w, u, v);
            double g = grad_out[(size_t)v * w->out_w + u];
            if (all_inside(w, t)) {
                float *p = grad_in + (size_t)t.y0 * w->in_w + t.x0;
                double gt = g * (1 - t.wy), gb = g * t.wy;
                p[0] += (float)(gt * (1 - t.wx)), p[1] += (float)(gt * t.wx);
                p[w->in_w] += (float)(gb * (1 - t.wx)), p[w->in_w + 1] += (float)(gb * t.wx);
                continue;
            }
            for (int k = 0; k < 4; k++) {
                int x = t.x0 + (k & 1), y = t.y0 + (k >> 1);
                double weight = tap_weight(t, k);
                if (weight != 0 && inside(w, x, y))
                    grad_in[(size_t)y * w->in_w + x] += (float)(weight * g);
            }
        }
}
