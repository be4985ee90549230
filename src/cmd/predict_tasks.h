/* cmd/predict_tasks.h - what `attrib predict` says of a model that is not a
 * classifier: a segmenter's mask (an indexed PNG, a palette by class) and
 * the share of each class; an embedder's vector (.npy) and its norm; a
 * detector's boxes after non-maximum suppression, drawn on the photo. */
#ifndef ATTRIB_PREDICT_TASKS_H
#define ATTRIB_PREDICT_TASKS_H

#include "image.h"
#include "model.h"

struct predict_output {
    const char *dir;        /* -o: where the files go */
    const char *name;       /* the image's output name ("cat", "sub/cat") */
    int json;               /* one JSON line per image, not text */
    double score_threshold; /* detection: the score a box needs */
    double iou;             /* detection: NMS drops a box overlapping a better one more */
    long top;               /* segmentation: classes listed; detection: boxes listed */
};

/* One image: its input x (the model's size), its photo img and the part the
 * model saw (region). EXIT_OK, EXIT_OUTPUT, EXIT_MODEL, EXIT_INTERNAL. */
int predict_segmentation(struct model *m, const char *path, const float *x,
                         const struct predict_output *o);
int predict_embedding(struct model *m, const char *path, const float *x,
                      const struct predict_output *o);
int predict_detection(struct model *m, const char *path, const float *x,
                      const struct image *img, struct rect region,
                      const struct predict_output *o);

/* The palette of segmentation masks: PASCAL VOC's (class 0 black, 1 maroon,
 * 2 green, ...), rgb[3 * k] for class k < 256. */
void mask_palette(unsigned char rgb[256 * 3]);

#endif
