"""attrib predict on models that are not classifiers: a segmenter's mask (an
indexed PNG of the classes, PASCAL VOC's palette) and each class's share of
the pixels, an embedder's vector and its norm, a detector's boxes after
non-maximum suppression - each as PyTorch and numpy compute them on the
same weights; and what such a model needs that its card does not say."""
import json

import numpy as np
import pytest
import torch
from PIL import Image

import oracle
from conftest import IMAGES, THREADS, assert_one_line_error, ok, run

PHOTOS = ["cat.bmp", "dragonfly.bmp"]


def voc_palette():
    """PASCAL VOC's label colour map, from its devkit's bit-interleaving."""
    pal = []
    for k in range(256):
        r = g = b = 0
        c = k
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        pal += [r, g, b]
    return pal


def at_input_size(model, photo, tmp_path):
    module, card = oracle.load(model)
    image = oracle.resized_copy(IMAGES / photo, tmp_path / f"{photo[:-4]}.png", card)
    return module, card, image, oracle.input_tensor(image, card)


@pytest.mark.parametrize("photo", PHOTOS)
def test_predict_writes_a_segmenters_mask_and_each_class_share(photo, test_models, tmp_path):
    model = test_models / "segmenter.pt"
    module, card, image, x = at_input_size(model, photo, tmp_path)
    with torch.no_grad():
        labels = module(x).argmax(1)[0].numpy()
    out = tmp_path / "out"
    s = json.loads(ok("predict", image, "--model", model, "-o", out, "--json",
                      "--threads", THREADS).stdout)
    assert s["task"] == "segmentation" and s["mask_size"] == list(labels.shape)
    mask = Image.open(s["mask"])
    assert mask.mode == "P" and mask.getpalette()[:12] == voc_palette()[:12]
    assert np.array_equal(np.asarray(mask), labels)  # the palette's indices are the classes
    counts = np.bincount(labels.ravel(), minlength=4)
    want = sorted((k for k in range(4) if counts[k]), key=lambda k: (-counts[k], k))
    assert [c["index"] for c in s["classes"]] == want
    for c in s["classes"]:
        assert c["pixels"] == counts[c["index"]] and c["label"] == card["labels"][c["index"]]
        assert c["share"] == pytest.approx(counts[c["index"]] / labels.size)


def test_a_model_returning_masks_without_a_task_is_taken_as_a_segmenter(test_models, tmp_path):
    model = test_models / "segmenter_nocard.pt"
    p = run("predict", IMAGES / "cat.bmp", "--model", model, "-o", tmp_path, "--threads", THREADS)
    assert p.returncode == 0, p.stderr
    assert "returns masks [N, 4, 112, 112] and its card names no task: taken as a segmentation " \
           "model" in p.stderr
    assert (tmp_path / "cat.mask.png").exists()


def test_predict_writes_an_embedders_vector_and_its_norm(test_models, tmp_path):
    model = test_models / "embedder.pt"
    module, card, image, x = at_input_size(model, "cat.bmp", tmp_path)
    with torch.no_grad():
        want = module(x)[0].numpy()
    s = json.loads(ok("predict", image, "--model", model, "-o", tmp_path / "out", "--json",
                      "--threads", THREADS).stdout)
    got = np.load(s["embedding"])
    assert s["task"] == "embedding" and s["size"] == 8 and got.shape == (8,)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert s["norm"] == pytest.approx(float(np.linalg.norm(want)), rel=1e-5)
    p = ok("predict", image, "--model", model, "-o", tmp_path / "out", "--threads", THREADS)
    assert "embedding of 8 values, norm" in p.stdout


def detections(y, layout, card):
    h, w = card["input_size"]
    if layout == "yolo":
        t = y.T
        xywh, probs = t[:, :4], t[:, 4:]
    else:
        c = y.shape[1] - 5
        probs = torch.softmax(y[:, :c + 1].double(), 1)[:, :c].float()
        xywh = y[:, c + 1:] * torch.tensor([w, h, w, h])
    boxes = torch.cat([xywh[:, :2] - xywh[:, 2:] / 2, xywh[:, :2] + xywh[:, 2:] / 2], 1)
    scores, labels = probs.max(1)
    return boxes.numpy(), scores.numpy(), labels.numpy()


