/* explain.c - the attribution subcommands' shared driver: options, model,
 * per-image loop, and the files and summary made from a map. */
#include "explain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "classify.h"
#include "error.h"
#include "fsutil.h"
#include "layers.h"
#include "png.h"
#include "rawfile.h"

enum {
    OPT_CMAP = OPT_FIRST_COMMAND_OPTION, OPT_ALPHA, OPT_CLIP, OPT_RAW, OPT_JSON, OPT_LAYER
};

static const char shortopts[] = "c:o:qh";
static const struct option longopts[] = {
    MODEL_LONGOPTS,
    { "class", required_argument, NULL, 'c' },
    { "output", required_argument, NULL, 'o' },
    { "layer", required_argument, NULL, OPT_LAYER },
    { "cmap", required_argument, NULL, OPT_CMAP },
    { "alpha", required_argument, NULL, OPT_ALPHA },
    { "clip", required_argument, NULL, OPT_CLIP },
    { "raw", required_argument, NULL, OPT_RAW },
    { "json", no_argument, NULL, OPT_JSON },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { 0 },
};

static const char layer_help[] =
    "  --layer PATH       layer to explain, as PyTorch names it (features.18,\n"
    "                     layer4.1); default: the last feature map, see 'attrib layers'\n";

static const char options_help[] =
    "  -c, --class N      class to explain (default: the predicted class)\n"
    "  -o, --output DIR   where to write the files (default: .; created if missing)\n"
    "  --cmap NAME        colour map: " COLORMAP_NAMES " (default: inferno)\n"
    "  --alpha A          weight of the heatmap in the overlay, 0..1 (default: 0.5)\n"
    "  --clip PCT         draw the hottest PCT% of pixels saturated, so a few\n"
    "                     outliers do not darken the picture (default: 1; 0: none)\n"
    "  --raw FILE         also write the exact values: NumPy .npy if FILE ends in\n"
    "                     .npy, else raw little-endian float32 (one image only)\n"
    "  --json             print the JSON summary on stdout (one line per image)\n"
    "  -q, --quiet        print nothing on success\n"
    MODEL_OPTS_HELP
    "  -h, --help         show this help\n";

static void opts_init(struct explain_opts *o)
{
    memset(o, 0, sizeof *o);
    model_opts_init(&o->model);
    o->target = -1;
    o->out_dir = ".";
    o->cmap = CMAP_INFERNO;
    o->alpha = 0.5;
    o->clip = 1.0;
}

static int opts_parse(const struct method *m, struct explain_opts *o, int opt, const char *arg)
{
    int rc = model_opts_parse(&o->model, opt, arg);
    if (rc != -1)
        return rc;
    switch (opt) {
    case 'c':
        return parse_long(arg, 0, CARD_MAX_LABELS - 1, "--class", &o->target);
    case 'o':
        o->out_dir = arg;
        return EXIT_OK;
    case OPT_LAYER:
        if (!m->uses_layer)
            return fail(EXIT_USAGE, "--layer is not an option of %s", m->name);
        o->layer = arg;
        return EXIT_OK;
    case OPT_CMAP:
        if (colormap_from_name(arg, &o->cmap))
            return fail(EXIT_USAGE, "--cmap: '%s' is not one of: %s", arg, COLORMAP_NAMES);
        return EXIT_OK;
    case OPT_ALPHA:
        return parse_double(arg, 0, 1, "--alpha", &o->alpha);
    case OPT_CLIP:
        return parse_double(arg, 0, 50, "--clip", &o->clip);
    case OPT_RAW:
        o->raw = arg;
        return EXIT_OK;
    case OPT_JSON:
        o->json = 1;
        return EXIT_OK;
    case 'q':
        o->quiet = 1;
        return EXIT_OK;
    default:
        return -1;
    }
}

int explain_shim_error(struct explain_run *run, attrib_status st)
{
    if (st == ATTRIB_E_ARG && run->opts.target >= 0 && strstr(attrib_last_error(), "class "))
        return fail(EXIT_USAGE, "--class: %s", attrib_last_error());
    return model_error(st, run->model.path);
}

/* The class scores the summary reports, from the result's first row. */
static void set_scores(const struct model *m, const attrib_result *res, struct summary *s)
{
    static char buf[SUMMARY_TOP + 1][32];
    const float *logits = attrib_result_logits(res, NULL, NULL);
    long target = attrib_result_targets(res)[0];
    int n = m->classes, idx[SUMMARY_TOP];
    float *probs = malloc((size_t)n * sizeof *probs);
    if (probs)
        softmax(logits, n, probs);
    s->ntop = top_k(logits, n, SUMMARY_TOP, idx);
    for (int i = 0; i < s->ntop; i++)
        s->top[i] = (struct class_score){ idx[i], card_label(&m->card, idx[i], buf[i], 32),
                                          logits[idx[i]], probs ? probs[idx[i]] : 0 };
    s->target = (struct class_score){ target, card_label(&m->card, target, buf[SUMMARY_TOP], 32),
                                      logits[target], probs ? probs[target] : 0 };
    free(probs);
}

