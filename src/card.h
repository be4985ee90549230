/* card.h - the model card: input size, normalisation and class labels. */
#ifndef ATTRIB_CARD_H
#define ATTRIB_CARD_H

#include <stddef.h>

/* Bounds that keep a hostile card from asking for absurd allocations. */
#define CARD_MIN_SIDE 8
#define CARD_MAX_SIDE 4096
#define CARD_MAX_LABELS 100000
#define CARD_MAX_BYTES (16L * 1024 * 1024)

/* What the model's scores become probabilities by: one class per image
 * (softmax over the classes, the default) or independent classes, any
 * number of which may be present (multi-label: a sigmoid per class). */
enum card_output { CARD_SOFTMAX, CARD_SIGMOID };

/* What the model does ("task": a text naming one of these; classification
 * when it names none, or there is no card). */
enum card_task { TASK_CLASSIFICATION, TASK_SEGMENTATION, TASK_EMBEDDING, TASK_DETECTION };
extern const char *const card_task_names[];

/* How a detector's raw output holds its boxes ("output": {"kind":
 * "detection", "layout": "yolo" | "detr"}); see attrib_box_layout. */
enum card_layout { CARD_LAYOUT_NONE, CARD_LAYOUT_YOLO, CARD_LAYOUT_DETR };
extern const char *const card_layout_names[];

struct card {
    char name[128];
    int input_w, input_h;
    float mean[3], std[3];
    int output; /* enum card_output: "output": "softmax" | "sigmoid" */
    int task;   /* enum card_task */
    int task_given; /* the card names its task ("task", or a detector's "output") */
    int layout; /* enum card_layout */
    char **labels; /* NULL when the card has none */
    int nlabels;
};

/* torchvision's ImageNet defaults: 224x224, mean 0.485/0.456/0.406,
 * std 0.229/0.224/0.225, no labels. */
void card_defaults(struct card *c, const char *name);

/* Parses a JSON card over the defaults (every key is optional; a key that is
 * present must be valid). origin names the card in messages. Returns EXIT_OK
 * or EXIT_MODEL. */
int card_parse(const char *json, size_t len, const char *origin, struct card *c);

void card_free(struct card *c);

/* The label of class idx, or "class IDX" when the card has none. */
const char *card_label(const struct card *c, long idx, char *buf, size_t size);

#endif
