/* attribution.c - an image's attribution and a batch's buffers. */
#include "attribution.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"

void attribution_reset(struct attribution *a)
{
    free(a->cam);
    free(a->segments);
    *a = (struct attribution){ .map = a->map, .chw = a->chw };
}

int attributions_alloc(float **x, struct attribution *a, int size, size_t plane)
{
    memset(a, 0, (size_t)size * sizeof *a);
    *x = malloc((size_t)size * 3 * plane * sizeof(float));
    int ok = *x != NULL;
    for (int i = 0; ok && i < size; i++) {
        a[i].map = malloc(plane * sizeof(float));
        a[i].chw = malloc(3 * plane * sizeof(float));
        ok = a[i].map && a[i].chw;
    }
    return ok ? EXIT_OK : fail(EXIT_INTERNAL, "out of memory for a batch of %d", size);
}

void attributions_free(float *x, struct attribution *a, int size)
{
    for (int i = 0; i < size; i++) {
        attribution_reset(&a[i]);
        free(a[i].map);
        free(a[i].chw);
    }
    free(x);
}
