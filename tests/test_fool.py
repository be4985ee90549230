"""attrib fool: adversarial images that really fool the model once saved as
8-bit PNGs, checked by classifying the PNG files with PyTorch."""
import json
import os
import pty
import signal
import subprocess
import time

import numpy as np
import pytest
import torch
from PIL import Image

import oracle
from conftest import BIN, IMAGES, V2, assert_one_line_error, json_lines, ok, run

USAGE = 2


def pixels(path):
    return np.asarray(Image.open(path).convert("RGB"), dtype=np.int32)


def pytorch_top1(model, png):
    module, card = oracle.load(model)
    with torch.no_grad():
        return int(module(oracle.input_tensor(png, card))[0].argmax())


def fool(image, out, *args, model=V2):
    return json_lines(ok("fool", image, "--model", model, "-o", out, "--json", *args).stdout)


# A subset of the images x targets the benchmark runs in full.
CASES = [("cat.bmp", 291), ("parrot.jpg", 6), ("bird.bmp", 954), ("hot_dog.jpg", 291),
         ("sunflower.bmp", 6)]
if os.environ.get("ATTRIB_SANITIZED") == "1":  # one code path: two photos under the sanitizers
    CASES = CASES[:2]


def test_targeted_attack_fools_the_model_with_a_small_perturbation(tmp_path):
    linfs = []
    for photo, target in CASES:
        out = tmp_path / photo
        s = fool(IMAGES / photo, out, "--target", target)[0]
        stem = photo.rsplit(".", 1)[0]
        png, original = out / f"{stem}.fool.png", out / f"{stem}.fool.original.png"
        assert s["success"] and s["final"]["index"] == target
        assert 0 < s["iterations"] <= 100
        assert pytorch_top1(V2, png) == target  # the saved file, classified independently
        assert Image.open(png).size == (224, 224) and Image.open(png).mode == "RGB"
        diff = pixels(png) - pixels(original)
        assert s["perturbation_0_255"]["linf"] == np.abs(diff).max()
        assert s["perturbation_0_255"]["l2"] == pytest.approx(np.sqrt((diff ** 2).sum()), rel=1e-4)
        assert pytorch_top1(V2, original) == s["original"]["index"]
        linfs.append(np.abs(diff).max())
    assert np.median(linfs) <= 8, f"L-infinity norms {linfs}"


def test_diff_picture_is_the_magnified_perturbation_around_grey(tmp_path):
    s = fool(IMAGES / "cat.bmp", tmp_path, "--target", 291, "--diff-scale", 20)[0]
    diff = pixels(tmp_path / "cat.fool.png") - pixels(tmp_path / "cat.fool.original.png")
    want = np.clip(np.round(127.5 + 20 * diff), 0, 255)
    assert np.abs(pixels(tmp_path / "cat.fool.diff.png") - want).max() <= 1
    assert s["outputs"]["diff"] == str(tmp_path / "cat.fool.diff.png")


@pytest.mark.parametrize("args,check", [
    (["--method", "pgd", "--target", "291", "--eps", "4"], "targeted"),
    (["--method", "pgd", "--untargeted", "--eps", "2"], "untargeted"),
    (["--method", "fgsm", "--untargeted", "--eps", "2"], "untargeted"),
])
def test_linf_attacks_stay_within_their_budget(args, check, tmp_path):
    s = fool(IMAGES / "bird.bmp", tmp_path, *args)[0]
    eps = float(args[args.index("--eps") + 1])
    diff = pixels(tmp_path / "bird.fool.png") - pixels(tmp_path / "bird.fool.original.png")
    assert np.abs(diff).max() <= eps
    assert s["success"]
    top = pytorch_top1(V2, tmp_path / "bird.fool.png")
    assert top == 291 if check == "targeted" else top != s["original"]["index"]
    if "fgsm" in args:
        assert s["iterations"] == 1 and s["max_iter"] == 1


