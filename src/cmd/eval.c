/* eval.c - `attrib eval`: how faithful each method's map is to the
 * model, by deletion and insertion curves (Petsiuk et al. 2018, RISE). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "classify.h"
#include "command.h"
#include "explain/explain.h"
#include "curves.h"
#include "error.h"
#include "fsutil.h"
#include "groundtruth.h"
#include "heatmap.h"
#include "inputs.h"
#include "localisation.h"
#include "methodlist.h"
#include "methods/methods.h"
#include "rng.h"
#include "plot.h"
#include "progress.h"
#include "methods/sampling.h"

#define DEFAULT_CURVE_STEPS 50
#define MAX_CURVE_STEPS 1000
#define MAX_EVAL_METHODS METHOD_LIST_MAX
#define RANDOM_METHOD "random" /* a seeded random map: the chance level */

/* The ground truth for the localisation scores, and their checks. */
struct loc_opts {
    const char *boxes, *masks;
    double tolerance, top;
    double min_pointing, min_mass; /* NaN: no check */
};

struct eval_opts {
    struct model_opts model;
    struct target_opts target_opts; /* --target beyond classes */
    long target, steps;
    struct sampling sampling;
    const char *out_dir;
    const char *methods; /* NULL: random and eval's default set */
    int recursive, json, quiet;
    struct loc_opts loc;
};

static int check_methods(const struct opt *o, const char *arg, void *unused);

#define LOC_FIELD(f, t) OPT_FIELD(struct loc_opts, f, t)
static const struct opt localisation_options[] = {
    { .kind = OPTK_PATH, .name = "boxes", .offset = LOC_FIELD(boxes, const char *),
      .metavar = "FILE", .flags = OPT_COMPLETE_FILE,
      .help = "boxes around the object: CSV lines path,x,y,w,h[,class] in the original image's "
              "pixels (rows with a class count for that class only), or a COCO instances "
              ".json; several per image are united" },
    { .kind = OPTK_PATH, .name = "masks", .offset = LOC_FIELD(masks, const char *),
      .metavar = "DIR", .flags = OPT_COMPLETE_DIR,
      .help = "binary mask PNGs of the object, DIR/NAME.png at each image's size" },
    { .kind = OPTK_REAL, .name = "pointing-tolerance", .offset = LOC_FIELD(tolerance, double),
      .min = 0, .max = 1000, .def = POINTING_TOLERANCE, .metavar = "PX",
      .help = "a pointing-game hit: the map's maximum within PX model pixels of the object" },
    { .kind = OPTK_REAL, .name = "loc-top", .offset = LOC_FIELD(top, double), .min = 0.01,
      .max = 100, .def = 5, .metavar = "PCT",
      .help = "the hottest PCT% of the map, whose IoU with the object is reported" },
    { .kind = OPTK_REAL, .name = "min-pointing", .offset = LOC_FIELD(min_pointing, double),
      .min = 0, .max = 1, .def = NAN, .metavar = "F", .default_text = "no check",
      .help = "exit 1 when a method's pointing-game accuracy over the images is below F" },
    { .kind = OPTK_REAL, .name = "min-mass", .offset = LOC_FIELD(min_mass, double), .min = 0,
      .max = 1, .def = NAN, .metavar = "F", .default_text = "no check",
      .help = "exit 1 when a method's mean relevance mass accuracy is below F" },
    OPT_END,
};

static const struct opt options[] = {
    CLASS_OPTION('c', "class", struct eval_opts, target, "class to explain",
                 "the predicted class"),
    { .kind = OPTK_LIST, .name = "methods", .offset = OPT_FIELD(struct eval_opts, methods,
                                                                const char *),
      .parse = check_methods, .metavar = "LIST",
      .default_text = "random and the default set below",
      .help = "comma-separated methods, each optionally with its own options: "
              "NAME:KEY=VALUE:KEY=VALUE (e.g. integrated-gradients:baseline=blur:steps=100)" },
    OPT_INT(0, "steps", struct eval_opts, steps, 1, MAX_CURVE_STEPS, DEFAULT_CURVE_STEPS, "N",
            "points on each curve after the first"),
    OPT_DIR('o', "output", struct eval_opts, out_dir, ".", "DIR", "where to write the files"),
    OPT_FLAG('r', "recursive", struct eval_opts, recursive,
             "also take images in subdirectories of directory inputs"),
    INTERNAL_BATCH_OPTION(struct eval_opts, sampling.internal_batch, DEFAULT_FORWARD_BATCH),
    SEED_OPTION(struct eval_opts, sampling.seed),
    OPT_FLAG(0, "json", struct eval_opts, json, "print each image's result as one JSON line"),
    OPT_FLAG('q', "quiet", struct eval_opts, quiet, "print nothing on success"),
    TARGET_OPTIONS(struct eval_opts, target_opts),
    OPT_GROUP("Localisation (against where the object is)", struct eval_opts, loc,
              localisation_options),
    MODEL_OPTIONS(struct eval_opts, model),
    OPT_END,
};

