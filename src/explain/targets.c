/* explain/targets.c - --target beyond classes (targets.h): the head the
 * passes score with, made from the model's output and the target's
 * reference, and each image's target as its summary says it. */
#include "targets.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "heatmap.h"
#include "image.h"
#include "mapfile.h"
#include "method.h"
#include "options.h"

const struct opt target_option_rows[] = {
    { .kind = OPTK_CUSTOM, .name = "target", .offset = offsetof(struct target_opts, spec),
      .parse = parse_target, .format = format_target, .words = target_words,
      .metavar = "SPEC", .def_str = TARGET_PREDICTED,
      .help = "what is explained: class:N (--class N; class:predicted, the top-1); segment:CLASS, a segmentation model's "
              "CLASS logits summed over the pixels it gives CLASS (its argmax), or "
              "segment:CLASS@MASK.png over a mask's white pixels (of the model's input or "
              "output size); similar-to:IMAGE or similar-to:VECTOR.npy, an embedding model's "
              "cosine similarity to IMAGE's embedding or to a vector (a CLIP text embedding, a "
              "prototype); box:X,Y,W,H[:CLASS], a detector's detection of that box (in the "
              "model's input pixels; of CLASS if given): of the detections scoring at least "
              "--score-threshold, the one of largest IoU with it scores IoU + its score when "
              "the IoU is above --iou-threshold, else 0 (pytorch-grad-cam's "
              "FasterRCNNBoxScoreTarget)" },
    OPT_REAL(0, "iou-threshold", struct target_opts, iou_threshold, 0, 0.99, 0.5, "T",
             "box: targets: the IoU a detection needs with the box to be it"),
    OPT_REAL(0, "score-threshold", struct target_opts, score_threshold, 0, 1, 0.25, "S",
             "box: targets: the score a detection needs to be matched"),
    OPT_END,
};

/* A mask pixel is in the segment when it is brighter than half. */
#define MASK_THRESHOLD 0.5f

static int set_head(struct explain_run *run, const attrib_head_params *h)
{
    attrib_status st = attrib_model_set_head(run->model.handle, h);
    return st == ATTRIB_OK ? EXIT_OK : model_error(st, run->model.path);
}

/* The output's shape for one blank input, into t->out. */
static int probe_output(struct explain_run *run, struct target_state *t)
{
    int64_t shape[ATTRIB_MAX_DIMS];
    int ndim;
    int rc = model_output_shape(&run->model, shape, &ndim);
    if (rc == EXIT_OK && ndim > 4)
        rc = fail(EXIT_MODEL, "'%s': the model returned a %d-D output", run->model.path, ndim);
    t->out_ndim = ndim;
    for (int d = 0; rc == EXIT_OK && d < ndim; d++)
        t->out[d] = shape[d];
    return rc;
}

static void output_shape_text(const struct target_state *t, char *buf, size_t size)
{
    size_t len = (size_t)snprintf(buf, size, "[N");
    for (int d = 1; d < t->out_ndim && len < size; d++)
        len += (size_t)snprintf(buf + len, size - len, ", %lld", (long long)t->out[d]);
    if (len < size)
        snprintf(buf + len, size - len, "]");
}

/* The embedding's length D of an output [1, D] or [1, D, 1, 1]; 0 if not one. */
static int64_t embedding_size(const struct target_state *t)
{
    if (t->out_ndim == 2)
        return t->out[1];
    if (t->out_ndim == 4 && t->out[2] == 1 && t->out[3] == 1)
        return t->out[1];
    return 0;
}

/* The classes of a detector's raw output [1, ., .] in the card's layout. */
static int64_t detector_classes(const struct explain_run *run, const struct target_state *t)
{
    if (t->out_ndim != 3)
        return 0;
    return run->model.card.layout == CARD_LAYOUT_DETR ? t->out[2] - 5 : t->out[1] - 4;
}

/* box: needs the card's layout, a raw output of it, the box inside the
 * model's input and its class among the detector's. */
