/* predict.c - `attrib predict`: the top-K classes of each image. */
#include <stdio.h>
#include <stdlib.h>

#include "classify.h"
#include "batch.h"
#include "command.h"
#include "inputs.h"
#include "error.h"
#include "fsutil.h"
#include "model.h"
#include "predict_tasks.h"

#define DEFAULT_THRESHOLD 0.5 /* a multi-label model's classes present */

struct predict_opts {
    struct model_opts model;
    long top;
    double threshold; /* --threshold; < 0: not given */
    const char *out_dir;   /* -o: segmenters', embedders' and detectors' files */
    double score_threshold, iou; /* detectors */
    int json, recursive;
};

static const struct opt options[] = {
    OPT_INT('k', "top", struct predict_opts, top, 1, CARD_MAX_LABELS, 5, "K",
            "how many classes to print"),
    { .kind = OPTK_REAL, .name = "threshold", .offset = OPT_FIELD(struct predict_opts, threshold,
                                                                   double),
      .min = 0, .max = 1, .def = -1, .metavar = "P",
      .default_text = "0.5 (multi-label models only)",
      .help = "a multi-label model's (card \"output\": \"sigmoid\") classes of probability P or "
              "more are present: marked +, and listed even beyond --top" },
    { .kind = OPTK_PATH, .letter = 'o', .name = "output",
      .offset = OPT_FIELD(struct predict_opts, out_dir, const char *), .def_str = ".",
      .metavar = "DIR", .flags = OPT_COMPLETE_DIR,
      .help = "where a segmenter's masks (NAME.mask.png), an embedder's vectors "
              "(NAME.embedding.npy) and a detector's pictures (NAME.detections.png) go "
              "(created if missing); a classifier writes nothing" },
    OPT_REAL(0, "score-threshold", struct predict_opts, score_threshold, 0, 1, 0.25, "S",
             "detectors: the score a box needs to be kept"),
    OPT_REAL(0, "iou", struct predict_opts, iou, 0, 1, 0.45, "T",
             "detectors: non-maximum suppression drops a box whose IoU with a better one of "
             "its class is above T"),
    OPT_FLAG(0, "json", struct predict_opts, json, "print one JSON object per image, one per line"),
    OPT_FLAG('r', "recursive", struct predict_opts, recursive,
             "also take images in subdirectories of directory inputs"),
    MODEL_OPTIONS(struct predict_opts, model),
    OPT_END,
};

/* Multi-label models: the threshold classes count as present at; < 0
 * for a softmax model (one class per image). */
static double threshold_of(const struct model *m, const struct predict_opts *o)
{
    if (m->card.output != CARD_SIGMOID)
        return -1;
    return o->threshold >= 0 ? o->threshold : DEFAULT_THRESHOLD;
}

static void print_result(const struct model *m, const struct predict_opts *o, const char *path,
                         const float *logits, const float *probs, const int *idx, int k)
{
    char buf[32];
    const double threshold = threshold_of(m, o);
    if (!o->json) {
        printf("%s\n", path);
        for (int i = 0; i < k; i++)
            printf("  %6.4f  %4d  %s%s\n", probs[idx[i]], idx[i],
                   card_label(&m->card, idx[i], buf, sizeof buf),
                   threshold >= 0 && probs[idx[i]] >= threshold ? "  +" : "");
        return;
    }
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "image", path);
    cJSON_AddStringToObject(j, "model", m->card.name);
    cJSON_AddStringToObject(j, "output", threshold >= 0 ? "sigmoid" : "softmax");
    cJSON *top = cJSON_AddArrayToObject(j, "top");
    for (int i = 0; i < k; i++) {
        struct class_score c = { idx[i], card_label(&m->card, idx[i], buf, sizeof buf),
                                 logits[idx[i]], probs[idx[i]] };
        cJSON *item = class_score_json(&c);
        if (threshold >= 0)
            cJSON_AddBoolToObject(item, "present", probs[idx[i]] >= threshold);
        cJSON_AddItemToArray(top, item);
    }
    if (threshold >= 0) {
        cJSON_AddNumberToObject(j, "threshold", threshold);
        cJSON *present = cJSON_AddArrayToObject(j, "present");
        for (int i = 0; i < k && probs[idx[i]] >= threshold; i++)
            cJSON_AddItemToArray(present, cJSON_CreateNumber(idx[i]));
    }
    char *line = cJSON_PrintUnformatted(j);
    if (line)
        puts(line);
    cJSON_free(line);
    cJSON_Delete(j);
}

struct predict_run {
    struct model *m;
    const struct predict_opts *o;
    const struct input_list *in;
    size_t next; /* the input for_each_image hands over next */
};

/* A model that is not a classifier: its task's files and lines. */
static int predict_task(struct predict_run *run, const char *path, const char *name)
{
    struct model *m = run->m;
    const struct predict_opts *o = run->o;
    const int in_w = m->card.input_w, in_h = m->card.input_h;
    const struct predict_output out = { o->out_dir, name, o->json, o->score_threshold, o->iou,
                                        o->top };
    struct image img = { 0 };
    struct rect region;
    float *x = malloc((size_t)3 * in_w * in_h * sizeof *x);
    int rc = x ? model_read_input(m, o->model.resize, path, &img, &region, x, NULL)
               : fail(EXIT_INTERNAL, "out of memory");
    if (rc == EXIT_OK && m->card.task == TASK_SEGMENTATION)
        rc = predict_segmentation(m, path, x, &out);
    else if (rc == EXIT_OK && m->card.task == TASK_EMBEDDING)
        rc = predict_embedding(m, path, x, &out);
    else if (rc == EXIT_OK)
        rc = predict_detection(m, path, x, &img, region, &out);
    image_free(&img);
    free(x);
    return rc;
}

