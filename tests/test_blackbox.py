"""Black-box methods (forward passes only): RISE against a PyTorch
re-implementation drawing the same masks from the same seed, and what a
user notices about them (same masks for every image, seeds, any model)."""
import json
import os

import numpy as np
import pytest
import torch

import oracle
from conftest import (IMAGES, THREADS, V1, V2, assert_one_line_error, ok, run,
                      stderr_on_a_terminal)

TOLERANCE = 1e-4  # max abs difference, as a fraction of the reference's max |value|
# Under the sanitizers (C code checked, libtorch not) the real-model cases
# add passes, not code paths: the test model's cases cover them.
SANITIZED = os.environ.get("ATTRIB_SANITIZED") == "1"


def real_models_unless_sanitized(cases):
    return [c for c in cases if c[0] == "tiny"] if SANITIZED else cases


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


@pytest.mark.parametrize("which,photo,cls,args,grid,keep,baseline,kind,seed",
                         real_models_unless_sanitized([
    ("v2", "cat.bmp", 285, [], 7, 0.5, "zeros", "probability", 0),
    ("v1", "parrot.jpg", 88, ["--grid", 5, "--keep", 0.3, "--baseline", "black", "--objective",
                              "logit", "--seed", 7], 5, 0.3, "black", "logit", 7),
    ("tiny", "sunflower.bmp", None, ["--grid", 3], 3, 0.5, "zeros", "probability", 0)]))
def test_rise_matches_pytorch_on_the_same_masks(which, photo, cls, args, grid, keep, baseline,
                                                kind, seed, test_models, tmp_path):
    model = {"v2": V2, "v1": V1}.get(which) or test_models / "tiny.pt"
    module, card, image, x = prepare(model, photo, tmp_path)
    h, w = card["input_size"]
    extra = ["--class", cls] if cls is not None else []
    got, s = attrib("rise", model, image, tmp_path, "--masks", 96, *extra, *args)
    target = s["target"]["index"]
    masks = oracle.rise_masks(96, grid, keep, h, w, seed)
    base = oracle.black(card, h, w) if baseline == "black" else torch.zeros_like(x)
    close(got, oracle.rise(module, x, target, masks, keep, base, kind, THREADS))
    assert s["objective"]["of"] == kind
    assert s["details"]["masks"] == 96 and s["details"]["grid"] == grid


@pytest.mark.skipif(SANITIZED, reason="a real model's passes only (see SANITIZED)")
def test_rise_finds_the_cat_not_the_carpet(tmp_path):
    """The expected probability is highest around the cat's head and the
    map is a probability."""
    got, s = attrib("rise", V2, IMAGES / "cat.bmp", tmp_path, "--class", 285, "--masks", 250)
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


def segments_of(tmp_path, name, method):
    return np.load(tmp_path / f"{name}.{method}.segments.npy").astype(np.int64)


@pytest.mark.parametrize("which,photo,cls,segments", real_models_unless_sanitized([
    ("v2", "cat.bmp", 285, 30), ("tiny", "sunflower.bmp", 4, 12)]))
def test_kernel_shap_is_weighted_least_squares_on_the_same_coalitions(which, photo, cls, segments,
                                                                      test_models, tmp_path):
    """numpy's lstsq on attrib's superpixels and coalitions (redrawn here
    from the seed), the model's logits from PyTorch: the same Shapley
    estimates, and they add up to score(image) - score(baseline)."""
    model = {"v2": V2}.get(which) or test_models / "tiny.pt"
    module, card, image, x = prepare(model, photo, tmp_path)
    got, s = attrib("kernel-shap", model, image, tmp_path, "--class", cls, "--segments", segments,
                    "--samples", 80, "--save-raw")
    seg = segments_of(tmp_path, "input", "kernel-shap")
    m = s["details"]["segments"]
    assert seg.max() + 1 == m and abs(m - segments) <= segments // 2
    z = oracle.kernel_shap_draws(80, m, 0)
    y, _ = oracle.superpixel_scores(module, x, torch.zeros_like(x), seg, z, cls, THREADS)
    w = np.where((z.sum(1) == 0) | (z.sum(1) == m), 1e6, 1.0)
    coef, intercept = oracle.weighted_least_squares(z, y, w)
    close(got, coef[seg])
    assert s["details"]["intercept"] == pytest.approx(intercept, rel=1e-4, abs=1e-4)
    assert coef.sum() == pytest.approx(y[0] - y[1], rel=1e-4)


def test_lime_without_lasso_is_the_cosine_weighted_least_squares(test_models, tmp_path):
    module, card, image, x = prepare(V2, "bird.bmp", tmp_path)
    got, s = attrib("lime", V2, image, tmp_path, "--class", 19, "--segments", 25, "--samples", 100,
                    "--lasso-alpha", 0, "--kernel-width", 0.5, "--seed", 3, "--save-raw")
    seg = segments_of(tmp_path, "input", "lime")
    m = s["details"]["segments"]
    z = oracle.lime_draws(100, m, 3)
    y, cos = oracle.superpixel_scores(module, x, torch.zeros_like(x), seg, z, 19, THREADS)
    w = np.exp(-(1 - cos) ** 2 / (2 * 0.5 ** 2))
    coef, _ = oracle.weighted_least_squares(z, y, w)
    close(got, coef[seg])


