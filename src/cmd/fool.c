/* fool.c - `attrib fool`: adversarial images. The classic targeted
 * iterative attack (Szegedy et al. 2014, as in CS231n); FGSM and PGD within
 * an L-infinity or L2 budget; Carlini-Wagner L2 and DeepFool; each targeted
 * or not (attacks.c). Success is judged on the saved 8-bit PNG, read back
 * from disk. With --report, over labelled images: clean and robust
 * accuracy (robustness.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attacks.h"
#include "classify.h"
#include "command.h"
#include "error.h"
#include "fsutil.h"
#include "inputs.h"
#include "model.h"
#include "planes.h"
#include "png.h"
#include "robustness.h"

/* Defaults that depend on the attack (the rows' -1 means "not given"). */
#define DEFAULT_MAX_ITER 100
#define DEFAULT_DEEPFOOL_STEPS 50 /* torchattacks' */
#define DEFAULT_LINF_EPS (8.0 / 255)
#define DEFAULT_L2_EPS 1.0        /* torchattacks' PGDL2 */
#define DEFAULT_ITERATIVE_LR 0.06
#define DEFAULT_CW_LR 0.01        /* Carlini & Wagner's Adam step */
#define DEFAULT_CW_C 1.0
#define DEFAULT_CW_SEARCH_STEPS 5
#define DEFAULT_OVERSHOOT 0.02    /* the DeepFool paper's */
#define DEFAULT_CANDIDATES 10     /* the DeepFool paper's reference code */
#define NOT_GIVEN (-1)

struct fool_opts {
    struct model_opts model;
    long target;            /* --target; -1: none (untargeted or from the class file) */
    const char *class_file; /* per-image targets, or with --untargeted true classes */
    int class_from_folder;
    int untargeted, report;
    int attack, norm;       /* enum attack_kind, enum attack_norm (-1: by the attack) */
    double lr, eps, step, c, kappa, overshoot, diff_scale;
    long max_iter, search_steps, candidates;
    const char *out_dir;
    int json, quiet, recursive;
};

/* fool's --target is a class: explain's SPEC forms (segment:1, box:...)
 * are refused by name, as attacks on them are not built. */
static int refuse_spec(const struct opt *o, const char *arg, void *unused)
{
    (void)o, (void)unused;
    const char *colon = strchr(arg, ':');
    if (!colon)
        return EXIT_OK; /* the integer row's own message */
    return fail(EXIT_USAGE, "fool --target %s: fool's --target is the class to reach (--target "
                "N); it attacks classifiers, and attacks on a segment, an embedding or a box "
                "are not built", arg);
}

static int parse_budget(const struct opt *o, const char *arg, void *dest);
static void format_budget(const void *dest, char *buf, size_t size);

#define BUDGET_OPTION(n, field, mv, h)                                                        \
    { .kind = OPTK_CUSTOM, .name = n, .offset = OPT_FIELD(struct fool_opts, field, double),   \
      .parse = parse_budget, .format = format_budget, .metavar = mv, .help = h }