/* One method's curves on one image. */
struct curves {
    double *deletion, *insertion; /* steps + 1 probabilities */
    double deletion_auc, insertion_auc;
    const char *warning;
};

/* The run: the methods (NULL for random) and, per method, every image's AUCs. */
struct eval {
    struct eval_opts o;
    struct model model;
    struct method_list ml;                /* --methods (random: no method) */
    struct explain_run runs[MAX_EVAL_METHODS];
    int has_run[MAX_EVAL_METHODS];
    double *auc[MAX_EVAL_METHODS][2]; /* [deletion, insertion][image] */
    size_t nimages;
    int localise;                         /* --boxes or --masks */
    struct gt_boxes boxes;
    struct loc_scores *loc[MAX_EVAL_METHODS]; /* [image] */
    struct progress *method_bar;          /* one image: methods done; NULL: none */
    /* --target beyond classes: the head's references, made once (the
     * methods' runs have theirs); curves then record the target's score */
    struct explain_run scope;
    int beyond;
};

/* The default list: random, then the methods marked for eval. */
static void default_methods(char *buf, size_t size)
{
    size_t used = (size_t)snprintf(buf, size, "%s", RANDOM_METHOD);
    for (int i = 0; i < nmethods && used < size; i++)
        if (method_at(i)->in_eval)
            used += (size_t)snprintf(buf + used, size - used, ",%s", method_at(i)->name);
}

/* The --methods row's check, at parse time. */
static int check_methods(const struct opt *o, const char *arg, void *unused)
{
    (void)o, (void)unused;
    struct method_list *l = malloc(sizeof *l);
    int rc = l ? method_list_parse(l, arg, "--methods", RANDOM_METHOD)
               : fail(EXIT_INTERNAL, "out of memory");
    free(l);
    return rc;
}

/* The probability of target for each of the count inputs in xs (a target
 * beyond classes: its score). */
static int probabilities(struct eval *e, const float *xs, int count, int64_t target, double *p)
{
    const struct card *c = &e->model.card;
    const int chunk = (int)e->o.sampling.internal_batch;
    const size_t n = (size_t)3 * c->input_w * c->input_h;
    int rc = EXIT_OK;
    float *probs = NULL;
    for (int first = 0; rc == EXIT_OK && first < count; first += chunk) {
        int m = count - first < chunk ? count - first : chunk;
        attrib_result *res = NULL;
        int64_t shape[4] = { m, 3, c->input_h, c->input_w }, classes;
        attrib_status st = attrib_forward(e->model.handle, xs + first * n, shape, &res);
        rc = st == ATTRIB_OK ? model_check_logits(&e->model, res, m) : model_error(st, e->model.path);
        const float *logits = rc == EXIT_OK ? result_logits(res, NULL, &classes) : NULL;
        if (rc == EXIT_OK && !probs && !(probs = malloc((size_t)classes * sizeof *probs)))
            rc = fail(EXIT_INTERNAL, "out of memory");
        for (int k = 0; rc == EXIT_OK && k < m; k++) {
            if (e->beyond) { /* the head's one entry: the target's own score */
                p[first + k] = logits[k * classes];
                continue;
            }
            class_probabilities(&e->model.card, logits + k * classes, (int)classes, probs);
            p[first + k] = probs[target];
        }
        attrib_result_free(res);
    }
    free(probs);
    return rc;
}

/* Deletion (x towards the mean colour) and insertion (blurred x towards x)
 * curves for one pixel order. */
