/* cmd_fool.c - `attrib fool`: adversarial images. The classic targeted
 * iterative attack (Szegedy et al. 2014, as in CS231n): step along the
 * L2-normalised gradient of the target's score until the model predicts
 * the target; or FGSM / PGD within an L-infinity budget, targeted or not.
 * Success is judged on the saved 8-bit PNG, read back from disk. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "commands.h"
#include "error.h"
#include "fsutil.h"
#include "inputs.h"
#include "model.h"
#include "planes.h"
#include "png.h"
#include "progress.h"

enum attack { ATTACK_ITERATIVE, ATTACK_FGSM, ATTACK_PGD };
static const char *const attack_names[] = { "iterative", "fgsm", "pgd", NULL };

#define DEFAULT_MAX_ITER 100

struct fool_opts {
    struct model_opts model;
    long target;            /* --target; -1: none (untargeted or from the class file) */
    const char *class_file; /* per-image targets */
    int untargeted;
    int attack;             /* enum attack */
    double lr, eps, step, diff_scale;
    long max_iter;          /* 0: DEFAULT_MAX_ITER (fgsm: 1) */
    const char *out_dir;
    int json, quiet, recursive;
};

static const struct opt options[] = {
    CLASS_OPTION('t', "target", struct fool_opts, target, "the class to reach", ""),
    OPT_PATH(0, "class-file", struct fool_opts, class_file, NULL, "TSV",
             "per-image classes to reach: lines PATH<TAB>CLASS (others: --target)"),
    OPT_FLAG(0, "untargeted", struct fool_opts, untargeted,
             "instead, move away from the current class"),
    OPT_ENUM(0, "method", struct fool_opts, attack, attack_names, ATTACK_ITERATIVE, "the attack"),
    OPT_REAL(0, "lr", struct fool_opts, lr, 1e-6, 1e3, 0.06, "R",
             "iterative: L2 length of a step, in [0,1] pixel units"),
    OPT_REAL(0, "eps", struct fool_opts, eps, 1e-3, 255, 8, "E",
             "fgsm/pgd: L-infinity budget in 0-255 pixel units"),
    { .kind = OPTK_REAL, .name = "step", .offset = OPT_FIELD(struct fool_opts, step, double),
      .min = 1e-3, .max = 255, .metavar = "S", .default_text = "eps/4",
      .help = "pgd: step in 0-255 pixel units" },
    { .kind = OPTK_INT, .name = "max-iter", .offset = OPT_FIELD(struct fool_opts, max_iter, long),
      .min = 1, .max = 100000, .metavar = "N", .default_text = "100; fgsm: 1",
      .help = "most gradient steps" },
    OPT_REAL(0, "diff-scale", struct fool_opts, diff_scale, 1e-3, 1e4, 10, "K",
             "magnification of the perturbation picture"),
    OPT_DIR('o', "output", struct fool_opts, out_dir, ".", "DIR", "where to write the files"),
    OPT_FLAG('r', "recursive", struct fool_opts, recursive,
             "also take images in subdirectories of directory inputs"),
    OPT_FLAG(0, "json", struct fool_opts, json,
             "print the JSON summary on stdout (one line per image)"),
    OPT_FLAG('q', "quiet", struct fool_opts, quiet, "print nothing on success, no progress bar"),
    MODEL_OPTIONS(struct fool_opts, model),
    OPT_END,
};

struct fool_run {
    struct fool_opts o;
    struct model m;
    double t_start;
};

/* One attack's state, in pixel space [3, H, W]. */
struct attack_state {
    int h, w;
    size_t n;
    float *start, *x, *xn, *grad, *probe;
    long original, goal; /* goal: the target, or the class to leave */
    long target;         /* the class to reach; -1 when untargeted */
    int iterations;
};

static int classify(struct model *m, const float *pix, struct attack_state *a, long *top,
                    float *prob, float *probs_out)
{
    const int64_t shape[4] = { 1, 3, a->h, a->w };
    attrib_result *res;
    normalise_planes(pix, a->xn, a->h, a->w, m->card.mean, m->card.std);
    attrib_status st = attrib_forward(m->handle, a->xn, shape, &res);
    if (st != ATTRIB_OK)
        return model_error(st, m->path);
    int rc = model_check_logits(m, res, 1);
    if (rc == EXIT_OK) {
        const float *logits = attrib_result_logits(res, NULL, NULL);
        int idx;
        class_probabilities(&m->card, logits, m->classes, probs_out);
        top_k(probs_out, m->classes, 1, &idx);
        *top = idx;
        *prob = probs_out[idx];
    }
    attrib_result_free(res);
    return rc;
}