static int add_output(struct summary *s, const char *kind, const char *dir, const char *stem,
                      const char *suffix, char *path, size_t size)
{
    char name[PATH_MAX];
    snprintf(name, sizeof name, "%s.%s%s", stem, s->method, suffix);
    int rc = path_join(path, size, dir, name);
    if (rc == EXIT_OK)
        s->outputs[s->noutputs++] = (struct output_file){ kind, path };
    return rc;
}

static int write_pictures(const struct explain_opts *o, const struct image *img,
                          const struct attribution *a, struct summary *s, const char *heat,
                          const char *rgb, const char *overlay)
{
    float lo = s->display_lo, hi = s->display_hi;
    size_t big = (size_t)img->width * img->height * 3;
    size_t small = (size_t)s->map_w * s->map_h * 3;
    unsigned char *px = malloc(big > small ? big : small);
    if (!px)
        return fail(EXIT_INTERNAL, "out of memory");
    heatmap_render(a->map, s->map_w, s->map_h, lo, hi, o->cmap, px);
    int rc = png_write(heat, s->map_w, s->map_h, 3, px);
    if (rc == EXIT_OK && rgb) {
        heatmap_render_gradient(a->chw, s->map_h, s->map_w, px);
        rc = png_write(rgb, s->map_w, s->map_h, 3, px);
    }
    if (rc == EXIT_OK)
        rc = heatmap_overlay(img, s->region, a->map, s->map_w, s->map_h, lo, hi, o->cmap,
                             (float)o->alpha, px);
    if (rc == EXIT_OK)
        rc = png_write(overlay, img->width, img->height, 3, px);
    free(px);
    return rc;
}

static void print_text(const struct summary *s)
{
    printf("%s: %s %ld \"%s\" (p=%.4f, score %.4g)\n", s->image,
           s->target_was_predicted ? "predicted" : "class", s->target.index, s->target.label,
           s->target.probability, s->target.score);
    if (s->layer)
        printf("  layer %s [%d, %d, %d]\n", s->layer, s->layer_shape[0], s->layer_shape[1],
               s->layer_shape[2]);
    printf("  %s map %dx%d: min %.4g, max %.4g, mean %.4g; hottest %g%% centred at "
           "(%.1f, %.1f), box %dx%d at (%d, %d)\n",
           s->method, s->map_w, s->map_h, s->stats.min, s->stats.max, s->stats.mean,
           HEATMAP_TOP_FRACTION * 100, s->stats.com_x, s->stats.com_y, s->stats.top_box.width,
           s->stats.top_box.height, s->stats.top_box.x, s->stats.top_box.y);
    for (int i = 0; i < s->noutputs; i++)
        printf("  wrote %s\n", s->outputs[i].path);
}

static int write_summary(const struct explain_opts *o, struct summary *s, const char *path)
{
    cJSON *j = summary_json(s);
    char *pretty = j ? cJSON_Print(j) : NULL;
    char *line = j && o->json ? cJSON_PrintUnformatted(j) : NULL;
    int rc = EXIT_OK;
    if (!pretty || (o->json && !line))
        rc = fail(EXIT_INTERNAL, "out of memory");
    if (rc == EXIT_OK) {
        size_t n = strlen(pretty);
        pretty[n] = '\n'; /* replaces the NUL: the file ends in a newline */
        rc = write_file_atomic(path, pretty, n + 1);
    }
    if (rc == EXIT_OK) {
        if (o->json)
            puts(line);
        else if (!o->quiet)
            print_text(s);
    }
    cJSON_free(pretty);
    cJSON_free(line);
    cJSON_Delete(j);
    return rc;
}

/* Statistics, pictures, the raw file and the summary of one image. */
static int write_outputs(const struct explain_opts *o, const struct image *img,
                         const struct attribution *a, struct summary *s)
{
    static char heat[PATH_MAX], rgb[PATH_MAX], overlay[PATH_MAX], json[PATH_MAX];
    char stem[256];
    path_stem(s->image, stem, sizeof stem);
    size_t n = (size_t)s->map_w * s->map_h;
    int rc = heatmap_stats(a->map, s->map_w, s->map_h, HEATMAP_TOP_FRACTION, &s->stats);
    if (rc)
        return rc;
    if (s->stats.nonfinite)
        return fail(EXIT_MODEL, "%s: the %s map has %zu NaN or infinite values; nothing written",
                    s->image, s->method, s->stats.nonfinite);
    s->clip = o->clip;
    s->display_lo = s->stats.min;
    rc = heatmap_percentile(a->map, n, 100.0 - o->clip, &s->display_hi);
    s->noutputs = 0;
    if (rc == EXIT_OK)
        rc = add_output(s, "heatmap", o->out_dir, stem, ".png", heat, sizeof heat);
    if (rc == EXIT_OK && a->has_chw)
        rc = add_output(s, "rgb", o->out_dir, stem, ".rgb.png", rgb, sizeof rgb);
    if (rc == EXIT_OK)
        rc = add_output(s, "overlay", o->out_dir, stem, ".overlay.png", overlay, sizeof overlay);
    if (rc == EXIT_OK)
        rc = add_output(s, "summary", o->out_dir, stem, ".json", json, sizeof json);
    if (rc == EXIT_OK)
        rc = write_pictures(o, img, a, s, heat, a->has_chw ? rgb : NULL, overlay);
    if (rc == EXIT_OK && o->raw) {
        size_t dims[3] = { 3, (size_t)s->map_h, (size_t)s->map_w };
        rc = a->has_chw ? raw_write(o->raw, a->chw, dims, 3) : raw_write(o->raw, a->map, dims + 1, 2);
        s->outputs[s->noutputs++] = (struct output_file){ "raw", o->raw };
    }
    if (rc == EXIT_OK)
        rc = write_summary(o, s, json);
    return rc;
}

