"""attrib saliency computes what PyTorch autograd computes, on real and
generated models: the numbers, not just the picture."""
import json

import numpy as np
import pytest

import oracle
from conftest import IMAGES, THREADS, V1, V2, ok

# Both sides run libtorch with the same intra-op thread count: oneDNN picks
# its convolution kernels by thread count, and on MobileNetV1 a different
# kernel's rounding flips ReLU6 units at their edges (~1% of the map's max).
TOLERANCE = 1e-4  # max abs difference, as a fraction of the map's max


def attrib_saliency(model, image, out, cls=None):
    args = ["saliency", image, "--model", model, "-o", out, "--raw", out / "map.npy",
            "--threads", THREADS, "--json"]
    if cls is not None:
        args += ["--class", cls]
    summary = json.loads(ok(*args).stdout)
    return np.load(out / "map.npy"), summary


CASES = [  # model, photo, class (None: the predicted one)
    ("v2", "cat.bmp", 285),
    ("v2", "bird.bmp", None),
    ("v2", "hot_dog.jpg", 291),
    ("v1", "cat.bmp", None),
    ("v1", "parrot.jpg", 88),
    ("tiny", "cat.bmp", 3),
    ("tiny", "dragonfly.bmp", None),
    ("tiny_traced", "sunflower.bmp", 7),
]


@pytest.mark.parametrize("which,photo,cls", CASES)
def test_saliency_map_matches_pytorch_autograd(which, photo, cls, test_models, tmp_path):
    model = {"v2": V2, "v1": V1}.get(which) or test_models / f"{which}.pt"
    module, card = oracle.load(model)
    image = oracle.resized_copy(IMAGES / photo, tmp_path / "input.png", card)
    want, logits, target = oracle.saliency(module, oracle.input_tensor(image, card), cls, THREADS)

    got, summary = attrib_saliency(model, image, tmp_path, cls)

    assert got.shape == want.shape == tuple(card["input_size"])
    assert summary["target"]["index"] == target
    assert summary["target"]["predicted"] == (cls is None)
    assert abs(summary["target"]["score"] - logits[target]) <= 1e-4 * max(1, abs(logits[target]))
    err = np.abs(got - want).max() / want.max()
    assert err <= TOLERANCE, f"max abs diff {err:.2e} of the map's max"
    assert summary["map"]["max"] == pytest.approx(float(want.max()), rel=1e-4)
    assert summary["map"]["mean"] == pytest.approx(float(want.mean()), rel=1e-4)


def test_summary_statistics_describe_the_raw_map(tmp_path):
    got, s = attrib_saliency(V2, IMAGES / "bird.bmp", tmp_path)
    assert s["map"]["shape"] == [224, 224]
    assert s["map"]["min"] == pytest.approx(float(got.min()), rel=1e-5, abs=1e-12)
    top = s["map"]["top"]
    k = int(np.ceil(0.05 * got.size))
    threshold = np.sort(got.ravel())[-k]
    assert top["threshold"] == pytest.approx(float(threshold), rel=1e-6)
    hot = got >= threshold
    assert top["pixels"] == int(hot.sum())
    assert top["pixels"] >= 0.05 * got.size
    ys, xs = np.nonzero(hot)
    assert top["bbox"] == {"x": int(xs.min()), "y": int(ys.min()),
                           "width": int(xs.max() - xs.min() + 1),
                           "height": int(ys.max() - ys.min() + 1)}
    w = got[hot] - got.min()
    assert top["center_of_mass"]["x"] == pytest.approx(float((w * xs).sum() / w.sum()), rel=1e-4)
    assert top["center_of_mass"]["y"] == pytest.approx(float((w * ys).sum() / w.sum()), rel=1e-4)


@pytest.mark.parametrize("photo,which", [("cat.bmp", "v2"), ("squat.bmp", "v1"),
                                         ("grace_hopper.bmp", "tiny")])
def test_photo_of_any_size_is_resized_like_pil_bilinear_then_explained(
        photo, which, test_models, tmp_path):
    """Off the input size attrib resizes itself: antialiased bilinear in
    float, which PIL computes independently in its 'F' mode. (Lossless
    photos only: stb_image and libjpeg decode JPEG to slightly different
    pixels, and saliency maps are sensitive to that.)"""
    model = {"v2": V2, "v1": V1}.get(which) or test_models / f"{which}.pt"
    module, card = oracle.load(model)
    want, _, target = oracle.saliency(module, oracle.resized_float(IMAGES / photo, card),
                                      None, THREADS)
    got, summary = attrib_saliency(model, IMAGES / photo, tmp_path)
    assert summary["target"]["index"] == target
    # The two resamplers sum in a different order, so inputs differ by
    # ~1e-7; on MobileNetV1 that flips a few ReLU6 units at their edges
    # (float32 against float64 autograd differs as much), so the check here
    # is correlation rather than max difference.
    r = np.corrcoef(got.ravel(), want.ravel())[0, 1]
    assert r >= 0.999, f"Pearson r = {r:.6f}"
