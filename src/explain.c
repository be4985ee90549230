/* explain.c - the attribution subcommands' shared driver: options, model,
 * per-image loop, and the files and summary made from a map. */
#include "explain.h"

#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "error.h"
#include "fsutil.h"
#include "inputs.h"
#include "progress.h"
#include "report.h"
#include "layers.h"
#include "png.h"
#include "rawfile.h"

enum {
    OPT_CMAP = OPT_FIRST_COMMAND_OPTION, OPT_ALPHA, OPT_CLIP, OPT_RAW, OPT_JSON, OPT_LAYER,
    OPT_CLASS_FILE, OPT_SAVE_RAW, OPT_BATCH_SIZE, OPT_SHARD, OPT_NO_REPORT, OPT_SHEET
};

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

static const char shortopts[] = "c:o:rqh";
static const struct option longopts[] = {
    MODEL_LONGOPTS,
    { "class", required_argument, NULL, 'c' },
    { "class-file", required_argument, NULL, OPT_CLASS_FILE },
    { "output", required_argument, NULL, 'o' },
    { "recursive", no_argument, NULL, 'r' },
    { "batch-size", required_argument, NULL, OPT_BATCH_SIZE },
    { "shard", required_argument, NULL, OPT_SHARD },
    { "save-raw", no_argument, NULL, OPT_SAVE_RAW },
    { "no-report", no_argument, NULL, OPT_NO_REPORT },
    { "sheet", required_argument, NULL, OPT_SHEET },
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
    "  --class-file TSV   per-image classes: lines PATH<TAB>CLASS (others: --class)\n"
    "  -o, --output DIR   where to write the files (default: .; created if missing);\n"
    "                     images from a directory keep their subfolders there\n"
    "  -r, --recursive    also take images in subdirectories of directory inputs\n"
    "  --batch-size N     images per pass through the network (default: "
    STRINGIFY(DEFAULT_BATCH_SIZE) ")\n"
    "  --shard K/N        process only the K-th of N interleaved slices of the inputs\n"
    "                     (names as in a single run; merge with 'attrib merge')\n"
    "  --save-raw         also write NAME.METHOD.npy (the exact map) for every image\n"
    "  --no-report        no summary.json/.csv/index.html for a batch\n"
    "  --sheet FILE.png   also draw a contact sheet of the batch\n"
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
    o->batch_size = DEFAULT_BATCH_SIZE;
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
    case 'r':
        o->recursive = 1;
        return EXIT_OK;
    case OPT_CLASS_FILE:
        o->class_file = arg;
        return EXIT_OK;
    case OPT_BATCH_SIZE:
        return parse_long(arg, 1, MAX_BATCH_SIZE, "--batch-size", &o->batch_size);
    case OPT_SHARD:
        return parse_shard(arg, &o->shard_k, &o->shard_n);
    case OPT_SAVE_RAW:
        o->save_raw = 1;
        return EXIT_OK;
    case OPT_NO_REPORT:
        o->no_report = 1;
        return EXIT_OK;
    case OPT_SHEET:
        o->sheet = arg;
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

void batch_shape(const struct batch *b, int64_t shape[4])
{
    shape[0] = b->n, shape[1] = 3, shape[2] = b->h, shape[3] = b->w;
}

/* The class scores the summary reports, from row `row` of the result. */
static void set_scores(const struct model *m, const attrib_result *res, int row,
                       struct summary *s)
{
    static char buf[MAX_BATCH_SIZE][SUMMARY_TOP + 1][32];
    const float *logits = attrib_result_logits(res, NULL, NULL) + (size_t)row * m->classes;
    long target = attrib_result_targets(res)[row];
    int n = m->classes, idx[SUMMARY_TOP];
    float *probs = malloc((size_t)n * sizeof *probs);
    if (probs)
        softmax(logits, n, probs);
    s->ntop = top_k(logits, n, SUMMARY_TOP, idx);
    for (int i = 0; i < s->ntop; i++)
        s->top[i] = (struct class_score){ idx[i], card_label(&m->card, idx[i], buf[row][i], 32),
                                          logits[idx[i]], probs ? probs[idx[i]] : 0 };
    s->target = (struct class_score){ target,
                                      card_label(&m->card, target, buf[row][SUMMARY_TOP], 32),
                                      logits[target], probs ? probs[target] : 0 };
    free(probs);
}

static int add_output(struct summary *s, const char *kind, const char *dir, const char *stem,
                      const char *suffix, char *path, size_t size)
{
    char name[PATH_MAX];
    if (snprintf(name, sizeof name, "%s.%s%s", stem, s->method, suffix) >= (int)sizeof name)
        return fail(EXIT_OUTPUT, "output name too long for '%s'", s->image);
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
    for (int i = 0; i < s->ndetails; i++) {
        const struct detail *d = &s->details[i];
        printf(i ? ", " : "  ");
        if (d->text)
            printf("%s %s", d->key, d->text);
        else
            printf("%s %.4g", d->key, d->number);
    }
    if (s->ndetails)
        putchar('\n');
    for (int i = 0; i < s->noutputs; i++)
        printf("  wrote %s\n", s->outputs[i].path);
}

static int write_summary(const struct explain_opts *o, struct summary *s, const char *path)
{
    cJSON *j = summary_json(s);
    int rc = summary_emit(j, path, o->json);
    if (rc == EXIT_OK && !o->json && !o->quiet)
        print_text(s);
    cJSON_Delete(j);
    return rc;
}

enum { OUTPUT_PATHS = 5 };

/* Statistics, pictures, the raw files and the summary of one image, named
 * name (which may have subfolders) in the output directory. The output
 * paths are kept in paths, which must outlive s (s->outputs points there). */
static int write_outputs(const struct explain_opts *o, const struct image *img,
                         const struct attribution *a, struct summary *s, const char *name,
                         char (*paths)[PATH_MAX])
{
    char *heat = paths[0], *rgb = paths[1], *overlay = paths[2], *json = paths[3], *npy = paths[4];
    const size_t size = PATH_MAX;
    size_t n = (size_t)s->map_w * s->map_h;
    int rc = heatmap_stats(a->map, s->map_w, s->map_h, HEATMAP_TOP_FRACTION, &s->stats);
    if (rc)
        return rc;
    if (s->stats.nonfinite)
        return fail(EXIT_MODEL, "%s: the %s map has %zu NaN or infinite values; nothing written",
                    s->image, s->method, s->stats.nonfinite);
    if (s->stats.max == s->stats.min) {
        /* Nothing to show, and worth knowing: a saturated class, or a dead
         * layer, gives a zero gradient everywhere. */
        s->warning = "the map is flat (one value everywhere): the class score does not "
                     "change with the input here";
        report_warning(s->method, "%s: %s", s->image, s->warning);
    }
    const char *slash = strrchr(name, '/');
    if (slash) { /* an image from a subfolder: mirror it */
        char sub[PATH_MAX];
        if (snprintf(sub, sizeof sub, "%.*s", (int)(slash - name), name) >= (int)sizeof sub)
            return fail(EXIT_OUTPUT, "output path too long for '%s'", s->image);
        if ((rc = make_dirs_below(o->out_dir, sub)))
            return rc;
    }
    s->clip = o->clip;
    s->display_lo = s->stats.min;
    rc = heatmap_percentile(a->map, n, 100.0 - o->clip, &s->display_hi);
    s->noutputs = 0;
    if (rc == EXIT_OK)
        rc = add_output(s, "heatmap", o->out_dir, name, ".png", heat, size);
    if (rc == EXIT_OK && a->has_chw)
        rc = add_output(s, "rgb", o->out_dir, name, ".rgb.png", rgb, size);
    if (rc == EXIT_OK)
        rc = add_output(s, "overlay", o->out_dir, name, ".overlay.png", overlay, size);
    if (rc == EXIT_OK)
        rc = add_output(s, "summary", o->out_dir, name, ".json", json, size);
    if (rc == EXIT_OK)
        rc = write_pictures(o, img, a, s, heat, a->has_chw ? rgb : NULL, overlay);
    size_t dims[3] = { 3, (size_t)s->map_h, (size_t)s->map_w };
    if (rc == EXIT_OK && o->save_raw &&
        (rc = add_output(s, "raw", o->out_dir, name, ".npy", npy, size)) == EXIT_OK)
        rc = a->has_chw ? raw_write(npy, a->chw, dims, 3) : raw_write(npy, a->map, dims + 1, 2);
    if (rc == EXIT_OK && o->raw) {
        rc = a->has_chw ? raw_write(o->raw, a->chw, dims, 3) : raw_write(o->raw, a->map, dims + 1, 2);
        s->outputs[s->noutputs++] = (struct output_file){ "raw", o->raw };
    }
    if (rc == EXIT_OK)
        rc = write_summary(o, s, json);
    return rc;
}

/* Buffers of one mini-batch. */
struct batch_buffers {
    float *x;                 /* [B, 3, H, W] */
    int64_t targets[MAX_BATCH_SIZE];
    struct attribution a[MAX_BATCH_SIZE];
    struct summary s[MAX_BATCH_SIZE];
    struct image img[MAX_BATCH_SIZE];
    size_t index[MAX_BATCH_SIZE]; /* position in the input list */
    char paths[MAX_BATCH_SIZE][OUTPUT_PATHS][PATH_MAX]; /* each image's output files */
};

static int batch_alloc(struct batch_buffers *bb, int size, size_t plane)
{
    memset(bb, 0, sizeof *bb);
    bb->x = malloc((size_t)size * 3 * plane * sizeof(float));
    int ok = bb->x != NULL;
    for (int i = 0; ok && i < size; i++) {
        bb->a[i].map = malloc(plane * sizeof(float));
        bb->a[i].chw = malloc(3 * plane * sizeof(float));
        ok = bb->a[i].map && bb->a[i].chw;
    }
    return ok ? EXIT_OK : fail(EXIT_INTERNAL, "out of memory for a batch of %d", size);
}

static void batch_release(struct batch_buffers *bb, int size)
{
    for (int i = 0; i < size; i++) {
        free(bb->a[i].map);
        free(bb->a[i].chw);
        free(bb->a[i].cam);
        image_free(&bb->img[i]);
    }
    free(bb->x);
}

/* Loads and preprocesses inputs [first, first + count) into the batch;
 * images that fail are reported and left out. Returns how many are in. */
static int fill_batch(struct explain_run *run, struct input_list *in, size_t first, size_t count,
                      struct batch_buffers *bb, struct report *rep, int *worst)
{
    struct model *m = &run->model;
    const size_t plane = (size_t)m->card.input_w * m->card.input_h;
    int n = 0;
    for (size_t k = first; k < first + count; k++) {
        const struct input *it = &in->items[k];
        struct image *img = &bb->img[n];
        struct summary *s = &bb->s[n];
        image_free(img);
        free(bb->a[n].cam);
        bb->a[n] = (struct attribution){ .map = bb->a[n].map, .chw = bb->a[n].chw };
        *s = (struct summary){
            .method = run->method->name, .image = it->path, .threads = attrib_runtime_threads(),
            .load_ms = m->load_ms, .map_w = m->card.input_w, .map_h = m->card.input_h,
            .target_was_predicted = it->target < 0,
            .resize = run->opts.model.resize == RESIZE_CROP ? "crop" : "stretch",
        };
        int rc = image_load(it->path, img);
        if (rc == EXIT_OK) {
            s->image_w = img->width;
            s->image_h = img->height;
            rc = model_input(m, run->opts.model.resize, img, &s->region, bb->x + (size_t)n * 3 * plane);
        }
        if (rc == EXIT_INPUT) { /* this image only */
            report_error(run->method->name, error_message());
            if (rep->root)
                report_add_failure(rep, it->index, it->path, it->name, error_message());
            clear_error();
            *worst = EXIT_INPUT;
            continue;
        }
        if (rc)
            return -rc;
        bb->targets[n] = it->target;
        bb->index[n] = k;
        n++;
    }
    return n;
}

static int explain_batch(struct explain_run *run, struct input_list *in, struct batch_buffers *bb,
                         int n, struct report *rep)
{
    struct model *m = &run->model;
    struct batch b = { .n = n, .h = m->card.input_h, .w = m->card.input_w, .x = bb->x,
                       .targets = bb->targets, .a = bb->a, .s = bb->s };
    double t0 = now_ms();
    int rc = run->method->compute(run, &b);
    double per_image = (now_ms() - t0) / n;
    if (rc == EXIT_OK)
        rc = model_check_logits(m, b.res, n);
    for (int i = 0; rc == EXIT_OK && i < n; i++) {
        struct summary *s = &bb->s[i];
        s->pass_ms = per_image;
        s->model = model_info(m);
        set_scores(m, b.res, i, s);
        s->total_ms = now_ms() - run->t_start;
        const char *name = in->items[bb->index[i]].name;
        rc = write_outputs(&run->opts, &bb->img[i], &bb->a[i], s, name, bb->paths[i]);
        if (rc == EXIT_OK && rep->root)
            rc = report_add(rep, in->items[bb->index[i]].index, name, s, run->opts.out_dir);
    }
    attrib_result_free(b.res);
    return rc;
}

/* Every input, batch by batch; the run report if one is wanted. */
static int explain_all(struct explain_run *run, struct input_list *in, struct report *rep)
{
    struct model *m = &run->model;
    const size_t plane = (size_t)m->card.input_w * m->card.input_h;
    int size = (int)run->opts.batch_size, worst = EXIT_OK;
    struct batch_buffers *bb = malloc(sizeof *bb);
    int rc = bb ? batch_alloc(bb, size, plane) : fail(EXIT_INTERNAL, "out of memory");
    struct progress bar;
    progress_start(&bar, run->method->name, (int)in->n, run->opts.quiet || run->opts.json ||
                                                         in->n < 2);
    for (size_t first = 0; rc == EXIT_OK && first < in->n; first += (size_t)size) {
        size_t count = in->n - first < (size_t)size ? in->n - first : (size_t)size;
        int n = fill_batch(run, in, first, count, bb, rep, &worst);
        if (n < 0)
            rc = -n;
        else if (n > 0)
            rc = explain_batch(run, in, bb, n, rep);
        progress_update(&bar, (int)(first + count), NULL);
    }
    progress_end(&bar);
    if (bb)
        batch_release(bb, size);
    free(bb);
    return rc ? rc : worst;
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
    if (m->options_help)
        fputs(m->options_help, stdout);
    if (m->uses_layer)
        fputs(layer_help, stdout);
    fputs(options_help, stdout);
    fputc('\n', stdout);
    fputs(exit_codes_help, stdout);
}

/* Inputs from the arguments: expanded, named, classed and sharded. */
static int collect(struct explain_run *run, char **args, int nargs, struct input_list *in,
                   int *batch_mode)
{
    const struct explain_opts *o = &run->opts;
    int rc = inputs_collect(args, nargs, o->recursive, in);
    if (rc)
        return rc;
    *batch_mode = in->n > 1;
    for (int i = 0; i < nargs; i++) {
        struct stat st;
        if (strcmp(args[i], "-") == 0 || (stat(args[i], &st) == 0 && S_ISDIR(st.st_mode)))
            *batch_mode = 1;
    }
    if (o->raw && (in->n > 1 || *batch_mode))
        return fail(EXIT_USAGE, "--raw takes one image; use --save-raw for many");
    if (o->class_file)
        rc = inputs_read_classes(in, o->class_file, o->target, CARD_MAX_LABELS - 1);
    else
        for (size_t i = 0; i < in->n; i++)
            in->items[i].target = o->target;
    if (rc == EXIT_OK && o->shard_n)
        inputs_shard(in, o->shard_k, o->shard_n);
    return rc;
}

static int finish_report(struct explain_run *run, struct report *rep)
{
    char base[64] = "summary";
    if (run->opts.shard_n)
        snprintf(base, sizeof base, "summary.shard-%ld-of-%ld", run->opts.shard_k,
                 run->opts.shard_n);
    int rc = report_write(rep, run->opts.out_dir, base);
    if (rc == EXIT_OK && run->opts.sheet)
        rc = report_write_sheet(rep->root, run->opts.out_dir, run->opts.sheet);
    return rc;
}

int explain_run_open(struct explain_run *run, const struct method *m, const struct model *model,
                     const struct model_opts *mo)
{
    *run = (struct explain_run){ .method = m, .t_start = now_ms() };
    opts_init(&run->opts);
    run->opts.model = *mo;
    run->model = *model;
    int rc = m->uses_layer ? choose_layer(run) : EXIT_OK;
    if (rc == EXIT_OK && m->prepare)
        rc = m->prepare(run);
    return rc;
}

void explain_run_close(struct explain_run *run)
{
    free((char *)run->layer);
    run->layer = NULL;
}

#define MAX_OPTIONS 64

/* The shared options followed by the method's own. */
static void all_options(const struct method *m, struct option *all)
{
    size_t n = 0;
    for (const struct option *o = longopts; o->name; o++)
        all[n++] = *o;
    for (const struct option *o = m->options; o && o->name && n < MAX_OPTIONS - 1; o++)
        all[n++] = *o;
    all[n] = (struct option){ 0 };
}

int explain_reference_pass(struct explain_run *run, struct batch *b)
{
    int64_t shape[4];
    batch_shape(b, shape);
    attrib_status st = attrib_input_gradient(run->model.handle, b->x, shape, b->targets, &b->res);
    return st == ATTRIB_OK ? EXIT_OK : explain_shim_error(run, st);
}

int64_t explain_target(const struct batch *b, int i)
{
    return attrib_result_targets(b->res)[i];
}

double explain_target_score(const struct batch *b, int i)
{
    int64_t classes;
    const float *logits = attrib_result_logits(b->res, NULL, &classes);
    return logits[i * classes + explain_target(b, i)];
}

int explain_main(const struct method *m, int argc, char **argv)
{
    struct explain_run run = { .method = m, .t_start = now_ms() };
    struct option options[MAX_OPTIONS];
    all_options(m, options);
    opts_init(&run.opts);
    int opt;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, shortopts, options, NULL)) != -1) {
        if (opt == 'h') {
            help(m);
            return EXIT_OK;
        }
        int rc = opts_parse(m, &run.opts, opt, optarg);
        if (rc == -1 && m->parse && opt >= OPT_METHOD_FIRST)
            rc = m->parse(&run, opt, optarg);
        if (rc == -1)
            return bad_option(argc, argv);
        if (rc)
            return rc;
    }
    if (argc - optind < 1)
        return fail(EXIT_USAGE, "no image given (usage: attrib %s IMAGE|DIR|-... [--class N])",
                    m->name);
    m = run.method; /* a variant may have been chosen */
    struct input_list in;
    struct report rep = { 0 };
    int batch_mode;
    int rc = collect(&run, argv + optind, argc - optind, &in, &batch_mode);
    if (rc) {
        inputs_free(&in);
        return rc;
    }
    if (run.opts.sheet && (!batch_mode || run.opts.no_report))
        rc = fail(EXIT_USAGE, "--sheet needs a batch run with its report");
    if (rc == EXIT_OK)
        rc = make_dirs(run.opts.out_dir);
    if (rc == EXIT_OK)
        rc = model_open(&run.opts.model, &run.model);
    if (rc == EXIT_OK && m->uses_layer)
        rc = choose_layer(&run);
    if (rc == EXIT_OK && m->prepare)
        rc = m->prepare(&run);
    if (rc == EXIT_OK && batch_mode && !run.opts.no_report) {
        struct model_info mi = model_info(&run.model);
        rc = report_init(&rep, m->name, &mi, run.opts.shard_k, run.opts.shard_n);
    }
    int worst = rc ? rc : explain_all(&run, &in, &rep);
    if (rep.root && (worst == EXIT_OK || worst == EXIT_INPUT)) {
        rc = finish_report(&run, &rep);
        if (rc)
            worst = rc;
    }
    report_free(&rep);
    inputs_free(&in);
    free((char *)run.layer);
    model_close(&run.model);
    return worst;
}
