"""--target beyond classes: a segment of a segmentation model's masks and an
embedding's similarity to a reference are explained as PyTorch autograd
explains the same objective written in Python on the same weights (the
map to 1e-4 of its max, as the other oracles), by the gradient methods,
Grad-CAM, integrated gradients and a black-box method; what the model's
output cannot serve is refused in one line before any image."""
import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

import oracle
from conftest import IMAGES, ROOT, THREADS, assert_one_line_error, ok, programs_supported, run

TOLERANCE = 1e-4  # max abs difference, as a fraction of the reference's max |value|
# scripts/test-sanitize.sh: each target's head once (saliency, the batch, the
# bad input), not every method on it again
SANITIZED = os.environ.get("ATTRIB_SANITIZED") == "1"
heavy = pytest.mark.skipif(SANITIZED, reason="the same head as the saliency tests; sanitizers")
SEG_LAYER = "features.6"  # the segmenter's last ReLU, before its 1x1 classifier
EMBED_LAYER = "features.6"


class Objective(torch.nn.Module):
    """The objective a target explains as a model of one output: score(x)
    [N, 1], so the oracles' class-0 code paths explain it."""

    def __init__(self, score):
        super().__init__()
        self.score = score

    def forward(self, x):
        return self.score(x)[:, None]


def segment_objective(module, cls, mask):
    """pytorch-grad-cam's SemanticSegmentationTarget: the class's mask logits
    summed over the mask's pixels (the mask fixed, [h, w])."""
    m = torch.as_tensor(mask, dtype=torch.float32)
    return Objective(lambda x: (module(x)[:, cls] * m).sum((1, 2)))


def similarity_objective(module, reference):
    """pytorch-grad-cam's SimilarityToConceptTarget: cosine similarity of the
    embedding to a fixed vector."""
    ref = torch.as_tensor(reference, dtype=torch.float32)
    cos = torch.nn.CosineSimilarity(dim=1)
    return Objective(lambda x: cos(module(x).flatten(1), ref[None]))


def predicted_mask(module, x, cls):
    with torch.no_grad():
        return (module(x).argmax(1)[0] == cls).float().numpy()


def close(got, want, tol=TOLERANCE, floor=0.0):
    """Within tol of the map's max, or of floor (an absolute rounding bound)."""
    err = np.abs(got - want).max()
    bound = max(tol * np.abs(want).max(), floor)
    assert err <= bound, f"max abs diff {err:.2e}, bound {bound:.2e} (max {np.abs(want).max():.2e})"


def attrib(method, model, image, out, *args):
    s = json.loads(ok(method, image, "--model", model, "-o", out, "--raw", out / "raw.npy",
                      "--threads", THREADS, "--json", *args).stdout)
    return np.load(out / "raw.npy"), s


@pytest.fixture
def segmenter(test_models, tmp_path):
    model = test_models / "segmenter.pt"
    module, card = oracle.load(model)
    image = oracle.resized_copy(IMAGES / "cat.bmp", tmp_path / "input.png", card)
    return model, module, card, image, oracle.input_tensor(image, card)


@pytest.fixture
def embedder(test_models, tmp_path):
    model = test_models / "embedder.pt"
    module, card = oracle.load(model)
    image = oracle.resized_copy(IMAGES / "cat.bmp", tmp_path / "input.png", card)
    ref = oracle.resized_copy(IMAGES / "sunflower.bmp", tmp_path / "reference.png", card)
    return model, module, card, image, oracle.input_tensor(image, card), ref