static int check_box(const struct explain_run *run, const struct target_state *t,
                     const char *shape)
{
    const struct target_spec *s = &run->opts.target_opts.spec;
    const struct card *c = &run->model.card;
    const double *b = s->box;
    if (!c->layout)
        return fail(EXIT_USAGE, "--target box: needs the model card's output layout "
                    "(\"output\": {\"kind\": \"detection\", \"layout\": \"yolo\" | "
                    "\"detr\"}); '%s' has none", run->model.path);
    const int64_t classes = detector_classes(run, t);
    if (classes < 1)
        return fail(EXIT_USAGE, "--target box: a %s detector returns %s; '%s' returns %s",
                    card_layout_names[c->layout],
                    c->layout == CARD_LAYOUT_DETR ? "[N, queries, classes + 1 + 4]"
                                                  : "[N, 4 + classes, anchors]",
                    run->model.path, shape);
    if (b[0] < 0 || b[1] < 0 || b[0] + b[2] > c->input_w || b[1] + b[3] > c->input_h)
        return fail(EXIT_USAGE, "--target box:%g,%g,%g,%g is outside the model's input (%dx%d "
                    "pixels)", b[0], b[1], b[2], b[3], c->input_w, c->input_h);
    if (s->cls >= classes)
        return fail(EXIT_USAGE, "--target box: class %ld is out of range: the detector has "
                    "classes 0 to %lld", s->cls, (long long)classes - 1);
    return EXIT_OK;
}

/* The output fits the target: segment needs masks [N, C, h, w] with CLASS < C,
 * similar-to an embedding [N, D]. */
static int check_output(const struct explain_run *run, const struct target_state *t)
{
    const struct target_spec *s = &run->opts.target_opts.spec;
    char shape[96];
    output_shape_text(t, shape, sizeof shape);
    if (s->kind == TARGET_SEGMENT && t->out_ndim != 4)
        return fail(EXIT_USAGE, "--target segment:%ld needs a model whose output is masks "
                    "[N, C, H, W]; '%s' returns %s", s->cls, run->model.path, shape);
    if (s->kind == TARGET_SEGMENT && s->cls >= t->out[1])
        return fail(EXIT_USAGE, "--target segment:%ld is out of range: the model segments "
                    "classes 0 to %lld", s->cls, (long long)t->out[1] - 1);
    if (s->kind == TARGET_BOX)
        return check_box(run, t, shape);
    if (s->kind == TARGET_SIMILAR && !embedding_size(t))
        return fail(EXIT_USAGE, "--target similar-to needs a model whose output is an "
                    "embedding [N, D]; '%s' returns %s", run->model.path, shape);
    return EXIT_OK;
}

/* The given mask in the output's frame: read, of the model's input size or
 * the output's, resized (nearest) to the output's. */
static int read_mask(struct explain_run *run, struct target_state *t)
{
    const struct target_spec *s = &run->opts.target_opts.spec;
    struct image img = { 0 };
    int rc = image_load(s->path, &img);
    if (rc)
        return rc;
    const int h = (int)t->out[2], w = (int)t->out[3];
    const int ih = run->model.card.input_h, iw = run->model.card.input_w;
    if (!((img.width == iw && img.height == ih) || (img.width == w && img.height == h)))
        rc = fail(EXIT_USAGE, "--target %s: the mask is %dx%d; it must be the model's input "
                  "(%dx%d) or its output (%dx%d)", s->path, img.width, img.height, iw, ih, w, h);
    t->mask = rc ? NULL : malloc((size_t)h * w * sizeof *t->mask);
    if (rc == EXIT_OK && !t->mask)
        rc = fail(EXIT_INTERNAL, "out of memory");
    t->mask_pixels = 0;
    for (int y = 0; rc == EXIT_OK && y < h; y++)
        for (int x = 0; x < w; x++) {
            int sy = (int)(((long)y * img.height) / h), sx = (int)(((long)x * img.width) / w);
            const float *px = img.px + ((size_t)sy * img.width + sx) * 3;
            int in = px[0] > MASK_THRESHOLD || px[1] > MASK_THRESHOLD || px[2] > MASK_THRESHOLD;
            t->mask[(size_t)y * w + x] = (float)in;
            t->mask_pixels += in;
        }
    if (rc == EXIT_OK && !t->mask_pixels)
        rc = fail(EXIT_USAGE, "--target %s: the mask has no pixel brighter than half (the "
                  "segment is its white pixels)", s->path);
    snprintf(run->opts.target_opts.spec.sha256, sizeof run->opts.target_opts.spec.sha256, "%s", img.sha256);
    image_free(&img);
    return rc;
}