static int measure(struct eval *e, const float *x, const size_t *order, int64_t target,
                   struct curves *cv)
{
    const struct card *c = &e->model.card;
    const size_t plane = (size_t)c->input_w * c->input_h, n = 3 * plane;
    const int points = (int)e->o.steps + 1;
    float *xs = malloc((size_t)points * n * sizeof *xs), *blank = calloc(n, sizeof *blank);
    float *blurred = malloc(n * sizeof *blurred);
    int rc = xs && blank && blurred ? EXIT_OK : fail(EXIT_INTERNAL, "out of memory");
    struct baseline blur = { .kind = BASELINE_BLUR };
    if (rc == EXIT_OK)
        rc = baseline_make(&blur, x, c->input_h, c->input_w, c->mean, c->std, 0, blurred);
    for (int k = 0; rc == EXIT_OK && k < points; k++)
        curve_mix(x, blank, order, curve_pixels(plane, points - 1, k), plane, xs + k * n);
    if (rc == EXIT_OK)
        rc = probabilities(e, xs, points, target, cv->deletion);
    for (int k = 0; rc == EXIT_OK && k < points; k++)
        curve_mix(blurred, x, order, curve_pixels(plane, points - 1, k), plane, xs + k * n);
    if (rc == EXIT_OK)
        rc = probabilities(e, xs, points, target, cv->insertion);
    if (rc == EXIT_OK) {
        cv->deletion_auc = curve_auc(cv->deletion, points);
        cv->insertion_auc = curve_auc(cv->insertion, points);
    }
    free(xs);
    free(blank);
    free(blurred);
    return rc;
}

/* Method k's map of image x for target, into map (H x W). */
static int method_map(struct eval *e, int k, const float *x, int64_t target, const char *image,
                      float *map, float *chw)
{
    const struct card *c = &e->model.card;
    const size_t plane = (size_t)c->input_w * c->input_h;
    if (!e->has_run[k]) { /* random */
        struct rng r;
        rng_seed(&r, (uint64_t)e->o.sampling.seed);
        for (size_t j = 0; j < plane; j++)
            map[j] = (float)rng_uniform(&r);
        return EXIT_OK;
    }
    struct attribution a = { .map = map, .chw = chw };
    struct summary s = { .method = e->ml.names[k], .image = image };
    struct batch b = { .n = 1, .h = c->input_h, .w = c->input_w, .x = x, .targets = &target,
                       .a = &a, .s = &s };
    int rc = explain_compute(&e->runs[k], &b);
    attrib_result_free(b.res);
    attribution_reset(&a);
    return rc;
}

static cJSON *curve_json(const double *y, int points)
{
    cJSON *a = cJSON_CreateArray();
    for (int k = 0; a && k < points; k++)
        cJSON_AddItemToArray(a, cJSON_CreateNumber(round(y[k] * 1e6) / 1e6));
    return a;
}

/* The fields every eval JSON starts with. */
static cJSON *eval_json(const struct eval *e)
{
    struct model_info mi = model_info(&e->model);
    return summary_header("eval", &mi);
}

/* The width of the tables' method column: the longest name as given. */
static int name_width(const struct eval *e)
{
    return method_list_width(&e->ml, 22);
}

/* NAME.eval.json and NAME.eval.png of one image; prints its table. */
static cJSON *number_or_null(double v)
{
    return isfinite(v) ? cJSON_CreateNumber(round(v * 1e6) / 1e6) : cJSON_CreateNull();
}

static cJSON *loc_json(const struct loc_scores *l)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "pointing_hit", l->hit);
    cJSON_AddItemToObject(o, "energy", number_or_null(l->energy));
    cJSON_AddItemToObject(o, "mass", number_or_null(l->mass));
    cJSON_AddItemToObject(o, "rank", number_or_null(l->rank));
    cJSON_AddItemToObject(o, "iou", number_or_null(l->iou));
    return o;
}

static int write_image(struct eval *e, const struct input *it, const struct class_score *cls,
                       struct curves *cv, size_t index)
{
    const int points = (int)e->o.steps + 1;
    char json_path[PATH_MAX], png_path[PATH_MAX];
    int rc = output_path(e->o.out_dir, it->name, ".eval.json", json_path, sizeof json_path);
    if (rc == EXIT_OK)
        rc = output_path(e->o.out_dir, it->name, ".eval.png", png_path, sizeof png_path);
    if (rc)
        return rc;

