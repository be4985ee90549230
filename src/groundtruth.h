/* groundtruth.h - where the object is, for eval's localisation scores:
 * boxes from a CSV file (path,x,y,w,h[,class], original-image pixels) or a
 * COCO instances JSON, or a binary mask PNG per image; each brought onto the
 * model's input grid exactly as the image is (the region the model saw,
 * then the resize), so a --resize crop run is scored on what the model saw. */
#ifndef ATTRIB_GROUNDTRUTH_H
#define ATTRIB_GROUNDTRUTH_H

#include <stddef.h>

#include "image.h"

struct gt_box {
    char *image;      /* as the file names it */
    double x, y, w, h;
    long cls;         /* -1: any class */
    long line;        /* the CSV line, or the COCO annotation's position */
    int used;
};

struct gt_boxes {
    const char *path;
    int coco;
    struct gt_box *items;
    size_t n;
    char **coco_images; /* COCO: every file_name listed, boxes or not */
    size_t ncoco;
};

/* Reads a box file: COCO when it is JSON (".json"), else CSV with an
 * optional header line. A malformed file: EXIT_USAGE with its line. */
int gt_read_boxes(const char *path, struct gt_boxes *out);
void gt_free_boxes(struct gt_boxes *b);

/* mask (W x H, the model's grid) = 1 where a pixel's centre, in the original
 * image, lies in a box of image_path (rows naming it by path, else by file
 * name) for class cls (rows without a class always count). EXIT_INPUT with
 * one line: no box for the image, a box of zero area or outside the
 * image, or none of it inside what the model saw. */
int gt_mask_from_boxes(struct gt_boxes *b, const char *image_path, int img_w, int img_h,
                       struct rect region, long cls, int W, int H, unsigned char *mask);

/* mask from DIR/NAME.png (NAME: the image's output name): the image's size,
 * binary (0 and one other grey level), sampled at each model pixel's centre.
 * EXIT_INPUT with one line when missing, of the wrong size, not binary or
 * empty where the model looked. */
int gt_mask_from_png(const char *dir, const char *name, int img_w, int img_h, struct rect region,
                     int W, int H, unsigned char *mask);

/* A warning line when CSV rows name images none of the inputs were. */
void gt_report_unused(const struct gt_boxes *b);

#endif