def test_failure_is_reported_honestly(tmp_path):
    s = fool(IMAGES / "bird.bmp", tmp_path, "--method", "fgsm", "--target", 291, "--eps", 1)[0]
    assert not s["success"]
    assert s["final"]["index"] == pytorch_top1(V2, tmp_path / "bird.fool.png") != 291
    p = ok("fool", IMAGES / "bird.bmp", "--model", V2, "-o", tmp_path, "--method", "fgsm",
           "--target", 291, "--eps", 1)
    assert "NOT fooled" in p.stdout


def test_attack_on_the_generated_model(test_models, tmp_path):
    model = test_models / "tiny.pt"
    s = fool(IMAGES / "cat.bmp", tmp_path, "--untargeted", model=model)[0]
    assert s["success"]
    assert Image.open(tmp_path / "cat.fool.png").size == (40, 32)  # the model's input size


def test_summary_fields(tmp_path):
    s = fool(IMAGES / "cat.bmp", tmp_path, "--target", 291)[0]
    assert s["method"] == "fool" and s["attack"] == "iterative" and s["targeted"]
    assert s["target"]["index"] == 291 and s["target"]["label"].startswith("lion")
    assert s["original"]["index"] == 285 and 0 < s["original"]["probability"] < 1
    assert set(s["outputs"]) == {"fooling", "original", "diff", "summary"}
    assert json.loads((tmp_path / "cat.fool.json").read_text()) == s
    assert s["timings_ms"]["attack"] > 0 and s["lr"] == 0.06


@pytest.mark.parametrize("args,message", [
    (["--target", "1000"], "out of range"),
    (["--target", "abc"], "--target must be an integer"),
    (["--target", "285"], "already the predicted class"),
    ([], "--target N, or --untargeted"),
    (["--target", "1", "--untargeted"], "exclude each other"),
    (["--target", "1", "--method", "pgd", "--eps", "0"], "--eps"),
    (["--target", "1", "--method", "pgd", "--eps", "-2"], "--eps"),
    (["--target", "1", "--eps", "two"], "--eps must be a number"),
    (["--target", "1", "--lr", "x"], "--lr must be a number"),
    (["--target", "1", "--max-iter", "0"], "--max-iter"),
    (["--target", "1", "--method", "fgsm", "--max-iter", "5"], "does not apply to fgsm"),
    (["--target", "1", "--method", "cw"], "--method must be one of iterative, fgsm, pgd"),
])
def test_bad_options_are_refused(args, message, tmp_path):
    p = run("fool", IMAGES / "cat.bmp", "--model", V2, "-o", tmp_path, *args)
    assert_one_line_error(p, USAGE, message)
    assert list(tmp_path.iterdir()) == []


def test_progress_bar_only_on_a_terminal(tmp_path):
    quiet = run("fool", IMAGES / "cat.bmp", "--model", V2, "-o", tmp_path, "--target", 291)
    assert quiet.returncode == 0 and quiet.stderr == ""
    leader, follower = pty.openpty()
    p = subprocess.run([BIN, "fool", str(IMAGES / "cat.bmp"), "--model", str(V2), "-o",
                        str(tmp_path), "--target", "291"], stdout=subprocess.PIPE,
                       stderr=follower, timeout=120)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    assert p.returncode == 0
    assert b"\r" in seen and b"/100" in seen  # the bar was drawn and redrawn


def test_a_class_file_sets_each_images_target_and_a_bad_line_fails_alone(tmp_path):
    tsv = tmp_path / "targets.tsv"
    tsv.write_text(f"{IMAGES / 'cat.bmp'}\t5000\n{IMAGES / 'bird.bmp'}\t291\n")
    out = tmp_path / "out"
    p = run("fool", IMAGES / "cat.bmp", IMAGES / "bird.bmp", "--class-file", tsv, "--model", V2,
            "-o", out, "--json", "--max-iter", "30")
    assert p.returncode == 1
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "class 5000" in lines[0] and f"{tsv} line 1" in lines[0]
    (summary,) = json_lines(p.stdout)
    assert summary["image"]["path"] == str(IMAGES / "bird.bmp")
    assert summary["target"]["index"] == 291
    assert sorted(f.name for f in out.iterdir()) == [
        "bird.fool.diff.png", "bird.fool.json", "bird.fool.original.png", "bird.fool.png"]
