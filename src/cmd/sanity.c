/* sanity.c - `attrib sanity`: does a method's map depend on what the
 * model learned? (Adebayo et al. 2018, "Sanity Checks for Saliency Maps";
 * Sixt et al. 2020 for the random-logit test.) The model's weights are
 * re-drawn block by block from the logits down (cascading) or one block at
 * a time (independent), each method re-run on each step, and its map
 * compared with the trained model's. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "colormap.h"
#include "command.h"
#include "error.h"
#include "explain/explain.h"
#include "fsutil.h"
#include "inputs.h"
#include "methodlist.h"
#include "progress.h"
#include "redraw.h"
#include "rng.h"
#include "shim_loader.h"
#include "similarity.h"
#include "sanity_report.h"

#define DEFAULT_METHODS "saliency,guided-backprop,gradcam"
#define DEFAULT_CHUNK 4 /* images explained together between two re-draws */

static const char *const metric_words[] = { "spearman-abs", "spearman", "ssim", NULL };

static int check_methods(const struct opt *o, const char *arg, void *unused)
{
    (void)o, (void)unused;
    struct method_list *l = malloc(sizeof *l);
    int rc = l ? method_list_parse(l, arg, "--methods", NULL) : fail(EXIT_INTERNAL, "out of memory");
    free(l);
    return rc;
}

static const struct opt options[] = {
    CLASS_OPTION('c', "class", struct sanity_opts, target, "class to explain at every step",
                 "the trained model's prediction"),
    { .kind = OPTK_LIST, .name = "methods", .offset = OPT_FIELD(struct sanity_opts, methods,
                                                                const char *),
      .parse = check_methods, .def_str = DEFAULT_METHODS, .metavar = "LIST",
      .help = "comma-separated methods, each optionally with its own options, as in eval "
              "(NAME:KEY=VALUE)" },
    OPT_FLAG(0, "independent", struct sanity_opts, independent,
             "also re-draw one block at a time (the others trained)"),
    OPT_FLAG(0, "random-logit", struct sanity_opts, random_logit,
             "also compare with the map of a random other class (Sixt et al. 2020)"),
    OPT_INT(0, "seed", struct sanity_opts, seed, 0, 2147483647, 0, "N",
            "seed of the re-drawn weights and of the random class"),
    { .kind = OPTK_REAL, .name = "max-similarity",
      .offset = OPT_FIELD(struct sanity_opts, max_similarity, double), .min = -1, .max = 1,
      .def = NAN, .metavar = "F", .default_text = "no check",
      .help = "exit 1 when a method's map with every block re-drawn is still more similar "
              "than F to the trained model's (by --metric)" },
    { .kind = OPTK_INT, .name = "check-blocks",
      .offset = OPT_FIELD(struct sanity_opts, check_blocks, long), .min = 0, .max = MAX_BLOCKS,
      .metavar = "N", .default_text = "all",
      .help = "judge --max-similarity with only the top N blocks re-drawn (the paper's "
              "finding: guided backprop ignores the top layers)" },
    OPT_ENUM(0, "metric", struct sanity_opts, metric, metric_words, METRIC_SPEARMAN_ABS,
             "what --max-similarity judges: rank correlation of |map|, of the signed map, or "
             "SSIM"),
    OPT_INT(0, "batch-size", struct sanity_opts, chunk, 1, MAX_CHUNK, DEFAULT_CHUNK, "N",
            "images explained together between two re-draws of the weights"),
    OPT_DIR('o', "output", struct sanity_opts, out_dir, ".", "DIR", "where to write the files"),
    OPT_FLAG('r', "recursive", struct sanity_opts, recursive,
             "also take images in subdirectories of directory inputs"),
    OPT_FLAG(0, "json", struct sanity_opts, json, "print each image's result as one JSON line"),
    OPT_FLAG('q', "quiet", struct sanity_opts, quiet, "print nothing on success"),
    TARGET_OPTIONS(struct sanity_opts, target_opts),
    MODEL_OPTIONS(struct sanity_opts, model),
    OPT_END,
};

/* ---- the weights ---------------------------------------------------- */

