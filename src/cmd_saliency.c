/* cmd_saliency.c - `attrib saliency`: Simonyan et al. 2014, "Deep Inside
 * Convolutional Networks": |d score_c / d input|, max over colour channels. */
#include <stdio.h>
#include <stdlib.h>

#include "batch.h"
#include "commands.h"
#include "error.h"
#include "explain.h"
#include "fsutil.h"

static const char usage[] =
    "usage: attrib saliency IMAGE... [--class N] [-o DIR] [options]\n\n"
    "Gradient of the class's unnormalised score with respect to the input pixels,\n"
    "absolute value, maximum over the colour channels: an HxW map at the model's\n"
    "input size. Writes NAME.saliency.png (heatmap), NAME.saliency.overlay.png\n"
    "(over the original, at its size) and NAME.saliency.json (summary).\n\n"
    "Options:\n" EXPLAIN_OPTS_HELP "\n";

struct saliency_run {
    struct model *m;
    const struct explain_opts *o;
    double t_start;
};

static int saliency_one(void *ctx, const char *path)
{
    const struct saliency_run *run = ctx;
    struct model *m = run->m;
    const struct explain_opts *o = run->o;
    const int in_w = m->card.input_w, in_h = m->card.input_h;
    struct image img = { 0 };
    struct summary s = { .method = "saliency", .image = path, .threads = attrib_runtime_threads(),
                         .load_ms = m->load_ms, .map_w = in_w, .map_h = in_h,
                         .target_was_predicted = o->target < 0,
                         .resize = o->model.resize == RESIZE_CROP ? "crop" : "stretch" };
    float *x = malloc((size_t)3 * in_w * in_h * sizeof *x);
    float *map = malloc((size_t)in_w * in_h * sizeof *map);
    attrib_result *res = NULL;
    int rc = x && map ? image_load(path, &img) : fail(EXIT_INTERNAL, "out of memory");
    if (rc == EXIT_OK) {
        s.image_w = img.width;
        s.image_h = img.height;
        rc = model_input(m, o->model.resize, &img, &s.region, x);
    }
    if (rc == EXIT_OK) {
        const int64_t shape[4] = { 1, 3, in_h, in_w };
        const int64_t target = o->target;
        double t0 = now_ms();
        attrib_status st = attrib_input_gradient(m->handle, x, shape, &target, &res);
        s.pass_ms = now_ms() - t0;
        if (st == ATTRIB_E_ARG)
            rc = fail(EXIT_USAGE, "--class: %s", attrib_last_error());
        else if (st != ATTRIB_OK)
            rc = model_error(st, m->path);
        else
            rc = model_check_logits(m, res, 1);
    }
    if (rc == EXIT_OK) {
        int64_t gshape[4];
        const float *grad = attrib_result_input_grad(res, gshape);
        heatmap_abs_channel_max(grad, 3, in_h, in_w, map);
        s.model = model_info(m);
        explain_scores(m, attrib_result_logits(res, NULL, NULL), attrib_result_targets(res)[0], &s);
        s.total_ms = now_ms() - run->t_start;
        rc = explain_outputs(o, &img, map, &s);
    }
    attrib_result_free(res);
    image_free(&img);
    free(map);
    free(x);
    return rc;
}

int cmd_saliency(int argc, char **argv)
{
    static const struct option longopts[] = { EXPLAIN_LONGOPTS, { 0 } };
    struct explain_opts o;
    explain_opts_init(&o);
    double t_start = now_ms();
    int opt;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, EXPLAIN_SHORTOPTS, longopts, NULL)) != -1) {
        if (opt == 'h') {
            fputs(usage, stdout);
            fputs(exit_codes_help, stdout);
            return EXIT_OK;
        }
        int rc = explain_opts_parse(&o, opt, optarg);
        if (rc == -1)
            return bad_option(argc, argv);
        if (rc)
            return rc;
    }
    int nimages = argc - optind;
    if (nimages < 1)
        return fail(EXIT_USAGE, "no image given (usage: attrib saliency IMAGE... [--class N])");
    if (o.raw && nimages > 1)
        return fail(EXIT_USAGE, "--raw takes one image; %d were given", nimages);

    int rc = make_dirs(o.out_dir);
    if (rc)
        return rc;
    struct model m;
    rc = model_open(&o.model, &m);
    if (rc) {
        model_close(&m);
        return rc;
    }
    struct saliency_run run = { &m, &o, t_start };
    rc = for_each_image("saliency", argv + optind, argc - optind, saliency_one, &run);
    model_close(&m);
    return rc;
}
