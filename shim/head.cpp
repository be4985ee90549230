// head.cpp - what the passes score (attrib_model_set_head): the model's
// output reduced to a score per entry, [N, entries], before the objective
// and the targets. Every pass goes through head_scores, so each method
// explains a segment's mask or an embedding's similarity as it does a class.
#include "internal.hpp"

#include <torch/torch.h>

using namespace attrib_shim;

namespace {

// The cosine similarity's floor on each norm (torch.nn.CosineSimilarity's eps).
const double COSINE_EPS = 1e-8;

std::string dims_str(int64_t a, int64_t b) {
    return std::to_string(a) + "x" + std::to_string(b);
}

at::Tensor classes_scores(const at::Tensor &y) {
    if (y.dim() != 2 || y.size(1) < 1)
        throw std::runtime_error("model returned shape " + shape_str(y.sizes()) +
                                 " for a batch of " + std::to_string(y.size(0)) +
                                 ", expected [N, classes]");
    return y;
}

// sum over pixels of y[n, classes[m]] * masks[m]: [N, M].
at::Tensor segment_scores(const attrib_model *model, const at::Tensor &y) {
    const at::Tensor &masks = model->head_weights;
    if (y.dim() != 4)
        throw Refusal(ATTRIB_E_ARG, "a segment target needs an output of masks [N, C, H, W]; "
                                    "the model returned " + shape_str(y.sizes()));
    if (y.size(2) != masks.size(1) || y.size(3) != masks.size(2))
        throw Refusal(ATTRIB_E_ARG, "the target's mask is " +
                                    dims_str(masks.size(1), masks.size(2)) +
                                    " but the model's output " + dims_str(y.size(2), y.size(3)));
    const int64_t channels = y.size(1);
    if (model->head_classes.max().item<int64_t>() >= channels)
        throw Refusal(ATTRIB_E_TARGET, "class " + std::to_string(model->head_classes.max().item<int64_t>()) +
                                " is out of range: the model segments " +
                                std::to_string(channels) + " classes (0-" +
                                std::to_string(channels - 1) + ")");
    at::Tensor picked = y.index_select(1, model->head_classes);  // [N, M, h, w]
    return (picked * masks.unsqueeze(0).to(y.scalar_type())).sum({2, 3});
}

// cos(y[n], vectors[m]): [N, M].
at::Tensor similarity_scores(const attrib_model *model, const at::Tensor &y) {
    const at::Tensor &vectors = model->head_weights;
    at::Tensor flat = y.reshape({y.size(0), -1});
    bool pooled = y.dim() == 2 || (y.dim() == 4 && y.size(2) == 1 && y.size(3) == 1);
    if (!pooled)
        throw Refusal(ATTRIB_E_ARG, "a similarity target needs an output of embeddings [N, D]; "
                                    "the model returned " + shape_str(y.sizes()));
    if (flat.size(1) != vectors.size(1))
        throw Refusal(ATTRIB_E_ARG, "the target's vector has " + std::to_string(vectors.size(1)) +
                                    " values but the model's embedding " +
                                    std::to_string(flat.size(1)));
    at::Tensor v = vectors.to(y.scalar_type());
    at::Tensor dots = at::matmul(flat, v.t());
    at::Tensor norms = at::outer(flat.norm(2, 1).clamp_min(COSINE_EPS),
                                 v.norm(2, 1).clamp_min(COSINE_EPS));
    return dots / norms;
}

// A detector's raw output y as boxes [N, A, 4] (x1, y1, x2, y2 in input
// pixels), scores [N, A] and labels [N, A] by the model's layout.
struct Detections {
    at::Tensor boxes, scores, labels;
};

at::Tensor corners(const at::Tensor &cxcywh) {
    at::Tensor c = cxcywh.narrow(-1, 0, 2), half = cxcywh.narrow(-1, 2, 2) / 2;
    return at::cat({c - half, c + half}, -1);
}

Detections detections_of(const attrib_model *model, const at::Tensor &y) {
    if (y.dim() != 3)
        throw Refusal(ATTRIB_E_ARG, "a box target needs a detector's raw output [N, ., .]; the "
                                    "model returned " + shape_str(y.sizes()));
    Detections d;
    at::Tensor probs;
    if (model->head_layout == ATTRIB_BOXES_DETR) {
        if (y.size(2) < 6)
            throw Refusal(ATTRIB_E_ARG, "a DETR layout needs [N, queries, classes + 1 + 4]; the "
                                        "model returned " + shape_str(y.sizes()));
        const int64_t c = y.size(2) - 5;
        probs = at::softmax(y.narrow(2, 0, c + 1), 2).narrow(2, 0, c);
        at::Tensor scale = torch::tensor({(float)model->head_input_w, (float)model->head_input_h,
                                          (float)model->head_input_w, (float)model->head_input_h},
                                         y.options());
        d.boxes = corners(y.narrow(2, c + 1, 4) * scale);
    } else {
        if (y.size(1) < 5)
            throw Refusal(ATTRIB_E_ARG, "a YOLO layout needs [N, 4 + classes, anchors]; the model "
                                        "returned " + shape_str(y.sizes()));
        at::Tensor t = y.transpose(1, 2);  // [N, A, 4 + C]
        probs = t.narrow(2, 4, t.size(2) - 4);
        d.boxes = corners(t.narrow(2, 0, 4));
    }
    auto best = probs.max(2);
    d.scores = std::get<0>(best);
    d.labels = std::get<1>(best);
    return d;
}

// IoU of boxes [N, A, 4] with references [M, 4]: [N, A, M].
at::Tensor iou(const at::Tensor &boxes, const at::Tensor &refs) {
    at::Tensor b = boxes.unsqueeze(2), r = refs.view({1, 1, -1, 4});
    at::Tensor lo = at::maximum(b.narrow(-1, 0, 2), r.narrow(-1, 0, 2));
    at::Tensor hi = at::minimum(b.narrow(-1, 2, 2), r.narrow(-1, 2, 2));
    at::Tensor wh = (hi - lo).clamp_min(0);
    at::Tensor inter = wh.select(-1, 0) * wh.select(-1, 1);
    auto area = [](const at::Tensor &t) {
        return (t.select(-1, 2) - t.select(-1, 0)).clamp_min(0) *
               (t.select(-1, 3) - t.select(-1, 1)).clamp_min(0);
    };
    return inter / (area(b) + area(r) - inter).clamp_min(1e-12);
}

// For each reference box m: the confident detection (of its class) of
// largest IoU; IoU + score where that IoU passes the threshold, else 0 (the
// product keeps the graph, so an unmatched box has a zero gradient, not
// none). [N, M].
at::Tensor box_scores(const attrib_model *model, const at::Tensor &y) {
    Detections d = detections_of(model, y);
    const at::Tensor &refs = model->head_weights;  // [M, 5]
    at::Tensor ious = iou(d.boxes, refs.narrow(1, 0, 4).to(d.boxes.scalar_type()));  // [N, A, M]
    at::Tensor cls = refs.select(1, 4).to(torch::kLong).view({1, 1, -1});
    at::Tensor eligible = (d.scores >= model->head_min_score).unsqueeze(2) &
                          ((cls < 0) | (d.labels.unsqueeze(2) == cls));
    at::Tensor ranked = at::where(eligible, ious.detach(), at::full_like(ious, -1));
    at::Tensor pick = ranked.argmax(1);  // [N, M]
    at::Tensor picked_iou = ious.gather(1, pick.unsqueeze(1)).squeeze(1);
    at::Tensor picked_score = d.scores.gather(1, pick);
    at::Tensor matched = (ranked.gather(1, pick.unsqueeze(1)).squeeze(1) > model->head_iou)
                             .to(picked_iou.scalar_type());
    return (picked_iou + picked_score) * matched;
}

}  // namespace