static const struct opt options[] = {
    { .kind = OPTK_INT, .letter = 't', .name = "target",
      .offset = OPT_FIELD(struct fool_opts, target, long), .min = 0,
      .max = CARD_MAX_LABELS - 1, .def = -1, .metavar = "N", .parse = refuse_spec,
      .default_text = "", .help = "the class to reach (an index: fool attacks classifiers; "
                                  "explain's --target SPEC forms are not attacks)" },
    OPT_FLAG(0, "untargeted", struct fool_opts, untargeted,
             "instead, move away from the image's class (its true class with --class-file or "
             "--class-from-folder, else its predicted one)"),
    OPT_PATH(0, "class-file", struct fool_opts, class_file, NULL, "TSV",
             "per-image classes, lines PATH<TAB>CLASS: to reach, or with --untargeted each "
             "image's true class"),
    OPT_FLAG(0, "class-from-folder", struct fool_opts, class_from_folder,
             "with --untargeted: each image's true class is its folder's name (a class number "
             "or a label of the model's card, as ImageFolder); implies --recursive"),
    OPT_FLAG(0, "report", struct fool_opts, report,
             "over labelled images (--untargeted with --class-file or --class-from-folder): "
             "clean and robust accuracy, attack success, median perturbation; writes "
             "robustness.json and robustness.csv"),
    OPT_ENUM(0, "attack", struct fool_opts, attack, attack_names, ATTACK_ITERATIVE,
             "the attack"),
    OPT_ENUM(0, "method", struct fool_opts, attack, attack_names, ATTACK_ITERATIVE,
             "older name of --attack"),
    { .kind = OPTK_ENUM, .name = "norm", .offset = OPT_FIELD(struct fool_opts, norm, int),
      .words = norm_names, .def = NOT_GIVEN, .default_text = "linf; cw and deepfool: l2, their only norm",
      .help = "the norm of the budget (fgsm, pgd) or of what is minimised" },
    BUDGET_OPTION("eps", eps, "E", "fgsm/pgd: the budget in [0,1] pixel units, a number or a "
                  "fraction such as 4/255 (default: linf 8/255, l2 1)"),
    BUDGET_OPTION("step", step, "S", "pgd: the step, in the same units (default: eps/4)"),
    { .kind = OPTK_INT, .name = "max-iter", .offset = OPT_FIELD(struct fool_opts, max_iter, long),
      .min = 1, .max = 100000, .def = NOT_GIVEN, .metavar = "N",
      .default_text = "100; deepfool: 50; cw: 100 per constant", .help = "most gradient steps" },
    { .kind = OPTK_REAL, .name = "lr", .offset = OPT_FIELD(struct fool_opts, lr, double),
      .min = 1e-6, .max = 1e3, .def = NOT_GIVEN, .metavar = "R", .default_text = "0.06; cw: 0.01",
      .help = "iterative: L2 length of a step in [0,1] pixel units; cw: Adam's learning rate" },
    { .kind = OPTK_REAL, .name = "c", .offset = OPT_FIELD(struct fool_opts, c, double),
      .min = 1e-6, .max = 1e6, .def = NOT_GIVEN, .metavar = "C", .default_text = "1",
      .help = "cw: the first constant weighing the misclassification term against the L2 "
              "distance (then a binary search)" },
    { .kind = OPTK_INT, .name = "search-steps", .min = 1, .max = 100, .def = NOT_GIVEN,
      .offset = OPT_FIELD(struct fool_opts, search_steps, long), .metavar = "N",
      .default_text = "5", .help = "cw: constants tried by the binary search" },
    { .kind = OPTK_REAL, .name = "kappa", .offset = OPT_FIELD(struct fool_opts, kappa, double),
      .min = 0, .max = 1e3, .def = NOT_GIVEN, .metavar = "K", .default_text = "0",
      .help = "cw: confidence, the logit margin the result must have" },
    { .kind = OPTK_REAL, .name = "overshoot", .min = 0, .max = 10, .def = NOT_GIVEN,
      .offset = OPT_FIELD(struct fool_opts, overshoot, double), .metavar = "F",
      .default_text = "0.02", .help = "deepfool: how much further than the boundary each step goes" },
    { .kind = OPTK_INT, .name = "candidates", .min = 2, .max = CARD_MAX_LABELS, .def = NOT_GIVEN,
      .offset = OPT_FIELD(struct fool_opts, candidates, long), .metavar = "N",
      .default_text = "10", .help = "untargeted deepfool: the classes whose boundaries are "
                                    "considered, the most likely first (the class left included)" },
    OPT_REAL(0, "diff-scale", struct fool_opts, diff_scale, 1e-3, 1e4, 10, "K",
             "magnification of the perturbation picture"),
    OPT_DIR('o', "output", struct fool_opts, out_dir, ".", "DIR", "where to write the files"),
    OPT_FLAG('r', "recursive", struct fool_opts, recursive,
             "also take images in subdirectories of directory inputs"),
    OPT_FLAG(0, "json", struct fool_opts, json,
             "print the JSON summary on stdout (one line per image; with --report, then one "
             "line of totals)"),
    OPT_FLAG('q', "quiet", struct fool_opts, quiet, "print nothing on success, no progress bar"),
    MODEL_OPTIONS(struct fool_opts, model),
    OPT_END,
};

/* The largest a budget can be asked: an L2 norm over a large image. */
#define MAX_BUDGET 1e4