    const double *del[MAX_EVAL_METHODS], *ins[MAX_EVAL_METHODS];
    char legend[MAX_EVAL_METHODS][96];
    const char *names[MAX_EVAL_METHODS];
    cJSON *j = eval_json(e);
    cJSON_AddStringToObject(j, "image", it->path);
    cJSON_AddItemToObject(j, "target", targets_score_json(&e->o.target_opts.spec, cls));
    cJSON_AddNumberToObject(j, "steps", (double)e->o.steps);
    cJSON_AddStringToObject(j, "deletion_substrate", "zeros (the mean colour)");
    cJSON_AddStringToObject(j, "insertion_substrate", "blur (Gaussian, sigma 5 px)");
    cJSON *ms = cJSON_AddObjectToObject(j, "methods");
    for (int k = 0; k < e->ml.n; k++) {
        cJSON *m = cJSON_AddObjectToObject(ms, e->ml.names[k]);
        cJSON_AddNumberToObject(m, "deletion_auc", round(cv[k].deletion_auc * 1e6) / 1e6);
        cJSON_AddNumberToObject(m, "insertion_auc", round(cv[k].insertion_auc * 1e6) / 1e6);
        cJSON_AddItemToObject(m, "deletion", curve_json(cv[k].deletion, points));
        cJSON_AddItemToObject(m, "insertion", curve_json(cv[k].insertion, points));
        if (cv[k].warning)
            cJSON_AddStringToObject(m, "warning", cv[k].warning);
        if (e->localise)
            cJSON_AddItemToObject(m, "localisation", loc_json(&e->loc[k][index]));
        del[k] = cv[k].deletion, ins[k] = cv[k].insertion;
        snprintf(legend[k], sizeof legend[k], "%s  del %.3f  ins %.3f", e->ml.names[k],
                 cv[k].deletion_auc, cv[k].insertion_auc);
        names[k] = legend[k];
    }
    cJSON *out = cJSON_AddObjectToObject(j, "outputs");
    cJSON_AddStringToObject(out, "plot", png_path);
    cJSON_AddStringToObject(out, "summary", json_path);

    char title[256], what[192];
    targets_score_line(&e->o.target_opts.spec, cls, "class", what, sizeof what, 3);
    snprintf(title, sizeof title, "%s: %s", it->path, what);
    struct plot_panel panels[2] = {
        { .title = "deletion (lower area is better)", .x_label = "fraction of pixels removed",
          .y = del, .points = points },
        { .title = "insertion (higher area is better)", .x_label = "fraction of pixels inserted",
          .y = ins, .points = points },
    };
    rc = plot_write(png_path, title, panels, 2, names, e->ml.n);
    if (rc == EXIT_OK)
        rc = summary_emit(j, json_path, e->o.json);
    cJSON_Delete(j);
    if (rc || e->o.json || e->o.quiet)
        return rc;
    int wd = name_width(e);
    targets_score_line(&e->o.target_opts.spec, cls, "class", what, sizeof what, 4);
    printf("%s: %s\n  %-*s %12s %13s%s\n", it->path, what, wd, "method", "deletion AUC",
           "insertion AUC",
           e->localise ? "  pointing    mass" : "");
    for (int k = 0; k < e->ml.n; k++) {
        printf("  %-*s %12.4f %13.4f", wd, e->ml.names[k], cv[k].deletion_auc,
               cv[k].insertion_auc);
        if (e->localise)
            printf("  %8s %7.4f", e->loc[k][index].hit ? "hit" : "miss", e->loc[k][index].mass);
        printf("%s\n", cv[k].warning ? "  (flat map)" : "");
    }
    printf("  wrote %s\n  wrote %s\n", json_path, png_path);
    return EXIT_OK;
}

/* The class to explain in x (top-1 unless --class) and its probability. */
static int classify_input(struct eval *e, const float *x, long want, struct class_score *cls,
                          char *label, size_t size)
{
    const struct card *c = &e->model.card;
    attrib_result *res = NULL;
    int64_t shape[4] = { 1, 3, c->input_h, c->input_w }, classes;
    if (e->beyond) { /* the target's score (segment:CLASS: over its predicted mask) */
        double score = 0;
        struct batch b = { .n = 1, .h = c->input_h, .w = c->input_w, .x = x };
        int rc = targets_scores(&e->scope, &b, &score);
        if (rc == EXIT_OK)
            targets_score_of(&e->scope, score, cls, label, size);
        return rc;
    }
    attrib_status st = attrib_forward(e->model.handle, x, shape, &res);
    int rc = st == ATTRIB_OK ? model_check_logits(&e->model, res, 1) : model_error(st, e->model.path);
    const float *logits = rc == EXIT_OK ? result_logits(res, NULL, &classes) : NULL;
    if (rc == EXIT_OK && want >= classes) {
        rc = fail(EXIT_USAGE, "--class: class %ld is out of range (the model has %ld classes)",
                  want, (long)classes);
    } else if (rc == EXIT_OK) {
        rc = model_class_score(&e->model, logits, (int)classes, want, cls, label, size);
    }
    attrib_result_free(res);
    return rc;
}