/* A reference vector of the embedding's length d, finite and not zero. */
static int read_vector(struct explain_run *run, struct target_state *t, int64_t d)
{
    struct target_spec *s = &run->opts.target_opts.spec;
    float *v = NULL;
    size_t n = 0, dims[3];
    int ndim = 0;
    int rc = map_read_shape(s->path, &v, &n, dims, &ndim);
    if (rc == EXIT_OK && (ndim < 1 || ndim > 2 || (ndim == 2 && dims[0] != 1)))
        rc = fail(EXIT_USAGE, "--target similar-to:%s: a vector is a .npy of shape [D] or "
                  "[1, D]", s->path);
    if (rc == EXIT_OK && (int64_t)n != d)
        rc = fail(EXIT_USAGE, "--target similar-to:%s: the vector has %zu values but the "
                  "model's embedding %lld", s->path, n, (long long)d);
    double norm = 0;
    for (size_t i = 0; rc == EXIT_OK && i < n; i++) {
        if (!isfinite(v[i]))
            rc = fail(EXIT_USAGE, "--target similar-to:%s: the vector holds a NaN or infinity",
                      s->path);
        norm += (double)v[i] * v[i];
    }
    if (rc == EXIT_OK && norm == 0)
        rc = fail(EXIT_USAGE, "--target similar-to:%s: the vector is zero (it has no direction "
                  "to be similar to)", s->path);
    if (rc == EXIT_OK && image_file_sha256(s->path, s->sha256) != 0)
        rc = fail(EXIT_INPUT, "cannot read '%s'", s->path);
    if (rc == EXIT_OK)
        t->reference = v;
    else
        free(v);
    return rc;
}

/* The reference image's embedding through the model, held fixed. */
static int embed_image(struct explain_run *run, struct target_state *t, int64_t d)
{
    struct target_spec *s = &run->opts.target_opts.spec;
    const size_t n = (size_t)3 * run->model.card.input_w * run->model.card.input_h;
    float *x = malloc(n * sizeof *x);
    struct image img = { 0 };
    attrib_result *res = NULL;
    int rc = x ? model_read_input(&run->model, run->opts.model.resize, s->path, &img, NULL, x,
                                  NULL)
               : fail(EXIT_INTERNAL, "out of memory");
    const float *e = NULL;
    int64_t shape[ATTRIB_MAX_DIMS];
    int ndim;
    if (rc == EXIT_OK)
        rc = model_raw_output(&run->model, x, 1, &res, &e, shape, &ndim);
    t->reference = e ? malloc((size_t)d * sizeof *t->reference) : NULL;
    if (rc == EXIT_OK && !t->reference)
        rc = fail(EXIT_INTERNAL, "out of memory");
    double norm = 0;
    for (int64_t i = 0; rc == EXIT_OK && i < d; i++)
        t->reference[i] = e[i], norm += (double)e[i] * e[i];
    if (rc == EXIT_OK && !(isfinite(norm) && norm > 0))
        rc = fail(EXIT_MODEL, "'%s': the embedding of '%s' is %s", run->model.path, s->path,
                  isfinite(norm) ? "zero" : "not finite");
    snprintf(s->sha256, sizeof s->sha256, "%s", img.sha256);
    image_free(&img);
    attrib_result_free(res);
    free(x);
    return rc;
}

/* The other options that say what is explained do not go with --target. */
static int check_options(struct explain_run *run)
{
    struct explain_opts *o = &run->opts;
    const char *kind = target_kind_names[o->target_opts.spec.kind];
    if (o->target >= 0 || o->class_file || o->class_from_folder)
        return fail(EXIT_USAGE, "--target %s explains no class: not with --class, --class-file "
                    "or --class-from-folder", kind);
    if (o->objective.versus >= 0)
        return fail(EXIT_USAGE, "--target %s is explained by its own score: not with --versus",
                    kind);
    if (o->objective.kind != OBJECTIVE_LOGIT && o->objective.kind != run->method->objective)
        return fail(EXIT_USAGE, "--target %s is explained by its own score: not with "
                    "--objective %s", kind, objective_names[o->objective.kind]);
    o->objective.kind = OBJECTIVE_LOGIT; /* the score as it is: a method's softmax default too */
    return EXIT_OK;
}

