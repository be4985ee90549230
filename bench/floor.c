/* floor.c - the floor of the benchmark: one pass of a method through
 * libtorch, timed inside a warm process (no start-up, no image I/O, no PNG).
 * Usage: bench_floor MODEL IMAGE METHOD [THREADS] [REPS] [BATCH]
 *        METHOD: forward | saliency | gradcam | guided; BATCH copies of the
 *        image go through in one pass; prints the median ms per image. */
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
        fprintf(stderr, "usage: bench_floor MODEL IMAGE forward|saliency|gradcam|guided [THREADS] [REPS] [BATCH]\n");
        return 2;
    }
    struct model_opts o;
    model_opts_init(&o);
    o.model_path = argv[1];
    o.threads = argc > 4 ? atoi(argv[4]) : 0;
    int reps = argc > 5 ? atoi(argv[5]) : 20;
    int batch = argc > 6 ? atoi(argv[6]) : 1;
    if (reps < 1 || batch < 1) {
        fprintf(stderr, "bench_floor: REPS and BATCH must be positive\n");
        return 2;
    }
    struct model m;
    struct image img = { 0 };
    struct rect region;
    struct layer_list layers = { 0 };
    int rc = model_open(&o, &m);
    size_t plane = (size_t)3 * m.card.input_w * m.card.input_h;
    float *x = malloc(plane * (size_t)batch * sizeof *x);
    int64_t *targets = malloc((size_t)batch * sizeof *targets);
    if (rc == EXIT_OK)
        rc = image_load(argv[2], &img);
    if (rc == EXIT_OK)
        rc = model_input(&m, RESIZE_STRETCH, &img, &region, x);
    if (rc == EXIT_OK && strcmp(argv[3], "gradcam") == 0)
        rc = model_layers(&m, &layers);
    for (int i = 1; rc == EXIT_OK && i < batch; i++)
        memcpy(x + plane * (size_t)i, x, plane * sizeof *x);
    for (int i = 0; i < batch; i++)
        targets[i] = -1;
    if (rc) {
        fprintf(stderr, "bench_floor: %s\n", error_message());
        return rc;
    }
    long def = strcmp(argv[3], "gradcam") == 0 ? layer_default_cam(&layers, m.card.input_h, m.card.input_w) : -1;
    const int64_t shape[4] = { batch, 3, m.card.input_h, m.card.input_w };
    const char *method = argv[3];
    attrib_backward_params guided = attrib_backward_default_params(); /* ATTRIB_GUIDED */
    double *ms = malloc((size_t)(reps + 3) * sizeof *ms);
    for (int i = 0; i < reps + 3; i++) { /* 3 warm-up passes */
        attrib_result *res = NULL;
        double t0 = now_ms();
        attrib_status st =
            strcmp(method, "forward") == 0 ? attrib_forward(m.handle, x, shape, &res)
            : strcmp(method, "saliency") == 0 ? attrib_input_gradient(m.handle, x, shape, targets, &res)
            : strcmp(method, "gradcam") == 0
                ? attrib_layer_gradient(m.handle, x, shape, targets, layers.items[def].path, NULL, &res)
                : attrib_modified_gradient(m.handle, &guided, x, shape, targets, &res);
        ms[i] = (now_ms() - t0) / batch;
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
    free(targets);
    image_free(&img);
    layer_list_free(&layers);
    model_close(&m);
    return 0;
}
