/* cmd_classviz.c - `attrib classviz`: an image the model sees as a class,
 * or that excites a channel, a neuron or a whole layer (layerobjective.c),
 * by gradient ascent on objective(I) - l2 * ||I||^2 from seeded noise, with
 * the implicit regularisers of Yosinski et al. 2015: random jitter, periodic
 * Gaussian blur, and clamping to the valid pixel range. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "commands.h"
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
    struct ascent_params ascent; /* target, jitter, lr, l2 */
    long iters, blur_every, seed, scale, frame_every, channel;
    double blur_sigma;
    const char *out_dir, *frames, *class_file, *layer;
    struct position neuron;
    int objective; /* -1, or OBJECTIVE_DEEPDREAM */
    int param;     /* PARAM_PIXEL, PARAM_FFT */
    int negative, json, quiet;
};

enum { OBJECTIVE_DEEPDREAM };
static const char *const objective_words[] = { "deepdream", NULL };
enum { PARAM_PIXEL, PARAM_FFT };
static const char *const param_words[] = { "pixel", "fft", NULL };

/* Defaults that depend on --param (the rows' -1). */
#define PIXEL_LR 25
#define PIXEL_L2 1e-3
#define PIXEL_BLUR_EVERY 10
#define FFT_LR 0.05     /* Lucent's Adam learning rate */
#define FFT_INIT_SD 0.01 /* Lucent's spectrum initialisation */

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
             "what is optimised: the pixels, or (fft) Lucid's scaled Fourier spectrum with "
             "decorrelated colour and a sigmoid, by Adam"),
    OPT_INT(0, "iters", struct classviz_opts, iters, 1, 100000, 200, "N", "gradient steps"),
    { .kind = OPTK_REAL, .name = "lr", .offset = OPT_FIELD(struct classviz_opts, ascent.lr, double),
      .min = 1e-6, .max = 1e6, .def = -1, .metavar = "R", .default_text = "25; fft: 0.05",
      .help = "pixel: L2 length of a step in normalised units; fft: Adam's learning rate" },
    { .kind = OPTK_REAL, .name = "l2", .offset = OPT_FIELD(struct classviz_opts, ascent.l2, double),
      .min = 0, .max = 1e3, .def = -1, .metavar = "L", .default_text = "1e-3; fft: 0",
      .help = "weight of the L2 penalty on the normalised image" },
    OPT_INT(0, "jitter", struct classviz_opts, ascent.jitter, 0, 1024, 16, "J",
            "largest random roll in pixels"),
    { .kind = OPTK_INT, .name = "blur-every", .min = 0, .max = 100000, .def = -1,
      .offset = OPT_FIELD(struct classviz_opts, blur_every, long), .metavar = "K",
      .default_text = "10", .help = "pixel: blur every K steps (0: never)" },
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

/* Saves the normalised image as an 8-bit PNG, upsampled scale times. */
static int save_png(const struct model *m, struct ascent *a, long scale, const char *path)
{
    denormalise_planes(a->x, a->pix, a->h, a->w, m->card.mean, m->card.std);
    int W = a->w * (int)scale, H = a->h * (int)scale;
    unsigned char *rgb = malloc((size_t)W * H * 3);
    float *big = scale > 1 ? malloc((size_t)W * H * 3 * sizeof *big) : NULL;
    int rc = rgb && (scale == 1 || big) ? EXIT_OK : fail(EXIT_INTERNAL, "out of memory");
    if (rc == EXIT_OK && scale > 1) {
        struct rect whole = { 0, 0, a->w, a->h };
        size_t plane = (size_t)a->h * a->w;
        for (int c = 0; c < 3 && rc == EXIT_OK; c++)
            rc = image_resize_plane(a->pix + c * plane, a->w, a->h, 1, whole,
                                    big + (size_t)c * W * H, W, H);
    }
    if (rc == EXIT_OK) {
        planes_to_rgb8(scale > 1 ? big : a->pix, H, W, rgb);
        rc = png_write(path, W, H, 3, rgb);
    }
    free(big);
    free(rgb);
    return rc;
}

/* Where one visualisation's files go. */
struct viz_paths {
    char png[PATH_MAX], json[PATH_MAX], curve[PATH_MAX];
};

/* What the saved image scores. */
struct final {
    double score, prob; /* the class's (with --class) */
    double objective;   /* the whole objective */
    long top;
};

