/* layers.h - a model's layers (submodule outputs) and the choice of the
 * default Grad-CAM layer. Pure C over a list the shim produced. */
#ifndef ATTRIB_LAYERS_H
#define ATTRIB_LAYERS_H

#include <stddef.h>
#include <stdint.h>

#include "attrib/shim.h" /* attrib_layer_view */

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

/* Index of the last entry named path (a module called twice: its last
   call, as the shim taps it), or -1. */
long layer_find(const struct layer_list *l, const char *path);

/* Number of dot-separated parts of path ("layer4.1" -> 2). */
int layer_depth(const char *path);

/* Tokens before the grid a layer may carry (class, distillation and
 * register tokens) when its grid is derived. */
#define LAYER_MAX_EXTRA_TOKENS 16

/* How e's output reads as a feature map of an input_h x input_w image:
 * [N, C, h, w] as it is (more than one position; not an average pooling);
 * [N, h, w, C] channels last, when only that order has the input's aspect
 * (Swin); [N, T, C] tokens, when dropping the first k <= 16 leaves h * w
 * tokens of a grid with the same integer patch size on both axes (ViT:
 * 197 = 1 + 14 x 14 at 224 x 224). 1 and *view set, or 0: not a map. */
int layer_view(const struct layer_info *e, int input_h, int input_w, attrib_layer_view *view);
/* The token part of layer_view: T tokens as k extra + h x w. */
int token_grid(int64_t tokens, int input_h, int input_w, attrib_layer_view *view);

/* The default Grad-CAM layer. For a CNN the last feature map in graph order
 * (the tensor that feeds the global pooling before the classifier;
 * squeeze-and-excitation poolings are 1x1); of the nested modules returning
 * it (features, features.18, features.18.conv, ...), the shallowest one at
 * least two levels deep: features.18, layer4.1, features.12. For a
 * transformer (its last map is a token sequence) the last block's first
 * LayerNorm: the last block's output reaches the classifier only through
 * the class token, so its gradient is zero on every patch token, while the
 * input of its attention still mixes every token into the class token (the
 * layer pytorch-grad-cam documents for ViT). A block is a module whose name
 * ends in a number (encoder_layer_11, blocks.11). -1 if none. */
long layer_default_cam(const struct layer_list *l, int input_h, int input_w);
/* The same without the layer whose value is output (a value_id; a
 * segmenter's mask logits, which are no feature map to weigh). */
long layer_default_cam_before(const struct layer_list *l, int input_h, int input_w,
                              int64_t output);

/* "[1, 197, 768]" (a static buffer, valid until the next call). */
const char *shape_text(const struct layer_info *e);

/* Writes the paths of the 4-D layers at most max_depth deep, comma
 * separated, into buf (truncated with "..."). */
void layer_names_4d(const struct layer_list *l, int max_depth, char *buf, size_t size);

#endif
