/*
 * attrib/shim.h - the C API over libtorch.
 *
 * The only boundary between the C front end and C++. Small and flat:
 * typed opaque handles, plain float buffers with explicit shapes, and
 * functions that return a status code and never throw. When a call fails,
 * attrib_last_error() returns a one-line message (no backtrace) that stays
 * valid until the next call on the same thread.
 *
 * Ownership: every load/create call has a matching free call; pointers returned
 * by getters are owned by the handle they came from and live as long as it.
 * A pass's tensors are read one way: attrib_result_get (kind, index, shape).
 */
#ifndef ATTRIB_SHIM_H
#define ATTRIB_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct attrib_model attrib_model;   /* a loaded TorchScript classifier */
typedef struct attrib_result attrib_result; /* outputs of one pass over a batch */
typedef struct attrib_layers attrib_layers; /* the submodule outputs of a model */
typedef struct attrib_params attrib_params; /* a host copy of a model's parameters */

typedef enum attrib_status {
    ATTRIB_OK = 0,
    ATTRIB_E_ARG,     /* the caller passed something invalid */
    ATTRIB_E_FORMAT,  /* the bytes are not a loadable TorchScript module or
                         torch.export program */
    ATTRIB_E_MODEL,   /* the model failed or returned something unusable */
    ATTRIB_E_NOMEM,   /* out of memory */
    ATTRIB_E_TARGET,  /* a target class is not one of the model's outputs */
    ATTRIB_E_DEVICE,  /* the device asked for is not in this build or machine */
    ATTRIB_E_OPERATOR, /* the model uses an operator this libtorch lacks */
    ATTRIB_E_UNSUPPORTED /* a well-formed file this build does not serve: a
                            program's newer schema, its control flow, a
                            program on libtorch 1.x */
} attrib_status;

/* Where a model runs: the CPU, or CUDA device 0, 1, ... */
#define ATTRIB_DEVICE_CPU (-1)

/* Message of the last failed call on this thread ("" if none). */
const char *attrib_last_error(void);

/* Process-wide set-up: intra-op threads (<= 0: all available cores),
 * executor settings, libtorch warnings kept off the terminal. Call once
 * before loading a model. */
attrib_status attrib_runtime_init(int threads);
/* The intra-op thread count in effect. */
int attrib_runtime_threads(void);

/* The libtorch the shim was built against ("2.13.0"), whether that build has
 * CUDA (1) or not (0), and how many CUDA devices are visible now (0 without
 * CUDA). */
const char *attrib_libtorch_version(void);
int attrib_cuda_compiled(void);
int attrib_cuda_device_count(void);

/* Load a model from memory onto device (ATTRIB_DEVICE_CPU or a CUDA index):
 * a TorchScript module (a .pt file) or a torch.export program (a .pt2 file),
 * told apart by content. The model is put in eval mode and its parameters
 * stop requiring gradients. Inputs and results stay host float buffers
 * whatever the device. ATTRIB_E_DEVICE: no such device; ATTRIB_E_OPERATOR:
 * the file needs an operator this libtorch lacks; ATTRIB_E_UNSUPPORTED: the
 * file is well formed but asks for what this build does not serve. */
attrib_status attrib_model_load(const void *data, size_t len, int device, attrib_model **out);
void attrib_model_free(attrib_model *model);

/* What a loaded model is: its format, and the batch every pass of a
 * program exported with static shapes has (the calls below take any batch
 * and run it in pieces of that size). */
typedef enum attrib_format {
    ATTRIB_FORMAT_TORCHSCRIPT = 0,
    ATTRIB_FORMAT_EXPORTED /* a torch.export program */
} attrib_format;
typedef struct attrib_model_info {
    attrib_format format;
    int64_t fixed_batch; /* 0: any batch */
} attrib_model_info;
attrib_status attrib_model_describe(const attrib_model *model, attrib_model_info *out);

/* The embedded extra file "attrib.json" (the model card), or NULL when the
 * file has none. Not NUL-terminated necessarily: use *len. */
const char *attrib_model_card(const attrib_model *model, size_t *len);

/* Forward pass on input x, a contiguous float32 tensor of shape
 * shape = {N, C, H, W}: the head's scores (ATTRIB_OUT_LOGITS; by default
 * the model must return logits [N, classes]), see attrib_model_set_head. */
attrib_status attrib_forward(attrib_model *model, const float *x,
                             const int64_t shape[4], attrib_result **out);