def given_mask(card, tmp_path, size):
    """A rectangle, white on black, of size (w, h); and the same mask as the
    output's [h, w] frame holds it (torch's nearest resize)."""
    w, h = size
    a = np.zeros((h, w), np.uint8)
    a[h // 4: 3 * h // 4, w // 5: 3 * w // 5] = 255
    path = tmp_path / f"mask{w}x{h}.png"
    Image.fromarray(a).save(path)
    oh, ow = card["input_size"][0] // 2, card["input_size"][1] // 2
    frame = torch.nn.functional.interpolate(torch.from_numpy(a / 255.0)[None, None].float(),
                                            size=(oh, ow), mode="nearest")[0, 0]
    return path, (frame > 0.5).float().numpy()


# --- segment:CLASS -----------------------------------------------------------


@pytest.mark.parametrize("cls", [0, 2])
def test_saliency_of_a_predicted_segment_is_autograd_of_its_masked_logit_sum(cls, segmenter,
                                                                             tmp_path):
    model, module, card, image, x = segmenter
    mask = predicted_mask(module, x, cls)
    assert 0 < mask.sum() < mask.size  # the photo has the class and more
    want, _, _ = oracle.saliency(segment_objective(module, cls, mask), x, 0, THREADS)
    got, s = attrib("saliency", model, image, tmp_path, "--target", f"segment:{cls}")
    close(got, want)
    t = s["target"]
    assert t["kind"] == "segment" and t["class"] == cls and t["mask"] == "predicted"
    assert t["label"] == card["labels"][cls]
    assert t["mask_pixels"] == int(mask.sum())
    with torch.no_grad():
        score = float(segment_objective(module, cls, mask)(x)[0, 0])
    assert t["score"] == pytest.approx(score, rel=1e-4)
    assert s["objective"]["of"] == "mask-logit-sum" and s["top"] == []


@pytest.mark.parametrize("size", ["input", "output"])
def test_a_given_mask_of_the_input_or_output_size_is_the_segment_explained(size, segmenter,
                                                                           tmp_path):
    model, module, card, image, x = segmenter
    h, w = card["input_size"]
    path, frame = given_mask(card, tmp_path, (w, h) if size == "input" else (w // 2, h // 2))
    want, _, _ = oracle.saliency(segment_objective(module, 1, frame), x, 0, THREADS)
    got, s = attrib("saliency", model, image, tmp_path, "--target", f"segment:1@{path}")
    close(got, want)
    assert s["target"]["mask"] == str(path) and s["target"]["mask_pixels"] == int(frame.sum())


def test_gradcam_of_a_segment_is_pytorch_grad_cams_semantic_segmentation_target(segmenter,
                                                                                tmp_path):
    model, module, card, image, x = segmenter
    mask = predicted_mask(module, x, 2)
    x = x.clone().requires_grad_(True)
    act = module.features(x)
    score = (module.classifier(act)[0, 2] * torch.from_numpy(mask)).sum()
    (grad,) = torch.autograd.grad(score, act)
    want = oracle.cam_from(act[0].detach(), grad[0]).numpy()
    full, s = attrib("gradcam", model, image, tmp_path, "--target", "segment:2",
                     "--layer", SEG_LAYER)
    close(np.array(s["layer"]["map"]), want)
    close(full, oracle.upsample(want.astype(np.float32), *card["input_size"]))


def test_gradcams_default_layer_on_a_segmenter_is_the_last_map_before_its_masks(segmenter,
                                                                               tmp_path):
    model, module, card, image, x = segmenter
    _, s = attrib("gradcam", model, image, tmp_path, "--target", "segment:2")
    assert s["layer"]["path"] == SEG_LAYER  # not "classifier", the mask logits themselves


class DenseSegmenter(torch.nn.Module):
    """A classifier made fully convolutional: its Linear applied at each of
    the last map's positions (channels-last), the masks permuted back."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.features = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, stride=2, padding=1),
                                            torch.nn.ReLU(),
                                            torch.nn.Conv2d(8, 12, 3, stride=2, padding=1),
                                            torch.nn.ReLU())
        self.classifier = torch.nn.Linear(12, 5)

    def forward(self, x):
        return self.classifier(self.features(x).permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


def test_gradcams_default_layer_skips_a_classifier_applied_at_each_position(tmp_path):
    """The channels-last output of a Linear over a map's positions is the
    masks themselves: the default layer is the map before it."""
    import warnings
    warnings.simplefilter("ignore", FutureWarning)  # torch.jit's deprecation
    card = {"name": "dense", "task": "segmentation", "input_size": [32, 40]}
    model = tmp_path / "dense.pt"
    torch.jit.save(torch.jit.script(DenseSegmenter().eval()), str(model),
                   _extra_files={"attrib.json": json.dumps(card)})
    module, card = oracle.load(model)
    image = oracle.resized_copy(IMAGES / "cat.bmp", tmp_path / "input.png", card)
    cls = int(module(oracle.input_tensor(image, card)).argmax(1).flatten().mode().values)
    _, s = attrib("gradcam", model, image, tmp_path, "--target", f"segment:{cls}")
    assert s["layer"]["path"] == "features.3"  # not "classifier", the masks channels-last


def test_layers_marks_the_same_default_layer_on_a_segmenter(test_models):
    rows = ok("layers", test_models / "segmenter.pt").stdout.splitlines()
    assert [r.split()[1] for r in rows if r.startswith("*")] == [SEG_LAYER]


@heavy
def test_integrated_gradients_of_a_segment_match_pytorch(segmenter, tmp_path):
    model, module, card, image, x = segmenter
    mask = predicted_mask(module, x, 2)
    h, w = card["input_size"]
    base = oracle.black(card, h, w)
    want, delta = oracle.integrated_gradients(segment_objective(module, 2, mask), x, base, 0,
                                              50, "gauss-legendre", THREADS)
    got, s = attrib("integrated-gradients", model, image, tmp_path, "--target", "segment:2")
    close(got, want)
    # the mask stays the image's own on the path: the difference is of that mask's sum
    assert s["details"]["score_difference"] == pytest.approx(delta, rel=1e-4)


@heavy
def test_occlusion_scores_its_occluded_copies_with_the_images_mask(segmenter, tmp_path):
    model, module, card, image, x = segmenter
    mask = predicted_mask(module, x, 0)
    want = oracle.occlusion(segment_objective(module, 0, mask), x, 0, 5, 3, torch.zeros_like(x),
                            THREADS)
    got, _ = attrib("occlusion", model, image, tmp_path, "--target", "segment:0", "--window", 5,
                    "--stride", 3, "--baseline", "zeros")
    close(got, want)


def test_each_image_of_a_batch_is_explained_with_its_own_predicted_mask(segmenter, test_models,
                                                                        tmp_path):
    model, module, card, _, _ = segmenter
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("cat.bmp", "dragonfly.bmp", "sunflower.bmp"):
        oracle.resized_copy(IMAGES / name, photos / f"{name[:-4]}.png", card)
    ok("saliency", photos, "--model", model, "-o", tmp_path / "out", "--target", "segment:2",
       "--save-raw", "--batch-size", 3, "--threads", THREADS, "--quiet")
    for name in ("cat", "dragonfly", "sunflower"):
        x = oracle.input_tensor(photos / f"{name}.png", card)
        mask = predicted_mask(module, x, 2)
        want, _, _ = oracle.saliency(segment_objective(module, 2, mask), x, 0, THREADS)
        close(np.load(tmp_path / "out" / f"{name}.saliency.npy"), want)
        s = json.loads((tmp_path / "out" / f"{name}.saliency.json").read_text())
        assert s["target"]["mask_pixels"] == int(mask.sum())


# --- similar-to ------------------------------------------------------------


def test_saliency_of_similarity_to_an_image_is_autograd_of_the_cosine(embedder, tmp_path):
    model, module, card, image, x, ref = embedder
    with torch.no_grad():
        reference = module(oracle.input_tensor(ref, card))[0].numpy()
    objective = similarity_objective(module, reference)
    want, _, _ = oracle.saliency(objective, x, 0, THREADS)
    got, s = attrib("saliency", model, image, tmp_path, "--target", f"similar-to:{ref}")
    close(got, want)
    with torch.no_grad():
        cosine = float(objective(x)[0, 0])
    assert s["target"] == {"kind": "similar-to", "reference": str(ref),
                           "score": pytest.approx(cosine, rel=1e-5)}
    assert s["objective"]["of"] == "cosine-similarity"


@pytest.mark.parametrize("shape", [(8,), (1, 8)])
def test_gradcam_of_similarity_to_a_vector_matches_pytorch(shape, embedder, tmp_path):
    model, module, card, image, x, _ = embedder
    vector = np.random.default_rng(7).normal(size=8).astype(np.float32)
    np.save(tmp_path / "concept.npy", vector.reshape(shape))
    x = x.clone().requires_grad_(True)
    act = module.features(x)
    emb = module.project(act.mean([2, 3]))
    score = torch.nn.CosineSimilarity(dim=0)(emb[0], torch.from_numpy(vector))
    (grad,) = torch.autograd.grad(score, act)
    want = oracle.cam_from(act[0].detach(), grad[0]).numpy()
    full, s = attrib("gradcam", model, image, tmp_path, "--target",
                     f"similar-to:{tmp_path / 'concept.npy'}", "--layer", EMBED_LAYER)
    close(np.array(s["layer"]["map"]), want)
    assert s["target"]["score"] == pytest.approx(score.item(), rel=1e-5)


@heavy
def test_integrated_gradients_of_similarity_match_pytorch(embedder, tmp_path):
    model, module, card, image, x, ref = embedder
    with torch.no_grad():
        reference = module(oracle.input_tensor(ref, card))[0].numpy()
    h, w = card["input_size"]
    want, delta = oracle.integrated_gradients(similarity_objective(module, reference), x,
                                              oracle.black(card, h, w), 0, 50, "gauss-legendre",
                                              THREADS)
    got, s = attrib("integrated-gradients", model, image, tmp_path, "--target",
                    f"similar-to:{ref}")
    close(got, want)
    assert s["details"]["score_difference"] == pytest.approx(delta, rel=1e-4)


@heavy
def test_occlusion_of_similarity_matches_pytorch_forward_passes(embedder, tmp_path):
    """Each drop is a difference of two cosines near one another, each
    rounded to float32 by its own formula (attrib: a product over norms,
    PyTorch: CosineSimilarity): within a few float32 steps of the score."""
    model, module, card, image, x, ref = embedder
    with torch.no_grad():
        reference = module(oracle.input_tensor(ref, card))[0].numpy()
    objective = similarity_objective(module, reference)
    want = oracle.occlusion(objective, x, 0, 5, 3, torch.zeros_like(x), THREADS)
    got, s = attrib("occlusion", model, image, tmp_path, "--target", f"similar-to:{ref}",
                    "--window", 5, "--stride", 3, "--baseline", "zeros")
    close(got, want, floor=4 * np.finfo(np.float32).eps * abs(s["target"]["score"]))


def test_class_n_is_the_same_as_class_option(test_models, tmp_path):
    image = IMAGES / "cat.bmp"
    model = test_models / "tiny.pt"
    a, sa = attrib("saliency", model, image, tmp_path, "--target", "class:3")
    b, sb = attrib("saliency", model, image, tmp_path, "--class", "3")
    assert np.array_equal(a, b)
    assert sa["target"] == sb["target"] and sa["target"]["kind"] == "class"


# --- box:X,Y,W,H[:CLASS] ------------------------------------------------------


def detections(y, layout, card):
    """A detector's raw output as boxes [A, 4] (x1, y1, x2, y2 in input
    pixels), scores and labels, read by its layout as the card names it."""
    h, w = card["input_size"]
    if layout == "yolo":  # [4 + C, A]: cx, cy, w, h, class scores
        t = y.T
        cxcywh, probs = t[:, :4], t[:, 4:]
    else:  # [Q, C + 1 + 4]: logits (last: no object), cx, cy, w, h in [0, 1]
        c = y.shape[1] - 5
        probs = torch.softmax(y[:, :c + 1], 1)[:, :c]
        cxcywh = y[:, c + 1:] * torch.tensor([w, h, w, h], dtype=y.dtype)
    boxes = torch.cat([cxcywh[:, :2] - cxcywh[:, 2:] / 2, cxcywh[:, :2] + cxcywh[:, 2:] / 2], 1)
    scores, labels = probs.max(1)
    return boxes, scores, labels


def box_iou(a, b):
    """IoU of boxes a [A, 4] with one box b [4] (x1, y1, x2, y2)."""
    lo, hi = torch.maximum(a[:, :2], b[:2]), torch.minimum(a[:, 2:], b[2:])
    inter = (hi - lo).clamp(min=0).prod(1)
    area = lambda t: (t[..., 2] - t[..., 0]) * (t[..., 3] - t[..., 1])
    return inter / (area(a) + area(b) - inter)


def box_objective(module, layout, card, box, cls=None, iou_threshold=0.5, min_score=0.25):
    """pytorch-grad-cam's FasterRCNNBoxScoreTarget on the raw detections
    scoring at least min_score: the one of largest IoU with the box (and of
    its class) scores IoU + its score when that IoU passes the threshold."""
    x, y, bw, bh = box
    ref = torch.tensor([x, y, x + bw, y + bh], dtype=torch.float32)

    def score(xs):
        out = []
        for y in module(xs):
            boxes, scores, labels = detections(y, layout, card)
            ious = box_iou(boxes, ref)
            ok = (scores >= min_score) & ((labels == cls) if cls is not None else True)
            if not ok.any():
                out.append((scores * 0).sum())
                continue
            i = int(torch.where(ok, ious.detach(), torch.tensor(-1.0)).argmax())
            out.append(ious[i] + scores[i] if ious[i] > iou_threshold else (ious[i] + scores[i]) * 0)
        return torch.stack(out)
    return Objective(score)


def confident_box(module, layout, card, x):
    """The box of the model's most confident detection on x, rounded to
    whole pixels and kept inside the input: a box the model finds."""
    h, w = card["input_size"]
    with torch.no_grad():
        boxes, scores, labels = detections(module(x)[0], layout, card)
    i = int(scores.argmax())
    x1, y1, x2, y2 = boxes[i].tolist()
    x1, y1 = max(0, round(x1)), max(0, round(y1))
    x2, y2 = min(w, round(x2)), min(h, round(y2))
    return [x1, y1, x2 - x1, y2 - y1], int(labels[i])


@pytest.fixture(params=["yolo", "detr"])
def detector(request, test_models, tmp_path):
    model = test_models / f"{request.param}.pt"
    module, card = oracle.load(model)
    image = oracle.resized_copy(IMAGES / "cat.bmp", tmp_path / "input.png", card)
    return request.param, model, module, card, image, oracle.input_tensor(image, card)


def box_spec(box, cls=None):
    return "box:" + ",".join(str(v) for v in box) + (f":{cls}" if cls is not None else "")


@pytest.mark.parametrize("with_class", [False, True])
def test_saliency_of_a_box_is_autograd_of_its_matched_detections_iou_plus_score(
        with_class, detector, tmp_path):
    layout, model, module, card, image, x = detector
    box, label = confident_box(module, layout, card, x)
    cls = label if with_class else None
    objective = box_objective(module, layout, card, box, cls)
    want, _, _ = oracle.saliency(objective, x, 0, THREADS)
    got, s = attrib("saliency", model, image, tmp_path, "--target", box_spec(box, cls))
    close(got, want)
    with torch.no_grad():
        score = float(objective(x)[0, 0])
    t = s["target"]
    assert score > 1  # matched: IoU above 0.5 plus a score
    assert t["kind"] == "box" and t["box"] == box and t["matched"] is True
    assert t["score"] == pytest.approx(score, rel=1e-5)
    assert (t.get("class"), t.get("label")) == ((cls, card["labels"][cls]) if with_class
                                                else (None, None))
    assert s["objective"]["of"] == "box-iou-plus-score"


def detector_from_features(module, layout, a):
    """The test detectors' output from their features a (the eager twin of
    the scripted forward past its last feature map)."""
    if layout == "yolo":
        p = module.head(a)
        _, _, gh, gw = p.shape
        gy, gx = torch.meshgrid(torch.arange(gh, dtype=a.dtype), torch.arange(gw, dtype=a.dtype),
                                indexing="ij")
        st = module.stride
        xywh = torch.stack([(gx + torch.sigmoid(p[:, 0])) * st, (gy + torch.sigmoid(p[:, 1])) * st,
                            torch.exp(p[:, 2].clamp(-3, 3)) * 2 * st,
                            torch.exp(p[:, 3].clamp(-3, 3)) * 2 * st], 1)
        return torch.cat([xywh, torch.sigmoid(p[:, 4:])], 1).flatten(2)
    q = module.queries(a.mean([2, 3])).view(-1, module.nq, module.nc + 5)
    return torch.cat([q[:, :, :module.nc + 1], torch.sigmoid(q[:, :, module.nc + 1:])], 2)


@heavy
def test_gradcam_and_integrated_gradients_of_a_box_match_pytorch(detector, tmp_path):
    layout, model, module, card, image, x = detector
    box, _ = confident_box(module, layout, card, x)
    objective = box_objective(module, layout, card, box)
    h, w = card["input_size"]
    want, delta = oracle.integrated_gradients(objective, x, oracle.black(card, h, w), 0, 16,
                                              "gauss-legendre", THREADS)
    got, s = attrib("integrated-gradients", model, image, tmp_path, "--target", box_spec(box),
                    "--steps", 16)
    close(got, want)
    assert s["details"]["score_difference"] == pytest.approx(delta, rel=1e-4, abs=1e-6)

    a = module.features(x).detach().requires_grad_(True)
    out = detector_from_features(module, layout, a)
    assert torch.allclose(out, module(x), atol=1e-5)  # the twin is the model
    score = box_objective(lambda _: out, layout, card, box)(None)[0, 0]
    (grad,) = torch.autograd.grad(score, a)
    want = oracle.cam_from(a[0].detach(), grad[0]).numpy()
    layer = "features.5" if layout == "yolo" else "features.3"
    _, s = attrib("gradcam", model, image, tmp_path, "--target", box_spec(box), "--layer", layer)
    close(np.array(s["layer"]["map"]), want)


@heavy
def test_occlusion_of_a_box_rematches_every_occluded_copy(detector, tmp_path):
    """Each occluded copy's detections are matched again (pytorch-grad-cam's
    target is called on every output), so an occlusion that moves the
    detection off the box scores it 0."""
    layout, model, module, card, image, x = detector
    box, _ = confident_box(module, layout, card, x)
    want = oracle.occlusion(box_objective(module, layout, card, box), x, 0, 8, 4,
                            torch.zeros_like(x), THREADS)
    got, _ = attrib("occlusion", model, image, tmp_path, "--target", box_spec(box),
                    "--window", 8, "--stride", 4, "--baseline", "zeros")
    close(got, want)


# A detector with real weights: MTCNN's P-Net over one scale as YOLO's layout
# (examples/models/mtcnn_faces.py), exported as the user would. Needs the 2.x
# line (a .pt2) and facenet-pytorch, whose wheel bundles the weights.
FACES = ROOT / "examples" / "models" / "mtcnn_faces.py"
FACE_SCALE = 0.06  # 200-pixel faces: Grace Hopper's in her 512x600 portrait
PORTRAIT = IMAGES / "grace_hopper.bmp"


@pytest.fixture(scope="module")
def faces(tmp_path_factory):
    if SANITIZED or not programs_supported():
        pytest.skip("a .pt2 program: the 2.x line")
    pytest.importorskip("facenet_pytorch")
    spec = importlib.util.spec_from_file_location("mtcnn_faces", FACES)
    code = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(code)
    module = code.FaceCells(FACE_SCALE).eval()
    path = tmp_path_factory.mktemp("faces") / "faces.pt2"
    subprocess.run([sys.executable, ROOT / "scripts" / "export-model.py", "--module",
                    f"{FACES}:FaceCells", "--module-args", json.dumps({"scale": FACE_SCALE}),
                    "-o", path], check=True, capture_output=True)
    image = PORTRAIT  # the card's size already: what attrib reads is what PyTorch gets
    return path, code, module, module.attrib_card, image, oracle.input_tensor(image, module.attrib_card)


def test_a_real_face_detector_finds_the_cells_mtcnns_own_first_stage_finds(faces, tmp_path):
    """facenet-pytorch's own first stage at the same scale (its resampling,
    its normalisation of 0-255 pixels, its generateBoundingBox, the offsets
    applied as MTCNN refines boxes) gives the cells attrib lists, before
    suppression; and Grace Hopper's face is found."""
    from facenet_pytorch.models.utils.detect_face import generateBoundingBox, imresample
    path, code, module, card, image, x = faces
    pixels = torch.tensor(np.asarray(Image.open(image).convert("RGB")), dtype=torch.float32)
    pixels = pixels.permute(2, 0, 1)[None]
    with torch.no_grad():
        scaled = (imresample(pixels, module.size) - 127.5) * 0.0078125
        offsets, probs = module.pnet(scaled)
        cells, _ = generateBoundingBox(offsets, probs[:, 1], FACE_SCALE, 0.6)
    side = torch.cat([cells[:, 2:3] - cells[:, 0:1], cells[:, 3:4] - cells[:, 1:2]], 1)
    x1y1 = cells[:, :2] + cells[:, 5:7] * side
    x2y2 = cells[:, 2:4] + cells[:, 7:9] * side
    want = sorted(zip(cells[:, 4].tolist(), torch.cat([x1y1, x2y2 - x1y1], 1).tolist()),
                  reverse=True)
    s = json.loads(ok("predict", image, "--model", path, "-o", tmp_path, "--json",
                      "--score-threshold", 0.6, "--iou", 1, "--top", 1000,
                      "--threads", THREADS).stdout)
    got = s["detections"]
    assert len(got) == len(want) > 5
    for d, (score, box) in zip(got, want):
        assert d["label"] == "face" and d["score"] == pytest.approx(score, abs=1e-5)
        np.testing.assert_allclose(d["input_box"], box, atol=1e-2)
    x, y, w, h = got[0]["input_box"]  # her face: below the cap's brim, above the collar
    assert got[0]["score"] > 0.999 and 150 < x + w / 2 < 350 and 150 < y + h / 2 < 300