/* A budget: a number or a fraction N/D ("4/255"), more than 0. */
static int parse_budget(const struct opt *o, const char *arg, void *dest)
{
    char shown[64], head[64];
    snprintf(shown, sizeof shown, "--%s", o->name);
    if (!*arg)
        return fail(EXIT_USAGE, "%s needs a value, got an empty one", shown);
    const char *slash = strchr(arg, '/');
    double num, den = 1;
    size_t len = slash ? (size_t)(slash - arg) : strlen(arg);
    if (len >= sizeof head || !len || (slash && !slash[1]))
        return fail(EXIT_USAGE, "%s must be a number or a fraction such as 4/255, got '%s'",
                    shown, arg);
    memcpy(head, arg, len);
    head[len] = '\0';
    if (parse_double(head, -MAX_BUDGET, MAX_BUDGET, shown, &num) ||
        (slash && parse_double(slash + 1, 1e-9, 1e9, shown, &den))) {
        clear_error();
        return fail(EXIT_USAGE, "%s must be a number or a fraction such as 4/255, got '%s'",
                    shown, arg);
    }
    if (!(num / den > 0) || num / den > MAX_BUDGET)
        return fail(EXIT_USAGE, "%s must be more than 0 and at most %g, got %s", shown,
                    MAX_BUDGET, arg);
    *(double *)dest = num / den;
    return EXIT_OK;
}

static void format_budget(const void *dest, char *buf, size_t size)
{
    snprintf(buf, size, "%.17g", *(const double *)dest);
}

struct fool_run {
    struct fool_opts o;
    struct attack_params p;
    struct model m;
    struct robustness robust;
    double t_start;
};

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

/* Classifies pixels pix ([0, 1], the model's size): top-1 and every
 * class's probability (probs holds the logits first). */
static int classify(struct attack_state *a, const float *pix, long *top, float *probs)
{
    int rc = attack_classify(a, pix, probs, top);
    if (rc == EXIT_OK) {
        int idx;
        class_probabilities(&a->m->card, probs, a->m->classes, probs);
        top_k(probs, a->m->classes, 1, &idx);
        *top = idx;
    }
    return rc;
}

/* Reads the written PNG back and classifies it: the verdict users can trust. */
static int reclassify(struct attack_state *a, const char *path, long *top, float *probs)
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
        rc = classify(a, a->probe, top, probs);
    image_free(&img);
    return rc;
}

static cJSON *score_json(const struct model *m, long idx, const float *probs)
{
    char buf[32];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "index", (double)idx);
    cJSON_AddStringToObject(o, "label", card_label(&m->card, idx, buf, sizeof buf));
    if (probs)
        cJSON_AddNumberToObject(o, "probability", probs[idx]);
    return o;
}

/* What happened to one image. */
struct verdict {
    const char *image;
    int image_w, image_h;
    long truth;              /* the true class; -1: not known */
    long original, final;    /* top-1 before and after */
    int attacked, success;
    double l2, linf, attack_ms; /* perturbation in [0, 1] pixel units */
    const float *probs0, *probs1;
    const char *paths[4];    /* fooling, original, diff, summary PNGs and JSON */
};

static const char *const output_kinds[] = { "fooling", "original", "diff", "summary" };
static const char *const output_suffixes[] = { ".fool.png", ".fool.original.png",
                                               ".fool.diff.png", ".fool.json" };
enum { OUT_FOOL, OUT_ORIGINAL, OUT_DIFF, OUT_SUMMARY, OUTPUTS };

static double rounded(double v, double unit)
{
    return round(v / unit) * unit;
}

/* The attack's settings (every image's JSON, and the report's). */
static void add_settings(cJSON *j, const struct attack_params *p)
{
    cJSON_AddStringToObject(j, "attack", attack_names[p->kind]);
    cJSON_AddBoolToObject(j, "targeted", !p->untargeted);
    if (p->kind != ATTACK_ITERATIVE)
        cJSON_AddStringToObject(j, "norm", norm_names[p->norm]);
    cJSON_AddNumberToObject(j, "max_iter", p->kind == ATTACK_FGSM ? 1 : (double)p->max_iter);
    if (p->kind == ATTACK_ITERATIVE || p->kind == ATTACK_CW)
        cJSON_AddNumberToObject(j, "lr", p->lr);
    if (p->kind == ATTACK_FGSM || p->kind == ATTACK_PGD)
        cJSON_AddNumberToObject(j, "eps", p->eps);
    if (p->kind == ATTACK_PGD)
        cJSON_AddNumberToObject(j, "step", p->step);
    if (p->kind == ATTACK_CW) {
        cJSON_AddNumberToObject(j, "c", p->c);
        cJSON_AddNumberToObject(j, "kappa", p->kappa);
        cJSON_AddNumberToObject(j, "search_steps", (double)p->search_steps);
    }
    if (p->kind == ATTACK_DEEPFOOL) {
        cJSON_AddNumberToObject(j, "overshoot", p->overshoot);
        if (p->untargeted)
            cJSON_AddNumberToObject(j, "candidates", (double)p->candidates);
    }
}