/* Every method on one image. Returns EXIT_INPUT for an unreadable image. */
static int eval_image(struct eval *e, const struct input *it, size_t index)
{
    const struct card *c = &e->model.card;
    const size_t plane = (size_t)c->input_w * c->input_h;
    const int points = (int)e->o.steps + 1;
    struct image img = { 0 };
    struct rect region;
    struct curves cv[MAX_EVAL_METHODS] = { 0 };
    float *x = malloc(3 * plane * sizeof *x), *map = malloc(plane * sizeof *map);
    float *chw = malloc(3 * plane * sizeof *chw);
    size_t *order = malloc(plane * sizeof *order);
    double *buf = malloc((size_t)e->ml.n * 2 * points * sizeof *buf);
    int rc = x && map && chw && order && buf ? EXIT_OK : fail(EXIT_INTERNAL, "out of memory");
    if (rc == EXIT_OK)
        rc = model_read_input(&e->model, e->o.model.resize, it->path, &img, &region, x, NULL);
    struct class_score cls;
    char label[64];
    if (rc == EXIT_OK)
        rc = classify_input(e, x, it->target, &cls, label, sizeof label);
    unsigned char *mask = e->localise ? malloc(plane) : NULL;
    if (rc == EXIT_OK && e->localise && !mask)
        rc = fail(EXIT_INTERNAL, "out of memory");
    if (rc == EXIT_OK && e->o.loc.boxes)
        rc = gt_mask_from_boxes(&e->boxes, it->path, img.width, img.height, region, cls.index,
                                c->input_w, c->input_h, mask);
    else if (rc == EXIT_OK && e->o.loc.masks)
        rc = gt_mask_from_png(e->o.loc.masks, it->name, img.width, img.height, region,
                              c->input_w, c->input_h, mask);
    for (int k = 0; rc == EXIT_OK && k < e->ml.n; k++) {
        cv[k].deletion = buf + (size_t)k * 2 * points;
        cv[k].insertion = cv[k].deletion + points;
        rc = method_map(e, k, x, cls.index, it->path, map, chw);
        struct map_stats st;
        if (rc == EXIT_OK)
            rc = heatmap_stats(map, c->input_w, c->input_h, HEATMAP_TOP_FRACTION, &st);
        if (rc == EXIT_OK && st.nonfinite)
            rc = fail(EXIT_MODEL, "%s: the %s map has %zu NaN or infinite values", it->path,
                      e->ml.names[k], st.nonfinite);
        if (rc == EXIT_OK && st.min == st.max) {
            cv[k].warning = "flat map: pixels were taken in raster order";
            report_warning("eval", "%s: %s: %s", it->path, e->ml.names[k], cv[k].warning);
        }
        if (rc == EXIT_OK && e->localise)
            rc = loc_score(map, mask, c->input_w, c->input_h, e->o.loc.tolerance, e->o.loc.top,
                           &e->loc[k][index]);
        if (rc == EXIT_OK)
            rc = curve_order(map, plane, order);
        if (rc == EXIT_OK)
            rc = measure(e, x, order, cls.index, &cv[k]);
        if (rc == EXIT_OK) {
            e->auc[k][0][index] = cv[k].deletion_auc;
            e->auc[k][1][index] = cv[k].insertion_auc;
        }
        if (e->method_bar)
            progress_update(e->method_bar, k + 1, e->ml.names[k]);
    }
    if (e->method_bar) /* off the terminal's line before the table is printed */
        progress_end(e->method_bar);
    if (rc == EXIT_OK)
        rc = write_image(e, it, &cls, cv, index);
    free(mask);
    image_free(&img);
    free(x);
    free(map);
    free(chw);
    free(order);
    free(buf);
    return rc;
}

static void mean_std(const double *v, size_t n, double *mean, double *sd)
{
    double s = 0, ss = 0;
    for (size_t i = 0; i < n; i++)
        s += v[i];
    *mean = n ? s / n : 0;
    for (size_t i = 0; i < n; i++)
        ss += (v[i] - *mean) * (v[i] - *mean);
    *sd = n > 1 ? sqrt(ss / (n - 1)) : 0;
}

