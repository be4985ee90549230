"""attrib classviz: images the model really sees as the class (checked with
PyTorch on the saved PNG), reproducible from a seed."""
import json
import os
import signal
import subprocess
import time

import numpy as np
import pytest
import torch
from PIL import Image

import oracle
from conftest import BIN, V2, assert_one_line_error, ok, run

USAGE = 2


def classviz(out, *args, model=V2):
    return json.loads(ok("classviz", "--model", model, "-o", out, "--json", *args).stdout)


# Under the sanitizers (6x slower ascents) one class: the code path is one.
SANITIZED = os.environ.get("ATTRIB_SANITIZED") == "1"


@pytest.mark.parametrize("cls", [19] if SANITIZED else [19, 88, 285, 934])
def test_default_settings_make_an_image_the_model_calls_the_class(cls, tmp_path):
    s = classviz(tmp_path, "--class", cls)
    png = tmp_path / f"class{cls}.classviz.png"
    module, card = oracle.load(V2)
    with torch.no_grad():
        p = torch.softmax(module(oracle.input_tensor(png, card))[0], 0)
    assert float(p[cls]) >= 0.9, f"p = {float(p[cls]):.3f}"
    assert s["target"]["probability"] == pytest.approx(float(p[cls]), abs=1e-3)
    assert len(s["score_every_10_steps"]) == 20
    assert s["score_every_10_steps"][-1] > s["score_every_10_steps"][0]


def test_same_seed_same_image_other_seed_other_image(tmp_path):
    for name, seed in [("a", 3), ("b", 3), ("c", 4)]:
        classviz(tmp_path / name, "--class", 19, "--iters", 20, "--seed", seed, "--threads", 2)
    a, b, c = (Image.open(tmp_path / n / "class19.classviz.png") for n in "abc")
    assert np.array_equal(np.asarray(a), np.asarray(b))
    assert not np.array_equal(np.asarray(a), np.asarray(c))


def test_frames_scale_and_summary(tmp_path):
    s = classviz(tmp_path, "--class", 88, "--iters", 30, "--frames", tmp_path / "frames",
                 "--frame-every", 10, "--scale", 2)
    assert sorted(os.listdir(tmp_path / "frames")) == [
        "class88.step00010.png", "class88.step00020.png", "class88.step00030.png"]
    assert Image.open(tmp_path / "class88.classviz.png").size == (448, 448)
    assert s["parameters"]["iters"] == 30 and s["parameters"]["scale"] == 2
    assert s["outputs"]["frames"] == str(tmp_path / "frames")
    assert s["timings_ms"]["per_step"] > 0


def test_generated_non_square_model(test_models, tmp_path):
    # Random weights: no class to find, but plain ascent (no regularisers)
    # must climb steadily.
    s = classviz(tmp_path, "--class", 3, "--iters", 40, "--l2", 0, "--jitter", 0,
                 "--blur-every", 0, model=test_models / "tiny.pt")
    assert Image.open(tmp_path / "class3.classviz.png").size == (40, 32)
    scores = s["score_every_10_steps"] + [s["target"]["score"]]
    assert len(scores) == 5 and all(a < b for a, b in zip(scores, scores[1:])), scores


@pytest.mark.parametrize("args,message", [
    ([], "--class N"),
    (["--class", "1000"], "out of range"),
    (["--class", "x"], "--class must be an integer"),
    (["--class", "1", "--iters", "0"], "--iters"),
    (["--class", "1", "--scale", "0"], "--scale"),
    (["--class", "1", "--lr", "-1"], "--lr"),
    (["--class", "1", "photo.jpg"], "takes no image"),
])
def test_bad_options_are_refused(args, message, tmp_path):
    p = run("classviz", "--model", V2, "-o", tmp_path, *args)
    assert_one_line_error(p, USAGE, message)
    assert list(tmp_path.iterdir()) == []


def test_interrupted_ascent_leaves_no_file(tmp_path):
    p = subprocess.Popen([BIN, "classviz", "--model", str(V2), "-o", str(tmp_path), "--class",
                          "19", "--iters", "5000", "-q"], stderr=subprocess.PIPE)
    time.sleep(2.0)
    p.send_signal(signal.SIGINT)
    p.wait(timeout=60)
    assert p.returncode == -signal.SIGINT
    assert list(tmp_path.iterdir()) == []


def test_a_class_file_makes_each_class_and_a_bad_class_fails_alone(tmp_path):
    classes = tmp_path / "classes.txt"
    classes.write_text("# class\tnote\n130\tflamingo\n5000\tno such class\n\n")
    out = tmp_path / "out"
    p = run("classviz", "--class-file", classes, "--model", V2, "-o", out, "--iters", "3", "-q")
    assert p.returncode == 1
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "class 5000" in lines[0] and f"{classes} line 3" in lines[0]
    assert sorted(f.name for f in out.iterdir()) == ["class130.classviz.json",
                                                      "class130.classviz.png"]
    p = run("classviz", "--class", "5000", "--model", V2, "-o", out)
    assert p.returncode == 2 and "--class 5000 is out of range" in p.stderr