static void print_text(const struct fool_run *run, const struct attack_state *a,
                       const struct verdict *v)
{
    const struct card *card = &run->m.card;
    char b0[32], b1[32];
    if (!v->attacked) {
        printf("%s: already misclassified: %ld \"%s\" (p=%.4f), label %ld \"%s\"; not attacked\n",
               v->image, v->original, card_label(card, v->original, b0, sizeof b0),
               v->probs0[v->original], v->truth, card_label(card, v->truth, b1, sizeof b1));
    } else {
        printf("%s: %ld \"%s\" (p=%.4f) -> %ld \"%s\" (p=%.4f): %s after %ld step%s; "
               "perturbation L2 %.4f, Linf %.0f/255\n",
               v->image, v->original, card_label(card, v->original, b0, sizeof b0),
               v->probs0[v->original], v->final, card_label(card, v->final, b1, sizeof b1),
               v->probs1[v->final], v->success ? "fooled" : "NOT fooled", a->iterations,
               a->iterations == 1 ? "" : "s", v->l2, v->linf * 255);
    }
    for (int i = 0; i < OUTPUTS; i++)
        if (v->paths[i])
            printf("  wrote %s\n", v->paths[i]);
}

static int report(struct fool_run *run, const struct attack_state *a, const struct verdict *v)
{
    const struct attack_params *p = &run->p;
    struct model_info mi = model_info(&run->m);
    cJSON *j = summary_header("fool", &mi);
    add_settings(j, p);
    cJSON *img = cJSON_AddObjectToObject(j, "image");
    cJSON_AddStringToObject(img, "path", v->image);
    cJSON_AddNumberToObject(img, "width", v->image_w);
    cJSON_AddNumberToObject(img, "height", v->image_h);
    if (v->truth >= 0) {
        cJSON_AddItemToObject(j, "label", score_json(&run->m, v->truth, NULL));
        cJSON_AddBoolToObject(j, "clean_correct", v->truth == v->original);
    }
    if (!p->untargeted)
        cJSON_AddItemToObject(j, "target", score_json(&run->m, a->goal, v->probs1));
    cJSON_AddItemToObject(j, "original", score_json(&run->m, v->original, v->probs0));
    cJSON_AddBoolToObject(j, "attacked", v->attacked);
    cJSON_AddBoolToObject(j, "success", v->success);
    if (v->attacked) {
        cJSON_AddItemToObject(j, "final", score_json(&run->m, v->final, v->probs1));
        cJSON_AddNumberToObject(j, "iterations", (double)a->iterations);
        cJSON *norms = cJSON_AddObjectToObject(j, "perturbation");
        cJSON_AddNumberToObject(norms, "l2", rounded(v->l2, 1e-6));
        cJSON_AddNumberToObject(norms, "linf", rounded(v->linf, 1e-6));
        norms = cJSON_AddObjectToObject(j, "perturbation_0_255");
        cJSON_AddNumberToObject(norms, "l2", rounded(v->l2 * 255, 1e-4));
        cJSON_AddNumberToObject(norms, "linf", rounded(v->linf * 255, 1e-4));
    }
    cJSON *out = cJSON_AddObjectToObject(j, "outputs");
    for (int i = 0; i < OUTPUTS; i++)
        if (v->paths[i])
            cJSON_AddStringToObject(out, output_kinds[i], v->paths[i]);
    cJSON *t = cJSON_AddObjectToObject(j, "timings_ms");
    cJSON_AddNumberToObject(t, "load", rounded(run->m.load_ms, 1e-3));
    cJSON_AddNumberToObject(t, "attack", rounded(v->attack_ms, 1e-3));
    cJSON_AddNumberToObject(t, "total", rounded(now_ms() - run->t_start, 1e-3));
    summary_add_threads(j);

    int rc = summary_emit(j, v->paths[OUT_SUMMARY], run->o.json);
    if (rc == EXIT_OK && !run->o.json && !run->o.quiet)
        print_text(run, a, v);
    cJSON_Delete(j);
    return rc;
}