static int read_params(struct sanity *s)
{
    attrib_status st = attrib_model_parameters(s->model.handle, &s->params);
    if (st != ATTRIB_OK)
        return model_error(st, s->model.path);
    s->nparams = attrib_params_count(s->params);
    if (!s->nparams)
        return fail(EXIT_MODEL, "'%s' has no parameters to re-draw (a frozen TorchScript module "
                    "keeps its weights as constants; save the model unfrozen)", s->model.path);
    s->param_block = calloc(s->nparams, sizeof *s->param_block);
    s->drawn = calloc(s->nparams, sizeof *s->drawn);
    s->blocks = calloc(MAX_BLOCKS, sizeof *s->blocks);
    if (!s->param_block || !s->drawn || !s->blocks)
        return fail(EXIT_INTERNAL, "out of memory");
    for (size_t i = 0; i < s->nparams; i++) {
        const char *name;
        int64_t numel;
        attrib_params_get(s->params, i, &name, NULL, &numel);
        s->largest = (size_t)numel > s->largest ? (size_t)numel : s->largest;
        char block[REDRAW_BLOCK_NAME];
        redraw_block_name(name, block, sizeof block);
        int b = 0;
        while (b < s->nblocks && strcmp(s->blocks[b], block) != 0)
            b++;
        if (b == s->nblocks) {
            if (s->nblocks == MAX_BLOCKS)
                return fail(EXIT_MODEL, "'%s' has more than %d blocks of parameters",
                            s->model.path, MAX_BLOCKS);
            snprintf(s->blocks[s->nblocks++], REDRAW_BLOCK_NAME, "%s", block);
        }
        s->param_block[i] = b;
    }
    s->scratch = malloc((s->largest ? s->largest : 1) * sizeof *s->scratch);
    return s->scratch ? EXIT_OK : fail(EXIT_INTERNAL, "out of memory");
}

/* Block b's parameters re-drawn (draw) or given back their trained values. */
static int set_block(struct sanity *s, int b, int draw)
{
    for (size_t i = 0; i < s->nparams; i++) {
        if (s->param_block[i] != b || s->drawn[i] == draw)
            continue;
        const char *name;
        const float *orig;
        int64_t numel;
        attrib_params_get(s->params, i, &name, &orig, &numel);
        if (draw)
            redraw_gaussian(orig, s->scratch, (size_t)numel, redraw_seed((uint64_t)s->o.seed, i));
        attrib_status st = attrib_model_set_parameter(s->model.handle, name,
                                                      draw ? s->scratch : orig, numel);
        if (st != ATTRIB_OK)
            return model_error(st, s->model.path);
        s->drawn[i] = draw;
    }
    return EXIT_OK;
}

static int restore_all(struct sanity *s)
{
    int rc = EXIT_OK;
    for (int b = 0; rc == EXIT_OK && b < s->nblocks; b++)
        rc = set_block(s, b, 0);
    return rc;
}

/* ---- maps and their similarity -------------------------------------- */

struct chunk {
    int n;
    float *x;                           /* [n, 3, h, w] */
    int64_t targets[MAX_CHUNK];
    struct attribution a[MAX_CHUNK];
    struct summary sm[MAX_CHUNK];
    float *orig[METHOD_LIST_MAX];       /* [n][h * w]: the trained model's maps */
    struct image_result *res[MAX_CHUNK];
};

/* Method k's signed maps of the chunk for targets into c->a[i].map. */
static int maps(struct sanity *s, int k, struct chunk *c, const int64_t *targets)
{
    struct batch b = { .n = c->n, .h = s->h, .w = s->w, .x = c->x, .targets = targets,
                       .a = c->a, .s = c->sm };
    for (int i = 0; i < c->n; i++) {
        attribution_reset(&c->a[i]);
        c->sm[i] = (struct summary){ .method = s->ml.names[k], .image = c->res[i]->it->path };
    }
    int rc = explain_compute(&s->runs[k], &b);
    attrib_result_free(b.res);
    return rc;
}

static struct sim compare_maps(const float *orig, const float *now, int w, int h, float *buf)
{
    size_t n = (size_t)w * h;
    float *a = buf, *b = buf + n;
    struct sim r;
    r.v[METRIC_SPEARMAN] = similarity_spearman(orig, now, n);
    for (size_t i = 0; i < n; i++)
        a[i] = fabsf(orig[i]), b[i] = fabsf(now[i]);
    r.v[METRIC_SPEARMAN_ABS] = similarity_spearman(a, b, n);
    if (similarity_normalise(orig, n, a) || similarity_normalise(now, n, b))
        r.v[METRIC_SSIM] = NAN;
    else
        r.v[METRIC_SSIM] = similarity_ssim(a, b, w, h);
    return r;
}

