"""Golden-heatmap regression: compare tells a re-run from a real change
(another class, another layer, another model), golden update/check make it
two commands for CI, and this project's own heatmaps are checked against the
goldens committed in tests/golden."""
import json
import os
import shutil

import numpy as np
import pytest

from conftest import IMAGES, ROOT, THREADS, V1, V2, assert_one_line_error, ok, run

GOLDEN = ROOT / "tests" / "golden"


def maps(out, *args, method="gradcam"):
    ok(method, IMAGES / "cat.bmp", IMAGES / "bird.bmp", "--model", V2, "-o", out, "-q",
       "--save-raw", "--threads", THREADS, *args)
    return out


def compare(a, b, *args):
    return run("compare", a, b, "--json", *args)


def verdict(p):
    return json.loads(p.stdout)


def test_a_rerun_of_the_same_command_passes(tmp_path):
    a, b = maps(tmp_path / "a"), maps(tmp_path / "b")
    p = compare(a, b)
    assert p.returncode == 0, p.stdout
    v = verdict(p)
    assert v["passed"] == 2 and v["failed"] == 0
    assert all(x["pearson"] > 0.999999 and x["iou"] == 1 for x in v["pairs"])


@pytest.mark.parametrize("change", [["--class", "291"], ["--layer", "features.14"]])
def test_another_class_or_layer_is_caught(change, tmp_path):
    a, b = maps(tmp_path / "a"), maps(tmp_path / "b", *change)
    p = compare(a, b)
    assert p.returncode == 1
    v = verdict(p)
    assert v["failed"] == 2
    assert all(x["pearson"] < 0.95 for x in v["pairs"])


