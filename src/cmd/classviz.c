/* classviz.c - `attrib classviz`: images the model sees as a class,
 * or that excite a channel, a neuron or a whole layer (layerobjective.c),
 * by gradient ascent from seeded noise (ascent.c): the pixels' own, with the
 * implicit regularisers of Yosinski et al. 2015, or Lucid's parameterisations
 * and transforms; one image or --diversity N. This file holds the options,
 * their defaults per parameterisation, and the outputs. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "command.h"
#include "ascent.h"
#include "error.h"
#include "fsutil.h"
#include "layerobjective.h"
#include "model.h"
#include "planes.h"
#include "plot.h"
#include "rng.h"
#include "png.h"
#include "progress.h"

enum { SCORE_EVERY = 10 };

#define MAX_CLASSES 100000 /* classes one --class-file may list */

/* --neuron X,Y: a position on the layer's grid. */
struct position {
    long x, y;
    int given;
};

struct classviz_opts {
    struct model_opts model;
    struct ascent_params ascent; /* target, jitter, lr, l2, view, diversity weight */
    long iters, blur_every, seed, scale, frame_every, channel, images;
    double blur_sigma;
    const char *out_dir, *frames, *class_file, *layer;
    struct position neuron;
    int objective; /* -1, or OBJECTIVE_DEEPDREAM */
    int param;     /* PARAM_PIXEL, PARAM_FFT */
    int colour;    /* -1 (by --param), COLOUR_RGB, COLOUR_DECORRELATED */
    int negative, json, quiet;
};

enum { OBJECTIVE_DEEPDREAM };
static const char *const objective_words[] = { "deepdream", NULL };
enum { PARAM_PIXEL, PARAM_FFT };
static const char *const param_words[] = { "pixel", "fft", NULL };
enum { COLOUR_RGB, COLOUR_DECORRELATED };
static const char *const colour_words[] = { "rgb", "decorrelated", NULL };
/* enum ascent_view's order */
static const char *const transforms_words[] = { "none", "roll", "standard", NULL };

/* Defaults that depend on the parameterisation (the rows' -1): the pixels'
 * own ascent, or Lucid's (fft, or decorrelated colour). */
#define PIXEL_LR 25
#define PIXEL_L2 1e-3
#define PIXEL_BLUR_EVERY 10
#define PIXEL_JITTER 16
#define LUCID_LR 0.05     /* Lucent's Adam learning rate */
#define DIVERSITY_WEIGHT 100 /* Lucid's notebook: objective - 1e2 * diversity */
#define MAX_IMAGES 64

static int lucid_param(const struct classviz_opts *o)
{
    return o->param == PARAM_FFT || o->colour == COLOUR_DECORRELATED;
}

/* The largest grid position --neuron takes (any layer is smaller). */
#define MAX_POSITION 100000

static int parse_position(const struct opt *o, const char *arg, void *dest)
{
    struct position *p = dest;
    if (!*arg)
        return fail(EXIT_USAGE, "--%s needs a value, got an empty one", o->name);
    char *end;
    long x = strtol(arg, &end, 10), y = -1;
    if (end != arg && *end == ',') {
        char *start = end + 1;
        y = strtol(start, &end, 10);
        if (end == start)
            y = -1;
    }
    if (*end || x < 0 || y < 0 || x > MAX_POSITION || y > MAX_POSITION)
        return fail(EXIT_USAGE, "--%s must be X,Y (a column and a row of the layer's grid, "
                    "from 0), got '%s'", o->name, arg);
    *p = (struct position){ x, y, 1 };
    return EXIT_OK;
}

static void format_position(const void *dest, char *buf, size_t size)
{
    const struct position *p = dest;
    snprintf(buf, size, p->given ? "%ld,%ld" : "", p->x, p->y);
}