/* Method k's localisation over images [0, n): the mean and SD of each
 * score (NaN scores, of flat maps, left out); pointing: the accuracy. */
enum { LOC_POINTING, LOC_ENERGY, LOC_MASS, LOC_RANK, LOC_IOU, LOC_SCORES };
static const char *const loc_names[LOC_SCORES] = { "pointing", "energy", "mass", "rank", "iou" };

static void loc_means(const struct eval *e, int k, size_t n, double mean[LOC_SCORES],
                      double sd[LOC_SCORES])
{
    for (int s = 0; s < LOC_SCORES; s++) {
        double sum = 0, sq = 0;
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            const struct loc_scores *l = &e->loc[k][i];
            double v = s == LOC_POINTING ? l->hit : s == LOC_ENERGY ? l->energy
                     : s == LOC_MASS ? l->mass : s == LOC_RANK ? l->rank : l->iou;
            if (isfinite(v))
                sum += v, sq += v * v, m++;
        }
        mean[s] = m ? sum / m : NAN;
        sd[s] = m > 1 ? sqrt(fmax(0, (sq - m * mean[s] * mean[s]) / (m - 1))) : 0;
    }
}

/* --min-pointing and --min-mass over the images that worked: every method
 * but random (the chance level). */
static int check_localisation(struct eval *e, size_t n)
{
    char failed[512] = "";
    size_t used = 0;
    for (int k = 0; e->localise && n && k < e->ml.n; k++) {
        double mean[LOC_SCORES], sd[LOC_SCORES];
        if (!e->has_run[k])
            continue;
        loc_means(e, k, n, mean, sd);
        int low_p = isfinite(e->o.loc.min_pointing) && !(mean[LOC_POINTING] >= e->o.loc.min_pointing);
        int low_m = isfinite(e->o.loc.min_mass) && !(mean[LOC_MASS] >= e->o.loc.min_mass);
        if ((low_p || low_m) && used < sizeof failed)
            used += (size_t)snprintf(failed + used, sizeof failed - used, "%s%s (%s %.3f)",
                                     used ? ", " : "", e->ml.names[k],
                                     low_p ? "pointing" : "mass",
                                     low_p ? mean[LOC_POINTING] : mean[LOC_MASS]);
    }
    return *failed ? fail(EXIT_INPUT, "localisation check failed over %zu image%s: %s", n,
                          n == 1 ? "" : "s", failed)
                   : EXIT_OK;
}

/* eval-summary.json and the table of means over the images that worked. */
static int write_summary(struct eval *e, size_t ok)
{
    cJSON *j = eval_json(e);
    cJSON_AddNumberToObject(j, "images", (double)ok);
    cJSON_AddNumberToObject(j, "steps", (double)e->o.steps);
    cJSON *ms = cJSON_AddObjectToObject(j, "methods");
    if (!e->o.quiet && !e->o.json)
        printf("%zu images: mean (standard deviation)\n  %-*s %18s %18s%s\n", ok, name_width(e),
               "method", "deletion AUC", "insertion AUC",
               e->localise ? "  pointing     mass" : "");
    for (int k = 0; k < e->ml.n; k++) {
        double dm, ds, im, is;
        mean_std(e->auc[k][0], ok, &dm, &ds);
        mean_std(e->auc[k][1], ok, &im, &is);
        cJSON *m = cJSON_AddObjectToObject(ms, e->ml.names[k]);
        cJSON_AddNumberToObject(m, "deletion_auc_mean", round(dm * 1e6) / 1e6);
        cJSON_AddNumberToObject(m, "deletion_auc_std", round(ds * 1e6) / 1e6);
        cJSON_AddNumberToObject(m, "insertion_auc_mean", round(im * 1e6) / 1e6);
        cJSON_AddNumberToObject(m, "insertion_auc_std", round(is * 1e6) / 1e6);
        double lm[LOC_SCORES], ls[LOC_SCORES];
        if (e->localise) {
            loc_means(e, k, ok, lm, ls);
            cJSON *l = cJSON_AddObjectToObject(m, "localisation");
            cJSON_AddItemToObject(l, "pointing_accuracy", number_or_null(lm[LOC_POINTING]));
            for (int sc = LOC_ENERGY; sc < LOC_SCORES; sc++) {
                char key[32];
                snprintf(key, sizeof key, "%s_mean", loc_names[sc]);
                cJSON_AddItemToObject(l, key, number_or_null(lm[sc]));
                snprintf(key, sizeof key, "%s_sd", loc_names[sc]);
                cJSON_AddItemToObject(l, key, number_or_null(ls[sc]));
            }
        }
        if (!e->o.quiet && !e->o.json) {
            printf("  %-*s %9.4f (%6.4f) %9.4f (%6.4f)", name_width(e), e->ml.names[k], dm, ds,
                   im, is);
            if (e->localise)
                printf("  %8.4f %8.4f", lm[LOC_POINTING], lm[LOC_MASS]);
            printf("\n");
        }
    }
    char path[PATH_MAX];
    int rc = path_join(path, sizeof path, e->o.out_dir, "eval-summary.json");
    if (rc == EXIT_OK)
        rc = summary_emit(j, path, 0);
    if (rc == EXIT_OK && !e->o.quiet && !e->o.json)
        printf("  wrote %s\n", path);
    cJSON_Delete(j);
    return rc;
}