def test_a_box_on_a_real_face_detector_is_explained_as_autograd_explains_it(faces, tmp_path):
    path, code, module, card, image, x = faces
    s = json.loads(ok("predict", image, "--model", path, "-o", tmp_path, "--json",
                      "--score-threshold", 0.9, "--threads", THREADS).stdout)
    box = [round(v) for v in s["detections"][0]["input_box"]]
    objective = box_objective(module, "yolo", card, box)
    want, _, _ = oracle.saliency(objective, x, 0, THREADS)
    got, s = attrib("saliency", path, image, tmp_path, "--target", box_spec(box))
    close(got, want)
    assert s["target"]["matched"] is True and s["target"]["score"] > 1.9  # IoU and score near 1


def test_a_box_no_detection_matches_scores_zero_and_says_so(detector, tmp_path):
    layout, model, module, card, image, x = detector
    box, label = confident_box(module, layout, card, x)
    got, s = attrib("saliency", model, image, tmp_path, "--target", box_spec(box),
                    "--iou-threshold", "0.99")
    assert s["target"]["matched"] is False and s["target"]["score"] == 0
    assert not got.any() and s["warnings"]  # a flat map, with the usual warning
    p = ok("saliency", image, "--model", model, "-o", tmp_path, "--target", box_spec(box),
           "--iou-threshold", "0.99", "--threads", THREADS)
    assert "no detection matches it: score 0" in p.stdout