static const struct opt options[] = {
    CLASS_OPTION('c', "class", struct classviz_opts, ascent.target,
                 "the class to visualise (its unnormalised score)", ""),
    OPT_STRING(0, "layer", struct classviz_opts, layer, NULL, "L",
               "visualise a feature of this layer ('attrib layers' lists them): --channel C "
               "or --objective deepdream; with --class the two objectives add up"),
    { .kind = OPTK_INT, .name = "channel", .offset = OPT_FIELD(struct classviz_opts, channel, long),
      .min = 0, .max = 1000000, .def = -1, .metavar = "C", .default_text = "",
      .help = "--layer's channel C: maximise its mean over the grid" },
    { .kind = OPTK_CUSTOM, .name = "neuron", .offset = offsetof(struct classviz_opts, neuron),
      .parse = parse_position, .format = format_position, .metavar = "X,Y",
      .help = "with --channel: maximise that channel at one position of the layer's grid "
              "(column X, row Y, from 0)" },
    { .kind = OPTK_ENUM, .name = "objective", .offset = OPT_FIELD(struct classviz_opts, objective,
                                                                  int),
      .words = objective_words, .def = -1, .default_text = "",
      .help = "deepdream: maximise the mean square of all of --layer's activations "
              "(Mordvintsev et al.)" },
    OPT_FLAG(0, "negative", struct classviz_opts, negative,
             "minimise the --layer objective instead (what the feature responds against)"),
    OPT_PATH(0, "class-file", struct classviz_opts, class_file, NULL, "FILE",
             "visualise every class it lists, one per line (CLASS, or CLASS<TAB>anything)"),
    OPT_ENUM(0, "param", struct classviz_opts, param, param_words, PARAM_PIXEL,
             "what is optimised: the pixels, or (fft) Lucid's scaled Fourier spectrum, "
             "through a sigmoid, by Adam"),
    { .kind = OPTK_ENUM, .name = "colour", .offset = OPT_FIELD(struct classviz_opts, colour, int),
      .words = colour_words, .def = -1, .default_text = "rgb; fft: decorrelated",
      .help = "decorrelated: the parameters mix into colours by the square root of ImageNet's "
              "colour correlation (Lucid's); with --param pixel that makes it Lucid's pixel "
              "parameterisation (sigmoid, Adam)" },
    { .kind = OPTK_ENUM, .name = "transforms",
      .offset = OPT_FIELD(struct classviz_opts, ascent.view, int), .words = transforms_words,
      .def = -1, .default_text = "roll; Lucid's parameterisations: standard",
      .help = "what the model sees each step: the image, a random roll of it (--jitter), or "
              "Lucid's standard set (pad 12, jitter 8, scale 0.9-1.1, rotate -10..10 degrees, "
              "jitter 4; seeded)" },
    OPT_INT(0, "diversity", struct classviz_opts, images, 1, MAX_IMAGES, 1, "N",
            "N images at once, pushed apart by Lucid's diversity term (the cosine "
            "similarity of their Gram matrices of --layer); written side by side"),
    { .kind = OPTK_REAL, .name = "diversity-weight",
      .offset = OPT_FIELD(struct classviz_opts, ascent.diversity, double), .min = 0, .max = 1e9,
      .def = -1, .metavar = "W", .default_text = "100",
      .help = "the diversity term's weight: objective - W * diversity" },
    OPT_INT(0, "iters", struct classviz_opts, iters, 1, 100000, 200, "N", "gradient steps"),
    { .kind = OPTK_REAL, .name = "lr", .offset = OPT_FIELD(struct classviz_opts, ascent.lr, double),
      .min = 1e-6, .max = 1e6, .def = -1, .metavar = "R",
      .default_text = "25; Lucid's parameterisations: 0.05",
      .help = "the pixels: L2 length of a step in normalised units; Lucid's: Adam's "
              "learning rate" },
    { .kind = OPTK_REAL, .name = "l2", .offset = OPT_FIELD(struct classviz_opts, ascent.l2, double),
      .min = 0, .max = 1e3, .def = -1, .metavar = "L",
      .default_text = "1e-3; Lucid's parameterisations: 0",
      .help = "weight of the L2 penalty on the normalised image" },
    { .kind = OPTK_INT, .name = "jitter", .min = 0, .max = 1024, .def = -1,
      .offset = OPT_FIELD(struct classviz_opts, ascent.jitter, long), .metavar = "J",
      .default_text = "16", .help = "--transforms roll: largest random roll in pixels" },
    { .kind = OPTK_INT, .name = "blur-every", .min = 0, .max = 100000, .def = -1,
      .offset = OPT_FIELD(struct classviz_opts, blur_every, long), .metavar = "K",
      .default_text = "10", .help = "the pixels' own ascent: blur every K steps (0: never)" },
    OPT_REAL(0, "blur-sigma", struct classviz_opts, blur_sigma, 0, 100, 0.5, "S",
             "the blur's standard deviation in pixels"),
    OPT_INT(0, "seed", struct classviz_opts, seed, 0, 0x7fffffffL, 0, "S", "random seed"),
    OPT_INT(0, "scale", struct classviz_opts, scale, 1, 16, 1, "F",
            "upsample the saved image F times"),
    OPT_DIR(0, "frames", struct classviz_opts, frames, NULL, "DIR",
            "also save the image every --frame-every steps in DIR"),
    OPT_INT(0, "frame-every", struct classviz_opts, frame_every, 1, 100000, 10, "K",
            "steps between frames"),
    OPT_DIR('o', "output", struct classviz_opts, out_dir, ".", "DIR", "where to write the files"),
    OPT_FLAG(0, "json", struct classviz_opts, json, "print the JSON summary on stdout"),
    OPT_FLAG('q', "quiet", struct classviz_opts, quiet, "print nothing on success, no progress bar"),
    MODEL_OPTIONS(struct classviz_opts, model),
    OPT_END,
};

/* Saves the images (side by side when there are several) as an 8-bit PNG,
 * upsampled scale times. */