static int predict_one(void *ctx, const char *path)
{
    struct predict_run *run = ctx;
    struct model *m = run->m;
    const struct predict_opts *o = run->o;
    const char *name = run->in->items[run->next++].name;
    if (m->card.task != TASK_CLASSIFICATION)
        return predict_task(run, path, name);
    const int in_w = m->card.input_w, in_h = m->card.input_h;
    attrib_result *res = NULL;
    float *x = malloc((size_t)3 * in_w * in_h * sizeof *x), *probs = NULL;
    int *idx = NULL;
    int rc = x ? model_read_input(m, o->model.resize, path, NULL, NULL, x, NULL)
               : fail(EXIT_INTERNAL, "out of memory");
    if (rc == EXIT_OK) {
        const int64_t shape[4] = { 1, 3, in_h, in_w };
        attrib_status st = attrib_forward(m->handle, x, shape, &res);
        rc = st == ATTRIB_OK ? model_check_logits(m, res, 1) : model_error(st, m->path);
    }
    if (rc == EXIT_OK) {
        const float *logits = result_logits(res, NULL, NULL);
        probs = malloc((size_t)m->classes * sizeof *probs);
        idx = malloc((size_t)m->classes * sizeof *idx);
        if (!probs || !idx) {
            rc = fail(EXIT_INTERNAL, "out of memory");
        } else {
            class_probabilities(&m->card, logits, m->classes, probs);
            int k = top_k(probs, m->classes, m->classes, idx), shown = (int)o->top;
            const double threshold = threshold_of(m, o);
            while (threshold >= 0 && shown < k && probs[idx[shown]] >= threshold)
                shown++; /* every present class, even beyond --top */
            print_result(m, o, path, logits, probs, idx, shown < k ? shown : k);
        }
    }
    free(idx);
    free(probs);
    attrib_result_free(res);
    free(x);
    return rc;
}

/* A model without a task on its card is taken by its output's rank: masks
 * [N, C, H, W] are a segmenter's (said once); a detector needs its card's
 * layout. Then the output folder, for the tasks that write files. */
static int settle_task(struct model *m, const struct predict_opts *o)
{
    int rc = EXIT_OK;
    if (m->card.task == TASK_CLASSIFICATION && !m->card.task_given) {
        int64_t shape[ATTRIB_MAX_DIMS];
        int ndim;
        rc = model_output_shape(m, shape, &ndim);
        if (rc == EXIT_OK && ndim == 4) {
            m->card.task = TASK_SEGMENTATION;
            report_warning("predict", "'%s' returns masks [N, %lld, %lld, %lld] and its card "
                           "names no task: taken as a segmentation model", m->path,
                           (long long)shape[1], (long long)shape[2], (long long)shape[3]);
        }
        if (rc == EXIT_OK) { /* the classes' head back on (model_output_shape took it off) */
            attrib_head_params classes = attrib_head_default_params();
            if (attrib_model_set_head(m->handle, &classes) != ATTRIB_OK)
                rc = model_error(ATTRIB_E_ARG, m->path);
        }
    }
    if (rc == EXIT_OK && m->card.task == TASK_DETECTION && !m->card.layout)
        rc = fail(EXIT_MODEL, "'%s' is a detector, but its card does not say how its output "
                  "holds the boxes (\"output\": {\"kind\": \"detection\", \"layout\": "
                  "\"yolo\" | \"detr\"})", m->path);
    if (rc == EXIT_OK && m->card.task != TASK_CLASSIFICATION)
        rc = make_dirs(o->out_dir);
    return rc;
}

static int cmd_predict(void *opts, const operands *ops)
{
    const struct predict_opts *o = opts;
    if (ops->n < 1)
        return fail(EXIT_USAGE, "no image given (usage: attrib predict IMAGE|DIR|-... [--top K])");
    struct input_list in;
    int rc = inputs_collect(ops->args, ops->n, o->recursive, &in);
    if (rc)
        return rc;
    char **paths = malloc(in.n * sizeof *paths);
    for (size_t i = 0; paths && i < in.n; i++)
        paths[i] = in.items[i].path;
    struct model m = { 0 };
    rc = paths ? model_open(&o->model, &m) : fail(EXIT_INTERNAL, "out of memory");
    if (rc == EXIT_OK && o->threshold >= 0 && m.card.output != CARD_SIGMOID)
        rc = fail(EXIT_USAGE, "--threshold is for multi-label models: the card of %s does not "
                  "say \"output\": \"sigmoid\" (its classes' probabilities are a softmax, "
                  "one class per image)", m.path);
    if (rc == EXIT_OK)
        rc = settle_task(&m, o);
    struct predict_run run = { &m, o, &in, 0 };
    if (rc == EXIT_OK)
        rc = for_each_image("predict", paths, (int)in.n, predict_one, &run);
    free(paths);
    inputs_free(&in);
    model_close(&m);
    return rc;
}

const struct command_spec predict_spec = {
    .synopsis = "attrib predict IMAGE|DIR|-... [--top K] [--json] [options]",
    .description =
        "Classifies each image and prints its K most likely classes: probability,\n"
        "class index and label. A multi-label model (its card says \"output\":\n"
        "\"sigmoid\") has a probability per class, and the classes at --threshold or\n"
        "above are present (marked +, all listed). An image that cannot be read is\n"
        "reported and skipped.\n",
    COMMAND_RUN(struct predict_opts, options, cmd_predict),
    .operands = OPERANDS_IMAGES,
};