/* The strip's tile of a map: |map| normalised, in inferno, THUMB x THUMB. */
static int tile(const float *map, int w, int h, float *buf, unsigned char *out)
{
    const size_t n = (size_t)w * h;
    int rc = similarity_normalise(map, n, buf);
    float *small = buf + n;
    struct rect whole = { 0, 0, w, h };
    if (rc == EXIT_OK)
        rc = image_resize_plane(buf, w, h, 1, whole, small, THUMB, THUMB);
    for (int i = 0; rc == EXIT_OK && i < THUMB * THUMB; i++)
        colormap_apply(CMAP_INFERNO, small[i], out + 3 * i);
    return rc;
}

/* Every method's maps at the current weights, compared with the trained
 * ones: into column col (a struct sim array per method) at index j. */
static int step_maps(struct sanity *s, struct chunk *c, int independent, int j, int step_tile,
                     float *buf)
{
    for (int k = 0; k < s->ml.n; k++) {
        int rc = maps(s, k, c, c->targets);
        for (int i = 0; rc == EXIT_OK && i < c->n; i++) {
            struct image_result *r = c->res[i];
            struct sim v = compare_maps(c->orig[k] + (size_t)i * s->h * s->w, c->a[i].map, s->w,
                                        s->h, buf);
            (independent ? r->independent : r->cascade)[(size_t)k * s->nblocks + j] = v;
            if (step_tile >= 0)
                rc = tile(c->a[i].map, s->w, s->h, buf, sanity_tile_at(s, r, k, step_tile));
        }
        if (rc)
            return rc;
    }
    return EXIT_OK;
}

/* The trained model's maps (and, with --random-logit, those of a random
 * other class), then every cascading and independent step. The weights are
 * the trained ones on entry (sanity_all restores them to classify). */
/* The steps run_chunk takes: the trained maps, the random logit's, and
 * each cascading and independent re-drawing. */
static int chunk_steps(const struct sanity *s)
{
    return 1 + (s->o.random_logit != 0) + s->nblocks * (1 + (s->o.independent != 0));
}

static void step_done(struct sanity *s, int *done, const char *what)
{
    if (s->step_bar)
        progress_update(s->step_bar, ++*done, what);
}

static int run_chunk(struct sanity *s, struct chunk *c, float *buf)
{
    const size_t plane = (size_t)s->h * s->w;
    int rc = EXIT_OK, done = 0;
    for (int k = 0; rc == EXIT_OK && k < s->ml.n; k++) {
        rc = maps(s, k, c, c->targets);
        for (int i = 0; rc == EXIT_OK && i < c->n; i++) {
            memcpy(c->orig[k] + i * plane, c->a[i].map, plane * sizeof(float));
            rc = tile(c->a[i].map, s->w, s->h, buf, sanity_tile_at(s, c->res[i], k, 0));
        }
    }
    step_done(s, &done, "trained");
    if (rc == EXIT_OK && s->o.random_logit) {
        int64_t others[MAX_CHUNK];
        for (int i = 0; i < c->n; i++)
            others[i] = c->res[i]->other;
        for (int k = 0; rc == EXIT_OK && k < s->ml.n; k++) {
            rc = maps(s, k, c, others);
            for (int i = 0; rc == EXIT_OK && i < c->n; i++)
                c->res[i]->random[k] = compare_maps(c->orig[k] + i * plane, c->a[i].map, s->w,
                                                    s->h, buf);
        }
        step_done(s, &done, "random logit");
    }
    for (int j = 0; rc == EXIT_OK && j < s->nblocks; j++) { /* cascading: the weights stay drawn */
        rc = set_block(s, sanity_block_at(s, j), 1);
        if (rc == EXIT_OK)
            rc = step_maps(s, c, 0, j, j + 1, buf);
        step_done(s, &done, s->blocks[sanity_block_at(s, j)]);
    }
    if (rc == EXIT_OK)
        rc = restore_all(s);
    for (int j = 0; rc == EXIT_OK && s->o.independent && j < s->nblocks; j++) {
        rc = set_block(s, sanity_block_at(s, j), 1);
        if (rc == EXIT_OK)
            rc = step_maps(s, c, 1, j, -1, buf);
        if (rc == EXIT_OK)
            rc = set_block(s, sanity_block_at(s, j), 0);
        step_done(s, &done, s->blocks[sanity_block_at(s, j)]);
    }
    return rc;
}

/* ---- outputs ---------------------------------------------------------- */