static int save_png(const struct model *m, struct ascent *a, long scale, const char *path)
{
    ascent_images(a, m);
    int w = a->w * a->n, W = w * (int)scale, H = a->h * (int)scale;
    size_t n = (size_t)3 * a->h * w, N = (size_t)3 * W * H;
    unsigned char *rgb = malloc((size_t)W * H * 3);
    float *grid = malloc((n + (scale > 1 ? N : 0)) * sizeof *grid);
    int rc = rgb && grid ? EXIT_OK : fail(EXIT_INTERNAL, "out of memory");
    float *big = grid ? grid + n : NULL;
    if (rc == EXIT_OK)
        ascent_grid(a->pix, a->n, a->h, a->w, grid);
    if (rc == EXIT_OK && scale > 1) {
        struct rect whole = { 0, 0, w, a->h };
        size_t plane = (size_t)a->h * w;
        for (int c = 0; c < 3 && rc == EXIT_OK; c++)
            rc = image_resize_plane(grid + c * plane, w, a->h, 1, whole,
                                    big + (size_t)c * W * H, W, H);
    }
    if (rc == EXIT_OK) {
        planes_to_rgb8(scale > 1 ? big : grid, H, W, rgb);
        rc = png_write(path, W, H, 3, rgb);
    }
    free(grid);
    free(rgb);
    return rc;
}

/* Where one visualisation's files go. */
struct viz_paths {
    char png[PATH_MAX], json[PATH_MAX], curve[PATH_MAX];
};

/* What one saved image scores. */
struct final {
    double score, prob; /* the class's (with --class) */
    double objective;   /* the image's own objective (without the diversity term) */
    long top;
};

/* What the saved images score: each image as its 8-bit PNG holds it (what a
 * user who opens the file and classifies it would see), and the whole
 * objective (with the diversity term) in *objective. */
static int final_scores(const struct classviz_opts *o, struct model *m, struct ascent *a,
                        struct final *f, double *objective)
{
    ascent_images(a, m);
    quantise_pixels(a->pix, a->len);
    ascent_normalise(a, m, a->pix, a->input);
    const int64_t shape[4] = { a->n, 3, a->h, a->w };
    attrib_result *res;
    attrib_status st = attrib_forward(m->handle, a->input, shape, &res);
    if (st != ATTRIB_OK)
        return model_error(st, m->path);
    int rc = model_check_logits(m, res, a->n);
    *objective = 0;
    for (int k = 0; rc == EXIT_OK && k < a->n; k++) {
        const float *logits = result_logits(res, NULL, NULL) + (size_t)k * m->classes;
        float *probs = a->probs + (size_t)k * m->classes;
        int idx;
        class_probabilities(&m->card, logits, m->classes, probs);
        top_k(probs, m->classes, 1, &idx);
        if (o->ascent.target >= 0)
            f[k].score = f[k].objective = logits[o->ascent.target], f[k].prob = probs[o->ascent.target];
        f[k].top = idx;
        *objective += f[k].objective / a->n;
    }
    attrib_result_free(res);
    if (rc == EXIT_OK && a->goal) /* a->input holds the PNGs' input */
        rc = ascent_layer_pass(&o->ascent, m, a, a->input, 0, objective);
    for (int k = 0; rc == EXIT_OK && a->goal && k < a->n; k++)
        f[k].objective = a->image_objective[k];
    return rc;
}

/* The outputs' name: "class88", "features.14-c37", "neg-features.14-c37-x3-y4",
 * "features.14-deepdream", "class88+features.14-c37"; "-div4" after it for
 * four diverse images. */
static void output_stem(const struct classviz_opts *o, const struct layer_goal *g, char *buf,
                        size_t size)
{
    size_t used = 0;
    int term = g && g->term.kind != TERM_NONE;
    buf[0] = '\0';
    if (o->ascent.target >= 0)
        used = (size_t)snprintf(buf, size, "class%ld%s", o->ascent.target, term ? "+" : "");
    if (term && used < size) {
        const struct layer_objective *t = &g->term;
        used += (size_t)snprintf(buf + used, size - used, "%s%s", t->negative ? "neg-" : "",
                                 g->path);
        if (used < size && t->kind == TERM_DEEPDREAM)
            used += (size_t)snprintf(buf + used, size - used, "-deepdream");
        else if (used < size && t->kind == TERM_NEURON)
            used += (size_t)snprintf(buf + used, size - used, "-c%ld-x%ld-y%ld", t->channel, t->x,
                                     t->y);
        else if (used < size)
            used += (size_t)snprintf(buf + used, size - used, "-c%ld", t->channel);
    }
    if (o->images > 1 && used < size)
        snprintf(buf + used, size - used, "-div%ld", o->images);
}

static int save_frame(const struct model *m, struct ascent *a, const char *frames,
                      const char *stem, int step)
{
    char name[PATH_MAX], path[PATH_MAX];
    snprintf(name, sizeof name, "%s.step%05d.png", stem, step);
    int rc = path_join(path, sizeof path, frames, name);
    return rc ? rc : save_png(m, a, 1, path);
}

static int run_ascent(const struct classviz_opts *o, struct model *m, struct ascent *a,
                      struct rng *r, const char *stem)
{
    struct progress bar;
    char note[48];
    int rc = EXIT_OK;
    progress_start(&bar, stem, (int)o->iters, o->quiet || o->json);
    for (int t = 0; t < o->iters && rc == EXIT_OK; t++) {
        double score = 0;
        rc = ascent_step(&o->ascent, m, a, r, t, &score);
        if (rc == EXIT_OK && o->blur_every && (t + 1) % o->blur_every == 0)
            rc = blur_planes(a->x, 3 * a->n, a->h, a->w, o->blur_sigma);
        a->objective[t] = score, a->probability[t] = a->last_prob;
        if (rc == EXIT_OK && o->frames && (t + 1) % o->frame_every == 0)
            rc = save_frame(m, a, o->frames, stem, t + 1);
        snprintf(note, sizeof note, "%s %.2f", a->goal ? "objective" : "score", score);
        progress_update(&bar, t + 1, note);
    }
    progress_end(&bar);
    return rc;
}