namespace attrib_shim {

at::Tensor head_scores(const attrib_model *model, const at::Tensor &y) {
    switch (model->head) {
    case ATTRIB_HEAD_SEGMENT: return segment_scores(model, y);
    case ATTRIB_HEAD_SIMILARITY: return similarity_scores(model, y);
    case ATTRIB_HEAD_BOX: return box_scores(model, y);
    case ATTRIB_HEAD_NONE:
        throw Refusal(ATTRIB_E_ARG, "no head is set: only a forward pass reads the output as "
                                    "it is");
    default: return classes_scores(y);
    }
}

}  // namespace attrib_shim

extern "C" {

attrib_head_params attrib_head_default_params(void) {
    attrib_head_params p{};
    p.kind = ATTRIB_HEAD_CLASSES;
    p.layout = ATTRIB_BOXES_YOLO;
    p.iou_threshold = 0.5, p.score_threshold = 0.25;
    return p;
}

attrib_status attrib_model_set_head(attrib_model *model, const attrib_head_params *p) {
    if (!model || !p) return fail(ATTRIB_E_ARG, "null argument");
    if (p->kind < ATTRIB_HEAD_CLASSES || p->kind > ATTRIB_HEAD_BOX)
        return fail(ATTRIB_E_ARG, "unknown head");
    const bool segment = p->kind == ATTRIB_HEAD_SEGMENT, box = p->kind == ATTRIB_HEAD_BOX;
    const bool weighted = segment || box || p->kind == ATTRIB_HEAD_SIMILARITY;
    if (box && (p->layout < ATTRIB_BOXES_YOLO || p->layout > ATTRIB_BOXES_DETR ||
                !(p->iou_threshold >= 0 && p->iou_threshold < 1) ||
                !(p->score_threshold >= 0 && p->score_threshold <= 1) || p->dims[1] < 1))
        return fail(ATTRIB_E_ARG, "a box head needs a layout, thresholds in [0, 1) and the "
                                  "input's size");
    if (weighted) {
        if (p->entries < 1 || !p->weights || (segment && !p->classes))
            return fail(ATTRIB_E_ARG, "a head needs its entries");
        if (p->dims[0] < 1 || (segment && p->dims[1] < 1))
            return fail(ATTRIB_E_ARG, "a head's sizes must be positive");
        for (int64_t m = 0; segment && m < p->entries; m++)
            if (p->classes[m] < 0) return fail(ATTRIB_E_ARG, "a head's class must not be negative");
    }
    return guarded(ATTRIB_E_ARG, [&] {
        at::Tensor classes, weights;
        if (weighted) {
            std::vector<int64_t> shape{p->entries, box ? 5 : p->dims[0]};
            if (segment) shape.push_back(p->dims[1]);
            weights = torch::from_blob(const_cast<float *>(p->weights), shape, torch::kFloat)
                          .to(model->device, /*non_blocking=*/false, /*copy=*/true);
        }
        if (segment)
            classes = torch::from_blob(const_cast<int64_t *>(p->classes), {p->entries}, torch::kLong)
                          .to(model->device, false, true);
        model->head = p->kind;
        model->head_layout = p->layout;
        model->head_iou = p->iou_threshold, model->head_min_score = p->score_threshold;
        model->head_input_h = p->dims[0], model->head_input_w = p->dims[1];
        model->head_classes = classes;
        model->head_weights = weights;
        return ATTRIB_OK;
    });
}

}  // extern "C"