# --- what the output cannot serve ---------------------------------------------

BAD = [
    ("tiny", "segment:1", 2, "needs a model whose output is masks [N, C, H, W]"),
    ("embedder", "segment:1", 2, "returns [N, 8]"),
    ("segmenter", "segment:4", 2, "out of range: the model segments classes 0 to 3"),
    ("segmenter", "similar-to:REF", 2, "needs a model whose output is an embedding [N, D]"),
    ("segmenter", "ball:1,2,3,4", 2, "--target must be class:N, segment:CLASS"),
    ("segmenter", "box:1,2,3,4", 2, "needs the model card's output layout"),
    ("yolo", "box:30,20,20,20", 2, "is outside the model's input (40x32 pixels)"),
    ("yolo", "box:1,2,3,4:3", 2, "class 3 is out of range: the detector has classes 0 to 2"),
    ("yolo", None, 2, "is a detection model (its card's task)"),
    ("segmenter", "segment:x", 2, "the class must be a number"),
    ("segmenter", "segment:1@", 2, "no mask file after '@'"),
    ("segmenter", "similar-to:", 2, "no reference image or vector"),
    ("segmenter", None, 2, "is a segmentation model (its card's task)"),
    ("embedder", None, 2, "--target similar-to:IMAGE|VECTOR.npy"),
    ("embedder", "similar-to:VEC5", 2, "the vector has 5 values but the model's embedding 8"),
    ("embedder", "similar-to:ZERO", 2, "the vector is zero"),
    ("embedder", "similar-to:NAN", 2, "NaN or infinity"),
    ("embedder", "similar-to:MISSING", 1, "missing.png"),
    ("segmenter", "segment:1@SMALLMASK", 2, "the mask is 7x5; it must be the model's input"),
    ("segmenter", "segment:1@BLACKMASK", 2, "the mask has no pixel brighter than half"),
    ("segmenter", "segment:1@HOSTILEMASK", 1, "hostile.png"),
]