/* Scores of the image as its 8-bit PNG holds it (what a user who opens the
 * file and classifies it would see). */
static int final_scores(const struct classviz_opts *o, struct model *m, struct ascent *a,
                        struct final *f)
{
    denormalise_planes(a->x, a->pix, a->h, a->w, m->card.mean, m->card.std);
    quantise_pixels(a->pix, a->n);
    normalise_planes(a->pix, a->grad, a->h, a->w, m->card.mean, m->card.std);
    const int64_t shape[4] = { 1, 3, a->h, a->w };
    attrib_result *res;
    attrib_status st = attrib_forward(m->handle, a->grad, shape, &res);
    if (st != ATTRIB_OK)
        return model_error(st, m->path);
    float *probs = malloc((size_t)m->classes * sizeof *probs);
    int rc = probs ? model_check_logits(m, res, 1) : fail(EXIT_INTERNAL, "out of memory");
    if (rc == EXIT_OK) {
        const float *logits = attrib_result_logits(res, NULL, NULL);
        int idx;
        class_probabilities(&m->card, logits, m->classes, probs);
        top_k(probs, m->classes, 1, &idx);
        if (o->ascent.target >= 0)
            f->score = logits[o->ascent.target], f->prob = probs[o->ascent.target];
        f->top = idx;
        f->objective = f->score;
    }
    attrib_result_free(res);
    free(probs);
    if (rc == EXIT_OK && a->goal) /* a->grad still holds the PNG's input */
        rc = ascent_layer_pass(&o->ascent, m, a, a->grad, 0, &f->objective);
    return rc;
}

/* The outputs' name: "class88", "features.14-c37", "neg-features.14-c37-x3-y4",
 * "features.14-deepdream", "class88+features.14-c37". */
static void output_stem(const struct classviz_opts *o, const struct layer_goal *g, char *buf,
                        size_t size)
{
    size_t used = 0;
    if (o->ascent.target >= 0)
        used = (size_t)snprintf(buf, size, "class%ld%s", o->ascent.target, g ? "+" : "");
    if (!g || used >= size)
        return;
    const struct layer_objective *t = &g->term;
    used += (size_t)snprintf(buf + used, size - used, "%s%s", t->negative ? "neg-" : "", g->path);
    if (used >= size)
        return;
    if (t->kind == TERM_DEEPDREAM)
        snprintf(buf + used, size - used, "-deepdream");
    else if (t->kind == TERM_NEURON)
        snprintf(buf + used, size - used, "-c%ld-x%ld-y%ld", t->channel, t->x, t->y);
    else
        snprintf(buf + used, size - used, "-c%ld", t->channel);
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
                      const char *stem)
{
    struct rng r;
    struct progress bar;
    struct spectrum sp = { 0 };
    char note[48];
    int rc = EXIT_OK;
    rng_seed(&r, (uint64_t)o->seed);
    if (o->param == PARAM_FFT) {
        rc = spectrum_init(&sp, a->h, a->w, &r, FFT_INIT_SD);
    } else {
        for (size_t i = 0; i < a->n; i++)
            a->x[i] = (float)rng_normal(&r);
        clamp_normalised(a->x, a->h, a->w, m->card.mean, m->card.std);
    }
    progress_start(&bar, stem, (int)o->iters, o->quiet || o->json);
    for (int t = 0; t < o->iters && rc == EXIT_OK; t++) {
        double score = 0;
        rc = o->param == PARAM_FFT ? ascent_fft_step(&o->ascent, m, a, &sp, &r, &score)
                                   : ascent_pixel_step(&o->ascent, m, a, &r, &score);
        if (rc == EXIT_OK && o->blur_every && (t + 1) % o->blur_every == 0)
            rc = blur_planes(a->x, 3, a->h, a->w, o->blur_sigma);
        if (rc == EXIT_OK && t % SCORE_EVERY == 0)
            a->scores[a->nscores++] = score;
        a->objective[t] = score, a->probability[t] = a->last_prob;
        if (rc == EXIT_OK && o->param == PARAM_FFT &&
            (t + 1 == o->iters || (o->frames && (t + 1) % o->frame_every == 0)))
            spectrum_image(&sp, m, a); /* the image after this step */
        if (rc == EXIT_OK && o->frames && (t + 1) % o->frame_every == 0)
            rc = save_frame(m, a, o->frames, stem, t + 1);
        snprintf(note, sizeof note, "%s %.2f", a->goal ? "objective" : "score", score);
        progress_update(&bar, t + 1, note);
    }
    progress_end(&bar);
    spectrum_free(&sp);
    return rc;
}

