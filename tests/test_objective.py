"""--objective (logit, probability, log-probability) and --versus (a
contrast: why class A rather than B) change what every method explains:
gradients of the chosen objective (PyTorch autograd on the same weights),
forward-only methods' scores, integrated gradients' completeness, and the
JSON that records it. Bad requests get one line."""
import json

import numpy as np
import pytest
import torch

import oracle
from conftest import IMAGES, THREADS, V2, assert_one_line_error, ok, run

TOLERANCE = 1e-4  # max abs difference, as a fraction of the reference's max |value|
CAT, TABBY = 285, 281  # cat.bmp: Egyptian cat (p 0.78) against tabby (p 0.11)


def close(got, want, tol=TOLERANCE):
    err = np.abs(got - want).max() / np.abs(want).max()
    assert err <= tol, f"max abs diff {err:.2e} of the max"


@pytest.fixture(scope="module")
def cat(tmp_path_factory):
    module, card = oracle.load(V2)
    image = oracle.resized_copy(IMAGES / "cat.bmp", tmp_path_factory.mktemp("in") / "cat.png",
                                card)
    return module, image, oracle.input_tensor(image, card)


def attrib(method, image, out, *args):
    s = json.loads(ok(method, image, "--model", V2, "-o", out, "--raw", out / "raw.npy",
                      "--threads", THREADS, "--json", *args).stdout)
    return np.load(out / "raw.npy"), s


def input_gradient(module, x, kind, versus, target=CAT):
    torch.set_num_threads(THREADS)
    x = x.clone().requires_grad_(True)
    logits = module(x)
    oracle.objective(logits, target, kind, versus).backward()
    return x.grad[0].numpy(), logits.detach()


@pytest.mark.parametrize("kind", ["logit", "probability", "log-probability"])
@pytest.mark.parametrize("versus", [None, TABBY])
def test_saliency_is_the_gradient_of_the_chosen_objective(cat, kind, versus, tmp_path):
    module, image, x = cat
    want, logits = input_gradient(module, x, kind, versus)
    extra = ["--versus", versus] if versus is not None else []
    got, s = attrib("input-x-gradient", image, tmp_path, "--class", CAT, "--objective", kind,
                    *extra)
    close(got, x[0].numpy() * want)
    value = float(oracle.objective(logits, CAT, kind, versus))
    assert s["objective"]["of"] == kind
    assert s["objective"]["value"] == pytest.approx(value, rel=1e-4, abs=1e-6)
    if versus is None:
        assert "versus" not in s["objective"]
    else:
        assert s["objective"]["versus"]["index"] == TABBY
        assert s["objective"]["versus"]["label"].startswith("tabby")


def test_a_probability_map_differs_from_the_logit_map(cat, tmp_path):
    """Softmax's gradient subtracts every class's gradient weighted by its
    probability: with a runner-up at p 0.11 the maps are not proportional."""
    _, image, _ = cat
    logit, _ = attrib("saliency", image, tmp_path, "--class", CAT)
    prob, _ = attrib("saliency", image, tmp_path, "--class", CAT, "--objective", "probability")
    r = np.corrcoef(logit.ravel(), prob.ravel())[0, 1]
    assert r < 0.99, f"the probability map is the logit map rescaled (r={r:.4f})"


def test_gradcam_contrast_uses_the_gradient_of_the_difference(cat, tmp_path):
    module, image, x = cat
    torch.set_num_threads(THREADS)
    with torch.enable_grad():
        logits, act = oracle.interpret(module, x, tap_global_pool=True)
        (grad,) = torch.autograd.grad(oracle.objective(logits, CAT, "logit", TABBY), act)
    want = (grad[0].mean(dim=(1, 2), keepdim=True) * act[0].detach()).sum(0).numpy()
    _, s = attrib("gradcam", image, tmp_path, "--class", CAT, "--versus", TABBY,
                  "--sign", "signed")
    got = np.array(s["layer"]["map"])
    close(got, want)
    assert (want < 0).any() and (want > 0).any(), "the contrast has both signs here"


def test_occlusion_scores_the_probability_drop(cat, tmp_path):
    module, image, x = cat
    got, _ = attrib("occlusion", image, tmp_path, "--class", CAT, "--objective", "probability",
                    "--window", 48, "--stride", 32)
    close(got, oracle.occlusion(module, x, CAT, 48, 32, torch.zeros_like(x), THREADS,
                                kind="probability"))


def test_integrated_gradients_are_complete_for_the_probability(cat, tmp_path):
    """Completeness holds for whatever is differentiated: the attributions
    add up to p(image) - p(baseline), which attrib reports beside them."""
    module, image, x = cat
    got, s = attrib("integrated-gradients", image, tmp_path, "--class", CAT, "--objective",
                    "probability", "--steps", 64)
    d = s["details"]
    base = oracle.black(oracle.load(V2)[1], 224, 224)
    with torch.no_grad():
        p_image = torch.softmax(module(x), 1)[0, CAT].item()
        p_base = torch.softmax(module(base), 1)[0, CAT].item()
    assert d["score_difference"] == pytest.approx(p_image - p_base, abs=1e-5)
    assert d["baseline_score"] == pytest.approx(p_base, abs=1e-5)
    assert abs(got.sum() - (p_image - p_base)) <= 0.05 * abs(p_image - p_base)


def test_versus_equal_to_class_is_refused(cat, tmp_path):
    _, image, _ = cat
    p = run("saliency", image, "--model", V2, "--class", CAT, "--versus", CAT, "-o", tmp_path)
    assert_one_line_error(p, 2, "--versus 285 is the class explained")
    assert not list(tmp_path.iterdir())


def test_versus_out_of_range_is_refused(cat, tmp_path):
    _, image, _ = cat
    p = run("saliency", image, "--model", V2, "--versus", 1000, "-o", tmp_path)
    assert_one_line_error(p, 2, "--versus 1000 is out of range")


def test_an_image_predicted_as_the_versus_class_fails_alone(tmp_path):
    """bird.bmp is not predicted as an Egyptian cat; cat.bmp is: it alone
    fails, the run goes on and the report records it."""
    out = tmp_path / "out"
    p = run("saliency", IMAGES / "cat.bmp", IMAGES / "bird.bmp", "--model", V2,
            "--versus", CAT, "-o", out)
    assert p.returncode == 1, p.stderr
    errors = [l for l in p.stderr.splitlines() if "error" in l]
    assert len(errors) == 1 and "cat.bmp: the predicted class is 285, the --versus class" in errors[0]
    assert (out / "bird.saliency.png").exists() and not (out / "cat.saliency.png").exists()
    summary = json.loads((out / "summary.json").read_text())
    failed = [r for r in summary["images"] if r["status"] == "failed"]
    assert [r["name"] for r in failed] == ["cat"] and "--versus" in failed[0]["error"]


def test_a_class_file_line_equal_to_versus_fails_alone(tmp_path):
    classes = tmp_path / "classes.tsv"
    classes.write_text(f"{IMAGES / 'cat.bmp'}\t{TABBY}\n{IMAGES / 'bird.bmp'}\t{CAT}\n")
    p = run("saliency", IMAGES / "cat.bmp", IMAGES / "bird.bmp", "--model", V2,
            "--versus", TABBY, "--class-file", classes, "-o", tmp_path / "out")
    assert p.returncode == 1
    assert "cat.bmp: class 281 (" in p.stderr and "is --versus" in p.stderr
    assert (tmp_path / "out" / "bird.saliency.png").exists()