static void add_layer_objective(cJSON *j, const struct layer_goal *g)
{
    static const char *const kinds[] = { [TERM_CHANNEL] = "channel", [TERM_NEURON] = "neuron",
                                         [TERM_DEEPDREAM] = "deepdream" };
    if (g->term.kind == TERM_NONE)
        return;
    cJSON *l = cJSON_AddObjectToObject(j, "layer_objective");
    cJSON_AddStringToObject(l, "layer", g->path);
    cJSON_AddStringToObject(l, "kind", kinds[g->term.kind]);
    if (g->term.kind != TERM_DEEPDREAM)
        cJSON_AddNumberToObject(l, "channel", (double)g->term.channel);
    if (g->term.kind == TERM_NEURON) {
        cJSON_AddNumberToObject(l, "x", (double)g->term.x);
        cJSON_AddNumberToObject(l, "y", (double)g->term.y);
    }
    cJSON_AddBoolToObject(l, "negative", g->term.negative);
    cJSON *map = cJSON_AddArrayToObject(l, "map_shape");
    cJSON_AddItemToArray(map, cJSON_CreateNumber((double)g->c));
    cJSON_AddItemToArray(map, cJSON_CreateNumber((double)g->h));
    cJSON_AddItemToArray(map, cJSON_CreateNumber((double)g->w));
}

/* Several images: each one's scores, and the diversity term of the saved ones. */
static void add_images(cJSON *j, const struct classviz_opts *o, const struct ascent *a,
                       const struct final *f)
{
    cJSON *d = cJSON_AddObjectToObject(j, "diversity");
    cJSON_AddNumberToObject(d, "images", a->n);
    cJSON_AddStringToObject(d, "layer", a->goal->path);
    cJSON_AddNumberToObject(d, "weight", o->ascent.diversity);
    cJSON_AddNumberToObject(d, "term", a->diversity);
    cJSON *list = cJSON_AddArrayToObject(j, "images");
    for (int k = 0; k < a->n; k++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "objective", f[k].objective);
        if (o->ascent.target >= 0) {
            cJSON_AddNumberToObject(e, "score", f[k].score);
            cJSON_AddNumberToObject(e, "probability", f[k].prob);
        }
        cJSON_AddNumberToObject(e, "top1", (double)f[k].top);
        cJSON_AddItemToArray(list, e);
    }
}

/* Each step's draw of Lucid's transforms. */
static void add_draws(cJSON *curve, const struct classviz_opts *o, const struct ascent *a)
{
    cJSON *list = cJSON_AddArrayToObject(curve, "transforms");
    for (long t = 0; t < o->iters; t++) {
        const struct transform_draw *d = &a->draws[t];
        const int crop[2] = { d->crop1_x, d->crop1_y }, crop2[2] = { d->crop2_x, d->crop2_y };
        cJSON *e = cJSON_CreateObject();
        cJSON_AddItemToObject(e, "crop", cJSON_CreateIntArray(crop, 2));
        cJSON_AddNumberToObject(e, "scale", d->scale);
        cJSON_AddNumberToObject(e, "angle", d->angle);
        cJSON_AddItemToObject(e, "crop2", cJSON_CreateIntArray(crop2, 2));
        cJSON_AddItemToArray(list, e);
    }
}

static void print_line(const struct classviz_opts *o, struct model *m, const struct ascent *a,
                       const struct final *f, double objective, double ms,
                       const struct viz_paths *paths)
{
    char buf[32], what[160];
    if (a->goal && a->goal->term.kind != TERM_NONE) {
        layer_objective_text(&a->goal->term, a->goal->path, what, sizeof what);
        if (o->ascent.target >= 0)
            printf("class %ld + ", o->ascent.target);
        printf("%s: objective %.4g on the saved image (top-1 %ld \"%s\") after %ld steps "
               "(%.1f ms/step)\n", what, f->objective, f->top,
               card_label(&m->card, f->top, buf, sizeof buf), o->iters, ms / o->iters);
    } else {
        printf("class %ld \"%s\": score %.3g, p=%.4f after %ld steps (%.1f ms/step)\n",
               o->ascent.target, card_label(&m->card, o->ascent.target, buf, sizeof buf),
               f->score, f->prob, o->iters, ms / o->iters);
    }
    for (int k = 1; k < a->n; k++) /* the line above is image 1's */
        printf("  image %d: objective %.4g, top-1 %ld \"%s\"\n", k + 1, f[k].objective, f[k].top,
               card_label(&m->card, f[k].top, buf, sizeof buf));
    if (a->n > 1)
        printf("  %d images side by side: diversity %.4g on %s, objective %.4g (their mean "
               "less %g times the diversity)\n", a->n, a->diversity, a->goal->path, objective,
               o->ascent.diversity);
    printf("  wrote %s\n  wrote %s\n  wrote %s\n", paths->png, paths->curve, paths->json);
}