int targets_prepare(struct explain_run *run)
{
    struct target_state *t = &run->target;
    const struct target_spec *s = &run->opts.target_opts.spec;
    memset(t, 0, sizeof *t);
    t->kind = s->kind;
    const int task = run->model.card.task;
    static const char *const what[] = { [TASK_SEGMENTATION] = "a segmentation",
                                        [TASK_EMBEDDING] = "an embedding",
                                        [TASK_DETECTION] = "a detection" };
    static const char *const spec[] = { [TASK_SEGMENTATION] = "segment:CLASS",
                                        [TASK_EMBEDDING] = "similar-to:IMAGE|VECTOR.npy",
                                        [TASK_DETECTION] = "box:X,Y,W,H[:CLASS]" };
    if (s->kind == TARGET_CLASS && task != TASK_CLASSIFICATION)
        return fail(EXIT_USAGE, "'%s' is %s model (its card's task): say what to explain with "
                    "--target %s", run->model.path, what[task], spec[task]);
    if (s->kind == TARGET_CLASS)
        return EXIT_OK;
    int rc = check_options(run);
    run->model.scores_entries = 1;
    if (rc == EXIT_OK)
        rc = probe_output(run, t);
    if (rc == EXIT_OK)
        rc = check_output(run, t);
    for (int d = 0; rc == EXIT_OK && s->kind == TARGET_SEGMENT && d < 4; d++)
        run->model.output_shape[d] = t->out[d]; /* Grad-CAM's default layer is before it */
    t->entries = rc ? NULL : calloc(MAX_BATCH_SIZE, sizeof *t->entries);
    if (rc == EXIT_OK && !t->entries)
        rc = fail(EXIT_INTERNAL, "out of memory");
    if (rc || (s->kind == TARGET_SEGMENT && !s->path))
        return rc; /* the masks come with each batch */
    attrib_head_params h = attrib_head_default_params();
    h.entries = 1;
    if (s->kind == TARGET_SEGMENT) {
        rc = read_mask(run, t);
        const int64_t cls = s->cls;
        h.kind = ATTRIB_HEAD_SEGMENT, h.classes = &cls, h.weights = t->mask;
        h.dims[0] = t->out[2], h.dims[1] = t->out[3];
        return rc ? rc : set_head(run, &h);
    }
    if (s->kind == TARGET_BOX) {
        const float ref[5] = { (float)s->box[0], (float)s->box[1], (float)(s->box[0] + s->box[2]),
                               (float)(s->box[1] + s->box[3]), (float)s->cls };
        h.kind = ATTRIB_HEAD_BOX, h.weights = ref;
        h.dims[0] = run->model.card.input_h, h.dims[1] = run->model.card.input_w;
        h.layout = run->model.card.layout == CARD_LAYOUT_DETR ? ATTRIB_BOXES_DETR
                                                              : ATTRIB_BOXES_YOLO;
        h.iou_threshold = run->opts.target_opts.iou_threshold, h.score_threshold = run->opts.target_opts.score_threshold;
        return set_head(run, &h);
    }
    const int64_t d = embedding_size(t);
    rc = s->vector ? read_vector(run, t, d) : embed_image(run, t, d);
    h.kind = ATTRIB_HEAD_SIMILARITY, h.weights = t->reference, h.dims[0] = d;
    return rc ? rc : set_head(run, &h);
}

void targets_release(struct explain_run *run)
{
    struct target_state *t = &run->target;
    free(t->mask);
    free(t->reference);
    free(t->masks);
    free(t->pixels);
    free(t->entries);
    memset(t, 0, sizeof *t);
}

/* The head scoring segment:CLASS over each of n images' masks (t->masks):
 * one entry per image. */
