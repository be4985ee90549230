"""gradcam, guided-backprop and guided-gradcam compute what independent
PyTorch implementations compute: node-by-node evaluation of the TorchScript
graph in Python for the shared models and the generated one, forward hooks and
ReLU-module swapping on eager torchvision models."""
import json

import numpy as np
import pytest
import torch

import oracle
from conftest import IMAGES, V1, V2, ok
from tvmodels import torchvision_model

THREADS = 2        # same kernels on both sides (see test_saliency_oracle.py)
TOLERANCE = 1e-4   # max abs difference, as a fraction of the map's max |value|


def close(got, want):
    err = np.abs(got - want).max() / np.abs(want).max()
    assert err <= TOLERANCE, f"max abs diff {err:.2e} of the max"


def attrib(method, model, image, out, *args):
    s = json.loads(ok(method, image, "--model", model, "-o", out, "--raw", out / "raw.npy",
                      "--threads", THREADS, "--json", *args).stdout)
    return np.load(out / "raw.npy"), s


def input_at_model_size(model, photo, tmp_path):
    module, card = oracle.load(model)
    image = oracle.resized_copy(IMAGES / photo, tmp_path / "input.png", card)
    return module, card, image, oracle.input_tensor(image, card)


@pytest.mark.parametrize("model,photo,cls,layer", [
    (V2, "cat.bmp", 285, "features.18"), (V2, "bird.bmp", None, "features.18"),
    (V1, "parrot.jpg", 88, "features.13"), (V1, "dragonfly.bmp", None, "features.13")])
def test_gradcam_of_the_default_layer_matches_the_graph_oracle(model, photo, cls, layer, tmp_path):
    module, card, image, x = input_at_model_size(model, photo, tmp_path)
    want, target = oracle.gradcam_at_global_pool(module, x, cls, THREADS)
    extra = ["--class", cls] if cls is not None else []
    full, s = attrib("gradcam", model, image, tmp_path, *extra)
    assert s["layer"]["path"] == layer
    assert s["target"]["index"] == target
    low = np.array(s["layer"]["map"])
    assert low.shape == want.shape == tuple(s["layer"]["shape"][1:])
    close(low, want)
    h, w = card["input_size"]
    close(full, oracle.upsample(want, h, w))


@pytest.mark.parametrize("model,photo,cls", [(V2, "cat.bmp", 285), (V2, "hot_dog.jpg", None),
                                             (V1, "bird.bmp", 19), ("tiny", "sunflower.bmp", 4)])
def test_guided_backprop_matches_the_graph_oracle(model, photo, cls, test_models, tmp_path):
    model = test_models / "tiny.pt" if model == "tiny" else model
    module, card, image, x = input_at_model_size(model, photo, tmp_path)
    want, target = oracle.guided_backprop(module, x, cls, THREADS)
    extra = ["--class", cls] if cls is not None else []
    got, s = attrib("guided-backprop", model, image, tmp_path, *extra)
    assert got.shape == want.shape == (3, *card["input_size"])
    assert s["target"]["index"] == target
    close(got, want)
    assert s["outputs"]["rgb"].endswith("input.guided-backprop.rgb.png")


def test_guided_backprop_differs_from_the_plain_gradient(tmp_path):
    module, card, image, x = input_at_model_size(V2, "cat.bmp", tmp_path)
    guided, _ = attrib("guided-backprop", V2, image, tmp_path, "--class", 285)
    plain, _, _ = oracle.saliency(module, x, 285, THREADS)
    r = np.corrcoef(np.abs(guided).max(0).ravel(), plain.ravel())[0, 1]
    assert r < 0.9, f"guided backprop looks like the plain gradient (r={r:.3f})"


def test_guided_gradcam_is_guided_backprop_times_upsampled_gradcam(tmp_path):
    module, card, image, x = input_at_model_size(V2, "cat.bmp", tmp_path)
    guided, _ = oracle.guided_backprop(module, x, 285, THREADS)
    cam, _ = oracle.gradcam_at_global_pool(module, x, 285, THREADS)
    want = guided * oracle.upsample(cam, 224, 224)[None]
    got, s = attrib("guided-gradcam", V2, image, tmp_path, "--class", 285)
    close(got, want)
    assert s["layer"]["path"] == "features.18"
    # The Grad-CAM part is exactly what gradcam itself reports.
    _, alone = attrib("gradcam", V2, image, tmp_path / "alone", "--class", 285)
    assert s["layer"]["map"] == alone["layer"]["map"]


@pytest.mark.parametrize("arch,layer,mode", [("resnet18", None, "script"),
                                             ("resnet18", "layer3", "trace"),
                                             ("resnet18", "layer4.0.conv2", "script"),
                                             ("vgg11", None, "trace")])
def test_gradcam_on_torchvision_models_matches_forward_hooks(arch, layer, mode, tmp_path):
    eager, path, default = torchvision_model(arch, mode)
    _, card, image, x = input_at_model_size(path, "cat.bmp", tmp_path)
    want, target = oracle.gradcam_eager(eager, layer or default, x, None, THREADS)
    full, s = attrib("gradcam", path, image, tmp_path, *(["--layer", layer] if layer else []))
    assert s["layer"]["path"] == (layer or default)
    assert s["target"]["index"] == target
    close(np.array(s["layer"]["map"]), want)


@pytest.mark.parametrize("arch", ["resnet18", "vgg11"])
def test_guided_backprop_on_torchvision_models_matches_relu_swapping(arch, tmp_path):
    eager, path, _ = torchvision_model(arch, "script")
    _, card, image, x = input_at_model_size(path, "bird.bmp", tmp_path)
    want, target = oracle.guided_backprop_eager(eager, x, 3, THREADS)
    got, s = attrib("guided-backprop", path, image, tmp_path, "--class", 3)
    close(got, want)
