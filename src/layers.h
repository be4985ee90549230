/* layers.h - a model's layers (submodule outputs) and the choice of the
 * default Grad-CAM layer. Pure C over a list the shim produced. */
#ifndef ATTRIB_LAYERS_H
#define ATTRIB_LAYERS_H

#include <stddef.h>
#include <stdint.h>

#define LAYER_MAX_DIMS 8

struct layer_info {
    char *path;     /* "features.18" */
    char *op;       /* the op that produced the output: "hardtanh" */
    long value_id;  /* paths returning the same tensor share it; grows in graph order */
    int64_t shape[LAYER_MAX_DIMS];
    int ndim;
};

struct layer_list {
    struct layer_info *items;
    size_t n;
};

void layer_list_free(struct layer_list *l);

/* Index of the entry named path, or -1. */
long layer_find(const struct layer_list *l, const char *path);

/* Number of dot-separated parts of path ("layer4.1" -> 2). */
int layer_depth(const char *path);

/* The default Grad-CAM layer: the last feature map in graph order that is
 * 4-D with more than one spatial position and not made by an average
 * pooling (the tensor that feeds the global pooling before the classifier;
 * squeeze-and-excitation poolings are 1x1). Of the nested modules returning
 * it (features, features.18, features.18.conv, ...), the shallowest one at
 * least two levels deep: features.18, layer4.1, features.12. -1 if none. */
long layer_default_cam(const struct layer_list *l);

/* Writes the paths of the 4-D layers at most max_depth deep, comma
 * separated, into buf (truncated with "..."). */
void layer_names_4d(const struct layer_list *l, int max_depth, char *buf, size_t size);

#endif