static int set_masks_head(struct explain_run *run, int n)
{
    const struct target_state *t = &run->target;
    int64_t classes[MAX_BATCH_SIZE];
    for (int i = 0; i < n; i++)
        classes[i] = run->opts.target_opts.spec.cls;
    attrib_head_params hp = attrib_head_default_params();
    hp.kind = ATTRIB_HEAD_SEGMENT, hp.entries = n, hp.classes = classes;
    hp.weights = t->masks, hp.dims[0] = t->out[2], hp.dims[1] = t->out[3];
    return set_head(run, &hp);
}

/* segment:CLASS: each image's mask the pixels the model gives CLASS (its
 * argmax), from one pass over the batch; the head one entry per image. */
static int predict_masks(struct explain_run *run, const struct batch *b)
{
    struct target_state *t = &run->target;
    const int64_t cls = run->opts.target_opts.spec.cls;
    const int64_t c = t->out[1], h = t->out[2], w = t->out[3];
    const size_t plane = (size_t)h * w;
    if (!t->masks)
        t->masks = malloc((size_t)MAX_BATCH_SIZE * plane * sizeof *t->masks);
    if (!t->pixels)
        t->pixels = calloc(MAX_BATCH_SIZE, sizeof *t->pixels);
    if (!t->masks || !t->pixels)
        return fail(EXIT_INTERNAL, "out of memory");
    attrib_result *res = NULL;
    int64_t shape[ATTRIB_MAX_DIMS];
    int ndim;
    const float *y = NULL;
    int rc = model_raw_output(&run->model, b->x, b->n, &res, &y, shape, &ndim);
    if (rc)
        y = NULL;
    for (int i = 0; y && i < b->n; i++) {
        const float *img = y + (size_t)i * c * plane;
        float *mask = t->masks + (size_t)i * plane;
        t->pixels[i] = 0;
        for (size_t p = 0; p < plane; p++) {
            int64_t best = heatmap_channel_argmax(img, c, plane, p);
            mask[p] = (float)(best == cls);
            t->pixels[i] += best == cls;
        }
        t->entries[i] = i;
    }
    attrib_result_free(res);
    return rc ? rc : set_masks_head(run, b->n);
}

static int predicts_masks(const struct explain_run *run)
{
    return run->target.kind == TARGET_SEGMENT && !run->opts.target_opts.spec.path;
}

int targets_freeze(struct explain_run *run, const struct batch *b)
{
    struct target_state *t = &run->target;
    t->frozen = 0;
    if (!predicts_masks(run))
        return EXIT_OK;
    int rc = predict_masks(run, b);
    t->frozen = rc ? 0 : b->n;
    return rc;
}

int targets_batch(struct explain_run *run, const struct batch *b, const int64_t **targets)
{
    struct target_state *t = &run->target;
    if (t->kind == TARGET_CLASS) {
        *targets = b->targets;
        return EXIT_OK;
    }
    *targets = t->entries;
    if (predicts_masks(run) && t->frozen) { /* the masks of the batch frozen before */
        if (b->n != t->frozen)
            return fail(EXIT_INTERNAL, "a batch of %d images on masks frozen for %d", b->n,
                        t->frozen);
        return set_masks_head(run, b->n);
    }
    if (predicts_masks(run))
        return predict_masks(run, b);
    memset(t->entries, 0, (size_t)b->n * sizeof *t->entries);
    return EXIT_OK;
}

void targets_summary(const struct explain_run *run, int i, struct summary *s)
{
    const struct target_state *t = &run->target;
    const struct target_spec *spec = &run->opts.target_opts.spec;
    s->target_kind = target_kind_names[t->kind];
    s->target_reference = spec->path;
    s->target_was_predicted = 0;
    if (t->kind == TARGET_SEGMENT)
        s->mask_pixels = spec->path ? t->mask_pixels : t->pixels[i];
    if (t->kind == TARGET_BOX)
        s->target_box = spec->box;
}