static void add_parameters(cJSON *j, const struct classviz_opts *o)
{
    cJSON *p = cJSON_AddObjectToObject(j, "parameters");
    cJSON_AddStringToObject(p, "param", param_words[o->param]);
    cJSON_AddStringToObject(p, "colour", colour_words[o->colour]);
    cJSON_AddStringToObject(p, "transforms", transforms_words[o->ascent.view]);
    cJSON_AddNumberToObject(p, "iters", (double)o->iters);
    cJSON_AddNumberToObject(p, "lr", o->ascent.lr);
    cJSON_AddNumberToObject(p, "l2", o->ascent.l2);
    cJSON_AddNumberToObject(p, "jitter", (double)o->ascent.jitter);
    cJSON_AddNumberToObject(p, "blur_every", (double)o->blur_every);
    cJSON_AddNumberToObject(p, "blur_sigma", o->blur_sigma);
    cJSON_AddNumberToObject(p, "seed", (double)o->seed);
    cJSON_AddNumberToObject(p, "scale", (double)o->scale);
}

static int report(const struct classviz_opts *o, struct model *m, const struct ascent *a,
                  const struct viz_paths *paths, const struct final *f, double objective,
                  double ms, double t_start)
{
    char buf[32];
    struct model_info mi = model_info(m);
    cJSON *j = summary_header("classviz", &mi);
    if (o->ascent.target >= 0) {
        cJSON *target = cJSON_AddObjectToObject(j, "target");
        cJSON_AddNumberToObject(target, "index", (double)o->ascent.target);
        cJSON_AddStringToObject(target, "label",
                                card_label(&m->card, o->ascent.target, buf, sizeof buf));
        cJSON_AddNumberToObject(target, "score", f->score);
        cJSON_AddNumberToObject(target, "probability", f->prob);
    }
    if (a->goal)
        add_layer_objective(j, a->goal);
    if (a->goal)
        cJSON_AddNumberToObject(j, "objective", objective);
    if (a->n > 1)
        add_images(j, o, a, f);
    cJSON_AddNumberToObject(j, "top1", (double)f->top);
    add_parameters(j, o);
    cJSON *scores = cJSON_AddArrayToObject(j, "score_every_10_steps");
    for (long t = 0; t < o->iters; t += SCORE_EVERY)
        cJSON_AddItemToArray(scores, cJSON_CreateNumber(round(a->objective[t] * 1e4) / 1e4));
    cJSON *curve = cJSON_AddObjectToObject(j, "curve");
    cJSON *values = cJSON_AddArrayToObject(curve, "objective");
    for (long t = 0; t < o->iters; t++)
        cJSON_AddItemToArray(values, cJSON_CreateNumber(round(a->objective[t] * 1e4) / 1e4));
    if (o->ascent.target >= 0) {
        values = cJSON_AddArrayToObject(curve, "probability");
        for (long t = 0; t < o->iters; t++)
            cJSON_AddItemToArray(values, cJSON_CreateNumber(round(a->probability[t] * 1e6) / 1e6));
    }
    if (o->ascent.view == VIEW_STANDARD)
        add_draws(curve, o, a);
    cJSON *out = cJSON_AddObjectToObject(j, "outputs");
    cJSON_AddStringToObject(out, "image", paths->png);
    cJSON_AddStringToObject(out, "summary", paths->json);
    cJSON_AddStringToObject(out, "curve", paths->curve);
    if (o->frames)
        cJSON_AddStringToObject(out, "frames", o->frames);
    cJSON *t = cJSON_AddObjectToObject(j, "timings_ms");
    cJSON_AddNumberToObject(t, "load", round(m->load_ms * 1e3) / 1e3);
    cJSON_AddNumberToObject(t, "ascent", round(ms * 1e3) / 1e3);
    cJSON_AddNumberToObject(t, "per_step", round(ms / o->iters * 1e3) / 1e3);
    cJSON_AddNumberToObject(t, "total", round((now_ms() - t_start) * 1e3) / 1e3);
    summary_add_threads(j);

    int rc = summary_emit(j, paths->json, o->json);
    if (rc == EXIT_OK && !o->json && !o->quiet)
        print_line(o, m, a, f, objective, ms, paths);
    cJSON_Delete(j);
    return rc;
}

/* The objective per step, and with --class the class's probability, as a
 * line chart (plot.c): NAME.classviz.curve.png. */
static int write_curve(const struct classviz_opts *o, const struct ascent *a, const char *stem,
                       const char *path)
{
    double lo = INFINITY, hi = -INFINITY;
    for (long t = 0; t < o->iters; t++)
        lo = fmin(lo, a->objective[t]), hi = fmax(hi, a->objective[t]);
    if (!(hi > lo))
        hi = lo + 1;
    const char *x_label = "step";
    const double *objective[1] = { a->objective }, *probability[1] = { a->probability };
    struct plot_panel panels[2] = {
        { .title = "the objective at each step", .x_label = x_label, .y = objective,
          .points = (int)o->iters, .x_min = 1, .x_max = (double)o->iters,
          .y_label = "objective", .y_min = lo, .y_max = hi },
        { .title = "the class's probability at each step", .x_label = x_label,
          .y = probability, .points = (int)o->iters, .x_min = 1, .x_max = (double)o->iters,
          .y_label = "probability" },
    };
    const char *const names[1] = { stem };
    return plot_write(path, stem, panels, o->ascent.target >= 0 ? 2 : 1, names, 1);
}

