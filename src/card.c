/* card.c - model cards are JSON, parsed with cJSON and validated strictly. */
#include "card.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "error.h"
#include "options.h"

static const float DEFAULT_MEAN[3] = { 0.485f, 0.456f, 0.406f };
static const float DEFAULT_STD[3] = { 0.229f, 0.224f, 0.225f };
enum { DEFAULT_SIDE = 224 };

const char *const card_layout_names[] = { "none", "yolo", "detr", NULL };

/* "output": {"kind": "detection", "layout": "yolo" | "detr"}. */
static int parse_detection_output(const cJSON *it, const char *origin, struct card *c)
{
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(it, "kind");
    const cJSON *layout = cJSON_GetObjectItemCaseSensitive(it, "layout");
    int l = cJSON_IsString(layout) ? opts_word_index(card_layout_names, layout->valuestring) : -1;
    if (!cJSON_IsString(kind) || strcmp(kind->valuestring, "detection") != 0 || l < CARD_LAYOUT_YOLO)
        return fail(EXIT_MODEL, "model card %s: an \"output\" object must be {\"kind\": "
                    "\"detection\", \"layout\": \"yolo\" or \"detr\"}", origin);
    c->layout = l;
    c->task = TASK_DETECTION;
    c->task_given = 1;
    return EXIT_OK;
}

const char *const card_task_names[] = { "classification", "segmentation", "embedding",
                                         "detection", NULL };

/* The task a card's "task" text names: "imagenet-1k classification",
 * "VOC segmentation"; the first of card_task_names in it, else
 * classification. */
static int task_named(const char *text)
{
    const char *first = NULL;
    int task = TASK_CLASSIFICATION;
    for (int t = 0; card_task_names[t]; t++) {
        const char *at = strstr(text, card_task_names[t]);
        if (at && (!first || at < first))
            first = at, task = t;
    }
    return task;
}

void card_defaults(struct card *c, const char *name)
{
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", name);
    c->input_w = c->input_h = DEFAULT_SIDE;
    memcpy(c->mean, DEFAULT_MEAN, sizeof c->mean);
    memcpy(c->std, DEFAULT_STD, sizeof c->std);
}

void card_free(struct card *c)
{
    for (int i = 0; i < c->nlabels; i++)
        free(c->labels[i]);
    free(c->labels);
    c->labels = NULL;
    c->nlabels = 0;
}

/* Reads an array of exactly n numbers in [lo, hi] into out. */
static int number_array(const cJSON *a, int n, double lo, double hi, double *out)
{
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != n)
        return -1;
    int i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, a) {
        if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble) || it->valuedouble < lo ||
            it->valuedouble > hi)
            return -1;
        out[i++] = it->valuedouble;
    }
    return 0;
}

static int parse_labels(const cJSON *a, const char *origin, struct card *c)
{
    int n = cJSON_IsArray(a) ? cJSON_GetArraySize(a) : -1;
    if (n < 1 || n > CARD_MAX_LABELS)
        return fail(EXIT_MODEL, "model card %s: \"labels\" must be an array of 1 to %d strings",
                    origin, CARD_MAX_LABELS);
    c->labels = calloc((size_t)n, sizeof *c->labels);
    if (!c->labels)
        return fail(EXIT_INTERNAL, "out of memory");
    const cJSON *it;
    cJSON_ArrayForEach(it, a) {
        if (!cJSON_IsString(it))
            return fail(EXIT_MODEL, "model card %s: label %d is not a string", origin,
                        c->nlabels);
        c->labels[c->nlabels] = strdup(it->valuestring);
        if (!c->labels[c->nlabels])
            return fail(EXIT_INTERNAL, "out of memory");
        c->nlabels++;
    }
    return EXIT_OK;
}

static int parse_fields(const cJSON *root, const char *origin, struct card *c)
{
    double v[3];
    const cJSON *it;
    if (!cJSON_IsObject(root))
        return fail(EXIT_MODEL, "model card %s is not a JSON object", origin);
    if ((it = cJSON_GetObjectItemCaseSensitive(root, "name"))) {
        if (!cJSON_IsString(it))
            return fail(EXIT_MODEL, "model card %s: \"name\" must be a string", origin);
        snprintf(c->name, sizeof c->name, "%s", it->valuestring);
    }
    if ((it = cJSON_GetObjectItemCaseSensitive(root, "input_size"))) {
        if (number_array(it, 2, CARD_MIN_SIDE, CARD_MAX_SIDE, v) ||
            v[0] != floor(v[0]) || v[1] != floor(v[1]))
            return fail(EXIT_MODEL, "model card %s: \"input_size\" must be [H, W], whole "
                        "numbers from %d to %d", origin, CARD_MIN_SIDE, CARD_MAX_SIDE);
        c->input_h = (int)v[0];
        c->input_w = (int)v[1];
    }
    if ((it = cJSON_GetObjectItemCaseSensitive(root, "mean"))) {
        if (number_array(it, 3, -1e6, 1e6, v))
            return fail(EXIT_MODEL, "model card %s: \"mean\" must be 3 numbers", origin);
        for (int i = 0; i < 3; i++)
            c->mean[i] = (float)v[i];
    }
    if ((it = cJSON_GetObjectItemCaseSensitive(root, "std"))) {
        if (number_array(it, 3, 1e-6, 1e6, v))
            return fail(EXIT_MODEL, "model card %s: \"std\" must be 3 positive numbers", origin);
        for (int i = 0; i < 3; i++)
            c->std[i] = (float)v[i];
    }
    if ((it = cJSON_GetObjectItemCaseSensitive(root, "output")) && cJSON_IsObject(it)) {
        if (parse_detection_output(it, origin, c))
            return EXIT_MODEL;
    } else if (it) {
        if (!cJSON_IsString(it) || (strcmp(it->valuestring, "softmax") != 0 &&
                                    strcmp(it->valuestring, "sigmoid") != 0))
            return fail(EXIT_MODEL, "model card %s: \"output\" must be \"softmax\" (one class "
                        "per image) or \"sigmoid\" (multi-label)", origin);
        c->output = strcmp(it->valuestring, "sigmoid") == 0 ? CARD_SIGMOID : CARD_SOFTMAX;
    }
    if ((it = cJSON_GetObjectItemCaseSensitive(root, "task"))) {
        if (!cJSON_IsString(it))
            return fail(EXIT_MODEL, "model card %s: \"task\" must be a text naming classification, "
                        "segmentation, embedding or detection", origin);
        int task = task_named(it->valuestring);
        c->task_given = 1;
        if (!(c->layout && task == TASK_CLASSIFICATION)) /* a detector's layout says detection */
            c->task = task;
    }
    if ((it = cJSON_GetObjectItemCaseSensitive(root, "labels")))
        return parse_labels(it, origin, c);
    return EXIT_OK;
}

int card_parse(const char *json, size_t len, const char *origin, struct card *c)
{
    if (len > (size_t)CARD_MAX_BYTES)
        return fail(EXIT_MODEL, "model card %s is larger than %ld bytes", origin, CARD_MAX_BYTES);
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (!root)
        return fail(EXIT_MODEL, "model card %s is not valid JSON", origin);
    int rc = parse_fields(root, origin, c);
    cJSON_Delete(root);
    if (rc)
        card_free(c);
    return rc;
}

const char *card_label(const struct card *c, long idx, char *buf, size_t size)
{
    if (idx >= 0 && idx < c->nlabels)
        return c->labels[idx];
    snprintf(buf, size, "class %ld", idx);
    return buf;
}