int targets_scores(struct explain_run *run, const struct batch *b, double *scores)
{
    const int64_t *entries;
    int rc = targets_batch(run, b, &entries);
    if (rc)
        return rc;
    int64_t shape[4] = { b->n, 3, b->h, b->w }, width;
    attrib_result *res = NULL;
    attrib_status st = attrib_forward(run->model.handle, b->x, shape, &res);
    rc = st == ATTRIB_OK ? model_check_logits(&run->model, res, b->n)
                         : model_error(st, run->model.path);
    const float *y = rc == EXIT_OK ? result_logits(res, NULL, &width) : NULL;
    for (int i = 0; y && i < b->n; i++)
        scores[i] = y[(size_t)i * width + entries[i]];
    attrib_result_free(res);
    return rc;
}

void targets_score_of(const struct explain_run *run, double score, struct class_score *cls,
                      char *label, size_t size)
{
    const struct target_spec *t = &run->opts.target_opts.spec;
    long k = t->kind == TARGET_SIMILAR ? -1 : t->cls;
    *cls = (struct class_score){ k, k >= 0 ? card_label(&run->model.card, (int)k, label, size)
                                           : "", score, 0 };
}

cJSON *targets_score_json(const struct target_spec *t, const struct class_score *cls)
{
    if (t->kind == TARGET_CLASS) {
        cJSON *j = class_score_json(cls);
        cJSON_AddStringToObject(j, "kind", "class");
        return j;
    }
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "kind", target_kind_names[t->kind]);
    if (cls->index >= 0) {
        cJSON_AddNumberToObject(j, "class", (double)cls->index);
        cJSON_AddStringToObject(j, "label", cls->label);
    }
    if (t->path)
        cJSON_AddStringToObject(j, t->kind == TARGET_SEGMENT ? "mask" : "reference", t->path);
    if (t->kind == TARGET_BOX) {
        cJSON *box = cJSON_AddArrayToObject(j, "box");
        for (int d = 0; d < 4; d++)
            cJSON_AddItemToArray(box, cJSON_CreateNumber(t->box[d]));
    }
    cJSON_AddNumberToObject(j, "score", cls->score);
    return j;
}

void targets_name(const struct target_spec *t, const struct class_score *cls, char *buf,
                  size_t size)
{
    if (t->kind == TARGET_SIMILAR)
        snprintf(buf, size, "similar to %s", t->path);
    else if (t->kind == TARGET_BOX && cls->index < 0)
        snprintf(buf, size, "box %g,%g,%g,%g", t->box[0], t->box[1], t->box[2], t->box[3]);
    else if (t->kind == TARGET_BOX)
        snprintf(buf, size, "box %g,%g,%g,%g of class %ld \"%s\"", t->box[0], t->box[1],
                 t->box[2], t->box[3], cls->index, cls->label);
    else
        snprintf(buf, size, "%s %ld \"%s\"", target_kind_names[t->kind], cls->index,
                 cls->label);
}

void targets_score_line(const struct target_spec *t, const struct class_score *cls,
                        const char *class_word, char *buf, size_t size, int digits)
{
    if (t->kind == TARGET_CLASS) {
        snprintf(buf, size, "%s %ld \"%s\" (p=%.*f)", class_word, cls->index, cls->label,
                 digits, cls->probability);
        return;
    }
    targets_name(t, cls, buf, size);
    size_t len = strlen(buf);
    if (len < size)
        snprintf(buf + len, size - len, " (score %.4g)", cls->score);
}

int targets_open_scope(struct explain_run *scope, const char *command, struct model *model,
                       const struct model_opts *mo, long cls, const struct target_opts *t)
{
    memset(scope, 0, sizeof *scope);
    if (t->spec.kind == TARGET_CLASS && t->spec.cls >= 0)
        return fail(EXIT_USAGE, "%s takes the class as --class N, not --target class:N", command);
    scope->method = NULL; /* no method's objective: the score as it is */
    scope->model = *model;
    scope->opts.model = *mo;
    scope->opts.target = cls;
    scope->opts.target_opts = *t;
    scope->opts.objective = (struct objective){ OBJECTIVE_LOGIT, -1 };
    int rc = targets_prepare(scope);
    model->scores_entries = scope->model.scores_entries;
    memcpy(model->output_shape, scope->model.output_shape, sizeof model->output_shape);
    return rc;
}
