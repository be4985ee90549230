/* layers.c - choosing among a model's layers. */
#include "layers.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void layer_list_free(struct layer_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i].path);
        free(l->items[i].op);
    }
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

long layer_find(const struct layer_list *l, const char *path)
{
    long found = -1;
    for (size_t i = 0; i < l->n; i++)  /* a module called twice: its last call, */
        if (strcmp(l->items[i].path, path) == 0) /* the one the shim taps */
            found = (long)i;
    return found;
}

int layer_depth(const char *path)
{
    int d = 1;
    for (; *path; path++)
        d += *path == '.';
    return d;
}

static int is_average_pool(const char *op)
{
    return strcmp(op, "adaptive_avg_pool2d") == 0 || strcmp(op, "avg_pool2d") == 0 ||
           strcmp(op, "adaptive_max_pool2d") == 0 || strcmp(op, "mean") == 0;
}

/* An h x w grid of the input_h x input_w input with one integer stride. */
static int is_grid(int64_t h, int64_t w, int input_h, int input_w)
{
    return h > 0 && w > 0 && h * w > 1 && input_h % h == 0 && input_w % w == 0 &&
           input_h / h == input_w / w;
}

/* Whether an h x w map has roughly the input's aspect ratio. */
static int has_aspect(int64_t h, int64_t w, int input_h, int input_w)
{
    if (h < 1 || w < 1)
        return 0;
    double a = (double)w / (double)h, want = (double)input_w / input_h;
    return a < want * 1.5 && a > want / 1.5;
}

int layer_view(const struct layer_info *e, int input_h, int input_w, attrib_layer_view *view)
{
    const int64_t *s = e->shape;
    *view = (attrib_layer_view){ .layout = ATTRIB_LAYOUT_NCHW };
    if (e->ndim == 4) {
        if (s[2] * s[3] > 1 && !is_average_pool(e->op) &&
            (has_aspect(s[2], s[3], input_h, input_w) ||
             !has_aspect(s[1], s[2], input_h, input_w)))
            return 1;
        if (is_grid(s[1], s[2], input_h, input_w)) {
            view->layout = ATTRIB_LAYOUT_NHWC;
            return 1;
        }
        return 0;
    }
    return e->ndim == 3 && token_grid(s[1], input_h, input_w, view);
}

int token_grid(int64_t tokens, int input_h, int input_w, attrib_layer_view *view)
{
    for (int64_t k = 0; k <= LAYER_MAX_EXTRA_TOKENS && tokens - k > 1; k++) {
        int64_t n = tokens - k;
        for (int64_t h = 1; h <= n; h++)
            if (n % h == 0 && is_grid(h, n / h, input_h, input_w)) {
                *view = (attrib_layer_view){ ATTRIB_LAYOUT_TOKENS, k, h, n / h };
                return 1;
            }
    }
    return 0;
}

/* The last 4-D map in graph order; of the modules returning it, the
 * shallowest at least two levels deep. */
static long default_cnn(const struct layer_list *l, long value)
{
    long best = -1;
    for (size_t i = 0; i < l->n; i++) {
        const struct layer_info *e = &l->items[i];
        if (e->value_id != value)
            continue;
        int d = layer_depth(e->path);
        if (best < 0) {
            best = (long)i;
            continue;
        }
        int bd = layer_depth(l->items[best].path);
        /* Prefer depth >= 2, then the shallowest. */
        if ((bd < 2 && d >= 2) || ((bd >= 2) == (d >= 2) && d < bd))
            best = (long)i;
    }
    return best;
}

/* The length of path's parent ("a.b.ln_1" -> 3), 0 at the top. */
static size_t parent_length(const char *path)
{
    const char *dot = strrchr(path, '.');
    return dot ? (size_t)(dot - path) : 0;
}

/* The last block's first LayerNorm over tokens (see layers.h), else the
 * last token layer. */
static long default_transformer(const struct layer_list *l, int input_h, int input_w)
{
    long last_token = -1, block_norm = -1;
    attrib_layer_view v;
    for (size_t i = 0; i < l->n; i++) {
        const struct layer_info *e = &l->items[i];
        if (!layer_view(e, input_h, input_w, &v) || v.layout != ATTRIB_LAYOUT_TOKENS)
            continue;
        if (last_token < 0 || e->value_id >= l->items[last_token].value_id)
            last_token = (long)i;
        size_t p = parent_length(e->path);
        if (strcmp(e->op, "layer_norm") == 0 && p > 0 && isdigit((unsigned char)e->path[p - 1]))
            block_norm = (long)i;
    }
    if (block_norm < 0)
        return last_token;
    const char *block = l->items[block_norm].path;
    size_t p = parent_length(block);
    for (size_t i = 0; i < l->n; i++) { /* the block's first LayerNorm */
        const struct layer_info *e = &l->items[i];
        if (strcmp(e->op, "layer_norm") == 0 && parent_length(e->path) == p &&
            strncmp(e->path, block, p) == 0 && e->ndim == 3)
            return (long)i;
    }
    return block_norm;
}

long layer_default_cam(const struct layer_list *l, int input_h, int input_w)
{
    return layer_default_cam_before(l, input_h, input_w, -1);
}

long layer_default_cam_before(const struct layer_list *l, int input_h, int input_w,
                              int64_t output)
{
    long last = -1;
    attrib_layer_view v, last_view = { 0 };
    for (size_t i = 0; i < l->n; i++)
        if (l->items[i].value_id != output && layer_view(&l->items[i], input_h, input_w, &v) &&
            (last < 0 || l->items[i].value_id > l->items[last].value_id))
            last = (long)i, last_view = v;
    if (last < 0)
        return -1;
    if (last_view.layout == ATTRIB_LAYOUT_TOKENS)
        return default_transformer(l, input_h, input_w);
    return default_cnn(l, l->items[last].value_id);
}

const char *shape_text(const struct layer_info *e)
{
    static char buf[LAYER_MAX_DIMS * 24 + 4];
    size_t used = (size_t)snprintf(buf, sizeof buf, "[");
    for (int d = 0; d < e->ndim && used < sizeof buf; d++)
        used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%lld", d ? ", " : "",
                                 (long long)e->shape[d]);
    if (used < sizeof buf)
        snprintf(buf + used, sizeof buf - used, "]");
    return buf;
}

void layer_names_4d(const struct layer_list *l, int max_depth, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < l->n; i++) {
        const struct layer_info *e = &l->items[i];
        if (e->ndim != 4 || layer_depth(e->path) > max_depth)
            continue;
        int n = snprintf(buf + used, size - used, "%s%s", used ? ", " : "", e->path);
        if (n < 0 || (size_t)n >= size - used) {
            if (size > 4)
                strcpy(buf + size - 4, "...");
            return;
        }
        used += (size_t)n;
    }
}