@pytest.mark.parametrize("which,spec,code,message", BAD)
def test_a_target_the_model_cannot_serve_is_refused_in_one_line_before_any_image(
        which, spec, code, message, test_models, tmp_path):
    np.save(tmp_path / "vec5.npy", np.ones(5, np.float32))
    np.save(tmp_path / "zero.npy", np.zeros(8, np.float32))
    np.save(tmp_path / "nan.npy", np.full(8, np.nan, np.float32))
    Image.fromarray(np.full((5, 7), 255, np.uint8)).save(tmp_path / "small.png")
    Image.fromarray(np.zeros((16, 20), np.uint8)).save(tmp_path / "black.png")
    (tmp_path / "hostile.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\xff" * 64)
    files = {"REF": IMAGES / "cat.bmp", "VEC5": tmp_path / "vec5.npy",
             "ZERO": tmp_path / "zero.npy", "NAN": tmp_path / "nan.npy",
             "MISSING": tmp_path / "missing.png", "SMALLMASK": tmp_path / "small.png",
             "BLACKMASK": tmp_path / "black.png", "HOSTILEMASK": tmp_path / "hostile.png"}
    if spec:
        for k, v in files.items():
            spec = spec.replace(k, str(v))
    args = ["saliency", IMAGES / "cat.bmp", "--model", test_models / f"{which}.pt",
            "-o", tmp_path / "out", "--threads", THREADS]
    p = run(*args, *(["--target", spec] if spec else []))
    assert_one_line_error(p, code, message)
    assert not (tmp_path / "out").exists()  # refused before any image


@pytest.mark.parametrize("extra,message", [
    (["--class", "2"], "not with --class"),
    (["--versus", "1"], "not with --versus"),
    (["--objective", "probability"], "not with --objective probability"),
])
def test_a_target_beyond_classes_takes_no_class_option(extra, message, test_models, tmp_path):
    p = run("saliency", IMAGES / "cat.bmp", "--model", test_models / "segmenter.pt",
            "--target", "segment:1", "-o", tmp_path, *extra)
    assert_one_line_error(p, 2, message)


