"""Layers: attrib finds the Grad-CAM layer by itself on every architecture
family, lists layers for users, looks where the animal is, and refuses bad
--layer values with a useful message."""
import json

import numpy as np
import pytest

from conftest import IMAGES, V1, V2, assert_one_line_error, json_lines, ok, run
from tvmodels import torchvision_model

USAGE, MODEL = 2, 3


def layers(model):
    return json_lines(ok("layers", model, "--json").stdout)


def default_layer(model):
    chosen = [l for l in layers(model) if l["default"]]
    assert len(chosen) == 1
    return chosen[0]


@pytest.mark.parametrize("model,path,shape", [(V2, "features.18", [1, 1280, 7, 7]),
                                              (V1, "features.13", [1, 768, 6, 6])])
def test_default_layer_of_the_shared_mobilenets_is_their_last_feature_map(model, path, shape):
    layer = default_layer(model)
    assert layer["path"] == path and layer["shape"] == shape


@pytest.mark.parametrize("arch", ["resnet18", "vgg11", "mobilenet_v3_small",
                                  "mobilenet_v3_large"])
@pytest.mark.parametrize("mode", ["script", "trace"])
def test_default_layer_of_torchvision_families_is_found_scripted_or_traced(arch, mode):
    _, path, expected = torchvision_model(arch, mode)
    layer = default_layer(path)
    assert layer["path"] == expected
    assert len(layer["shape"]) == 4 and layer["shape"][2] * layer["shape"][3] > 1


def test_layers_lists_paths_ops_and_shapes_and_marks_the_default():
    p = ok("layers", V2)
    lines = p.stdout.splitlines()
    assert lines[0].split() == ["layer", "op", "output", "shape", "read", "as"]
    marked = [line for line in lines if line.startswith("*")]
    assert len(marked) == 1 and "features.18" in marked[0] and "[1, 1280, 7, 7]" in marked[0]
    assert any(line.split()[0] == "classifier" and "[1, 1000]" in line for line in lines)
    assert len(lines) > 19  # every block of the network is listed


def test_layers_uses_the_default_model_without_an_argument():
    assert default_layer_from(ok("layers", "--json").stdout) == "features.18"


def default_layer_from(text):
    return [l for l in json_lines(text) if l["default"]][0]["path"]


# Hand-set boxes around the animal's head and body, in original pixels.
ANIMALS = {"cat.bmp": (285, (170, 30, 350, 230), 291),
           "bird.bmp": (19, (35, 75, 300, 265), 954)}


def ranks(a):
    r = np.empty(a.size)
    r[np.argsort(a.ravel(), kind="stable")] = np.arange(a.size)
    return r


@pytest.mark.parametrize("photo", sorted(ANIMALS))
def test_gradcam_looks_at_the_animal_and_depends_on_the_class(photo, tmp_path):
    cls, (x0, y0, x1, y1), other = ANIMALS[photo]
    s = json.loads(ok("gradcam", IMAGES / photo, "--class", cls, "--model", V2, "-o", tmp_path,
                      "--raw", tmp_path / "m.npy", "--json").stdout)
    cam = np.load(tmp_path / "m.npy")
    sx, sy = cam.shape[1] / s["image"]["width"], cam.shape[0] / s["image"]["height"]
    box = np.zeros(cam.shape, bool)
    box[int(y0 * sy):int(y1 * sy) + 1, int(x0 * sx):int(x1 * sx) + 1] = True
    hot = cam >= np.quantile(cam, 0.8)
    inside = (hot & box).sum() / hot.sum()
    assert inside >= 0.5 and inside >= 2 * box.mean(), \
        f"{inside:.0%} of the hottest 20% on the animal (box is {box.mean():.0%} of the image)"

    ok("gradcam", IMAGES / photo, "--class", other, "--model", V2, "-o", tmp_path,
       "--raw", tmp_path / "o.npy", "-q")
    rho = np.corrcoef(ranks(cam), ranks(np.load(tmp_path / "o.npy")))[0, 1]
    assert rho < 0.9, f"class {other} gives nearly the same map (Spearman {rho:.2f})"


def test_unknown_layer_is_refused_with_the_valid_ones(tmp_path):
    p = run("gradcam", IMAGES / "cat.bmp", "--model", V2, "--layer", "features.99", "-o",
            tmp_path)
    assert_one_line_error(p, USAGE, "unknown layer 'features.99'", "features.18",
                          "attrib layers")
    assert list(tmp_path.iterdir()) == []


def test_layer_without_a_feature_map_is_refused(tmp_path):
    p = run("gradcam", IMAGES / "cat.bmp", "--model", V2, "--layer", "classifier", "-o",
            tmp_path)
    assert_one_line_error(p, USAGE, "'classifier'", "not a feature map")


def test_model_without_any_feature_map_gets_a_clear_error(test_models, tmp_path):
    for method in ["gradcam", "guided-gradcam"]:
        p = run(method, IMAGES / "cat.bmp", "--model", test_models / "mlp.pt", "-o", tmp_path)
        assert_one_line_error(p, MODEL, "has no feature map [N, C, H, W] or token sequence")
    assert "no feature map or token grid" in ok("layers", test_models / "mlp.pt").stdout


def test_layer_option_belongs_to_layer_methods_only(tmp_path):
    p = run("saliency", IMAGES / "cat.bmp", "--model", V2, "--layer", "features.18")
    assert_one_line_error(p, USAGE, "--layer is not an option of saliency")


def test_guided_backprop_works_on_a_model_without_rectifier_modules(test_models, tmp_path):
    """The MLP's only ReLU is a module in a Sequential; guided backprop still runs."""
    ok("guided-backprop", IMAGES / "cat.bmp", "--model", test_models / "mlp.pt", "-o",
       tmp_path, "-q")
    assert (tmp_path / "cat.guided-backprop.rgb.png").exists()


def test_layers_of_a_broken_model_is_exit_3(test_models):
    assert_one_line_error(run("layers", test_models / "bad_text.pt"), MODEL,
                          "not a loadable model")
