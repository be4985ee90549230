/* floor.c - the floor of the benchmark: one pass of a method through
 * libtorch, timed inside a warm process (no start-up, no image I/O, no PNG).
 * Usage: bench_floor MODEL IMAGE METHOD [THREADS] [REPS]
 *        METHOD: saliency | gradcam | guided; prints the median ms/pass. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attrib/shim.h"
#include "cli.h"
#include "error.h"
#include "image.h"
#include "layers.h"
#include "model.h"

static int by_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: bench_floor MODEL IMAGE saliency|gradcam|guided [THREADS] [REPS]\n");
        return 2;
    }
    struct model_opts o;
    model_opts_init(&o);
    o.model_path = argv[1];
    o.threads = argc > 4 ? atoi(argv[4]) : 0;
    int reps = argc > 5 ? atoi(argv[5]) : 20;
    struct model m;
    struct image img = { 0 };
    struct rect region;
    struct layer_list layers = { 0 };
    int rc = model_open(&o, &m);
    float *x = malloc((size_t)3 * m.card.input_w * m.card.input_h * sizeof *x);
    if (rc == EXIT_OK)
        rc = image_load(argv[2], &img);
    if (rc == EXIT_OK)
        rc = model_input(&m, RESIZE_STRETCH, &img, &region, x);
    if (rc == EXIT_OK && strcmp(argv[3], "gradcam") == 0)
        rc = model_layers(&m, &layers);
    if (rc) {
        fprintf(stderr, "bench_floor: %s\n", error_message());
        return rc;
    }
    long def = strcmp(argv[3], "gradcam") == 0 ? layer_default_cam(&layers, m.card.input_h, m.card.input_w) : -1;
    const int64_t shape[4] = { 1, 3, m.card.input_h, m.card.input_w }, target = -1;
    double *ms = malloc((size_t)(reps + 3) * sizeof *ms);
    for (int i = 0; i < reps + 3; i++) { /* 3 warm-up passes */
        attrib_result *res = NULL;
        double t0 = now_ms();
        attrib_status st =
            strcmp(argv[3], "saliency") == 0 ? attrib_input_gradient(m.handle, x, shape, &target, &res)
            : strcmp(argv[3], "gradcam") == 0
                ? attrib_layer_gradient(m.handle, x, shape, &target, layers.items[def].path, NULL, &res)
                : attrib_modified_gradient(m.handle, ATTRIB_GUIDED, x, shape, &target, &res);
        ms[i] = now_ms() - t0;
        attrib_result_free(res);
        if (st != ATTRIB_OK) {
            fprintf(stderr, "bench_floor: %s\n", attrib_last_error());
            return 3;
        }
    }
    qsort(ms + 3, (size_t)reps, sizeof *ms, by_double);
    printf("%.2f\n", ms[3 + reps / 2]);
    free(ms);
    free(x);
    image_free(&img);
    layer_list_free(&layers);
    model_close(&m);
    return 0;
}