def test_rise_explains_a_segment_by_its_score_not_its_default_probability(segmenter, tmp_path):
    model, module, card, image, x = segmenter
    _, s = attrib("rise", model, image, tmp_path, "--target", "segment:2", "--masks", 64)
    assert s["objective"]["of"] == "mask-logit-sum"


# --- against pytorch-grad-cam itself ------------------------------------------


def pytorch_grad_cam():
    try:
        import pytorch_grad_cam
    except ImportError:
        pytest.skip("pytorch-grad-cam does not import beside this PyTorch (the 2.x test "
                    "venv has it; Debian's python3-torch 1.13 does not)")
    return pytorch_grad_cam


def rescaled(layer_map):
    """attrib's layer map as the peer scales its own: ReLU, then to [0, 1]."""
    got = np.maximum(np.array(layer_map, dtype=np.float64), 0)
    return (got - got.min()) / (got.max() - got.min())


@pytest.mark.parametrize("arch,layer", [("fcn_resnet50", "model.backbone.layer4"),
                                        ("deeplabv3_mobilenet_v3_large", "model.backbone.16")])
def test_gradcam_of_a_segment_is_pytorch_grad_cams_with_its_segmentation_target(arch, layer,
                                                                                 tmp_path):
    """The peer's GradCAM with the SemanticSegmentationTarget of its
    segmentation tutorial (the class's logits times the predicted mask), on
    the eager twin of torchvision's model (random weights; its dict output
    made a tensor as the tutorial does)."""
    peer = pytorch_grad_cam()
    from tvmodels import torchvision_model
    eager, path, _ = torchvision_model(arch, "script")
    module, card = oracle.load(path)
    image = oracle.resized_copy(IMAGES / "cat.bmp", tmp_path / "input.png", card)
    x = oracle.input_tensor(image, card)
    torch.set_num_threads(THREADS)
    with torch.no_grad():
        labels = eager(x).argmax(1)[0].numpy()
    counts = np.bincount(labels.ravel(), minlength=21)
    present = np.flatnonzero(counts)
    cls = int(present[np.argmin(np.abs(counts[present] - labels.size / 2))])  # nearest half
    mask = (labels == cls).astype(np.float32)
    assert mask.sum() > 0
    _, s = attrib("gradcam", path, image, tmp_path, "--target", f"segment:{cls}",
                  "--layer", layer)
    assert s["target"]["mask_pixels"] == int(mask.sum())
    got = rescaled(s["layer"]["map"])
    h, w = got.shape

    class SemanticSegmentationTarget:  # the peer tutorial's, as written there
        def __init__(self, category, mask):
            self.category, self.mask = category, torch.from_numpy(mask)

        def __call__(self, model_output):
            return (model_output[self.category, :, :] * self.mask).sum()

    with peer.GradCAM(model=eager, target_layers=[eager.get_submodule(layer)]) as cam:
        cam.get_target_width_height = lambda _: (w, h)
        want = cam(input_tensor=x, targets=[SemanticSegmentationTarget(cls, mask)])[0]
    assert want.shape == got.shape and want.max() > 0.99
    close(got, want)


def test_gradcam_of_similarity_is_pytorch_grad_cams_with_its_concept_target(tmp_path):
    """The peer's SimilarityToConceptTarget (its embeddings tutorial): the
    cosine similarity of ResNet-18's features (its head removed) to another
    photo's."""
    peer = pytorch_grad_cam()
    from tvmodels import torchvision_model

    class SimilarityToConceptTarget:  # the peer tutorial's, as written there
        def __init__(self, features):
            self.features = features

        def __call__(self, model_output):
            return torch.nn.CosineSimilarity(dim=0)(model_output, self.features)

    eager, path, _ = torchvision_model("resnet18_embedding", "script")
    module, card = oracle.load(path)
    image = oracle.resized_copy(IMAGES / "cat.bmp", tmp_path / "input.png", card)
    ref = oracle.resized_copy(IMAGES / "dragonfly.bmp", tmp_path / "reference.png", card)
    x = oracle.input_tensor(image, card)
    torch.set_num_threads(THREADS)
    with torch.no_grad():
        concept = eager(oracle.input_tensor(ref, card))[0]
    _, s = attrib("gradcam", path, image, tmp_path, "--target", f"similar-to:{ref}")
    assert s["layer"]["path"] == "layer4.1"  # the default layer, as for the classifier
    got = rescaled(s["layer"]["map"])
    h, w = got.shape
    with peer.GradCAM(model=eager, target_layers=[eager.layer4[-1]]) as cam:
        cam.get_target_width_height = lambda _: (w, h)
        want = cam(input_tensor=x, targets=[SimilarityToConceptTarget(concept)])[0]
    assert want.shape == got.shape and want.max() > 0.99
    close(got, want)


# --- goldens of these maps ---------------------------------------------------------


@heavy  # goldens and eval have their own suites under the sanitizers
@pytest.mark.parametrize("model,spec,other", [
    ("segmenter", "segment:2", "segment:0"),
    ("embedder", "similar-to:REF", "similar-to:OTHER"),
    ("yolo", "box:30,17,7,9", "box:10,10,8,8")])
def test_goldens_of_a_targets_maps_pass_unchanged_and_fail_for_another_target(
        model, spec, other, test_models, tmp_path):
    refs = {"REF": str(IMAGES / "sunflower.bmp"), "OTHER": str(IMAGES / "bird.bmp")}
    for k, v in refs.items():
        spec, other = spec.replace(k, v), other.replace(k, v)
    golden = tmp_path / "golden"
    photos = [str(IMAGES / "cat.bmp"), str(IMAGES / "dragonfly.bmp")]
    ok("golden", "update", golden, "--", "saliency", *photos, "--model",
       str(test_models / f"{model}.pt"), "--target", spec, "--threads", THREADS)
    v = json.loads(ok("golden", "check", golden, "--json", cwd=tmp_path).stdout)
    assert v["passed"] == 2 and v["failed"] == 0, v
    p = run("golden", "check", golden, "--json", "--", "--target", other, cwd=tmp_path)
    assert p.returncode == 1, p.stdout + p.stderr
    assert json.loads(p.stdout)["failed"] >= 1


