"""Multi-label models (the card says "output": "sigmoid"): a probability
per class, the classes present at a threshold, and explanations of any
class's sigmoid probability - against PyTorch on the same weights."""
import json

import numpy as np
import pytest
import torch

import oracle
from conftest import IMAGES, THREADS, V2, assert_one_line_error, ok, run

TOLERANCE = 1e-4


def close(got, want, tol=TOLERANCE):
    err = np.abs(got - want).max() / np.abs(want).max()
    assert err <= tol, f"max abs diff {err:.2e} of the max"


@pytest.fixture
def multilabel(test_models, tmp_path):
    path = test_models / "multilabel.pt"
    module, card = oracle.load(path)
    image = oracle.resized_copy(IMAGES / "sunflower.bmp", tmp_path / "input.png", card)
    x = oracle.input_tensor(image, card)
    with torch.no_grad():
        logits = module(x)[0].double()
    return path, module, card, image, x, logits


def test_predict_shows_every_class_present_with_its_sigmoid_probability(multilabel):
    path, _, _, image, _, logits = multilabel
    p = torch.sigmoid(logits).numpy()
    got = json.loads(ok("predict", image, "--model", path, "--json", "--top", 1).stdout)
    present = [int(i) for i in np.argsort(-p) if p[i] >= 0.5]
    assert len(present) > 1, "the test model has several classes present"
    assert got["output"] == "sigmoid" and got["threshold"] == 0.5
    assert got["present"] == present
    # every present class is listed even though --top is 1
    assert [c["index"] for c in got["top"]] == present
    for c in got["top"]:
        assert c["probability"] == pytest.approx(p[c["index"]], abs=1e-6) and c["present"]
    strict = json.loads(ok("predict", image, "--model", path, "--json", "--threshold",
                           0.9).stdout)
    assert strict["present"] == [i for i in present if p[i] >= 0.9]
    text = ok("predict", image, "--model", path, "--top", 10).stdout.splitlines()[1:]
    assert sum(line.endswith("+") for line in text) == len(present)


@pytest.mark.parametrize("kind,f", [("probability", torch.sigmoid),
                                    ("log-probability", torch.nn.functional.logsigmoid)])
def test_an_explanation_of_a_multilabel_class_is_of_its_sigmoid(multilabel, kind, f, tmp_path):
    """Not a softmax: another class's evidence does not lower this one's."""
    path, module, _, image, x, logits = multilabel
    cls = 3
    xg = x.clone().requires_grad_(True)
    torch.set_num_threads(THREADS)
    f(module(xg)[0, cls]).backward()
    want = (xg.grad[0] * x[0]).numpy()
    s = json.loads(ok("input-x-gradient", image, "--model", path, "--class", cls, "--objective",
                      kind, "-o", tmp_path, "--raw", tmp_path / "raw.npy", "--threads", THREADS,
                      "--json").stdout)
    close(np.load(tmp_path / "raw.npy"), want)
    assert s["objective"]["value"] == pytest.approx(float(f(logits[cls])), rel=1e-5)
    assert s["target"]["probability"] == pytest.approx(float(torch.sigmoid(logits[cls])),
                                                       abs=1e-6)


def test_eval_curves_of_a_multilabel_model_are_sigmoid_probabilities(multilabel, tmp_path):
    path, _, _, image, _, logits = multilabel
    ok("eval", image, "--model", path, "--class", 2, "--methods", "saliency", "--steps", 4,
       "-o", tmp_path)
    curves = json.loads((tmp_path / "input.eval.json").read_text())
    deletion = curves["methods"]["saliency"]["deletion"]
    assert deletion[0] == pytest.approx(float(torch.sigmoid(logits[2])), abs=1e-5)


def test_threshold_on_a_single_label_model_is_refused(tmp_path):
    p = run("predict", IMAGES / "cat.bmp", "--model", V2, "--threshold", 0.5)
    assert_one_line_error(p, 2, "--threshold is for multi-label models",
                          'does not say "output": "sigmoid"')


def test_a_card_with_an_unknown_output_is_refused(test_models):
    p = run("predict", IMAGES / "cat.bmp", "--model", test_models / "bad_card_output.pt")
    assert_one_line_error(p, 3, '"output" must be "softmax"', '"sigmoid"')