/* A --target beyond classes: each image's score of it under the trained
 * weights, and what it is held to while they are re-drawn (segment:CLASS:
 * the trained model's masks, frozen in every method's run; similar-to:IMAGE
 * holds the trained model's embedding of IMAGE from the start). */
static int score_chunk(struct sanity *s, struct chunk *c)
{
    struct batch b = { .n = c->n, .h = s->h, .w = s->w, .x = c->x };
    double scores[MAX_CHUNK];
    int rc = targets_freeze(&s->scope, &b);
    for (int k = 0; rc == EXIT_OK && k < s->ml.n; k++)
        rc = targets_freeze(&s->runs[k], &b);
    if (rc == EXIT_OK)
        rc = targets_scores(&s->scope, &b, scores);
    for (int i = 0; rc == EXIT_OK && i < c->n; i++) {
        struct image_result *r = c->res[i];
        targets_score_of(&s->scope, scores[i], &r->cls, r->label, sizeof r->label);
        c->targets[i] = -1; /* the head's entries, not classes */
    }
    return rc;
}

/* The class of each image (--class or the top-1), its probability, and the
 * random-logit class: seeded per image, so alone or in a folder it is the
 * same. */
static int classify_chunk(struct sanity *s, struct chunk *c)
{
    if (s->beyond)
        return score_chunk(s, c);
    int64_t shape[4] = { c->n, 3, s->h, s->w }, classes;
    attrib_result *res = NULL;
    attrib_status st = attrib_forward(s->model.handle, c->x, shape, &res);
    int rc = st == ATTRIB_OK ? model_check_logits(&s->model, res, c->n)
                             : model_error(st, s->model.path);
    const float *logits = rc == EXIT_OK ? result_logits(res, NULL, &classes) : NULL;
    for (int i = 0; rc == EXIT_OK && i < c->n; i++) {
        struct image_result *r = c->res[i];
        rc = model_class_score(&s->model, logits + (size_t)i * classes, (int)classes,
                               s->o.target, &r->cls, r->label, sizeof r->label);
        long k = r->cls.index;
        c->targets[i] = k;
        struct rng g;
        rng_seed(&g, (uint64_t)s->o.seed ^ (0x9e3779b97f4a7c15ULL * (r->it->index + 1)));
        long other = rng_range(&g, 0, (int)classes - 2); /* any class but k */
        r->other = other >= k ? other + 1 : other;
    }
    attrib_result_free(res);
    return rc;
}

static int alloc_result(struct sanity *s, struct image_result *r)
{
    const size_t steps = (size_t)s->ml.n * s->nblocks;
    r->cascade = calloc(steps, sizeof *r->cascade);
    r->independent = calloc(steps, sizeof *r->independent);
    r->random = calloc((size_t)s->ml.n, sizeof *r->random);
    r->tiles = malloc((size_t)s->ml.n * (s->nblocks + 1) * THUMB * THUMB * 3);
    return r->cascade && r->independent && r->random && r->tiles
               ? EXIT_OK : fail(EXIT_INTERNAL, "out of memory");
}

static void free_result(struct image_result *r)
{
    free(r->cascade);
    free(r->independent);
    free(r->random);
    free(r->tiles);
    memset(r, 0, sizeof *r);
}

/* Loads images [first, first + count) into the chunk; unreadable ones are
 * reported and left out (the run goes on). */
static int fill_chunk(struct sanity *s, struct input_list *in, size_t first, size_t count,
                      struct chunk *c, struct image_result *results)
{
    const size_t n = (size_t)3 * s->h * s->w;
    c->n = 0;
    for (size_t k = first; k < first + count; k++) {
        struct image_result *r = &results[c->n];
        r->it = &in->items[k];
        int rc = model_read_input(&s->model, s->o.model.resize, r->it->path, NULL, NULL,
                                  c->x + c->n * n, NULL);
        if (rc == EXIT_INPUT) {
            report_error("sanity", error_message());
            clear_error();
            s->worst = EXIT_INPUT;
            continue;
        }
        if (rc == EXIT_OK)
            rc = alloc_result(s, r);
        if (rc)
            return rc;
        c->res[c->n++] = r;
    }
    return EXIT_OK;
}

static int chunk_alloc(struct sanity *s, struct chunk *c, int size)
{
    const size_t plane = (size_t)s->h * s->w;
    memset(c, 0, sizeof *c);
    int rc = attributions_alloc(&c->x, c->a, size, plane);
    for (int k = 0; rc == EXIT_OK && k < s->ml.n; k++)
        if (!(c->orig[k] = malloc((size_t)size * plane * sizeof(float))))
            rc = fail(EXIT_INTERNAL, "out of memory");
    return rc;
}