static void add_layer_objective(cJSON *j, const struct layer_goal *g, const struct final *f)
{
    static const char *const kinds[] = { [TERM_CHANNEL] = "channel", [TERM_NEURON] = "neuron",
                                         [TERM_DEEPDREAM] = "deepdream" };
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
    cJSON_AddNumberToObject(j, "objective", f->objective);
}

static void print_line(const struct classviz_opts *o, struct model *m, const struct ascent *a,
                       const struct final *f, double ms, const struct viz_paths *paths)
{
    char buf[32], what[160];
    if (a->goal) {
        layer_objective_text(&a->goal->term, a->goal->path, what, sizeof what);
        if (o->ascent.target >= 0)
            printf("class %ld + ", o->ascent.target);
        printf("%s: objective %.4g on the saved image (top-1 %ld \"%s\") after %ld steps "
               "(%.1f ms/step)\n", what, f->objective, f->top,
               card_label(&m->card, f->top, buf, sizeof buf), o->iters, ms / o->iters);
    } else {
        printf("class %ld \"%s\": score %.3g, p=%.4f after %ld steps (%.1f ms/step)\n", o->ascent.target,
               card_label(&m->card, o->ascent.target, buf, sizeof buf), f->score, f->prob, o->iters,
               ms / o->iters);
    }
    printf("  wrote %s\n  wrote %s\n  wrote %s\n", paths->png, paths->curve, paths->json);
}

static int report(const struct classviz_opts *o, struct model *m, const struct ascent *a,
                  const struct viz_paths *paths, const struct final *f, double ms,
                  double t_start)
{
    const char *png = paths->png, *json = paths->json;
    char buf[32];
    struct model_info mi = model_info(m);
    cJSON *j = summary_header("classviz", &mi);
    if (o->ascent.target >= 0) {
        cJSON *target = cJSON_AddObjectToObject(j, "target");
        cJSON_AddNumberToObject(target, "index", (double)o->ascent.target);
        cJSON_AddStringToObject(target, "label", card_label(&m->card, o->ascent.target, buf, sizeof buf));
        cJSON_AddNumberToObject(target, "score", f->score);
        cJSON_AddNumberToObject(target, "probability", f->prob);
    }
    if (a->goal)
        add_layer_objective(j, a->goal, f);
    cJSON_AddNumberToObject(j, "top1", (double)f->top);
    cJSON *p = cJSON_AddObjectToObject(j, "parameters");
    cJSON_AddStringToObject(p, "param", param_words[o->param]);
    cJSON_AddNumberToObject(p, "iters", (double)o->iters);
    cJSON_AddNumberToObject(p, "lr", o->ascent.lr);
    cJSON_AddNumberToObject(p, "l2", o->ascent.l2);
    cJSON_AddNumberToObject(p, "jitter", (double)o->ascent.jitter);
    cJSON_AddNumberToObject(p, "blur_every", (double)o->blur_every);
    cJSON_AddNumberToObject(p, "blur_sigma", o->blur_sigma);
    cJSON_AddNumberToObject(p, "seed", (double)o->seed);
    cJSON_AddNumberToObject(p, "scale", (double)o->scale);
    cJSON *scores = cJSON_AddArrayToObject(j, "score_every_10_steps");
    for (int i = 0; i < a->nscores; i++)
        cJSON_AddItemToArray(scores, cJSON_CreateNumber(round(a->scores[i] * 1e4) / 1e4));
    cJSON *curve = cJSON_AddObjectToObject(j, "curve");
    cJSON *values = cJSON_AddArrayToObject(curve, "objective");
    for (long t = 0; t < o->iters; t++)
        cJSON_AddItemToArray(values, cJSON_CreateNumber(round(a->objective[t] * 1e4) / 1e4));
    if (o->ascent.target >= 0) {
        values = cJSON_AddArrayToObject(curve, "probability");
        for (long t = 0; t < o->iters; t++)
            cJSON_AddItemToArray(values, cJSON_CreateNumber(round(a->probability[t] * 1e6) / 1e6));
    }
    cJSON *out = cJSON_AddObjectToObject(j, "outputs");
    cJSON_AddStringToObject(out, "image", png);
    cJSON_AddStringToObject(out, "summary", json);
    cJSON_AddStringToObject(out, "curve", paths->curve);
    if (o->frames)
        cJSON_AddStringToObject(out, "frames", o->frames);
    cJSON *t = cJSON_AddObjectToObject(j, "timings_ms");
    cJSON_AddNumberToObject(t, "load", round(m->load_ms * 1e3) / 1e3);
    cJSON_AddNumberToObject(t, "ascent", round(ms * 1e3) / 1e3);
    cJSON_AddNumberToObject(t, "per_step", round(ms / o->iters * 1e3) / 1e3);
    cJSON_AddNumberToObject(t, "total", round((now_ms() - t_start) * 1e3) / 1e3);
    cJSON_AddNumberToObject(j, "threads", attrib_runtime_threads());

    int rc = summary_emit(j, json, o->json);
    if (rc == EXIT_OK && !o->json && !o->quiet)
        print_line(o, m, a, f, ms, paths);
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
    char x_label[64];
    snprintf(x_label, sizeof x_label, "step, 1 to %ld", o->iters);
    const double *objective[1] = { a->objective }, *probability[1] = { a->probability };
    struct plot_panel panels[2] = {
        { .title = "the objective at each step", .x_label = x_label, .y = objective,
          .points = (int)o->iters, .y_label = "objective", .y_min = lo, .y_max = hi },
        { .title = "the class's probability at each step", .x_label = x_label,
          .y = probability, .points = (int)o->iters, .y_label = "probability" },
    };
    const char *const names[1] = { stem };
    return plot_write(path, stem, panels, o->ascent.target >= 0 ? 2 : 1, names, 1);
}