/* Whether image it's class (to reach, or its true one) is one the model
 * has: a bad --target stops the run (usage), a bad class-file line fails
 * that image alone. */
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

/* The image's attack buffers: start, x, xn, grad, probe (n floats each)
 * and two probability rows. */
struct image_buffers {
    float *floats, *probs0, *probs1;
};

static int buffers_alloc(struct image_buffers *b, struct attack_state *a)
{
    b->floats = malloc(5 * a->n * sizeof(float));
    b->probs0 = malloc(2 * (size_t)CARD_MAX_LABELS * sizeof(float));
    if (!b->floats || !b->probs0)
        return fail(EXIT_INTERNAL, "out of memory");
    b->probs1 = b->probs0 + CARD_MAX_LABELS;
    a->x = b->floats + a->n, a->xn = b->floats + 2 * a->n, a->grad = b->floats + 3 * a->n;
    a->probe = b->floats + 4 * a->n;
    a->start = b->floats;
    return EXIT_OK;
}

/* The photo at the model's size, as an 8-bit PNG of it would hold it. */
static int load_start(struct fool_run *run, const char *path, struct attack_state *a,
                      float *start, struct verdict *v)
{
    struct image img = { 0 };
    int rc = image_load(path, &img);
    if (rc == EXIT_OK) {
        const float zero[3] = { 0, 0, 0 }, one[3] = { 1, 1, 1 };
        v->image_w = img.width, v->image_h = img.height;
        struct rect region = model_region(img.width, img.height, a->w, a->h,
                                          run->o.model.resize);
        rc = image_to_tensor(&img, region, a->w, a->h, zero, one, start);
        quantise_pixels(start, a->n);
    }
    image_free(&img);
    return rc;
}

/* Attacks the image, writes its pictures and classifies the saved one. */
static int attack_and_write(struct fool_run *run, const struct input *it,
                            struct attack_state *a, struct verdict *v, float *start)
{
    double t0 = now_ms();
    int rc = attack_run(&run->p, a, it->path, run->o.quiet || run->o.json);
    v->attack_ms = now_ms() - t0;
    if (rc == EXIT_OK)
        rc = write_pictures(&run->o, a, v->paths[OUT_FOOL], v->paths[OUT_ORIGINAL],
                            v->paths[OUT_DIFF]);
    if (rc == EXIT_OK)
        rc = reclassify(a, v->paths[OUT_FOOL], &v->final, (float *)v->probs1);
    if (rc == EXIT_OK) {
        v->success = attack_reached(&run->p, a, v->final);
        for (size_t i = 0; i < a->n; i++)
            a->grad[i] = a->x[i] - start[i]; /* reuse: the perturbation */
        v->l2 = norm_l2(a->grad, a->n);
        v->linf = norm_linf(a->grad, a->n);
    }
    return rc;
}

static int record(struct fool_run *run, size_t input, const struct verdict *v,
                  const struct attack_state *a)
{
    if (!run->o.report)
        return EXIT_OK;
    struct robust_item r = { .input = input, .label = v->truth, .clean = v->original,
                             .adversarial = v->final, .attacked = (unsigned char)v->attacked,
                             .fooled = (unsigned char)v->success, .l2 = (float)v->l2,
                             .linf = (float)v->linf, .steps = a->iterations };
    return robustness_add(&run->robust, &r);
}

