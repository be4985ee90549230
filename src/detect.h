/* detect.h - a detector's raw output as detections (the layouts a card
 * names, card.h), and non-maximum suppression: predict's boxes. The
 * differentiable match of box: targets is the shim's (head.cpp); this is
 * the same reading of the layouts, in C. */
#ifndef ATTRIB_DETECT_H
#define ATTRIB_DETECT_H

#include <stddef.h>
#include <stdint.h>

struct detection {
    float box[4]; /* x1, y1, x2, y2 in the model's input pixels */
    float score;  /* its class's score (YOLO) or probability (DETR) */
    int label;    /* its class: the best-scoring one */
    int index;    /* its anchor or query in the output */
};

/* The detections of one image's raw output y of shape dims (yolo: {4 + C, A};
 * detr: {Q, C + 1 + 4}) scoring at least min_score, into *out (malloc'd;
 * *n of them). layout: enum card_layout. EXIT_OK, EXIT_MODEL (a shape the
 * layout does not have), EXIT_INTERNAL. */
int detections_decode(const float *y, const int64_t dims[2], int layout, int input_w,
                      int input_h, float min_score, struct detection **out, size_t *n);

/* The intersection over union of two boxes (x1, y1, x2, y2); 0 when both
 * are empty. */
float box_iou(const float a[4], const float b[4]);

/* Non-maximum suppression per class: d sorted by score (highest first, ties
 * by index), then every detection whose IoU with a kept one of its class is
 * above iou dropped; the kept count (they come first, in order). */
size_t detections_nms(struct detection *d, size_t n, float iou);

#endif