/* Forward and backward pass: the gradient of sum_i logits[i, target[i]]
 * (or the model's objective, attrib_model_set_objective) with respect to x
 * (so each row gets the gradient of its own target).
 * A negative target[i] means the row's top-1 class; the class actually used
 * is reported by attrib_result_targets(). */
attrib_status attrib_input_gradient(attrib_model *model, const float *x,
                                    const int64_t shape[4],
                                    const int64_t *target,
                                    attrib_result **out);

/* The attention probabilities of every self-attention of the model, in
 * graph order, as [N, heads, T, T] each, and with with_grad their gradients
 * from sum_i logits[i, target[i]] (zeros for an attention the score does not
 * depend on). PyTorch 2.x's fused scaled_dot_product_attention is rewritten
 * into softmax(q k^T * scale) v to expose them (ATTRIB_OUT_ATTENTION,
 * ATTRIB_OUT_ATTENTION_GRAD). ATTRIB_E_ARG if the model has none, or uses
 * masked or causal attention. */
attrib_status attrib_attention(attrib_model *model, const float *x, const int64_t shape[4],
                               const int64_t *target, int with_grad, attrib_result **out);

/* What every gradient (input, modified, layer, attention) is of, per row
 * i: f(logits[i])[target[i]], minus f(logits[i])[versus] when versus >= 0
 * (a contrast: "why target rather than versus"). */
typedef enum attrib_objective {
    ATTRIB_SCORE = 0,    /* f = identity: the unnormalised score (the default) */
    ATTRIB_LOG_PROB = 1, /* f = log_softmax: -cross-entropy */
    ATTRIB_PROB = 2,     /* f = softmax */
    ATTRIB_SIGMOID = 3,  /* f = sigmoid, per class (multi-label models) */
    ATTRIB_LOG_SIGMOID = 4 /* f = log sigmoid */
} attrib_objective;

/* Sets the model's objective for every later gradient; versus < 0: none.
 * A versus out of the model's range fails those calls (ATTRIB_E_TARGET). */
attrib_status attrib_model_set_objective(attrib_model *model, attrib_objective objective,
                                        int64_t versus);

/* What the passes score: the model's output reduced to a score per entry,
 * scores [N, M], before the objective and the targets (a row's target is an
 * entry). The default head takes the output as it is: the classes' logits
 * [N, classes], an entry per class. The other heads serve models that are
 * not classifiers; each entry is one thing explained (pytorch-grad-cam's
 * "targets"), and a row names its entry as a target.
 *   SEGMENT: output [N, C, h, w] (mask logits); entry m scores
 *            sum over pixels of output[n, classes[m]] * weights[m] (a mask
 *            [h, w]: dims = {h, w}, the output's own size).
 *   SIMILARITY: output [N, D] (or [N, D, 1, 1], flattened); entry m scores
 *            the cosine similarity of output[n] to weights[m] (a vector of
 *            dims[0] = D values).
 *   BOX:     a detector's raw output in layout (below); entry m is a reference
 *            box (weights[m] = x1, y1, x2, y2 in input pixels, then its class,
 *            or -1 for any): of the detections scoring at least
 *            score_threshold (and of that class), the one of largest IoU with
 *            it scores IoU + its score when the IoU is above iou_threshold,
 *            else 0 (pytorch-grad-cam's FasterRCNNBoxScoreTarget); dims =
 *            {input H, W}, which DETR's normalised boxes are scaled to.
 *   NONE:    attrib_forward returns the output as it is (ATTRIB_OUT_OUTPUT,
 *            any shape) and no scores; every other pass fails (ATTRIB_E_ARG).
 *            For looking at an output before a head can be made for it.
 * A head other than CLASSES takes the objective ATTRIB_SCORE and no versus
 * (a softmax over entries means nothing): other passes fail (ATTRIB_E_ARG). */
typedef enum attrib_head_kind {
    ATTRIB_HEAD_CLASSES = 0,
    ATTRIB_HEAD_SEGMENT = 1,
    ATTRIB_HEAD_SIMILARITY = 2,
    ATTRIB_HEAD_NONE = 3,
    ATTRIB_HEAD_BOX = 4
} attrib_head_kind;