/* One image, JSON, curve and line: o->ascent.target (-1: none) and the layer goal
 * g (NULL: none), already checked. */
static int classviz_one(const struct classviz_opts *o, struct model *m, struct layer_goal *g,
                        double t_start)
{
    struct ascent a = { .h = m->card.input_h, .w = m->card.input_w, .goal = g };
    a.n = (size_t)3 * a.h * a.w;
    float *buf = malloc(3 * a.n * sizeof *buf);
    a.scores = malloc(((size_t)o->iters / SCORE_EVERY + 1) * sizeof *a.scores);
    a.objective = malloc(2 * (size_t)o->iters * sizeof *a.objective);
    a.probs = malloc((size_t)m->classes * sizeof *a.probs);
    int rc = buf && a.scores && a.objective && a.probs ? EXIT_OK
                                                       : fail(EXIT_INTERNAL, "out of memory");
    struct viz_paths paths;
    char stem[PATH_MAX / 2], name[PATH_MAX];
    struct final f = { 0 };
    double ms = 0;
    output_stem(o, g, stem, sizeof stem);
    if (g && g->logit_w) { /* one-hot on this run's class */
        memset(g->logit_w, 0, (size_t)m->classes * sizeof *g->logit_w);
        g->logit_w[o->ascent.target] = 1;
    }
    if (rc == EXIT_OK) {
        a.x = buf, a.pix = buf + a.n, a.grad = buf + 2 * a.n;
        a.probability = a.objective + o->iters;
        snprintf(name, sizeof name, "%s.classviz.png", stem);
        rc = path_join(paths.png, sizeof paths.png, o->out_dir, name);
        snprintf(name, sizeof name, "%s.classviz.json", stem);
        if (rc == EXIT_OK)
            rc = path_join(paths.json, sizeof paths.json, o->out_dir, name);
        snprintf(name, sizeof name, "%s.classviz.curve.png", stem);
        if (rc == EXIT_OK)
            rc = path_join(paths.curve, sizeof paths.curve, o->out_dir, name);
    }
    if (rc == EXIT_OK) {
        double t0 = now_ms();
        rc = run_ascent(o, m, &a, stem);
        ms = now_ms() - t0;
    }
    if (rc == EXIT_OK)
        rc = save_png(m, &a, o->scale, paths.png);
    if (rc == EXIT_OK)
        rc = write_curve(o, &a, stem, paths.curve);
    if (rc == EXIT_OK)
        rc = final_scores(o, m, &a, &f);
    if (rc == EXIT_OK)
        rc = report(o, m, &a, &paths, &f, ms, t_start);
    free(a.probs);
    free(a.objective);
    free(a.scores);
    free(buf);
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
    if (o->layer && !layer_term)
        return fail(EXIT_USAGE, "--layer %s needs --channel C (--neuron X,Y for one position) "
                    "or --objective deepdream", o->layer);
    if (!o->layer && (o->ascent.target < 0) == !o->class_file)
        return fail(EXIT_USAGE, "say what to visualise: --class N or --class-file FILE (one of "
                    "them), or --layer L with --channel C or --objective deepdream");
    if (o->layer && o->ascent.target >= 0 && o->class_file)
        return fail(EXIT_USAGE, "--class and --class-file exclude each other");
    t->kind = !o->layer ? TERM_NONE : o->objective == OBJECTIVE_DEEPDREAM ? TERM_DEEPDREAM
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
    if (rc == EXIT_OK) {
        attrib_status st = attrib_layer_input_gradient(m->handle, x, shape, g->path, &g->view,
                                                       NULL, 0, NULL, &res);
        rc = st == ATTRIB_OK ? EXIT_OK
             : st == ATTRIB_E_ARG ? fail(EXIT_USAGE, "--layer: %s", attrib_last_error())
                                  : model_error(st, m->path);
    }
    if (rc == EXIT_OK) {
        int64_t map[4];
        attrib_result_layer(res, map);
        g->c = map[1], g->h = map[2], g->w = map[3];
        rc = layer_objective_check(&g->term, g->path, g->c, g->h, g->w);
    }
    if (rc == EXIT_OK) {
        g->weights = malloc((size_t)g->c * g->h * g->w * sizeof *g->weights);
        g->logit_w = o->ascent.target >= 0 || o->class_file ? malloc((size_t)m->classes * sizeof(float))
                                                     : NULL;
        if (!g->weights || ((o->ascent.target >= 0 || o->class_file) && !g->logit_w))
            rc = fail(EXIT_INTERNAL, "out of memory");
        else /* constant for a channel or a neuron: made once */
            layer_objective_eval(&g->term, attrib_result_layer(res, NULL), g->c, g->h, g->w,
                                 g->weights);
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

static int cmd_classviz(void *opts, const operands *ops)
{
    double t_start = now_ms();
    struct classviz_opts o = *(const struct classviz_opts *)opts;
    struct layer_goal goal = { 0 };
    if (ops->n > 0)
        return fail(EXIT_USAGE, "classviz takes no image ('%s'); it starts from noise",
                    ops->args[0]);
    int rc = check_objective(&o, &goal.term);
    if (rc == EXIT_OK && o.param == PARAM_FFT && o.blur_every >= 0)
        rc = fail(EXIT_USAGE, "--blur-every applies to --param pixel (the spectrum is not "
                  "blurred; its 1/frequency scale keeps the image smooth)");
    if (rc)
        return rc;
    int fft = o.param == PARAM_FFT;
    o.ascent.lr = o.ascent.lr >= 0 ? o.ascent.lr : fft ? FFT_LR : PIXEL_LR;
    o.ascent.l2 = o.ascent.l2 >= 0 ? o.ascent.l2 : fft ? 0 : PIXEL_L2;
    o.blur_every = o.blur_every >= 0 ? o.blur_every : fft ? 0 : PIXEL_BLUR_EVERY;
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
                "[--neuron X,Y] | --objective deepdream)) [options]",
    .description =
        "Starts from random noise and climbs the gradient of an objective minus\n"
        "l2 * ||I||^2 (in normalised units): the class's unnormalised score; a layer's\n"
        "channel mean (--layer L --channel C), one neuron of it (--neuron X,Y), or\n"
        "the mean square of the whole layer (--objective deepdream); negated with\n"
        "--negative; with --class and --layer, their sum. It steps by lr along the\n"
        "L2-normalised gradient; before each step the image is rolled by a random\n"
        "jitter (and rolled back after), every K steps it is blurred, and it is kept\n"
        "inside the valid pixel range. Writes classN.classviz.png (at the model's input\n"
        "size, times --scale) and classN.classviz.json (the final 8-bit image's score and\n"
        "probability, and the objective every 10 steps); a layer objective names its\n"
        "files after it (features.14-c37, neg-features.14-c37-x3-y4,\n"
        "features.14-deepdream, class88+features.14-c37). Same seed and thread count, same\n"
        "image. With --class-file, every class it lists; a class the model does not\n"
        "have fails alone.\n",
    COMMAND_RUN(struct classviz_opts, options, cmd_classviz),
    .operands = OPERANDS_NONE,
};