def test_lime_and_kernel_shap_are_captums_on_the_same_superpixels_and_samples(tmp_path):
    """Captum's own Lime (its default cosine kernel and SkLearnLasso(alpha
    0.01), converged tighter than scikit-learn's default tol so that both
    reach the optimum) and KernelShap (SkLearnLinearRegression, weights 10^6
    on the all and none coalitions), given attrib's superpixels as the
    feature mask and attrib's samples as the perturbations (the 2.x test
    venv has Captum and scikit-learn)."""
    captum_attr = pytest.importorskip("captum.attr")
    linear = pytest.importorskip("captum._utils.models.linear_model")
    module, card, image, x = prepare(V2, "cat.bmp", tmp_path)
    torch.set_num_threads(THREADS)
    for method in ("lime", "kernel-shap"):
        got, s = attrib(method, V2, image, tmp_path, "--class", 285, "--segments", 20,
                        "--samples", 80, "--save-raw")
        seg = segments_of(tmp_path, "input", method)
        m = s["details"]["segments"]
        z = (oracle.lime_draws if method == "lime" else oracle.kernel_shap_draws)(80, m, 0)
        rows = iter(torch.from_numpy(z).long()[:, None])
        mask = torch.from_numpy(seg)[None, None].expand(1, 3, *seg.shape)
        if method == "lime":
            peer = captum_attr.Lime(module, interpretable_model=linear.SkLearnLasso(
                alpha=0.01, tol=1e-12, max_iter=1000000), perturb_func=lambda *a, **k: next(rows))
        else:
            def coalitions(*args, **kwargs):
                yield from rows
            peer = captum_attr.KernelShap(module)
            peer.perturb_func = coalitions
        want = peer.attribute(x, baselines=0.0, target=285, feature_mask=mask, n_samples=80)
        close(got, want[0, 0].detach().numpy())


@pytest.mark.parametrize("method", ["lime", "kernel-shap"])
@pytest.mark.parametrize("args,fragment", [
    (["--segments", "0"], "--segments must be an integer from 2 to"),
    (["--segments", "1"], "--segments must be an integer from 2 to"),
    (["--samples", "0"], "--samples must be"),
    (["--compactness", "0"], "--compactness must be")])
def test_superpixel_settings_that_mean_nothing_are_refused(method, args, fragment, tmp_path):
    p = run(method, IMAGES / "cat.bmp", "--model", V2, "-o", tmp_path, *args)
    assert_one_line_error(p, 2, fragment)
    assert not list(tmp_path.iterdir())


def test_more_segments_than_pixels_is_refused_before_any_work(test_models, tmp_path):
    """The test model's input is 40x32 = 1280 pixels."""
    p = run("lime", IMAGES / "cat.bmp", "--model", test_models / "tiny.pt", "--segments", 2000,
            "-o", tmp_path / "out")
    assert_one_line_error(p, 2, "--segments 2000 is more than the model's input has pixels (40x32)")
    assert not (tmp_path / "out").exists()


def test_superpixels_follow_the_image_and_are_written_beside_the_raw_map(tmp_path):
    """About --segments superpixels, each one connected region, numbered
    0..N-1; the map is constant on each (one coefficient per superpixel)."""
    got, s = attrib("kernel-shap", V2, IMAGES / "cat.bmp", tmp_path, "--segments", 40,
                    "--samples", 60)
    seg = np.load(tmp_path / "cat.kernel-shap.segments.npy")
    m = int(seg.max()) + 1
    assert m == s["details"]["segments"] and 20 <= m <= 60
    assert set(np.unique(seg)) == set(range(m))
    for k in range(m):
        assert np.ptp(got[seg == k]) == 0


def test_a_long_single_image_run_shows_its_passes_while_it_runs(tmp_path):
    # RISE of 400 masks, 4 a pass, takes seconds: a line of passes done,
    # rate and time left, redrawn, before the end; nothing with -q
    args = ["rise", IMAGES / "cat.bmp", "--model", V2, "-o", tmp_path, "--masks", 400,
            "--internal-batch", 4, "--threads", THREADS]
    seen, live, rc = stderr_on_a_terminal(args)
    assert rc == 0 and live, seen[-300:]
    assert b"/400" in seen and b"ETA" in seen and b"\r" in seen
    seen, live, rc = stderr_on_a_terminal([*args, "-q"])
    assert rc == 0 and seen == b""
    # a log (not a terminal) gets a line now and then, as folder runs do
    p = ok(*args, "--log-every", 0.01)
    assert "rise: " in p.stderr and "/400" in p.stderr


def test_a_run_shorter_than_a_second_draws_no_progress(tmp_path):
    # 16 passes: done before a line would help
    seen, live, rc = stderr_on_a_terminal(["rise", IMAGES / "cat.bmp", "--model", V2, "-o",
                                           tmp_path, "--masks", 16, "--threads", THREADS])
    assert rc == 0 and seen == b""