static int explain_one(void *ctx, const char *path)
{
    struct explain_run *run = ctx;
    struct model *m = &run->model;
    const int in_w = m->card.input_w, in_h = m->card.input_h;
    const size_t plane = (size_t)in_w * in_h;
    struct image img = { 0 };
    struct summary s = {
        .method = run->method->name, .image = path, .threads = attrib_runtime_threads(),
        .load_ms = m->load_ms, .map_w = in_w, .map_h = in_h,
        .target_was_predicted = run->opts.target < 0,
        .resize = run->opts.model.resize == RESIZE_CROP ? "crop" : "stretch",
    };
    struct attribution a = { .map = malloc(plane * sizeof(float)),
                             .chw = malloc(3 * plane * sizeof(float)) };
    float *x = malloc(3 * plane * sizeof *x);
    int rc = x && a.map && a.chw ? image_load(path, &img) : fail(EXIT_INTERNAL, "out of memory");
    if (rc == EXIT_OK) {
        s.image_w = img.width;
        s.image_h = img.height;
        rc = model_input(m, run->opts.model.resize, &img, &s.region, x);
    }
    if (rc == EXIT_OK)
        rc = run->method->compute(run, x, &a, &s);
    if (rc == EXIT_OK)
        rc = model_check_logits(m, a.res, 1);
    if (rc == EXIT_OK) {
        s.model = model_info(m);
        set_scores(m, a.res, &s);
        s.total_ms = now_ms() - run->t_start;
        rc = write_outputs(&run->opts, &img, &a, &s);
    }
    attrib_result_free(a.res);
    free(a.cam);
    free(a.chw);
    free(a.map);
    free(x);
    image_free(&img);
    return rc;
}

/* --layer, checked against the model, or the default Grad-CAM layer. */
static int choose_layer(struct explain_run *run)
{
    struct layer_list layers;
    int rc = model_layers(&run->model, &layers);
    if (rc)
        return rc;
    long i = run->opts.layer ? layer_find(&layers, run->opts.layer) : layer_default_cam(&layers);
    char names[1024];
    layer_names_4d(&layers, 2, names, sizeof names);
    if (i < 0 && run->opts.layer)
        rc = fail(EXIT_USAGE, "unknown layer '%s'; feature maps of this model: %s "
                  "('attrib layers' lists all)", run->opts.layer, names);
    else if (i < 0)
        rc = fail(EXIT_MODEL, "'%s' has no 4-D feature map [N, C, H, W] to explain a layer of",
                  run->model.path);
    else if (layers.items[i].ndim != 4)
        rc = fail(EXIT_USAGE, "layer '%s' outputs a %d-D tensor, not a feature map [N, C, H, W]; "
                  "feature maps of this model: %s", run->opts.layer, layers.items[i].ndim, names);
    else if (!(run->layer = strdup(layers.items[i].path)))
        rc = fail(EXIT_INTERNAL, "out of memory");
    layer_list_free(&layers);
    return rc;
}

static void help(const struct method *m)
{
    fputs(m->usage, stdout);
    fputs("\nOptions:\n", stdout);
    if (m->uses_layer)
        fputs(layer_help, stdout);
    fputs(options_help, stdout);
    fputc('\n', stdout);
    fputs(exit_codes_help, stdout);
}

int explain_main(const struct method *m, int argc, char **argv)
{
    struct explain_run run = { .method = m, .t_start = now_ms() };
    opts_init(&run.opts);
    int opt;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        if (opt == 'h') {
            help(m);
            return EXIT_OK;
        }
        int rc = opts_parse(m, &run.opts, opt, optarg);
        if (rc == -1)
            return bad_option(argc, argv);
        if (rc)
            return rc;
    }
    int nimages = argc - optind;
    if (nimages < 1)
        return fail(EXIT_USAGE, "no image given (usage: attrib %s IMAGE... [--class N])", m->name);
    if (run.opts.raw && nimages > 1)
        return fail(EXIT_USAGE, "--raw takes one image; %d were given", nimages);

    int rc = make_dirs(run.opts.out_dir);
    if (rc)
        return rc;
    rc = model_open(&run.opts.model, &run.model);
    if (rc == EXIT_OK && m->uses_layer)
        rc = choose_layer(&run);
    if (rc == EXIT_OK)
        rc = for_each_image(m->name, argv + optind, nimages, explain_one, &run);
    free((char *)run.layer);
    model_close(&run.model);
    return rc;
}