static void chunk_free(struct chunk *c, int size)
{
    attributions_free(c->x, c->a, size);
    for (int k = 0; k < METHOD_LIST_MAX; k++)
        free(c->orig[k]);
}

static int sanity_all(struct sanity *s, struct input_list *in)
{
    const int size = (int)s->o.chunk;
    const size_t plane = (size_t)s->h * s->w;
    struct chunk *c = malloc(sizeof *c);
    struct image_result *results = calloc((size_t)size, sizeof *results);
    float *buf = malloc((2 * plane + THUMB * THUMB) * sizeof *buf); /* compare_maps, tile */
    int rc = c && results && buf ? chunk_alloc(s, c, size) : fail(EXIT_INTERNAL, "out of memory");
    struct progress bar, steps;
    progress_start(&bar, "sanity", (int)in->n, s->o.quiet || s->o.json || in->n < 2);
    /* one image: its steps, on a terminal once it has taken a second */
    progress_start(&steps, "sanity", chunk_steps(s), s->o.quiet || s->o.json || in->n != 1);
    progress_delay(&steps, 1000);
    s->step_bar = in->n == 1 ? &steps : NULL;
    for (size_t first = 0; rc == EXIT_OK && first < in->n; first += (size_t)size) {
        size_t count = in->n - first < (size_t)size ? in->n - first : (size_t)size;
        rc = fill_chunk(s, in, first, count, c, results);
        if (rc == EXIT_OK && c->n > 0)
            rc = restore_all(s);
        if (rc == EXIT_OK && c->n > 0)
            rc = classify_chunk(s, c);
        if (rc == EXIT_OK && c->n > 0)
            rc = run_chunk(s, c, buf);
        progress_end(&steps); /* off the terminal's line before the table is printed */
        for (int i = 0; rc == EXIT_OK && i < c->n; i++) {
            rc = sanity_write_image(s, c->res[i]);
            s->images_ok += rc == EXIT_OK;
        }
        for (int i = 0; i < size; i++)
            free_result(&results[i]);
        progress_update(&bar, (int)(first + count), NULL);
    }
    progress_end(&bar);
    progress_end(&steps);
    s->step_bar = NULL;
    if (c)
        chunk_free(c, size);
    free(c);
    free(results);
    free(buf);
    return rc;
}

/* --target: the head of the images' scores (s->scope), before the methods'
 * runs take the model (a segmenter's default layer is found from it). */
static int open_target(struct sanity *s)
{
    const struct target_opts *t = &s->o.target_opts;
    if (s->beyond && s->o.random_logit)
        return fail(EXIT_USAGE, "--random-logit explains another class in the class's place; "
                    "--target %s has no class to swap (leave --random-logit out)",
                    target_kind_names[t->spec.kind]);
    return targets_open_scope(&s->scope, "sanity", &s->model, &s->o.model, s->o.target, t);
}

static int open_run(struct sanity *s)
{
    int rc = read_params(s);
    if (rc == EXIT_OK)
        rc = method_list_open(&s->ml, s->runs, s->opened, &s->model, &s->o.model, "--methods");
    for (int k = 0; rc == EXIT_OK && s->beyond && k < s->ml.n; k++) {
        s->runs[k].opts.target_opts = s->o.target_opts;
        rc = targets_prepare(&s->runs[k]);
    }
    /* maps keep their sign: the comparison takes |map| itself where it wants it */
    for (int k = 0; rc == EXIT_OK && k < s->ml.n; k++)
        if (s->runs[k].method->signed_map)
            s->runs[k].opts.sign = SIGN_SIGNED;
    const size_t cells = (size_t)s->ml.n * sanity_columns(s);
    if (rc == EXIT_OK) {
        s->sum = calloc(cells, sizeof *s->sum);
        s->sum_sq = calloc(cells, sizeof *s->sum_sq);
        s->count = calloc(cells, sizeof *s->count);
        if (!s->sum || !s->sum_sq || !s->count)
            rc = fail(EXIT_INTERNAL, "out of memory");
    }
    return rc;
}

static void close_run(struct sanity *s)
{
    method_list_close(&s->ml, s->runs, s->opened);
    targets_release(&s->scope);
    attrib_params_free(s->params);
    free(s->param_block);
    free(s->drawn);
    free(s->blocks);
    free(s->scratch);
    free(s->sum);
    free(s->sum_sq);
    free(s->count);
    if (s->model.handle)
        model_close(&s->model);
}