static int viz_paths_make(const struct classviz_opts *o, const char *stem, struct viz_paths *p)
{
    static const char *const suffix[] = { "png", "json", "curve.png" };
    char *dest[] = { p->png, p->json, p->curve };
    char name[PATH_MAX];
    int rc = EXIT_OK;
    for (int i = 0; i < 3 && rc == EXIT_OK; i++) {
        snprintf(name, sizeof name, "%s.classviz.%s", stem, suffix[i]);
        rc = path_join(dest[i], PATH_MAX, o->out_dir, name);
    }
    return rc;
}

/* One visualisation (--diversity N images of it), JSON, curve and line:
 * o->ascent.target (-1: none) and the layer goal g (NULL: none), already
 * checked. */
static int classviz_one(const struct classviz_opts *o, struct model *m, struct layer_goal *g,
                        double t_start)
{
    struct rng r;
    struct ascent a;
    struct lucid_choice lucid = { lucid_param(o), o->param == PARAM_FFT,
                                  o->colour == COLOUR_DECORRELATED };
    rng_seed(&r, (uint64_t)o->seed);
    int rc = ascent_init(&a, m, (int)o->images, o->iters, lucid, &r);
    if (rc)
        return rc;
    a.goal = g;
    struct final *f = calloc((size_t)a.n, sizeof *f);
    struct viz_paths paths;
    char stem[PATH_MAX / 2];
    double ms = 0, objective = 0;
    output_stem(o, g, stem, sizeof stem);
    rc = f ? viz_paths_make(o, stem, &paths) : fail(EXIT_INTERNAL, "out of memory");
    if (rc == EXIT_OK && g)
        rc = ascent_goal_ready(&o->ascent, m, &a);
    if (rc == EXIT_OK) {
        double t0 = now_ms();
        rc = run_ascent(o, m, &a, &r, stem);
        ms = now_ms() - t0;
    }
    if (rc == EXIT_OK)
        rc = save_png(m, &a, o->scale, paths.png);
    if (rc == EXIT_OK)
        rc = write_curve(o, &a, stem, paths.curve);
    if (rc == EXIT_OK)
        rc = final_scores(o, m, &a, f, &objective);
    if (rc == EXIT_OK)
        rc = report(o, m, &a, &paths, f, objective, ms, t_start);
    free(f);
    ascent_free(&a);
    return rc;
}

/* The classes of a --class-file: one per line, first field; '#' comments
 * and blank lines skipped. EXIT_OK or EXIT_USAGE (unreadable, bad line). */
static int read_class_list(const char *path, long **classes, long **lines, size_t *n)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return fail(EXIT_USAGE, "--class-file: cannot open '%s': %s", path, strerror(errno));
    char *line = NULL, what[PATH_MAX + 32];
    size_t cap = 0, have = 0;
    long lineno = 0;
    int rc = EXIT_OK;
    *classes = *lines = NULL;
    *n = 0;
    while (rc == EXIT_OK && getline(&line, &cap, f) >= 0) {
        lineno++;
        line[strcspn(line, "\t\r\n")] = '\0';
        if (!line[0] || line[0] == '#')
            continue;
        if (*n == have) {
            have = have ? 2 * have : 64;
            long *c = realloc(*classes, have * sizeof *c), *l = c ? realloc(*lines, have * sizeof *l) : NULL;
            if (c)
                *classes = c;
            if (l)
                *lines = l;
            if (!c || !l || have > MAX_CLASSES)
                rc = fail(EXIT_USAGE, "--class-file %s: too many classes", path);
        }
        snprintf(what, sizeof what, "--class-file %s:%ld: the class", path, lineno);
        if (rc == EXIT_OK)
            rc = parse_long(line, 0, CARD_MAX_LABELS - 1, what, &(*classes)[*n]);
        if (rc == EXIT_OK)
            (*lines)[(*n)++] = lineno;
    }
    free(line);
    fclose(f);
    if (rc == EXIT_OK && *n == 0)
        rc = fail(EXIT_USAGE, "--class-file %s lists no class", path);
    return rc;
}

/* Every class; one the model does not have fails alone (from a file) or
 * stops the run (--class). */
static int classviz_all(struct classviz_opts *o, struct model *m, struct layer_goal *g,
                        const long *classes, const long *lines, size_t n, double t_start)
{
    int worst = EXIT_OK;
    for (size_t i = 0; i < n; i++) {
        o->ascent.target = classes[i];
        int rc = EXIT_OK;
        if (classes[i] >= m->classes && !lines)
            return fail(EXIT_USAGE, "--class %ld is out of range: the model has classes 0 to %d",
                        classes[i], m->classes - 1);
        if (classes[i] >= m->classes)
            rc = fail(EXIT_INPUT, "class %ld (%s line %ld) is out of range: the model has "
                      "classes 0 to %d", classes[i], o->class_file, lines[i], m->classes - 1);
        else
            rc = classviz_one(o, m, g, t_start);
        if (rc == EXIT_OK)
            continue;
        if (rc != EXIT_INPUT)
            return rc;
        report_error("classviz", error_message());
        clear_error();
        worst = rc;
    }
    return worst;
}

