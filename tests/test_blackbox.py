"""Black-box methods (forward passes only): RISE against a PyTorch
re-implementation drawing the same masks from the same seed, and what a
user notices about them (same masks for every image, seeds, any model)."""
import json

import numpy as np
import pytest
import torch

import oracle
from conftest import IMAGES, V1, V2, assert_one_line_error, ok, run

THREADS = 2
TOLERANCE = 1e-4  # max abs difference, as a fraction of the reference's max |value|


def close(got, want, tol=TOLERANCE):
    err = np.abs(got - want).max() / np.abs(want).max()
    assert err <= tol, f"max abs diff {err:.2e} of the max"


def prepare(model, photo, tmp_path):
    module, card = oracle.load(model)
    image = oracle.resized_copy(IMAGES / photo, tmp_path / "input.png", card)
    return module, card, image, oracle.input_tensor(image, card)


def attrib(method, model, image, out, *args):
    s = json.loads(ok(method, image, "--model", model, "-o", out, "--raw", out / "raw.npy",
                      "--threads", THREADS, "--json", *args).stdout)
    return np.load(out / "raw.npy"), s


@pytest.mark.parametrize("which,photo,cls,args,grid,keep,baseline,kind,seed", [
    ("v2", "cat.bmp", 285, [], 7, 0.5, "zeros", "probability", 0),
    ("v1", "parrot.jpg", 88, ["--grid", 5, "--keep", 0.3, "--baseline", "black", "--objective",
                              "logit", "--seed", 7], 5, 0.3, "black", "logit", 7),
    ("tiny", "sunflower.bmp", None, ["--grid", 3], 3, 0.5, "zeros", "probability", 0)])
def test_rise_matches_pytorch_on_the_same_masks(which, photo, cls, args, grid, keep, baseline,
                                                kind, seed, test_models, tmp_path):
    model = {"v2": V2, "v1": V1}.get(which) or test_models / "tiny.pt"
    module, card, image, x = prepare(model, photo, tmp_path)
    h, w = card["input_size"]
    extra = ["--class", cls] if cls is not None else []
    got, s = attrib("rise", model, image, tmp_path, "--masks", 160, *extra, *args)
    target = s["target"]["index"]
    masks = oracle.rise_masks(160, grid, keep, h, w, seed)
    base = oracle.black(card, h, w) if baseline == "black" else torch.zeros_like(x)
    close(got, oracle.rise(module, x, target, masks, keep, base, kind, THREADS))
    assert s["objective"]["of"] == kind
    assert s["details"]["masks"] == 160 and s["details"]["grid"] == grid


def test_rise_finds_the_cat_not_the_carpet(tmp_path):
    """The expected probability is highest where the cat's head is (the box
    of the hand-drawn localisation example) and the map is a probability."""
    got, s = attrib("rise", V2, IMAGES / "cat.bmp", tmp_path, "--class", 285, "--masks", 500)
    assert 0 <= got.min() and got.max() <= 1.5
    y, x = np.unravel_index(got.argmax(), got.shape)
    assert 40 <= x <= 170 and 10 <= y <= 130, (x, y)


def test_every_image_sees_the_same_masks_and_the_seed_changes_them(tmp_path):
    a, _ = attrib("rise", V2, IMAGES / "cat.bmp", tmp_path / "a", "--masks", 64)
    ok("rise", IMAGES / "bird.bmp", IMAGES / "cat.bmp", "--model", V2, "--masks", 64,
       "--save-raw", "-o", tmp_path / "b", "--threads", THREADS)
    b = np.load(tmp_path / "b" / "cat.rise.npy")
    assert np.array_equal(a, b), "the cat's map depends on the images before it"
    c, _ = attrib("rise", V2, IMAGES / "cat.bmp", tmp_path / "c", "--masks", 64, "--seed", 1)
    assert not np.allclose(a, c)


@pytest.mark.parametrize("args,fragment", [
    (["--masks", "0"], "--masks must be"), (["--grid", "1"], "--grid must be"),
    (["--keep", "1"], "--keep must be"), (["--keep", "0"], "--keep must be")])
def test_rise_refuses_settings_that_mean_nothing(args, fragment, tmp_path):
    p = run("rise", IMAGES / "cat.bmp", "--model", V2, "-o", tmp_path, *args)
    assert_one_line_error(p, 2, fragment)