/* How a detector's raw output holds its detections (ATTRIB_HEAD_BOX). */
typedef enum attrib_box_layout {
    ATTRIB_BOXES_YOLO = 0, /* [N, 4 + C, A]: per anchor cx, cy, w, h in input pixels,
                              then C class scores in [0, 1] (YOLOv8's export) */
    ATTRIB_BOXES_DETR = 1  /* [N, Q, C + 1 + 4]: per query C + 1 class logits, the last
                              "no object" (softmax), then cx, cy, w, h in [0, 1] (DETR's
                              pred_logits and pred_boxes side by side) */
} attrib_box_layout;

typedef struct attrib_head_params {
    attrib_head_kind kind;   /* default ATTRIB_HEAD_CLASSES */
    int64_t entries;         /* M >= 1 (SEGMENT, SIMILARITY) */
    const int64_t *classes;  /* SEGMENT: M output channels */
    const float *weights;    /* SEGMENT: M masks [dims[0], dims[1]]; SIMILARITY:
                                M vectors [dims[0]]; BOX: M rows x1, y1, x2, y2, class */
    int64_t dims[2];
    attrib_box_layout layout;       /* BOX (default YOLO) */
    double iou_threshold;           /* BOX (default 0.5, pytorch-grad-cam's) */
    double score_threshold;         /* BOX (default 0.25) */
} attrib_head_params;

attrib_head_params attrib_head_default_params(void);

/* Sets the model's head for every later pass (its buffers are copied).
 * ATTRIB_E_ARG: a kind unknown, no entries, a class negative, sizes not
 * positive. A head that does not fit the output fails the passes: a
 * class >= C (ATTRIB_E_TARGET), another output rank or size (ATTRIB_E_ARG). */
attrib_status attrib_model_set_head(attrib_model *model, const attrib_head_params *params);

/* How a layer's output is read as a feature map [N, C, h, w]: as it is;
 * channels last [N, h, w, C] (Swin); or a token sequence [N, T, C] whose
 * first skip_tokens tokens (class, distillation, register tokens) are dropped
 * and whose other T - skip_tokens = h * w tokens are the grid row by row
 * (ViT). */
typedef enum attrib_layout {
    ATTRIB_LAYOUT_NCHW = 0,
    ATTRIB_LAYOUT_NHWC = 1,
    ATTRIB_LAYOUT_TOKENS = 2
} attrib_layout;

typedef struct attrib_layer_view {
    attrib_layout layout;
    int64_t skip_tokens, h, w; /* ATTRIB_LAYOUT_TOKENS */
} attrib_layer_view;

/* Makes a layer objective's weights from the map [N, C, h, w] (shape) of
 * the pass under way: weights has the map's size. A status other than
 * ATTRIB_OK stops the pass. */
typedef attrib_status (*attrib_weigh_fn)(void *ctx, const float *map, const int64_t shape[4],
                                         float *weights);

/* An objective on a layer's activations (feature visualisation: a channel,
 * a neuron, DeepDream, a diversity term): sum(map * W) + sum(logits *
 * logit_weights), map being the layer's output read as [N, C, h, w]
 * through view. W is layer_weights (layer_weights_len values, the map's
 * size: learn it from a pass without weights) and/or the weights weigh
 * makes from this very pass's map (for objectives whose weights depend on
 * the activations). All weights NULL: a forward pass only. */
typedef struct attrib_layer_objective_params {
    const char *layer;          /* module path ("features.10"); required */
    attrib_layer_view view;     /* default: NCHW, the output as it is */
    const float *layer_weights; /* default NULL */
    size_t layer_weights_len;
    attrib_weigh_fn weigh;      /* default NULL; called with ctx */
    void *ctx;
    const float *logit_weights; /* [N, classes] or NULL (default) */
} attrib_layer_objective_params;

attrib_layer_objective_params attrib_layer_objective_default_params(void);

/* The gradient of the objective with respect to x; the backward pass goes
 * through the layer to x. The result holds the map (ATTRIB_OUT_LAYER), the
 * logits and, with weights, the input gradient. ATTRIB_E_ARG: unknown
 * layer, one whose output does not fit the view, or layer_weights_len not
 * the map's size. */
attrib_status attrib_layer_objective_gradient(attrib_model *model, const float *x,
                                              const int64_t shape[4],
                                              const attrib_layer_objective_params *params,
                                              attrib_result **out);

/* Forward pass that keeps the activation of one layer, and backward pass from
 * sum_i logits[i, target[i]] down to that layer only: the activation and its
 * gradient (ATTRIB_OUT_LAYER, _LAYER_GRAD), both as [N, C, h, w] through view (NULL:
 * NCHW). layer is a module path as PyTorch names it ("features.18",
 * "layer4.1"); see attrib_model_layers. ATTRIB_E_ARG for an unknown layer or
 * one whose output does not fit the view. */