static int reached(const struct fool_opts *o, const struct attack_state *a, long top)
{
    return o->untargeted ? top != a->goal : top == a->goal;
}

/* Gradient (pixel space) of the attack's objective at a->x, and the top-1
 * of a->x. The sign makes every attack an ascent. */
static int gradient(struct fool_run *run, struct attack_state *a, long *top)
{
    struct model *m = &run->m;
    const int64_t shape[4] = { 1, 3, a->h, a->w };
    const int64_t goal = a->goal;
    attrib_result *res;
    normalise_planes(a->x, a->xn, a->h, a->w, m->card.mean, m->card.std);
    attrib_objective obj = run->o.attack == ATTACK_ITERATIVE ? ATTRIB_SCORE : ATTRIB_LOG_PROB;
    attrib_status st = attrib_model_set_objective(m->handle, obj, -1);
    if (st == ATTRIB_OK)
        st = attrib_input_gradient(m->handle, a->xn, shape, &goal, &res);
    if (st != ATTRIB_OK)
        return model_error(st, m->path);
    int rc = model_check_logits(m, res, 1);
    if (rc == EXIT_OK) {
        const float *logits = attrib_result_logits(res, NULL, NULL);
        int idx;
        top_k(logits, m->classes, 1, &idx);
        *top = idx;
        const float *g = attrib_result_input_grad(res, NULL);
        size_t plane = (size_t)a->h * a->w;
        float sign = run->o.untargeted ? -1.0f : 1.0f;
        for (int c = 0; c < 3; c++) /* d/dpixel = d/dnormalised / std */
            for (size_t i = 0; i < plane; i++)
                a->grad[c * plane + i] = sign * g[c * plane + i] / m->card.std[c];
    }
    attrib_result_free(res);
    return rc;
}

static void step(const struct fool_opts *o, struct attack_state *a)
{
    if (o->attack == ATTACK_ITERATIVE) {
        double norm = norm_l2(a->grad, a->n);
        if (norm > 0)
            for (size_t i = 0; i < a->n; i++)
                a->x[i] += (float)(o->lr * a->grad[i] / norm);
    } else {
        double eps = o->eps / 255.0;
        double size = o->attack == ATTACK_FGSM ? eps : o->step / 255.0;
        for (size_t i = 0; i < a->n; i++) {
            float g = a->grad[i];
            float v = a->x[i] + (float)(size * ((g > 0) - (g < 0)));
            float lo = a->start[i] - (float)eps, hi = a->start[i] + (float)eps;
            a->x[i] = v < lo ? lo : v > hi ? hi : v;
        }
    }
    for (size_t i = 0; i < a->n; i++)
        a->x[i] = a->x[i] < 0 ? 0 : a->x[i] > 1 ? 1 : a->x[i];
}

/* Steps until the 8-bit rounding of x reaches the goal or the budget ends. */
static int attack(struct fool_run *run, struct attack_state *a, const char *name, float *probs)
{
    const struct fool_opts *o = &run->o;
    long budget = o->attack == ATTACK_FGSM ? 1 : o->max_iter, top;
    struct progress bar;
    char note[64];
    progress_start(&bar, name, (int)budget, o->quiet || o->json);
    int rc = EXIT_OK;
    for (a->iterations = 0;; a->iterations++) {
        if ((rc = gradient(run, a, &top)))
            break;
        if (reached(o, a, top)) { /* the float image does it; does the PNG? */
            float p;
            memcpy(a->probe, a->x, a->n * sizeof(float));
            quantise_pixels(a->probe, a->n);
            if ((rc = classify(&run->m, a->probe, a, &top, &p, probs)) || reached(o, a, top))
                break;
        }
        if (a->iterations == budget)
            break;
        step(o, a);
        snprintf(note, sizeof note, "top-1 %ld", top);
        progress_update(&bar, a->iterations + 1, note);
    }
    progress_end(&bar);
    quantise_pixels(a->x, a->n);
    return rc;
}

