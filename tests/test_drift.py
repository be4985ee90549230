"""attrib drift: a model against its successor on the same images. How far
each map moved (Pearson, IoU of the hottest pixels) and whether the
prediction changed, against PyTorch's maps and numpy's correlations; the
page of the most-moved images; the CI check's exit code."""
import json
import shutil

import numpy as np
import pytest
import torch

import oracle
from conftest import IMAGES, THREADS, V2, assert_one_line_error, ok, run

PHOTOS = ("cat.bmp", "bird.bmp", "parrot.jpg", "sunflower.bmp", "dragonfly.bmp")


def retrained(test_models, path, scale=0.3, seed=3):
    """tiny.pt with its classifier's weights moved, its card kept: a stand-in
    for a retrained model."""
    files = {"attrib.json": ""}
    module = torch.jit.load(str(test_models / "tiny.pt"), _extra_files=files)
    torch.manual_seed(seed)
    with torch.no_grad():
        w = module.classifier.weight
        w.add_(scale * w.abs().mean() * torch.randn_like(w) * 10)
    torch.jit.save(module, str(path), _extra_files=files)
    return path


def test_a_model_against_itself_moved_nothing(tmp_path, photos, test_models):
    model = test_models / "tiny.pt"
    p = ok("drift", photos, "--models", f"{model},{model}", "--method", "saliency", "-o",
           tmp_path / "out", "--max-moved", 0, "--json")
    d = json.loads(p.stdout)
    assert d["summary"]["images"] == len(PHOTOS)
    assert d["summary"]["predictions_changed"] == 0
    for r in d["images"]:
        assert r["moved"] == 0 and r["pearson"] == 1 and r["iou"] == 1, r
        assert not r["prediction_changed"]


def test_maps_moved_as_pytorch_and_numpy_measure_them(tmp_path, test_models):
    old = test_models / "tiny.pt"
    new = retrained(test_models, tmp_path / "new.pt")
    m_old, card = oracle.load(old)
    m_new, _ = oracle.load(new)
    photos = tmp_path / "photos"  # at the model's size already: both sides see the same input
    photos.mkdir()
    for name in PHOTOS:
        oracle.resized_copy(IMAGES / name, photos / (name.split(".")[0] + ".png"), card)
    p = ok("drift", photos, "--models", f"{old},{new}", "--method", "saliency", "-o",
           tmp_path / "out", "--json", "--top", 3, "--threads", THREADS)
    d = json.loads(p.stdout)
    moved = [r["moved"] for r in d["images"]]
    assert moved == sorted(moved, reverse=True), "most moved first"
    for r in d["images"]:
        x = oracle.input_tensor(r["image"], card)
        a, logits_old, top_old = oracle.saliency(m_old, x)
        b, logits_new, top_new = oracle.saliency(m_new, x, top_old)  # the old model's class
        assert r["class"] == top_old == r["old"]["index"]
        assert r["new"]["index"] == int(np.argmax(logits_new))
        assert r["prediction_changed"] == (r["new"]["index"] != top_old)
        pearson = np.corrcoef(a.ravel(), b.ravel())[0, 1]
        assert r["pearson"] == pytest.approx(pearson, abs=1e-4)
        assert r["moved"] == pytest.approx(1 - pearson, abs=1e-4)
        k = int(np.ceil(0.05 * a.size))
        ta, tb = np.sort(a.ravel())[-k], np.sort(b.ravel())[-k]
        inter = ((a >= ta) & (b >= tb)).sum()
        union = ((a >= ta) | (b >= tb)).sum()
        assert r["iou"] == pytest.approx(inter / union, abs=1e-6)
    s = d["summary"]
    assert s["mean_pearson"] == pytest.approx(np.mean([r["pearson"] for r in d["images"]]),
                                              abs=1e-5)
    assert s["predictions_changed"] == sum(r["prediction_changed"] for r in d["images"])
    assert 0 < s["most_moved"] == moved[0]
    # the page: the three most moved, each with the image and both maps
    page = (tmp_path / "out" / "drift.html").read_text()
    for r in d["images"][:3]:
        assert r["name"] in page
        for tail in (".drift-old.png", ".drift-new.png"):
            assert (tmp_path / "out" / (r["name"] + tail)).stat().st_size > 100
    for r in d["images"][3:]:
        assert not (tmp_path / "out" / (r["name"] + ".drift-old.png")).exists()


def test_max_moved_fails_ci_and_names_the_most_moved(tmp_path, photos, test_models):
    old = test_models / "tiny.pt"
    new = retrained(test_models, tmp_path / "new.pt")
    p = run("drift", photos, "--models", f"{old},{new}", "--method", "saliency", "-o",
            tmp_path / "out", "--max-moved", 0.05)
    assert_one_line_error(p, 1, "maps moved more than --max-moved 0.05", "most:")
    d = json.loads((tmp_path / "out" / "drift.json").read_text())
    assert d["summary"]["above_max_moved"] == sum(r["moved"] > 0.05 for r in d["images"]) > 0
    # a loose enough bound passes
    p = run("drift", photos, "--models", f"{old},{new}", "--method", "saliency", "-o",
            tmp_path / "out2", "--max-moved", 2)
    assert p.returncode == 0, p.stderr


def test_models_of_different_input_sizes_compare_on_the_old_grid(tmp_path):
    """MobileNetV2 (224) against MobileNetV1 (192): the new maps are resampled."""
    from conftest import V1
    p = ok("drift", IMAGES / "cat.bmp", "--models", f"{V2},{V1}", "--method", "gradcam",
           "-o", tmp_path, "--json", "--class", 285)
    r = json.loads(p.stdout)["images"][0]
    assert r["class"] == 285 and -1 <= r["pearson"] <= 1 and 0 <= r["iou"] <= 1


def test_an_unreadable_image_fails_alone(tmp_path, photos, test_models):
    model = test_models / "tiny.pt"
    (photos / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    p = run("drift", photos, "--models", f"{model},{model}", "-o", tmp_path / "out")
    assert p.returncode == 1 and "broken.png" in p.stderr
    d = json.loads((tmp_path / "out" / "drift.json").read_text())
    assert d["summary"]["images"] == len(PHOTOS)


@pytest.mark.parametrize("args,code,say", [
    (["--models", "one.pt"], 2, "--models must be OLD.pt,NEW.pt"),
    (["--models", "a.pt,b.pt,c.pt"], 2, "--models must be OLD.pt,NEW.pt"),
    ([], 2, "drift needs --models OLD.pt,NEW.pt"),
    (["--models", "MODEL,missing.pt"], 3, "missing.pt"),
    (["--models", "MODEL,MODEL", "--method", "nope"], 2, "--method: unknown method 'nope'"),
    (["--models", "MODEL,MODEL", "--method", "saliency,gradcam"], 2, "--method takes one method"),
    (["--models", "MODEL,MODEL", "--max-moved", "3"], 2, "--max-moved must be a number"),
])
def test_bad_drift_arguments_get_one_line(args, code, say, tmp_path, test_models):
    args = [a.replace("MODEL", str(test_models / "tiny.pt")) for a in args]
    p = run("drift", IMAGES / "cat.bmp", "-o", tmp_path / "out", *args)
    assert_one_line_error(p, code, say)
    assert not (tmp_path / "out").exists()