attrib_status attrib_layer_gradient(attrib_model *model, const float *x,
                                    const int64_t shape[4], const int64_t *target,
                                    const char *layer, const attrib_layer_view *view,
                                    attrib_result **out);

/* Forward passes (no autograd) over x [N, 3, H, W] with the output of
 * layer, a feature map [N, C, h, w], multiplied channel by channel by
 * scale [N, C] (row i for image i): the logits of each
 * (ATTRIB_OUT_LOGITS). Ablation-CAM zeroes one channel per row.
 * ATTRIB_E_ARG: unknown layer, or its output is not [N, C, h, w] with C
 * channels. */
attrib_status attrib_layer_scaled_forward(attrib_model *model, const float *x,
                                          const int64_t shape[4], const char *layer,
                                          const float *scale, int64_t channels,
                                          attrib_result **out);

/* How attrib_modified_gradient treats every rectifier (ReLU, ReLU6/hardtanh,
 * leaky ReLU) on the way back; the forward pass is unchanged. */
typedef enum attrib_backward_rule {
    ATTRIB_GUIDED = 0,   /* Springenberg et al.: pass the gradient only where
                            the forward input was inside the linear range
                            and the gradient is positive */
    ATTRIB_DECONVNET = 1, /* Zeiler & Fergus: pass only positive gradients,
                            whatever the forward input */
    ATTRIB_DEEPLIFT = 2  /* Shrikumar et al.'s rescale rule, as Captum's
                            DeepLift: each unit's gradient is scaled by
                            (f(x) - f(x_ref)) / (x - x_ref), x_ref each
                            input's reference (references). A model with a
                            nonlinearity the rule does not cover (max
                            pooling, sigmoid, tanh, softmax, layer norm, ...)
                            fails with ATTRIB_E_ARG naming it */
} attrib_backward_rule;

typedef struct attrib_backward_params {
    attrib_backward_rule rule;  /* default ATTRIB_GUIDED */
    const float *references;    /* ATTRIB_DEEPLIFT: one reference per input,
                                   shaped as x (required); else NULL (default) */
} attrib_backward_params;

attrib_backward_params attrib_backward_default_params(void);

/* Like attrib_input_gradient, with every rectifier's backward replaced.
 * With references, the one pass runs over the N inputs and then their N
 * references: the logits have 2N rows (the inputs', then the references'),
 * the input gradient and the targets the inputs' N. */
attrib_status attrib_modified_gradient(attrib_model *model, const attrib_backward_params *params,
                                       const float *x, const int64_t shape[4],
                                       const int64_t *target, attrib_result **out);

/* Layer-wise relevance propagation with one of Zennit's composites (its
 * rules and defaults, batch norms folded into the layer before them as its
 * canonizers do). Convolutions take the composite's rule, linear layers the
 * epsilon rule, the first layer its own (Flat; the z-box rule);
 * activations pass relevance through; average pooling, means and residual
 * additions take the Norm rule; max pooling and reshapes keep the gradient. */
typedef enum attrib_lrp_composite {
    ATTRIB_LRP_EPSILON_PLUS_FLAT = 0,   /* convolutions z+, first layer flat */
    ATTRIB_LRP_EPSILON_GAMMA_BOX = 1,   /* convolutions gamma, first convolution z-box */
    ATTRIB_LRP_EPSILON_ALPHA2_BETA1 = 2 /* convolutions alpha 2, beta 1 */
} attrib_lrp_composite;

typedef struct attrib_lrp_params {
    attrib_lrp_composite composite; /* default ATTRIB_LRP_EPSILON_PLUS_FLAT */
    double epsilon;          /* the linear layers' epsilon (default Zennit's 1e-6) */
    double gamma;            /* the gamma rule's (default Zennit's 0.25) */
    float low[3], high[3];   /* the z-box rule's bounds of each input channel, in
                                the model's input units (default 0 and 1) */
} attrib_lrp_params;

attrib_lrp_params attrib_lrp_default_params(void);

/* The relevance of every input value for sum_i f(logits[i])[target[i]]
 * (the model's objective, see attrib_model_set_objective: its gradient at
 * the logits is the relevance that starts the backward pass), as
 * ATTRIB_OUT_INPUT_GRAD. ATTRIB_E_ARG naming the op if the model has one
 * no rule covers (a batch norm not after a convolution, sigmoid, softmax,
 * layer norm, attention, a product of two activations, ...). */
