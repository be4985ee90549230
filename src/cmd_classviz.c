/* cmd_classviz.c - `attrib classviz`: an image the model sees as a class,
 * by gradient ascent on score_c(I) - l2 * ||I||^2 from seeded noise, with
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
#include "error.h"
#include "fsutil.h"
#include "model.h"
#include "planes.h"
#include "rng.h"
#include "png.h"
#include "progress.h"

enum { SCORE_EVERY = 10 };

#define MAX_CLASSES 100000 /* classes one --class-file may list */

struct classviz_opts {
    struct model_opts model;
    long target, iters, jitter, blur_every, seed, scale, frame_every;
    double lr, l2, blur_sigma;
    const char *out_dir, *frames, *class_file;
    int json, quiet;
};

static const struct opt options[] = {
    CLASS_OPTION('c', "class", struct classviz_opts, target, "the class to visualise", ""),
    OPT_PATH(0, "class-file", struct classviz_opts, class_file, NULL, "FILE",
             "visualise every class it lists, one per line (CLASS, or CLASS<TAB>anything)"),
    OPT_INT(0, "iters", struct classviz_opts, iters, 1, 100000, 200, "N", "gradient steps"),
    OPT_REAL(0, "lr", struct classviz_opts, lr, 1e-6, 1e6, 25, "R",
             "L2 length of a step in normalised units"),
    OPT_REAL(0, "l2", struct classviz_opts, l2, 0, 1e3, 1e-3, "L", "weight of the L2 penalty"),
    OPT_INT(0, "jitter", struct classviz_opts, jitter, 0, 1024, 16, "J",
            "largest random roll in pixels"),
    OPT_INT(0, "blur-every", struct classviz_opts, blur_every, 0, 100000, 10, "K",
            "blur every K steps (0: never)"),
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

struct ascent {
    int h, w;
    size_t n;
    float *x, *pix, *grad; /* x: normalised [3, h, w] */
    double *scores;        /* every SCORE_EVERY steps */
    int nscores;
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

/* One step: jitter, gradient of score - l2 ||x||^2, step, unjitter, clamp. */
static int ascend(const struct classviz_opts *o, struct model *m, struct ascent *a,
                  struct rng *r, double *score)
{
    int dx = rng_range(r, -(int)o->jitter, (int)o->jitter);
    int dy = rng_range(r, -(int)o->jitter, (int)o->jitter);
    int rc = roll_planes(a->x, 3, a->h, a->w, dx, dy);
    if (rc)
        return rc;
    const int64_t shape[4] = { 1, 3, a->h, a->w };
    const int64_t target = o->target;
    attrib_result *res;
    attrib_status st = attrib_input_gradient(m->handle, a->x, shape, &target, &res);
    if (st != ATTRIB_OK)
        return st == ATTRIB_E_ARG ? fail(EXIT_USAGE, "--class: %s", attrib_last_error())
                                  : model_error(st, m->path);
    rc = model_check_logits(m, res, 1);
    if (rc == EXIT_OK) {
        const float *g = attrib_result_input_grad(res, NULL);
        *score = attrib_result_logits(res, NULL, NULL)[target];
        for (size_t i = 0; i < a->n; i++)
            a->grad[i] = g[i] - (float)(2.0 * o->l2) * a->x[i];
        double norm = norm_l2(a->grad, a->n);
        if (norm > 0)
            for (size_t i = 0; i < a->n; i++)
                a->x[i] += (float)(o->lr * a->grad[i] / norm);
    }
    attrib_result_free(res);
    if (rc == EXIT_OK)
        rc = roll_planes(a->x, 3, a->h, a->w, -dx, -dy);
    clamp_normalised(a->x, a->h, a->w, m->card.mean, m->card.std);
    return rc;
}

/* Score and probability of the class for the image as its 8-bit PNG holds
 * it (what a user who opens the file and classifies it would see). */
static int final_scores(struct model *m, struct ascent *a, long target, double *score,
                        double *prob, long *top)
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
        *score = logits[target];
        *prob = probs[target];
        *top = idx;
    }
    attrib_result_free(res);
    free(probs);
    return rc;
}