/* Compacts the AUCs of the images that worked to the front. */
static int eval_all(struct eval *e, struct input_list *in)
{
    int worst = EXIT_OK, rc = EXIT_OK;
    size_t ok = 0;
    struct progress bar, methods;
    progress_start(&bar, "eval", (int)in->n, e->o.quiet || e->o.json || in->n < 2);
    /* one image: the line counts its methods (each a map and two curves) */
    progress_start(&methods, "eval", e->ml.n, e->o.quiet || e->o.json || in->n != 1);
    progress_delay(&methods, 1000);
    e->method_bar = in->n == 1 ? &methods : NULL;
    for (size_t i = 0; rc == EXIT_OK && i < in->n; i++) {
        rc = eval_image(e, &in->items[i], ok);
        if (rc == EXIT_INPUT) {
            report_error("eval", error_message());
            clear_error();
            worst = rc = EXIT_INPUT;
            rc = EXIT_OK;
        } else if (rc == EXIT_OK)
            ok++;
        progress_update(&bar, (int)i + 1, NULL);
    }
    progress_end(&bar);
    progress_end(&methods);
    e->method_bar = NULL;
    if (rc == EXIT_OK && in->n > 1 && ok > 0)
        rc = write_summary(e, ok);
    if (rc == EXIT_OK)
        rc = check_localisation(e, ok);
    return rc ? rc : worst;
}

static int open_methods(struct eval *e, size_t nimages)
{
    for (int k = 0; k < e->ml.n; k++) {
        e->auc[k][0] = malloc(nimages * sizeof(double));
        e->auc[k][1] = malloc(nimages * sizeof(double));
        e->loc[k] = calloc(nimages ? nimages : 1, sizeof *e->loc[k]);
        if (!e->auc[k][0] || !e->auc[k][1] || !e->loc[k])
            return fail(EXIT_INTERNAL, "out of memory");
    }
    return method_list_open(&e->ml, e->runs, e->has_run, &e->model, &e->o.model, "--methods");
}

/* --target beyond classes: the head made for the curves (e->scope); each
 * method's run makes its own (cmd_eval) and sets it per image as its
 * compute does. */
static int open_target(struct eval *e)
{
    const struct target_opts *t = &e->o.target_opts;
    e->beyond = t->spec.kind != TARGET_CLASS;
    return targets_open_scope(&e->scope, "eval", &e->model, &e->o.model, e->o.target, t);
}