static int write_pictures(const struct fool_opts *o, const struct attack_state *a,
                          const char *fool, const char *original, const char *diff)
{
    size_t plane = (size_t)a->h * a->w;
    unsigned char *rgb = malloc(plane * 3);
    float *d = malloc(a->n * sizeof *d);
    int rc = rgb && d ? EXIT_OK : fail(EXIT_INTERNAL, "out of memory");
    if (rc == EXIT_OK) {
        planes_to_rgb8(a->x, a->h, a->w, rgb);
        rc = png_write(fool, a->w, a->h, 3, rgb);
    }
    if (rc == EXIT_OK) {
        planes_to_rgb8(a->start, a->h, a->w, rgb);
        rc = png_write(original, a->w, a->h, 3, rgb);
    }
    if (rc == EXIT_OK) {
        for (size_t i = 0; i < a->n; i++)
            d[i] = 0.5f + (float)o->diff_scale * (a->x[i] - a->start[i]);
        planes_to_rgb8(d, a->h, a->w, rgb);
        rc = png_write(diff, a->w, a->h, 3, rgb);
    }
    free(d);
    free(rgb);
    return rc;
}

/* Reads the written PNG back and classifies it: the verdict users can trust. */
static int reclassify(struct fool_run *run, struct attack_state *a, const char *path, long *top,
                      float *prob, float *probs)
{
    struct image img = { 0 };
    int rc = image_load(path, &img);
    if (rc == EXIT_OK && (img.width != a->w || img.height != a->h))
        rc = fail(EXIT_INTERNAL, "'%s' was read back at a different size", path);
    if (rc == EXIT_OK) {
        const float zero[3] = { 0, 0, 0 }, one[3] = { 1, 1, 1 };
        struct rect whole = { 0, 0, a->w, a->h };
        rc = image_to_tensor(&img, whole, a->w, a->h, zero, one, a->probe);
    }
    if (rc == EXIT_OK)
        rc = classify(&run->m, a->probe, a, top, prob, probs);
    image_free(&img);
    return rc;
}

static cJSON *score_json(const struct model *m, long idx, const float *probs)
{
    char buf[32];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "index", (double)idx);
    cJSON_AddStringToObject(o, "label", card_label(&m->card, idx, buf, sizeof buf));
    cJSON_AddNumberToObject(o, "probability", probs[idx]);
    return o;
}

struct verdict {
    const char *image;
    int image_w, image_h;
    struct rect region;
    long final;
    int success;
    double l2, linf, attack_ms;
    const char *paths[4];
};

static int report(struct fool_run *run, const struct attack_state *a, const struct verdict *v,
                  const float *probs0, const float *probs1)
{
    const struct fool_opts *o = &run->o;
    struct model_info mi = model_info(&run->m);
    cJSON *j = summary_header("fool", &mi);
    cJSON_AddStringToObject(j, "attack", attack_names[o->attack]);
    cJSON *img = cJSON_AddObjectToObject(j, "image");
    cJSON_AddStringToObject(img, "path", v->image);
    cJSON_AddNumberToObject(img, "width", v->image_w);
    cJSON_AddNumberToObject(img, "height", v->image_h);
    cJSON_AddBoolToObject(j, "targeted", !o->untargeted);
    if (!o->untargeted)
        cJSON_AddItemToObject(j, "target", score_json(&run->m, a->goal, probs1));
    cJSON_AddItemToObject(j, "original", score_json(&run->m, a->original, probs0));
    cJSON_AddItemToObject(j, "final", score_json(&run->m, v->final, probs1));
    cJSON_AddBoolToObject(j, "success", v->success);
    cJSON_AddNumberToObject(j, "iterations", a->iterations);
    cJSON_AddNumberToObject(j, "max_iter", o->attack == ATTACK_FGSM ? 1 : (double)o->max_iter);
    if (o->attack == ATTACK_ITERATIVE)
        cJSON_AddNumberToObject(j, "lr", o->lr);
    else
        cJSON_AddNumberToObject(j, "eps", o->eps);
    if (o->attack == ATTACK_PGD)
        cJSON_AddNumberToObject(j, "step", o->step);
    cJSON *norms = cJSON_AddObjectToObject(j, "perturbation_0_255");
    cJSON_AddNumberToObject(norms, "l2", round(v->l2 * 1e4) / 1e4);
    cJSON_AddNumberToObject(norms, "linf", round(v->linf * 1e4) / 1e4);
    cJSON *out = cJSON_AddObjectToObject(j, "outputs");
    static const char *const kinds[] = { "fooling", "original", "diff", "summary" };
    for (int i = 0; i < 4; i++)
        cJSON_AddStringToObject(out, kinds[i], v->paths[i]);
    cJSON *t = cJSON_AddObjectToObject(j, "timings_ms");
    cJSON_AddNumberToObject(t, "load", round(run->m.load_ms * 1e3) / 1e3);
    cJSON_AddNumberToObject(t, "attack", round(v->attack_ms * 1e3) / 1e3);
    cJSON_AddNumberToObject(t, "total", round((now_ms() - run->t_start) * 1e3) / 1e3);
    cJSON_AddNumberToObject(j, "threads", attrib_runtime_threads());

    int rc = summary_emit(j, v->paths[3], o->json);
    char b0[32], b1[32];
    if (rc == EXIT_OK && !o->json && !o->quiet) {
        printf("%s: %ld \"%s\" (p=%.4f) -> %ld \"%s\" (p=%.4f): %s after %d step%s; "
               "perturbation L2 %.1f, Linf %.0f (0-255)\n",
               v->image, a->original, card_label(&run->m.card, a->original, b0, sizeof b0),
               probs0[a->original], v->final, card_label(&run->m.card, v->final, b1, sizeof b1),
               probs1[v->final], v->success ? "fooled" : "NOT fooled", a->iterations,
               a->iterations == 1 ? "" : "s", v->l2, v->linf);
        for (int i = 0; i < 4; i++)
            printf("  wrote %s\n", v->paths[i]);
    }
    cJSON_Delete(j);
    return rc;
}