def iou(a, b):
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    inter = max(w, 0) * max(h, 0)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0


def nms(boxes, scores, labels, min_score, threshold):
    """Greedy per-class suppression, best first (ties by anchor)."""
    order = [i for i in sorted(range(len(scores)), key=lambda i: (-scores[i], i))
             if scores[i] >= min_score]
    kept = []
    for i in order:
        if all(labels[k] != labels[i] or iou(boxes[k], boxes[i]) <= threshold for k in kept):
            kept.append(i)
    return kept


@pytest.mark.parametrize("layout,score,overlap", [("yolo", 0.25, 0.45), ("yolo", 0.5, 0.2),
                                                  ("detr", 0.25, 0.45)])
def test_predict_lists_a_detectors_boxes_after_non_maximum_suppression(layout, score, overlap,
                                                                      test_models, tmp_path):
    model = test_models / f"{layout}.pt"
    module, card, image, x = at_input_size(model, "cat.bmp", tmp_path)
    with torch.no_grad():
        boxes, scores, labels = detections(module(x)[0], layout, card)
    kept = nms(boxes, scores, labels, score, overlap)
    s = json.loads(ok("predict", image, "--model", model, "-o", tmp_path / "out", "--json",
                      "--score-threshold", score, "--iou", overlap, "--top", 1000,
                      "--threads", THREADS).stdout)
    got = s["detections"]
    assert s["task"] == "detection" and len(got) == len(kept) > 0
    for d, i in zip(got, kept):
        assert d["index"] == labels[i] and d["label"] == card["labels"][labels[i]]
        assert d["score"] == pytest.approx(float(scores[i]), rel=1e-5)
        x1, y1, x2, y2 = boxes[i]
        np.testing.assert_allclose(d["input_box"], [x1, y1, x2 - x1, y2 - y1], rtol=1e-4,
                                   atol=1e-4)
    picture = Image.open(s["picture"])
    assert picture.size == Image.open(image).size


def test_a_detectors_boxes_are_given_in_the_photos_pixels(test_models, tmp_path):
    """The photo is twice the model's input: the boxes drawn and listed are
    the input's scaled by two (and clipped to the photo)."""
    model = test_models / "yolo.pt"
    module, card = oracle.load(model)
    h, w = card["input_size"]
    big = tmp_path / "big.png"
    Image.open(IMAGES / "cat.bmp").convert("RGB").resize((2 * w, 2 * h), Image.BILINEAR).save(big)
    s = json.loads(ok("predict", big, "--model", model, "-o", tmp_path, "--json",
                      "--threads", THREADS).stdout)
    for d in s["detections"]:
        x, y, bw, bh = d["input_box"]
        x0, y0 = max(0, 2 * x), max(0, 2 * y)
        x1, y1 = min(2 * w, 2 * (x + bw)), min(2 * h, 2 * (y + bh))
        np.testing.assert_allclose(d["box"], [x0, y0, x1 - x0, y1 - y0], atol=1e-3)
    assert Image.open(s["picture"]).size == (2 * w, 2 * h)


def test_a_detector_without_its_cards_layout_is_refused_before_any_image(test_models, tmp_path):
    (tmp_path / "det.json").write_text(json.dumps({"task": "detection", "input_size": [32, 40]}))
    (tmp_path / "det.pt").write_bytes((test_models / "yolo_nocard.pt").read_bytes())
    p = run("predict", IMAGES / "cat.bmp", "--model", tmp_path / "det.pt", "-o", tmp_path / "out")
    assert_one_line_error(p, 3, "its card does not say how its output holds the boxes")
    assert not (tmp_path / "out").exists()


def test_an_unreadable_photo_fails_alone_among_a_segmenters_images(test_models, tmp_path):
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    p = run("predict", tmp_path / "broken.png", IMAGES / "cat.bmp", "--model",
            test_models / "segmenter.pt", "-o", tmp_path / "out", "--threads", THREADS)
    assert p.returncode == 1 and "broken.png" in p.stderr
    assert (tmp_path / "out" / "cat.mask.png").exists()
    assert not (tmp_path / "out" / "broken.mask.png").exists()