static int save_frame(const struct classviz_opts *o, const struct model *m, struct ascent *a,
                      int step)
{
    char name[64], path[PATH_MAX];
    snprintf(name, sizeof name, "class%ld.step%05d.png", o->target, step);
    int rc = path_join(path, sizeof path, o->frames, name);
    return rc ? rc : save_png(m, a, 1, path);
}

static int run_ascent(const struct classviz_opts *o, struct model *m, struct ascent *a)
{
    struct rng r;
    struct progress bar;
    char label[32], note[48];
    rng_seed(&r, (uint64_t)o->seed);
    for (size_t i = 0; i < a->n; i++)
        a->x[i] = (float)rng_normal(&r);
    clamp_normalised(a->x, a->h, a->w, m->card.mean, m->card.std);
    snprintf(label, sizeof label, "class %ld", o->target);
    progress_start(&bar, label, (int)o->iters, o->quiet || o->json);
    int rc = EXIT_OK;
    for (int t = 0; t < o->iters && rc == EXIT_OK; t++) {
        double score = 0;
        rc = ascend(o, m, a, &r, &score);
        if (rc == EXIT_OK && o->blur_every && (t + 1) % o->blur_every == 0)
            rc = blur_planes(a->x, 3, a->h, a->w, o->blur_sigma);
        if (rc == EXIT_OK && t % SCORE_EVERY == 0)
            a->scores[a->nscores++] = score;
        if (rc == EXIT_OK && o->frames && (t + 1) % o->frame_every == 0)
            rc = save_frame(o, m, a, t + 1);
        snprintf(note, sizeof note, "score %.2f", score);
        progress_update(&bar, t + 1, note);
    }
    progress_end(&bar);
    return rc;
}

static int report(const struct classviz_opts *o, struct model *m, const struct ascent *a,
                  const char *png, const char *json, double score, double prob, long top,
                  double ms, double t_start)
{
    char buf[32];
    struct model_info mi = model_info(m);
    cJSON *j = summary_header("classviz", &mi);
    cJSON *target = cJSON_AddObjectToObject(j, "target");
    cJSON_AddNumberToObject(target, "index", (double)o->target);
    cJSON_AddStringToObject(target, "label", card_label(&m->card, o->target, buf, sizeof buf));
    cJSON_AddNumberToObject(target, "score", score);
    cJSON_AddNumberToObject(target, "probability", prob);
    cJSON_AddNumberToObject(j, "top1", (double)top);
    cJSON *p = cJSON_AddObjectToObject(j, "parameters");
    cJSON_AddNumberToObject(p, "iters", (double)o->iters);
    cJSON_AddNumberToObject(p, "lr", o->lr);
    cJSON_AddNumberToObject(p, "l2", o->l2);
    cJSON_AddNumberToObject(p, "jitter", (double)o->jitter);
    cJSON_AddNumberToObject(p, "blur_every", (double)o->blur_every);
    cJSON_AddNumberToObject(p, "blur_sigma", o->blur_sigma);
    cJSON_AddNumberToObject(p, "seed", (double)o->seed);
    cJSON_AddNumberToObject(p, "scale", (double)o->scale);
    cJSON *scores = cJSON_AddArrayToObject(j, "score_every_10_steps");
    for (int i = 0; i < a->nscores; i++)
        cJSON_AddItemToArray(scores, cJSON_CreateNumber(round(a->scores[i] * 1e4) / 1e4));
    cJSON *out = cJSON_AddObjectToObject(j, "outputs");
    cJSON_AddStringToObject(out, "image", png);
    cJSON_AddStringToObject(out, "summary", json);
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
        printf("class %ld \"%s\": score %.3g, p=%.4f after %ld steps (%.1f ms/step)\n"
               "  wrote %s\n  wrote %s\n", o->target, card_label(&m->card, o->target, buf, sizeof buf),
               score, prob, o->iters, ms / o->iters, png, json);
    cJSON_Delete(j);
    return rc;
}

