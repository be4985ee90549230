/* layers.c - choosing among a model's layers. */
#include "layers.h"

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
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i].path, path) == 0)
            return (long)i;
    return -1;
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

static int is_feature_map(const struct layer_info *e)
{
    return e->ndim == 4 && e->shape[2] * e->shape[3] > 1 && !is_average_pool(e->op);
}

long layer_default_cam(const struct layer_list *l)
{
    long value = -1;
    for (size_t i = 0; i < l->n; i++)
        if (is_feature_map(&l->items[i]) && l->items[i].value_id > value)
            value = l->items[i].value_id;
    if (value < 0)
        return -1;
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