/* The --layer options, checked against one another (before the model). */
static int check_objective(const struct classviz_opts *o, struct layer_objective *t)
{
    int layer_term = o->channel >= 0 || o->objective >= 0;
    *t = (struct layer_objective){ .kind = TERM_NONE, .channel = o->channel,
                                   .x = o->neuron.x, .y = o->neuron.y, .negative = o->negative };
    if (!o->layer && (layer_term || o->neuron.given || o->negative))
        return fail(EXIT_USAGE, "--%s needs --layer L (the layer whose activations to maximise)",
                    o->channel >= 0 ? "channel" : o->neuron.given ? "neuron"
                    : o->objective >= 0 ? "objective" : "negative");
    if (o->neuron.given && o->channel < 0)
        return fail(EXIT_USAGE, "--neuron X,Y needs --channel C (the neuron is channel C at "
                    "that position)");
    if (o->objective == OBJECTIVE_DEEPDREAM && o->channel >= 0)
        return fail(EXIT_USAGE, "--objective deepdream and --channel exclude each other "
                    "(deepdream takes every channel of --layer)");
    if (o->images > 1 && !o->layer)
        return fail(EXIT_USAGE, "--diversity %ld needs --layer L (the layer whose Gram matrices "
                    "tell the images apart)", o->images);
    if (o->ascent.diversity >= 0 && o->images < 2)
        return fail(EXIT_USAGE, "--diversity-weight applies to --diversity N with N of 2 or more");
    if (o->layer && !layer_term && o->images < 2)
        return fail(EXIT_USAGE, "--layer %s needs --channel C (--neuron X,Y for one position) "
                    "or --objective deepdream (or --diversity N, which compares the images on "
                    "it)", o->layer);
    if (!layer_term && (o->ascent.target < 0) == !o->class_file)
        return fail(EXIT_USAGE, "say what to visualise: --class N or --class-file FILE (one of "
                    "them), or --layer L with --channel C or --objective deepdream");
    if (layer_term && o->ascent.target >= 0 && o->class_file)
        return fail(EXIT_USAGE, "--class and --class-file exclude each other");
    t->kind = !layer_term ? TERM_NONE : o->objective == OBJECTIVE_DEEPDREAM ? TERM_DEEPDREAM
              : o->neuron.given ? TERM_NEURON : TERM_CHANNEL;
    return EXIT_OK;
}

/* The layer goal: the layer checked against the model, its map's size from
 * one pass, the term checked against that size, the weights' buffers. */
static int goal_open(const struct classviz_opts *o, struct model *m, struct layer_goal *g)
{
    int rc = model_map_layer(m, o->layer, &g->path, &g->view);
    const int64_t shape[4] = { 1, 3, m->card.input_h, m->card.input_w };
    size_t n = (size_t)3 * m->card.input_h * m->card.input_w;
    float *x = rc == EXIT_OK ? calloc(n, sizeof *x) : NULL;
    attrib_result *res = NULL;
    if (rc == EXIT_OK && !x)
        rc = fail(EXIT_INTERNAL, "out of memory");
    if (rc == EXIT_OK) { /* no weights: a forward pass, for the map's shape */
        attrib_layer_objective_params q = attrib_layer_objective_default_params();
        q.layer = g->path, q.view = g->view;
        attrib_status st = attrib_layer_objective_gradient(m->handle, x, shape, &q, &res);
        rc = st == ATTRIB_OK ? EXIT_OK
             : st == ATTRIB_E_ARG ? fail(EXIT_USAGE, "--layer: %s", attrib_last_error())
                                  : model_error(st, m->path);
    }
    if (rc == EXIT_OK) {
        int64_t map[4];
        attrib_result_get(res, ATTRIB_OUT_LAYER, 0, map, NULL);
        g->c = map[1], g->h = map[2], g->w = map[3];
        rc = layer_objective_check(&g->term, g->path, g->c, g->h, g->w);
    }
    if (rc == EXIT_OK) {
        int classes = o->ascent.target >= 0 || o->class_file;
        g->images = (int)o->images;
        g->diversity = o->images > 1;
        g->weights = malloc((size_t)g->images * g->c * g->h * g->w * sizeof *g->weights);
        g->logit_w = classes ? malloc((size_t)g->images * m->classes * sizeof(float)) : NULL;
        if (!g->weights || (classes && !g->logit_w))
            rc = fail(EXIT_INTERNAL, "out of memory");
    }
    attrib_result_free(res);
    free(x);
    return rc;
}

static void goal_close(struct layer_goal *g)
{
    free(g->path);
    free(g->weights);
    free(g->logit_w);
}

/* The rows left at -1 take the defaults of the parameterisation; options
 * that do not apply to it are refused. */