# --- eval on these targets ------------------------------------------------------------


@heavy
def test_eval_curves_follow_a_segments_score_as_pytorch_computes_them(segmenter, tmp_path):
    """Deletion and insertion of the pixels in saliency's order, the curve the
    segment's masked logit sum over the image's own predicted mask (fixed
    while its pixels go), as the oracle's curves with that score."""
    model, module, card, image, x = segmenter
    mask = predicted_mask(module, x, 2)
    got, _ = attrib("saliency", model, image, tmp_path, "--target", "segment:2")
    objective = segment_objective(module, 2, mask)
    (dele, dauc), (ins, iauc) = oracle.deletion_insertion(
        module, x, got, None, 10, THREADS, score=lambda t: objective(t)[:, 0])
    s = json.loads(ok("eval", image, "--model", model, "--methods", "saliency", "--steps", 10,
                      "--target", "segment:2", "-o", tmp_path, "--json",
                      "--threads", THREADS).stdout)
    assert s["target"] == {"kind": "segment", "class": 2, "label": "long",
                           "score": pytest.approx(float(dele[0]), rel=1e-5)}
    m = s["methods"]["saliency"]
    np.testing.assert_allclose(m["deletion"], dele, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(m["insertion"], ins, rtol=1e-4, atol=1e-5)
    assert m["deletion_auc"] == pytest.approx(dauc, rel=1e-4, abs=1e-5)


@heavy
def test_eval_ranks_methods_on_an_embedders_similarity(embedder, tmp_path):
    model, module, card, image, x, ref = embedder
    p = ok("eval", image, "--model", model, "--methods", "random,saliency,gradcam",
           "--steps", 8, "--target", f"similar-to:{ref}", "-o", tmp_path, "--threads", THREADS)
    assert p.stdout.startswith(f"{image}: similar to {ref} (score ")
    s = json.loads((tmp_path / "input.eval.json").read_text())
    with torch.no_grad():
        cosine = float(similarity_objective(module, module(oracle.input_tensor(ref, card))[0])(x))
    for name in ("random", "saliency", "gradcam"):
        assert s["methods"][name]["deletion"][0] == pytest.approx(cosine, rel=1e-5)


def test_eval_refuses_a_segmenter_without_a_target_and_a_class_target(test_models, tmp_path):
    p = run("eval", IMAGES / "cat.bmp", "--model", test_models / "segmenter.pt", "-o", tmp_path)
    assert_one_line_error(p, 2, "is a segmentation model (its card's task)")
    p = run("eval", IMAGES / "cat.bmp", "--model", test_models / "segmenter.pt", "-o", tmp_path,
            "--target", "segment:9")
    assert_one_line_error(p, 2, "out of range: the model segments classes 0 to 3")


# --- sanity and drift on these targets --------------------------------------------


def sanity_similarities(orig, now, h, w):
    return {"spearman_abs": oracle.spearman(np.abs(orig), np.abs(now)),
            "spearman": oracle.spearman(orig, now),
            "ssim": oracle.ssim(oracle.normalise_abs(orig).reshape(h, w),
                                oracle.normalise_abs(now).reshape(h, w))}


def check_sanity_steps(s, module, objective, x, card, seed):
    """attrib's cascading steps against saliency's signed map of the same
    objective, the weights re-drawn in Python from the same seeds."""
    h, w = card["input_size"]
    blocks = oracle.parameter_blocks(module)
    assert s["blocks"] == blocks[::-1]
    trained = {n: p.detach().clone() for n, p in module.named_parameters()}

    def signed_map():
        g = oracle.gradients(objective, x, 0, THREADS)[0].double().numpy()
        return oracle.largest_channel(g)

    base = signed_map()
    try:
        for j in range(len(blocks)):
            oracle.redraw(module, set(blocks[len(blocks) - 1 - j:]), seed, trained)
            want = sanity_similarities(base, signed_map(), h, w)
            got = s["methods"]["saliency"]["cascading"][j]
            for k, v in want.items():
                if np.isnan(v):
                    assert got[k] is None, (j, k)
                else:
                    assert got[k] == pytest.approx(v, abs=2e-3), (j, k)
    finally:
        oracle.redraw(module, set(), seed, trained)


def test_sanity_of_a_segment_holds_the_trained_models_mask_while_the_weights_are_redrawn(
        segmenter, tmp_path):
    """The segment explained at every step is the trained model's: its
    class's logits summed over the pixels the trained model gave the class,
    that mask held while the weights are re-drawn (a re-drawn model's own
    argmax would be another target)."""
    model, module, card, image, x = segmenter
    mask = predicted_mask(module, x, 2)
    objective = segment_objective(module, 2, mask)
    p = ok("sanity", image, "--model", model, "--methods", "saliency", "--target", "segment:2",
           "--seed", 4, "-o", tmp_path, "--threads", THREADS, "--json")
    s = json.loads(p.stdout)
    with torch.no_grad():
        score = float(objective(x)[0, 0])
    assert s["target"] == {"kind": "segment", "class": 2, "label": card["labels"][2],
                           "score": pytest.approx(score, rel=1e-4)}
    check_sanity_steps(s, module, objective, x, card, 4)


def test_sanity_of_similarity_holds_the_trained_models_embedding_of_the_reference(
        embedder, tmp_path):
    model, module, card, image, x, ref = embedder
    with torch.no_grad():
        reference = module(oracle.input_tensor(ref, card))[0].clone()
    objective = similarity_objective(module, reference)
    p = ok("sanity", image, "--model", model, "--methods", "saliency", "--target",
           f"similar-to:{ref}", "--seed", 2, "-o", tmp_path, "--threads", THREADS)
    assert p.stdout.startswith(f"{image}: similar to {ref} (score ")
    s = json.loads((tmp_path / "input.sanity.json").read_text())
    assert s["target"]["kind"] == "similar-to" and s["target"]["reference"] == str(ref)
    with torch.no_grad():
        assert s["target"]["score"] == pytest.approx(float(objective(x)[0, 0]), rel=1e-5)
    check_sanity_steps(s, module, objective, x, card, 2)


@heavy
def test_sanity_of_a_segment_over_a_folder_holds_each_images_own_mask(segmenter, test_models,
                                                                     tmp_path):
    """Two images in one chunk: each image's frozen mask is its own, so each
    one's numbers are those it gets alone."""
    model, module, card, image, x = segmenter
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("cat.bmp", "dragonfly.bmp"):
        oracle.resized_copy(IMAGES / name, photos / (name.split(".")[0] + ".png"), card)
    args = ("--model", model, "--methods", "saliency,gradcam", "--target", "segment:1",
            "--threads", THREADS, "--json")
    both = {json.loads(line)["image"]: json.loads(line)
            for line in ok("sanity", photos, "-o", tmp_path / "both", *args).stdout.splitlines()}
    for path, s in both.items():
        [alone] = [json.loads(ok("sanity", path, "-o", tmp_path / "alone", *args).stdout)]
        assert alone["target"] == dict(s["target"],
                                       score=pytest.approx(s["target"]["score"], rel=1e-5))
        for method in ("saliency", "gradcam"):
            for a, b in zip(alone["methods"][method]["cascading"],
                            s["methods"][method]["cascading"]):
                for k in ("spearman_abs", "spearman", "ssim"):
                    assert (a[k] is None and b[k] is None) or a[k] == pytest.approx(b[k],
                                                                                    abs=1e-4)


@pytest.mark.parametrize("args,code,message", [
    (("--target", "segment:1", "--random-logit"), 2,
     "--random-logit explains another class in the class's place; --target segment has no "
     "class to swap"),
    (("--target", "class:1"), 2, "sanity takes the class as --class N, not --target class:N"),
    (("--target", "segment:9"), 2, "out of range: the model segments classes 0 to 3"),
    ((), 2, "is a segmentation model (its card's task)")])
def test_sanity_refuses_what_a_target_cannot_do_in_one_line(args, code, message, test_models,
                                                             tmp_path):
    p = run("sanity", IMAGES / "cat.bmp", "--model", test_models / "segmenter.pt", "-o",
            tmp_path, *args)
    assert_one_line_error(p, code, message)
    assert not list(tmp_path.iterdir()), "nothing written"


def retrained_segmenter(test_models, path, scale=0.5, seed=3):
    """segmenter.pt with its classifier's weights moved, its card kept."""
    files = {"attrib.json": ""}
    module = torch.jit.load(str(test_models / "segmenter.pt"), _extra_files=files)
    last = [p for n, p in module.named_parameters() if n.endswith("weight")][-1]
    torch.manual_seed(seed)
    with torch.no_grad():
        last.add_(scale * last.abs().mean() * torch.randn_like(last))
    torch.jit.save(module, str(path), _extra_files=files)
    return path


def test_drift_of_a_segment_compares_each_models_map_of_its_own_mask(segmenter, test_models,
                                                                      tmp_path):
    """segment:CLASS under two models: each explains the pixels it gives the
    class; the maps' Pearson as numpy measures PyTorch's, each model's
    score of its segment beside it."""
    old, m_old, card, image, x = segmenter
    new = retrained_segmenter(test_models, tmp_path / "new.pt")
    m_new, _ = oracle.load(new)
    d = json.loads(ok("drift", image, "--models", f"{old},{new}", "--method", "saliency",
                      "--target", "segment:2", "-o", tmp_path / "out", "--json",
                      "--threads", THREADS).stdout)
    [r] = d["images"]
    maps, scores = [], []
    for m in (m_old, m_new):
        objective = segment_objective(m, 2, predicted_mask(m, x, 2))
        a, _, _ = oracle.saliency(objective, x, 0, THREADS)
        maps.append(a)
        with torch.no_grad():
            scores.append(float(objective(x)[0, 0]))
    assert r["target"] == {"kind": "segment", "class": 2, "label": card["labels"][2]}
    assert r["old"] == {"score": pytest.approx(scores[0], rel=1e-4)}
    assert r["new"] == {"score": pytest.approx(scores[1], rel=1e-4)}
    assert "prediction_changed" not in r and "predictions_changed" not in d["summary"]
    pearson = np.corrcoef(maps[0].ravel(), maps[1].ravel())[0, 1]
    assert r["pearson"] == pytest.approx(pearson, abs=1e-4)
    assert 0 < r["moved"] < 1


def test_drift_of_similarity_embeds_the_reference_by_each_model(embedder, test_models,
                                                                tmp_path):
    model, module, card, image, x, ref = embedder
    p = ok("drift", image, "--models", f"{model},{model}", "--method", "saliency", "--target",
           f"similar-to:{ref}", "-o", tmp_path / "out", "--threads", THREADS)
    assert p.stdout.startswith(f"1 images, saliency maps of similar to {ref}: mean Pearson "
                               "1.0000")
    d = json.loads((tmp_path / "out" / "drift.json").read_text())
    [r] = d["images"]
    with torch.no_grad():
        reference = module(oracle.input_tensor(ref, card))[0]
        cosine = float(similarity_objective(module, reference)(x)[0, 0])
    assert r["old"]["score"] == pytest.approx(cosine, rel=1e-5) and r["moved"] == 0
    assert r["target"] == {"kind": "similar-to", "reference": str(ref)}
    assert "<th>target</th><th>score old &rarr; new</th>" in (tmp_path / "out" / "drift.html").read_text()


def test_drift_refuses_a_class_target_and_a_segmenter_without_a_target(test_models, tmp_path):
    seg = test_models / "segmenter.pt"
    p = run("drift", IMAGES / "cat.bmp", "--models", f"{seg},{seg}", "-o", tmp_path)
    assert_one_line_error(p, 2, "is a segmentation model (its card's task)")
    p = run("drift", IMAGES / "cat.bmp", "--models", f"{seg},{seg}", "-o", tmp_path,
            "--target", "class:1")
    assert_one_line_error(p, 2, "drift takes the class as --class N, not --target class:N")


def test_fool_refuses_explains_target_forms_by_name(test_models, tmp_path):
    """fool's --target is the class to reach: a segment, similarity or box
    target is refused saying so, not as a malformed integer."""
    for spec in ("segment:1", "similar-to:x.npy", "box:1,2,3,4"):
        p = run("fool", IMAGES / "cat.bmp", "--model", test_models / "tiny.pt", "--target", spec,
                "-o", tmp_path)
        assert_one_line_error(p, 2, f"fool --target {spec}: fool's --target is the class to "
                              "reach (--target N); it attacks classifiers")