attrib_status attrib_lrp(attrib_model *model, const attrib_lrp_params *params, const float *x,
                         const int64_t shape[4], const int64_t *target, attrib_result **out);

/* FullGrad's pass (Srinivas & Fleuret 2019): the input gradient and, for
 * every layer that adds a bias per channel of a feature map (a convolution
 * with a bias; a batch norm, whose bias is beta - mean * gamma / sqrt(var +
 * eps)), in graph order, the gradient at its output [N, C, h, w]
 * (ATTRIB_OUT_BIAS_GRAD) and its bias [C] (ATTRIB_OUT_BIAS). Layers whose
 * output is not 4-D are left out. */
attrib_status attrib_bias_gradients(attrib_model *model, const float *x,
                                    const int64_t shape[4], const int64_t *target,
                                    attrib_result **out);

/* The outputs of the model's submodules, found on its TorchScript graph,
 * with their shapes for an input of shape input_shape. */
attrib_status attrib_model_layers(attrib_model *model, const int64_t input_shape[4],
                                  attrib_layers **out);
size_t attrib_layers_count(const attrib_layers *layers);
/* Entry i: module path, the op that produced its output ("conv2d"), an id of
 * that output tensor (paths naming the same tensor share it; ids grow in
 * graph order), and its shape (ndim <= 8). */
attrib_status attrib_layers_get(const attrib_layers *layers, size_t i, const char **path,
                                const char **op, int64_t *value_id, int64_t shape[8],
                                int *ndim);
void attrib_layers_free(attrib_layers *layers);

/* A copy of the model's parameters in host float32, in the module's own
 * order (named_parameters: definition order, which is forward order for
 * sequential models). */
attrib_status attrib_model_parameters(attrib_model *model, attrib_params **out);
size_t attrib_params_count(const attrib_params *params);
/* Entry i: its dotted name ("features.3.conv.0.weight"), values and count. */
attrib_status attrib_params_get(const attrib_params *params, size_t i, const char **name,
                                const float **values, int64_t *numel);
void attrib_params_free(attrib_params *params);

/* Overwrites the parameter called name with numel host floats, in its own
 * shape and on its device (sanity checks re-draw weights); graph variants
 * built from the old values are dropped. ATTRIB_E_ARG: no such parameter,
 * or numel is not its size. */
attrib_status attrib_model_set_parameter(attrib_model *model, const char *name,
                                         const float *values, int64_t numel);

/* What a result holds, each kind zero or more tensors, all contiguous
 * float32 in host memory, row-major, owned by the result. */
typedef enum attrib_output {
    ATTRIB_OUT_LOGITS = 0,     /* [N, classes]: every pass's */
    ATTRIB_OUT_INPUT_GRAD,     /* [N, C, H, W]: the gradient with respect to the input */
    ATTRIB_OUT_LAYER,          /* [N, C, h, w]: a layer's output read as a map */
    ATTRIB_OUT_LAYER_GRAD,     /* [N, C, h, w]: the gradient there (attrib_layer_gradient) */
    ATTRIB_OUT_ATTENTION,      /* one per attention: [N, heads, T, T] (attrib_attention) */
    ATTRIB_OUT_ATTENTION_GRAD, /* their gradients, with with_grad */
    ATTRIB_OUT_BIAS_GRAD,      /* one per bias layer: [N, C, h, w] (attrib_bias_gradients) */
    ATTRIB_OUT_BIAS,           /* its bias [C] */
    ATTRIB_OUT_OUTPUT          /* the model's output as it is (attrib_forward under
                                  ATTRIB_HEAD_NONE) */
} attrib_output;

#define ATTRIB_MAX_DIMS 8

/* How many tensors of kind res holds. */
size_t attrib_result_count(const attrib_result *res, attrib_output kind);
/* Tensor i of kind, its shape into shape (room for its dimensions, at most
 * ATTRIB_MAX_DIMS) and their number into *ndim; shape and ndim may be NULL.
 * NULL (nothing written) when res has no such tensor. */
const float *attrib_result_get(const attrib_result *res, attrib_output kind, size_t i,
                               int64_t *shape, int *ndim);
/* The class each row's gradient was taken for (NULL after a forward). */
const int64_t *attrib_result_targets(const attrib_result *res);
void attrib_result_free(attrib_result *res);

#ifdef __cplusplus
}
#endif

#endif