/* Whether image it's class to reach is one the model has: a bad --target
 * stops the run (usage), a bad class-file line fails that image alone. */
static int check_target(const struct fool_run *run, const struct input *it)
{
    const struct model *m = &run->m;
    if (it->target < 0 && !run->o.untargeted)
        return fail(EXIT_INPUT, "%s: no class to reach (not in %s, and no --target)", it->path,
                    run->o.class_file);
    if (it->target < m->classes)
        return EXIT_OK;
    if (!it->target_line)
        return fail(EXIT_USAGE, "--target %ld is out of range: the model has classes 0 to %d",
                    it->target, m->classes - 1);
    return fail(EXIT_INPUT, "%s: class %ld (%s line %ld) is out of range: the model has "
                "classes 0 to %d", it->path, it->target, run->o.class_file, it->target_line,
                m->classes - 1);
}

static int fool_one(struct fool_run *run, const struct input *it)
{
    const char *path = it->path;
    struct model *m = &run->m;
    struct attack_state a = { .h = m->card.input_h, .w = m->card.input_w,
                              .target = run->o.untargeted ? -1 : it->target };
    struct verdict v = { .image = path };
    char paths[4][PATH_MAX];
    a.n = (size_t)3 * a.h * a.w;
    float *buf = malloc(5 * a.n * sizeof(float));
    float *probs0 = malloc(2 * (size_t)CARD_MAX_LABELS * sizeof(float));
    float *probs1 = probs0 ? probs0 + CARD_MAX_LABELS : NULL;
    struct image img = { 0 };
    int rc = buf && probs0 ? image_load(path, &img) : fail(EXIT_INTERNAL, "out of memory");
    if (rc == EXIT_OK) {
        a.start = buf, a.x = buf + a.n, a.xn = buf + 2 * a.n, a.grad = buf + 3 * a.n;
        a.probe = buf + 4 * a.n;
        const float zero[3] = { 0, 0, 0 }, one[3] = { 1, 1, 1 };
        v.image_w = img.width, v.image_h = img.height;
        v.region = model_region(img.width, img.height, a.w, a.h, run->o.model.resize);
        rc = image_to_tensor(&img, v.region, a.w, a.h, zero, one, a.start);
    }
    float p;
    if (rc == EXIT_OK) {
        /* The attack starts from what an 8-bit PNG of the resized photo holds. */
        quantise_pixels(a.start, a.n);
        memcpy(a.x, a.start, a.n * sizeof(float));
        rc = classify(m, a.start, &a, &a.original, &p, probs0);
    }
    if (rc == EXIT_OK && a.target == a.original)
        rc = fail(it->target_line ? EXIT_INPUT : EXIT_USAGE,
                  "class %ld is already the predicted class of '%s'", a.target, path);
    static const char *const suffix[] = { ".fool.png", ".fool.original.png", ".fool.diff.png",
                                          ".fool.json" };
    for (int i = 0; rc == EXIT_OK && i < 4; i++) {
        rc = output_path(run->o.out_dir, it->name, suffix[i], paths[i], sizeof paths[i]);
        v.paths[i] = paths[i];
    }
    if (rc == EXIT_OK) {
        a.goal = run->o.untargeted ? a.original : a.target;
        double t0 = now_ms();
        rc = attack(run, &a, path, probs1);
        v.attack_ms = now_ms() - t0;
    }
    if (rc == EXIT_OK)
        rc = write_pictures(&run->o, &a, paths[0], paths[1], paths[2]);
    if (rc == EXIT_OK)
        rc = reclassify(run, &a, paths[0], &v.final, &p, probs1);
    if (rc == EXIT_OK) {
        v.success = reached(&run->o, &a, v.final);
        for (size_t i = 0; i < a.n; i++)
            a.grad[i] = 255.0f * (a.x[i] - a.start[i]); /* reuse: the perturbation */
        v.l2 = norm_l2(a.grad, a.n);
        v.linf = norm_linf(a.grad, a.n);
        rc = report(run, &a, &v, probs0, probs1);
    }
    image_free(&img);
    free(probs0);
    free(buf);
    return rc;
}