static int fool_one(struct fool_run *run, const struct input *it, size_t index)
{
    struct model *m = &run->m;
    struct attack_state a = { .m = m, .h = m->card.input_h, .w = m->card.input_w };
    struct verdict v = { .image = it->path, .final = -1,
                         .truth = run->p.untargeted ? it->target : -1 };
    struct image_buffers b = { 0 };
    char paths[OUTPUTS][PATH_MAX];
    a.n = (size_t)3 * a.h * a.w;
    int rc = buffers_alloc(&b, &a);
    float *start = b.floats;
    v.probs0 = b.probs0, v.probs1 = b.probs1;
    if (rc == EXIT_OK)
        rc = load_start(run, it->path, &a, start, &v);
    if (rc == EXIT_OK)
        rc = classify(&a, start, &v.original, b.probs0);
    if (rc == EXIT_OK && !run->p.untargeted && it->target == v.original)
        rc = fail(it->target_line ? EXIT_INPUT : EXIT_USAGE,
                  "class %ld is already the predicted class of '%s'", it->target, it->path);
    /* A misclassified image is not attacked: it counts as it is. */
    v.attacked = v.truth < 0 || v.truth == v.original;
    for (int i = 0; rc == EXIT_OK && i < OUTPUTS; i++)
        if (v.attacked || i == OUT_SUMMARY) {
            rc = output_path(run->o.out_dir, it->name, output_suffixes[i], paths[i],
                             sizeof paths[i]);
            v.paths[i] = paths[i];
        }
    a.goal = !run->p.untargeted ? it->target : v.truth >= 0 ? v.truth : v.original;
    if (rc == EXIT_OK && v.attacked)
        rc = attack_and_write(run, it, &a, &v, start);
    if (rc == EXIT_OK)
        rc = report(run, &a, &v);
    if (rc == EXIT_OK)
        rc = record(run, index, &v, &a);
    free(b.probs0);
    free(b.floats);
    return rc;
}

/* The attack's settings with every default filled in. */
static struct attack_params attack_params(const struct fool_opts *o)
{
    struct attack_params p = { .kind = o->attack, .untargeted = o->untargeted };
    int l2_only = o->attack == ATTACK_CW || o->attack == ATTACK_DEEPFOOL;
    p.norm = o->norm != NOT_GIVEN ? o->norm : l2_only ? NORM_L2 : NORM_LINF;
    p.eps = o->eps > 0 ? o->eps : p.norm == NORM_LINF ? DEFAULT_LINF_EPS : DEFAULT_L2_EPS;
    p.step = o->step > 0 ? o->step : p.eps / 4;
    p.lr = o->lr != NOT_GIVEN ? o->lr
           : o->attack == ATTACK_CW ? DEFAULT_CW_LR : DEFAULT_ITERATIVE_LR;
    p.max_iter = o->max_iter != NOT_GIVEN ? o->max_iter
                 : o->attack == ATTACK_DEEPFOOL ? DEFAULT_DEEPFOOL_STEPS : DEFAULT_MAX_ITER;
    p.c = o->c != NOT_GIVEN ? o->c : DEFAULT_CW_C;
    p.kappa = o->kappa != NOT_GIVEN ? o->kappa : 0;
    p.search_steps = o->search_steps != NOT_GIVEN ? o->search_steps : DEFAULT_CW_SEARCH_STEPS;
    p.overshoot = o->overshoot != NOT_GIVEN ? o->overshoot : DEFAULT_OVERSHOOT;
    p.candidates = o->candidates != NOT_GIVEN ? o->candidates : DEFAULT_CANDIDATES;
    return p;
}

/* Which attacks an attack-specific option applies to, a bit per enum
 * attack_kind, and whether it was given (its row's default is NOT_GIVEN). */
#define ON(k) (1u << (k))
struct applies {
    const char *name;
    unsigned attacks;
    int given;
};