static int cmd_sanity(void *opts, const operands *ops)
{
    struct sanity *s = calloc(1, sizeof *s);
    if (!s)
        return fail(EXIT_INTERNAL, "out of memory");
    s->o = *(const struct sanity_opts *)opts;
    struct input_list in = { 0 };
    int rc = ops->n < 1 ? fail(EXIT_USAGE, "no image given (usage: attrib sanity IMAGE|DIR|-... "
                                           "[--methods LIST])")
                        : method_list_parse(&s->ml, s->o.methods, "--methods", NULL);
    if (rc == EXIT_OK)
        rc = inputs_collect(ops->args, ops->n, s->o.recursive, &in);
    if (rc == EXIT_OK)
        rc = model_open(&s->o.model, &s->model);
    s->beyond = s->o.target_opts.spec.kind != TARGET_CLASS;
    if (rc == EXIT_OK)
        rc = open_target(s);
    if (rc == EXIT_OK && !s->beyond)
        rc = model_probe_classes(&s->model);
    if (rc == EXIT_OK && s->o.target >= s->model.classes)
        rc = fail(EXIT_USAGE, "--class %ld is out of range: the model has classes 0 to %d",
                  s->o.target, s->model.classes - 1);
    if (rc == EXIT_OK && s->o.random_logit && s->model.classes < 2)
        rc = fail(EXIT_USAGE, "--random-logit needs a model with two classes or more");
    s->h = s->model.card.input_h, s->w = s->model.card.input_w;
    if (rc == EXIT_OK)
        rc = open_run(s);
    if (rc == EXIT_OK)
        rc = make_dirs(s->o.out_dir);
    if (rc == EXIT_OK)
        rc = sanity_all(s, &in);
    if (rc == EXIT_OK)
        rc = restore_all(s);
    if (rc == EXIT_OK && in.n > 1 && s->images_ok > 0)
        rc = sanity_write_summary(s);
    if (rc == EXIT_OK && s->failed_check)
        rc = fail(EXIT_INPUT, "sanity check failed: %d map%s (image x method) still above "
                  "--max-similarity %g by %s with %d of %d blocks re-drawn", s->failed_check,
                  s->failed_check == 1 ? "" : "s", s->o.max_similarity,
                  sanity_metric_names[s->o.metric], sanity_check_step(s), s->nblocks);
    rc = rc ? rc : s->worst;
    close_run(s);
    inputs_free(&in);
    free(s);
    return rc;
}

const struct command_spec sanity_spec = {
    .synopsis = "attrib sanity IMAGE|DIR|-... [--methods LIST] [--independent] [--random-logit]\n"
                "                     [--max-similarity F] [-o DIR]",
    .description =
        "Model-parameter randomisation test (Adebayo et al. 2018): does a method's map\n"
        "depend on what the model learned? The weights are re-drawn block by block from\n"
        "the logits down (cascading; --independent: also one block at a time), each\n"
        "parameter tensor from a Gaussian with its own mean and standard deviation\n"
        "(seeded: --seed), and every method re-run on every step. Its map is compared\n"
        "with the trained model's by the Spearman rank correlation of |map| and of the\n"
        "signed map (CAMs before their ReLU) and by SSIM of the normalised |map|; 1 is\n"
        "unchanged, about 0 independent of the weights. A method whose map stays similar\n"
        "with every block re-drawn shows the image, not the model. --random-logit also\n"
        "compares with the map of a random other class (Sixt et al. 2020). Blocks: a\n"
        "parameter's module path cut after its first numeric component (features.3,\n"
        "layer1.0), else after the first component ending in a digit, else whole.\n"
        "Writes NAME.sanity.json, NAME.sanity.png (similarity against blocks re-drawn)\n"
        "and NAME.sanity.strip.png (each method's map at each step); over several images\n"
        "also sanity-summary.json (mean and SD) and sanity-summary.png. With\n"
        "--max-similarity, exits 1 when a map is still above it at the end. With --target\n"
        "(segmenters, embedders, detectors) the maps explain that target at every step,\n"
        "held to what the trained model made of it: segment:CLASS over the trained\n"
        "model's masks, similar-to:IMAGE to its embedding of IMAGE.\n",
    COMMAND_RUN(struct sanity_opts, options, cmd_sanity),
    .operands = OPERANDS_IMAGES,
};