static int settle_defaults(struct classviz_opts *o)
{
    if (o->colour < 0)
        o->colour = o->param == PARAM_FFT ? COLOUR_DECORRELATED : COLOUR_RGB;
    int lucid = lucid_param(o);
    if (lucid && o->blur_every >= 0)
        return fail(EXIT_USAGE, "--blur-every applies to the pixels' own ascent (--param pixel "
                    "--colour rgb): Lucid's parameterisations are not blurred (their sigmoid and, "
                    "for fft, the 1/frequency scale keep the image smooth)");
    if (o->ascent.view < 0)
        o->ascent.view = lucid ? VIEW_STANDARD : VIEW_ROLL;
    if (o->ascent.jitter >= 0 && o->ascent.view != VIEW_ROLL)
        return fail(EXIT_USAGE, "--jitter applies to --transforms roll (the standard set "
                    "jitters by up to %d and %d pixels; none moves nothing)",
                    TRANSFORM_JITTER_FIRST, TRANSFORM_JITTER_LAST);
    o->ascent.jitter = o->ascent.jitter >= 0 ? o->ascent.jitter : PIXEL_JITTER;
    o->ascent.lr = o->ascent.lr >= 0 ? o->ascent.lr : lucid ? LUCID_LR : PIXEL_LR;
    o->ascent.l2 = o->ascent.l2 >= 0 ? o->ascent.l2 : lucid ? 0 : PIXEL_L2;
    o->blur_every = o->blur_every >= 0 ? o->blur_every : lucid ? 0 : PIXEL_BLUR_EVERY;
    o->ascent.diversity = o->ascent.diversity >= 0 ? o->ascent.diversity : DIVERSITY_WEIGHT;
    return EXIT_OK;
}

static int cmd_classviz(void *opts, const operands *ops)
{
    double t_start = now_ms();
    struct classviz_opts o = *(const struct classviz_opts *)opts;
    struct layer_goal goal = { 0 };
    if (ops->n > 0)
        return fail(EXIT_USAGE, "classviz takes no image ('%s'); it starts from noise",
                    ops->args[0]);
    int rc = check_objective(&o, &goal.term);
    if (rc == EXIT_OK)
        rc = settle_defaults(&o);
    if (rc)
        return rc;
    long one = o.ascent.target, *classes = &one, *lines = NULL;
    size_t n = 1;
    rc = o.class_file ? read_class_list(o.class_file, &classes, &lines, &n) : EXIT_OK;
    if (rc == EXIT_OK && !((rc = make_dirs(o.out_dir))) && o.frames)
        rc = make_dirs(o.frames);
    struct model m = { 0 };
    if (rc == EXIT_OK)
        rc = model_open(&o.model, &m);
    if (rc == EXIT_OK)
        rc = model_probe_classes(&m);
    if (rc == EXIT_OK && o.layer)
        rc = goal_open(&o, &m, &goal);
    if (rc == EXIT_OK)
        rc = classviz_all(&o, &m, o.layer ? &goal : NULL, classes, lines, n, t_start);
    if (classes != &one)
        free(classes);
    free(lines);
    goal_close(&goal);
    model_close(&m);
    return rc;
}

const struct command_spec classviz_spec = {
    .synopsis = "attrib classviz (--class N | --class-file FILE | --layer L (--channel C "
                "[--neuron X,Y] | --objective deepdream)) [--param pixel|fft] [--diversity N] "
                "[options]",
    .description =
        "Starts from random noise and climbs the gradient of an objective: the class's\n"
        "unnormalised score; a layer's channel mean (--layer L --channel C), one neuron\n"
        "of it (--neuron X,Y), or the mean square of the whole layer (--objective\n"
        "deepdream); negated with --negative; with --class and --layer, their sum.\n"
        "\n"
        "By default the pixels themselves climb (Yosinski et al. 2015): steps of lr along\n"
        "the L2-normalised gradient of objective - l2 * ||I||^2, a random roll before\n"
        "each, a blur every K steps, clamped to the valid range. --param fft or --colour\n"
        "decorrelated use Lucid's parameterisations instead (Olah et al. 2017): the\n"
        "image is a sigmoid of a 1/frequency-scaled spectrum (fft) or of pixels, with\n"
        "ImageNet's colour correlation mixed in, optimised by Adam, and the model sees\n"
        "it through Lucid's standard transforms (pad, jitter, scale, rotate, jitter)\n"
        "each step, resized back to its input size. --diversity N makes N images at once\n"
        "and subtracts W times Lucid's diversity term, the mean summed cosine similarity\n"
        "of their Gram matrices of --layer, so that they show different facets.\n"
        "\n"
        "Writes NAME.classviz.png (at the model's input size, times --scale; N images\n"
        "side by side), NAME.classviz.curve.png (the objective, and the class's\n"
        "probability, at each step) and NAME.classviz.json (the saved 8-bit image's\n"
        "score, probability and objective, each image's with --diversity, and every\n"
        "step's objective and transforms). NAME is class88, features.14-c37,\n"
        "neg-features.14-c37-x3-y4, features.14-deepdream, class88+features.14-c37,\n"
        "with -div4 after it for four diverse images. Same seed and thread count, same\n"
        "image. With --class-file, every class it lists; a class the model does not\n"
        "have fails alone.\n",
    COMMAND_RUN(struct classviz_opts, options, cmd_classviz),
    .operands = OPERANDS_NONE,
};