static int check_attack_options(const struct fool_opts *o, const struct attack_params *p)
{
    const unsigned all = ON(ATTACK_ITERATIVE) | ON(ATTACK_FGSM) | ON(ATTACK_PGD) | ON(ATTACK_CW) |
                         ON(ATTACK_DEEPFOOL);
    const struct applies rows[] = {
        { "--eps", ON(ATTACK_FGSM) | ON(ATTACK_PGD), o->eps > 0 },
        { "--step", ON(ATTACK_PGD), o->step > 0 },
        { "--norm", all & ~ON(ATTACK_ITERATIVE), o->norm != NOT_GIVEN },
        { "--max-iter", all & ~ON(ATTACK_FGSM), o->max_iter != NOT_GIVEN },
        { "--lr", ON(ATTACK_ITERATIVE) | ON(ATTACK_CW), o->lr != NOT_GIVEN },
        { "--c", ON(ATTACK_CW), o->c != NOT_GIVEN },
        { "--search-steps", ON(ATTACK_CW), o->search_steps != NOT_GIVEN },
        { "--kappa", ON(ATTACK_CW), o->kappa != NOT_GIVEN },
        { "--overshoot", ON(ATTACK_DEEPFOOL), o->overshoot != NOT_GIVEN },
        { "--candidates", o->untargeted ? ON(ATTACK_DEEPFOOL) : 0, o->candidates != NOT_GIVEN },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (rows[i].given && !(rows[i].attacks & ON(o->attack)))
            return fail(EXIT_USAGE, "%s does not apply to the %s%s attack", rows[i].name,
                        o->untargeted || o->attack != ATTACK_DEEPFOOL ? "" : "targeted ",
                        attack_names[o->attack]);
    if ((o->attack == ATTACK_CW || o->attack == ATTACK_DEEPFOOL) && o->norm == NORM_LINF)
        return fail(EXIT_USAGE, "%s is an L2 attack: --norm linf does not apply",
                    attack_names[o->attack]);
    if (p->norm == NORM_LINF && o->eps > 1)
        return fail(EXIT_USAGE, "--eps %g is more than 1: budgets are in [0,1] pixel units "
                    "(%g levels of 255 is --eps %g/255)", o->eps, o->eps, o->eps);
    return EXIT_OK;
}

static int check_options(const struct fool_opts *o, const struct attack_params *p)
{
    int labelled = o->class_file || o->class_from_folder;
    if (o->target < 0 && !o->untargeted && !o->class_file)
        return fail(EXIT_USAGE, "say which class to reach with --target N, or --untargeted "
                    "(or --class-file)");
    if (o->target >= 0 && o->untargeted)
        return fail(EXIT_USAGE, "--target and --untargeted exclude each other");
    if (o->class_from_folder && !o->untargeted)
        return fail(EXIT_USAGE, "--class-from-folder gives each image's true class: use it "
                    "with --untargeted");
    if (o->class_from_folder && o->class_file)
        return fail(EXIT_USAGE, "--class-file and --class-from-folder exclude each other");
    if (o->report && (!o->untargeted || !labelled))
        return fail(EXIT_USAGE, "--report measures accuracy under an untargeted attack: it "
                    "needs --untargeted and each image's true class (--class-file TSV or "
                    "--class-from-folder)");
    return check_attack_options(o, p);
}

/* Every input; one whose image or class fails is reported and the rest go on. */
static int fool_all(struct fool_run *run, struct input_list *in)
{
    int worst = EXIT_OK;
    for (size_t i = 0; i < in->n; i++) {
        int rc = check_target(run, &in->items[i]);
        if (rc == EXIT_OK)
            rc = fool_one(run, &in->items[i], i);
        if (rc == EXIT_OK)
            continue;
        if (rc != EXIT_INPUT)
            return rc; /* main() reports it */
        report_error("fool", error_message());
        clear_error();
        worst = rc;
        if (run->o.report) {
            struct robust_item failed = { .input = i, .failed = 1, .label = -1, .clean = -1 };
            if ((rc = robustness_add(&run->robust, &failed)))
                return rc;
        }
    }
    return worst;
}

/* "pgd (linf, eps 4/255), untargeted": the report's title. */
static void report_title(const struct attack_params *p, char *buf, size_t size)
{
    char eps[64] = "";
    double levels = p->eps * 255;
    if (p->kind == ATTACK_FGSM || p->kind == ATTACK_PGD) {
        if (p->norm == NORM_LINF && fabs(levels - round(levels)) < 1e-6)
            snprintf(eps, sizeof eps, ", eps %.0f/255", levels);
        else
            snprintf(eps, sizeof eps, ", eps %g", p->eps);
    }
    snprintf(buf, size, "%s (%s%s), %s", attack_names[p->kind],
             p->kind == ATTACK_ITERATIVE ? "l2 steps" : norm_names[p->norm], eps,
             p->untargeted ? "untargeted" : "targeted");
}

static int write_report(struct fool_run *run, const struct input_list *in)
{
    char title[128];
    struct model_info mi = model_info(&run->m);
    cJSON *settings = summary_header("fool-report", &mi);
    report_title(&run->p, title, sizeof title);
    cJSON_AddStringToObject(settings, "title", title);
    add_settings(settings, &run->p);
    enum robust_print print = run->o.quiet ? ROBUST_QUIET
                              : run->o.json ? ROBUST_JSON : ROBUST_TABLE;
    int rc = robustness_write(&run->robust, in, &run->m.card, settings, run->o.out_dir, print,
                              stdout);
    cJSON_Delete(settings);
    return rc;
}

static int read_classes(struct fool_run *run, struct input_list *in)
{
    const struct fool_opts *o = &run->o;
    if (o->class_file)
        return inputs_read_classes(in, o->class_file, o->target, CARD_MAX_LABELS - 1);
    if (o->class_from_folder)
        return inputs_classes_from_folders(in, run->m.card.labels, run->m.card.nlabels,
                                           run->m.classes);
    for (size_t i = 0; i < in->n; i++)
        in->items[i].target = o->target, in->items[i].target_line = 0;
    return EXIT_OK;
}

static int cmd_fool(void *opts, const operands *ops)
{
    struct fool_run run = { .t_start = now_ms(), .o = *(const struct fool_opts *)opts };
    struct fool_opts *o = &run.o;
    run.p = attack_params(o);
    int rc = check_options(o, &run.p);
    if (rc)
        return rc;
    if (ops->n < 1)
        return fail(EXIT_USAGE, "no image given (usage: attrib fool IMAGE... --target N)");
    struct input_list in;
    /* a labelled folder is a folder of class folders: read them */
    rc = inputs_collect(ops->args, ops->n, o->recursive || o->class_from_folder, &in);
    if (rc == EXIT_OK)
        rc = make_dirs(o->out_dir);
    if (rc == EXIT_OK)
        rc = model_open(&o->model, &run.m);
    if (rc == EXIT_OK)
        rc = model_probe_classes(&run.m);
    if (rc == EXIT_OK)
        rc = read_classes(&run, &in);
    /* the report is of the images attacked: none when the run stopped before */
    int attacked = rc == EXIT_OK;
    if (rc == EXIT_OK)
        rc = fool_all(&run, &in);
    if (attacked && (rc == EXIT_OK || rc == EXIT_INPUT) && o->report) {
        int wrc = write_report(&run, &in);
        rc = wrc ? wrc : rc;
    }
    robustness_free(&run.robust);
    inputs_free(&in);
    model_close(&run.m);
    return rc;
}

const struct command_spec fool_spec = {
    .synopsis = "attrib fool IMAGE|DIR|-... (--target N | --class-file TSV | --untargeted) "
                "[options]",
    .description =
        "Makes an adversarial image at the model's input size. Attacks (--attack):\n"
        "  iterative  steps along the L2-normalised gradient of the target's score\n"
        "             (x += lr * g / ||g||) until the top-1 is the target (no budget)\n"
        "  fgsm       one step of size eps (sign of the gradient for linf, the\n"
        "             L2-normalised gradient for l2) on the log-probability\n"
        "  pgd        steps of size --step, projected back within eps of the original\n"
        "  cw         Carlini-Wagner L2: Adam in tanh space on ||d||^2 + c * margin,\n"
        "             a binary search over c; the smallest adversarial image found\n"
        "  deepfool   steps to the nearest linearised class boundary (L2), overshoot\n"
        "Budgets are in [0,1] pixel units: --eps 4/255 is four levels of 255.\n"
        "--untargeted leaves the image's class: its true class with --class-file or\n"
        "--class-from-folder (a misclassified image is then not attacked), else\n"
        "its predicted one. Pixels stay in [0, 1]. Success is checked on the saved\n"
        "8-bit PNG, read back and classified again (rounding stays within the\n"
        "budget). Writes NAME.fool.png, NAME.fool.original.png (the start, same\n"
        "size), NAME.fool.diff.png (perturbation x --diff-scale around mid-grey) and\n"
        "NAME.fool.json; with --report also robustness.json and robustness.csv\n"
        "(clean accuracy, robust accuracy, attack success, median norms). An image\n"
        "that cannot be read, or whose --class-file class the model does not have,\n"
        "fails alone; the others are done.\n",
    COMMAND_RUN(struct fool_opts, options, cmd_fool),
    .operands = OPERANDS_IMAGES,
};