static int check_options(const struct fool_opts *o)
{
    if (o->target < 0 && !o->untargeted && !o->class_file)
        return fail(EXIT_USAGE, "say which class to reach with --target N, or --untargeted "
                    "(or --class-file)");
    if ((o->target >= 0 || o->class_file) && o->untargeted)
        return fail(EXIT_USAGE, "--target/--class-file and --untargeted exclude each other");
    if (o->attack == ATTACK_FGSM && o->max_iter)
        return fail(EXIT_USAGE, "--max-iter does not apply to fgsm (one step)");
    return EXIT_OK;
}

/* Every input; one whose image or class fails is reported and the rest go on. */
static int fool_all(struct fool_run *run, struct input_list *in)
{
    int worst = EXIT_OK;
    for (size_t i = 0; i < in->n; i++) {
        int rc = check_target(run, &in->items[i]);
        if (rc == EXIT_OK)
            rc = fool_one(run, &in->items[i]);
        if (rc == EXIT_OK)
            continue;
        if (rc != EXIT_INPUT)
            return rc; /* main() reports it */
        report_error("fool", error_message());
        clear_error();
        worst = rc;
    }
    return worst;
}

static int cmd_fool(void *opts, const operands *ops)
{
    struct fool_run run = { .t_start = now_ms(), .o = *(const struct fool_opts *)opts };
    struct fool_opts *o = &run.o;
    int rc = check_options(o);
    if (rc)
        return rc;
    if (o->step <= 0)
        o->step = o->eps / 4;
    if (!o->max_iter)
        o->max_iter = DEFAULT_MAX_ITER;
    if (ops->n < 1)
        return fail(EXIT_USAGE, "no image given (usage: attrib fool IMAGE... --target N)");
    struct input_list in;
    rc = inputs_collect(ops->args, ops->n, o->recursive, &in);
    if (rc == EXIT_OK && o->class_file)
        rc = inputs_read_classes(&in, o->class_file, o->target, CARD_MAX_LABELS - 1);
    else
        for (size_t i = 0; rc == EXIT_OK && i < in.n; i++)
            in.items[i].target = o->target, in.items[i].target_line = 0;
    if (rc == EXIT_OK)
        rc = make_dirs(o->out_dir);
    if (rc == EXIT_OK)
        rc = model_open(&o->model, &run.m);
    if (rc == EXIT_OK)
        rc = model_probe_classes(&run.m);
    if (rc == EXIT_OK)
        rc = fool_all(&run, &in);
    inputs_free(&in);
    model_close(&run.m);
    return rc;
}

const struct command_spec fool_spec = {
    .synopsis = "attrib fool IMAGE|DIR|-... (--target N | --class-file TSV | --untargeted) "
                "[options]",
    .description =
        "Makes an adversarial image at the model's input size. The default attack\n"
        "steps along the L2-normalised gradient of the target's unnormalised score\n"
        "(x += lr * g / ||g||) until the model's top-1 is the target. FGSM takes one\n"
        "signed step of size eps; PGD takes signed steps of size --step and stays\n"
        "within eps of the original (L-infinity), both on the log-probability.\n"
        "Pixels stay in [0, 1]. Success is checked on the saved 8-bit PNG, read back\n"
        "and classified again; rounding that undoes the attack means more steps.\n"
        "Writes NAME.fool.png, NAME.fool.original.png (the start, same size),\n"
        "NAME.fool.diff.png (perturbation x --diff-scale around mid-grey) and\n"
        "NAME.fool.json. An image whose --class-file class the model does not have\n"
        "fails alone; the others are done.\n",
    COMMAND_RUN(struct fool_opts, options, cmd_fool),
    .operands = OPERANDS_IMAGES,
};