def test_heatmap_pngs_compare_when_there_are_no_raw_maps(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for d, cls in [(a, "285"), (b, "285")]:
        ok("gradcam", IMAGES / "cat.bmp", "--class", cls, "--model", V2, "-o", d, "-q")
    assert compare(a, b).returncode == 0
    p = compare(a / "cat.gradcam.png", b / "cat.gradcam.png")
    assert p.returncode == 0 and verdict(p)["pairs"][0]["max_abs"] == 0
    ok("gradcam", IMAGES / "cat.bmp", "--class", "291", "--model", V2, "-o", b, "-q")
    assert compare(a, b).returncode == 1


def test_missing_and_extra_maps_fail_with_their_names(tmp_path):
    a, b = maps(tmp_path / "a"), maps(tmp_path / "b")
    os.remove(b / "cat.gradcam.npy")
    shutil.copy(a / "bird.gradcam.npy", b / "extra.gradcam.npy")
    p = run("compare", a, b)
    assert p.returncode == 1
    assert "FAIL cat.gradcam.npy" in p.stdout and "missing from the new run" in p.stdout
    assert "FAIL extra.gradcam.npy" in p.stdout and "not in the golden set" in p.stdout
    assert p.stdout.strip().endswith("1 passed, 2 failed")


def test_a_map_file_whose_header_lies_about_its_shape_fails_by_name(tmp_path):
    """A .npy cut short after its header (or edited): its header's shape no
    longer holds its values, and the pair fails saying so; nothing is read
    past the file's end."""
    a, b = maps(tmp_path / "a"), maps(tmp_path / "b")
    cut = (b / "cat.gradcam.npy").read_bytes()[:-400]
    (b / "cat.gradcam.npy").write_bytes(cut)
    p = run("compare", a, b)
    assert p.returncode == 1 and p.stderr == ""
    assert "FAIL cat.gradcam.npy" in p.stdout
    assert "its header's shape does not match its 50076 values" in p.stdout
    assert p.stdout.strip().endswith("1 passed, 1 failed")


def test_metrics_are_what_numpy_says(tmp_path):
    rng = np.random.default_rng(0)
    a = rng.random((30, 40), dtype=np.float32)
    b = (a + 0.05 * rng.random((30, 40), dtype=np.float32)).astype(np.float32)
    np.save(tmp_path / "a.npy", a)
    np.save(tmp_path / "b.npy", b)
    x = verdict(compare(tmp_path / "a.npy", tmp_path / "b.npy"))["pairs"][0]
    assert x["max_abs"] == pytest.approx(np.abs(a - b).max() / np.abs(a).max(), rel=1e-5)
    assert x["mean_abs"] == pytest.approx(np.abs(a - b).mean() / np.abs(a).max(), rel=1e-4)
    assert x["pearson"] == pytest.approx(np.corrcoef(a.ravel(), b.ravel())[0, 1], abs=1e-9)
    ra, rb = (np.argsort(np.argsort(m.ravel())) for m in (a, b))
    assert x["spearman"] == pytest.approx(np.corrcoef(ra, rb)[0, 1], abs=1e-9)
    k = int(np.ceil(0.05 * a.size))
    top_a = a.ravel() >= np.sort(a.ravel())[-k]
    top_b = b.ravel() >= np.sort(b.ravel())[-k]
    assert x["iou"] == pytest.approx((top_a & top_b).sum() / (top_a | top_b).sum())


def test_tolerance_options_decide(tmp_path):
    a, b = maps(tmp_path / "a"), maps(tmp_path / "b", "--class", "291")
    assert compare(a, b, "--max-abs", "10", "--mean-abs", "10", "--min-pearson", "-1",
                   "--min-spearman", "-1", "--min-iou", "0").returncode == 0
    assert_one_line_error(run("compare", a, b, "--min-pearson", "2"), 2, "--min-pearson")
    assert_one_line_error(run("compare", a), 2, "golden and a new")
    assert_one_line_error(run("compare", a, b / "cat.gradcam.npy"), 2, "two files or two")
    assert_one_line_error(run("compare", tmp_path / "nope", b), 1, "cannot open")


def test_golden_update_then_check_is_the_ci_workflow(tmp_path):
    golden = tmp_path / "golden"
    cmd = ["gradcam", str(IMAGES / "cat.bmp"), str(IMAGES / "bird.bmp"), "--model", str(V2),
           "--threads", "2"]
    ok("golden", "update", golden, "--", *cmd)
    assert sorted(os.listdir(golden)) == ["bird.gradcam.npy", "cat.gradcam.npy", "golden.json"]
    assert json.loads((golden / "golden.json").read_text())["command"] == cmd
    p = ok("golden", "check", golden)
    assert p.stdout.strip().endswith("2 passed, 0 failed")
    p = run("golden", "check", golden, "--json", "--", "--model", V1)  # a different model
    assert p.returncode == 1 and json.loads(p.stdout)["failed"] == 2
    assert_one_line_error(run("golden", "check", tmp_path), 2, "no golden.json")
    assert_one_line_error(run("golden", "update", golden, "--", "layers", "x.pt"), 2,
                          "needs an attribution command")


GOLDEN_SETS = sorted(p.name for p in GOLDEN.iterdir() if (p / "golden.json").exists())


@pytest.mark.parametrize("name", GOLDEN_SETS)
def test_our_heatmaps_match_the_committed_goldens(name, test_models):
    """With golden check's default tolerances, as a user's CI would run it.
    The goldens were recorded with 2 threads on an Intel AVX-512 CPU; on an
    AMD EPYC its kernels flip a few of MobileNetV2's ReLU6 units on their
    kinks, which moves the saliency map's worst pixel by 3.3e-3 of its max
    (mean 2.9e-5, Pearson 0.999998) and Grad-CAM's by 2e-6: the defaults'
    1e-2 for one pixel, 1e-4 on average, while a changed class, layer or
    model moves them by far more than 0.1 (above)."""
    extra = ["--", "--model", str(test_models / "tiny.pt")] if name.startswith("tiny") else []
    p = run("golden", "check", GOLDEN / name, "--diffs", test_models.parent / "golden-diffs",
            *extra, cwd=ROOT)
    assert p.returncode == 0, p.stdout + p.stderr


def test_golden_check_extra_options_replace_the_recorded_ones(tmp_path):
    """A recorded command with its own -o and --model: check takes the -o it
    needs and the --model given after --, instead of refusing a second value."""
    golden = tmp_path / "golden"
    cmd = ["saliency", str(IMAGES / "cat.bmp"), "--model", str(V1), "-o", str(tmp_path / "x")]
    ok("golden", "update", golden, *cmd)
    assert ok("golden", "check", golden, "--", "--model", V1).stdout.strip().endswith(
        "1 passed, 0 failed")
    p = run("golden", "check", golden, "--json", "--", "--model", V2)
    assert p.returncode == 1 and json.loads(p.stdout)["failed"] == 1