/* One class's image, JSON and line: o->target, already checked. */
static int classviz_one(const struct classviz_opts *o, struct model *m, double t_start)
{
    struct ascent a = { .h = m->card.input_h, .w = m->card.input_w };
    a.n = (size_t)3 * a.h * a.w;
    float *buf = malloc(3 * a.n * sizeof *buf);
    a.scores = malloc(((size_t)o->iters / SCORE_EVERY + 1) * sizeof *a.scores);
    int rc = buf && a.scores ? EXIT_OK : fail(EXIT_INTERNAL, "out of memory");
    char name[64], png[PATH_MAX], json[PATH_MAX];
    double score = 0, prob = 0, ms = 0;
    long top = -1;
    if (rc == EXIT_OK) {
        a.x = buf, a.pix = buf + a.n, a.grad = buf + 2 * a.n;
        snprintf(name, sizeof name, "class%ld.classviz.png", o->target);
        rc = path_join(png, sizeof png, o->out_dir, name);
        snprintf(name, sizeof name, "class%ld.classviz.json", o->target);
        if (rc == EXIT_OK)
            rc = path_join(json, sizeof json, o->out_dir, name);
    }
    if (rc == EXIT_OK) {
        double t0 = now_ms();
        rc = run_ascent(o, m, &a);
        ms = now_ms() - t0;
    }
    if (rc == EXIT_OK)
        rc = save_png(m, &a, o->scale, png);
    if (rc == EXIT_OK)
        rc = final_scores(m, &a, o->target, &score, &prob, &top);
    if (rc == EXIT_OK)
        rc = report(o, m, &a, png, json, score, prob, top, ms, t_start);
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
static int classviz_all(struct classviz_opts *o, struct model *m, const long *classes,
                        const long *lines, size_t n, double t_start)
{
    int worst = EXIT_OK;
    for (size_t i = 0; i < n; i++) {
        o->target = classes[i];
        int rc = EXIT_OK;
        if (classes[i] >= m->classes && !lines)
            return fail(EXIT_USAGE, "--class %ld is out of range: the model has classes 0 to %d",
                        classes[i], m->classes - 1);
        if (classes[i] >= m->classes)
            rc = fail(EXIT_INPUT, "class %ld (%s line %ld) is out of range: the model has "
                      "classes 0 to %d", classes[i], o->class_file, lines[i], m->classes - 1);
        else
            rc = classviz_one(o, m, t_start);
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

static int cmd_classviz(void *opts, const operands *ops)
{
    double t_start = now_ms();
    struct classviz_opts o = *(const struct classviz_opts *)opts;
    if (ops->n > 0)
        return fail(EXIT_USAGE, "classviz takes no image ('%s'); it starts from noise",
                    ops->args[0]);
    if ((o.target < 0) == !o.class_file)
        return fail(EXIT_USAGE, "say which class to visualise with --class N or --class-file FILE"
                    " (one of them)");
    long one = o.target, *classes = &one, *lines = NULL;
    size_t n = 1;
    int rc = o.class_file ? read_class_list(o.class_file, &classes, &lines, &n) : EXIT_OK;
    if (rc == EXIT_OK && !((rc = make_dirs(o.out_dir))) && o.frames)
        rc = make_dirs(o.frames);
    struct model m = { 0 };
    if (rc == EXIT_OK)
        rc = model_open(&o.model, &m);
    if (rc == EXIT_OK)
        rc = model_probe_classes(&m);
    if (rc == EXIT_OK)
        rc = classviz_all(&o, &m, classes, lines, n, t_start);
    if (classes != &one)
        free(classes);
    free(lines);
    model_close(&m);
    return rc;
}

const struct command_spec classviz_spec = {
    .synopsis = "attrib classviz (--class N | --class-file FILE) [options]",
    .description =
        "Starts from random noise and climbs the gradient of the class's unnormalised\n"
        "score minus l2 * ||I||^2 (in normalised units), stepping by lr along the\n"
        "L2-normalised gradient; before each step the image is rolled by a random\n"
        "jitter (and rolled back after), every K steps it is blurred, and it is kept\n"
        "inside the valid pixel range. Writes classN.classviz.png (at the model's input\n"
        "size, times --scale) and classN.classviz.json (the final 8-bit image's score and\n"
        "probability, and the score every 10 steps). Same seed and thread count, same\n"
        "image. With --class-file, every class it lists; a class the model does not\n"
        "have fails alone.\n",
    COMMAND_RUN(struct classviz_opts, options, cmd_classviz),
    .operands = OPERANDS_NONE,
};