static int cmd_eval(void *opts, const operands *ops)
{
    struct eval *e = calloc(1, sizeof *e);
    if (!e)
        return fail(EXIT_INTERNAL, "out of memory");
    e->o = *(const struct eval_opts *)opts;
    struct input_list in = { 0 };
    int rc = EXIT_OK;
    if (ops->n < 1)
        rc = fail(EXIT_USAGE, "no image given (usage: attrib eval IMAGE|DIR|-... [--class N])");
    char list[METHOD_LIST_TEXT];
    if (e->o.methods)
        snprintf(list, sizeof list, "%s", e->o.methods); /* checked when parsed */
    else
        default_methods(list, sizeof list);
    if (rc == EXIT_OK)
        rc = method_list_parse(&e->ml, list, "--methods", RANDOM_METHOD);
    e->localise = e->o.loc.boxes || e->o.loc.masks;
    if (rc == EXIT_OK && e->o.loc.boxes && e->o.loc.masks)
        rc = fail(EXIT_USAGE, "give --boxes or --masks, not both");
    if (rc == EXIT_OK && !e->localise &&
        (isfinite(e->o.loc.min_pointing) || isfinite(e->o.loc.min_mass)))
        rc = fail(EXIT_USAGE, "--min-pointing and --min-mass need --boxes or --masks");
    if (rc == EXIT_OK && e->o.loc.boxes)
        rc = gt_read_boxes(e->o.loc.boxes, &e->boxes);
    if (rc == EXIT_OK)
        rc = inputs_collect(ops->args, ops->n, e->o.recursive, &in);
    for (size_t i = 0; rc == EXIT_OK && i < in.n; i++)
        in.items[i].target = e->o.target;
    if (rc == EXIT_OK)
        rc = make_dirs(e->o.out_dir);
    if (rc == EXIT_OK)
        rc = model_open(&e->o.model, &e->model);
    if (rc == EXIT_OK && e->o.target >= 0)
        rc = model_probe_classes(&e->model);
    if (rc == EXIT_OK && e->o.target >= e->model.classes)
        rc = fail(EXIT_USAGE, "--class %ld is out of range: the model has classes 0 to %d",
                  e->o.target, e->model.classes - 1);
    if (rc == EXIT_OK) /* first: a segmenter's default layer is found before its masks */
        rc = open_target(e);
    if (rc == EXIT_OK)
        rc = open_methods(e, in.n);
    for (int k = 0; rc == EXIT_OK && e->beyond && k < e->ml.n; k++)
        if (e->has_run[k]) {
            e->runs[k].opts.target_opts = e->o.target_opts;
            rc = targets_prepare(&e->runs[k]);
        }
    if (rc == EXIT_OK)
        rc = eval_all(e, &in);
    if (e->o.loc.boxes && (rc == EXIT_OK || rc == EXIT_INPUT))
        gt_report_unused(&e->boxes);
    gt_free_boxes(&e->boxes);
    method_list_close(&e->ml, e->runs, e->has_run);
    targets_release(&e->scope);
    for (int k = 0; k < e->ml.n; k++) {
        free(e->loc[k]);
        free(e->auc[k][0]);
        free(e->auc[k][1]);
    }
    if (e->model.handle)
        model_close(&e->model);
    inputs_free(&in);
    free(e);
    return rc;
}

/* The methods, from the methods table, after the description. */
static void methods_help(FILE *f)
{
    char all[512], def[512];
    method_names(all, sizeof all, 0);
    method_names(def, sizeof def, 1);
    fprintf(f, "\nMethods: %s, %s.\nDefault set: %s, %s.\n", RANDOM_METHOD, all, RANDOM_METHOD,
            def);
}

const struct command_spec eval_spec = {
    .synopsis = "attrib eval IMAGE|DIR|-... [--class N] [--methods LIST] [--steps 50] [-o DIR]",
    .description =
        "Deletion and insertion curves (Petsiuk et al. 2018): pixels are taken from the\n"
        "image (replaced by the mean colour) or put into a blurred copy (Gaussian, sigma\n"
        "5 px) in the order of each method's map, and the class probability is\n"
        "recorded after each step (with --target beyond classes, the target's score).\n"
        "Deletion AUC: lower is better; insertion AUC: higher is better; 'random' (a\n"
        "random map, --seed) is the chance level. Prints a table\n"
        "per image and writes NAME.eval.json (the curves) and NAME.eval.png (their\n"
        "plot); over several images also the mean and standard deviation per method, in\n"
        "eval-summary.json. Each method runs with its defaults but for the options given\n"
        "after its name, checked as its own command checks them, e.g.\n"
        "  --methods saliency,integrated-gradients:baseline=blur:steps=100,gradcam:variant=gradcam++\n"
        "--internal-batch is the batch size of the curves' passes. With --boxes or\n"
        "--masks (where the object is), also localisation scores, on the model's grid\n"
        "(boxes and masks follow the image's resize and crop): the pointing game (Zhang\n"
        "et al. 2018: the map's maximum within --pointing-tolerance pixels of the\n"
        "object), the energy-based pointing game (Wang et al. 2020: the share of the\n"
        "min-max normalised map inside), relevance mass and rank accuracy (Arras et al.\n"
        "2022: the share of the positive map inside; of the |object| hottest pixels, the\n"
        "share inside) and the IoU of the hottest --loc-top percent with the object.\n",
    .more_help = methods_help,
    COMMAND_RUN(struct eval_opts, options, cmd_eval),
    .operands = OPERANDS_IMAGES,
};
