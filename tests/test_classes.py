"""attrib classes: per-class views of a labelled run (--class-from-folder,
--save-raw): each class's mean maps over its images, right and wrong, and
one line for what it cannot use."""
import json
import shutil

import pytest
from PIL import Image

from conftest import IMAGES, V2, assert_one_line_error, ok, run


def saliency(folder, out, *extra):
    return run("saliency", folder, "-r", "--model", V2, "-o", out, "--batch-size", "1", *extra)


@pytest.fixture
def labelled(tmp_path):
    """A labelled folder, as torchvision's ImageFolder: class numbers and a
    label as folder names, with a picture put in the wrong class."""
    d = tmp_path / "labelled"
    layout = {"285": ["cat.bmp", "cat_720p.jpg", "hot_dog.jpg"],  # the hot dog is wrong here
              "hotdog": ["hot_dog.jpg"], "19": ["bird.bmp", "parrot.jpg"]}
    for folder, names in layout.items():
        (d / folder).mkdir(parents=True)
        for name in names:
            shutil.copy(IMAGES / name, d / folder / name)
    return d


def test_per_class_views_are_the_mean_maps_of_each_class_right_and_wrong(labelled, tmp_path):
    import numpy as np
    out = tmp_path / "run"
    p = saliency(labelled, out, "--class-from-folder", "--save-raw", "-q")
    assert p.returncode == 0, p.stderr
    ok("classes", out)
    # the oracle: each saved map over its largest magnitude, grouped in numpy
    groups = {}
    for j in out.rglob("*.saliency.json"):
        s = json.loads(j.read_text())
        cls = s["target"]["index"]
        m = np.load(s["outputs"]["raw"]).astype(np.float64)
        right = s["top"][0]["index"] == cls
        groups.setdefault(cls, {True: [], False: []})[right].append(m / np.abs(m).max())
    doc = json.loads((out / "classes" / "classes.json").read_text())
    rows = {c["class"]: c for c in doc["classes"]}
    assert set(rows) == {285, 934, 19}
    assert [c["accuracy"] for c in doc["classes"]] == sorted(c["accuracy"] for c in doc["classes"])
    for cls, g in groups.items():
        right, wrong = g[True], g[False]
        assert (rows[cls]["right"], rows[cls]["wrong"]) == (len(right), len(wrong))
        means = np.load(out / "classes" / f"{cls}.npy")
        expect = [np.mean(right + wrong, axis=0),
                  np.mean(right, axis=0) if right else np.zeros(means.shape[1:]),
                  np.mean(wrong, axis=0) if wrong else np.zeros(means.shape[1:])]
        np.testing.assert_allclose(means, np.stack(expect), rtol=1e-5, atol=1e-6)
        w, h = Image.open(out / "classes" / f"{cls}.png").size
        assert w > 3 * means.shape[2] and h > means.shape[1]
    assert rows[285]["wrong"] == 1  # the hot dog in the cat folder
    assert rows[934]["label"].startswith("hotdog")  # "hotdog" named the class by its label


def test_per_class_bad_input_gets_one_line_and_its_exit_code(tmp_path):
    labelled = tmp_path / "labelled"
    for folder, name in (("285", "cat.bmp"), ("19", "bird.bmp"), ("not-a-class", "bird.bmp")):
        (labelled / folder).mkdir(parents=True)
        shutil.copy(IMAGES / name, labelled / folder / name)
    p = saliency(labelled, tmp_path / "a", "--class-from-folder")
    assert_one_line_error(p, 2, "not-a-class", "names no class")
    p = saliency(IMAGES / "bird.bmp", tmp_path / "a", "--class-from-folder", "--class", "3")
    assert_one_line_error(p, 2, "--class-from-folder")
    shutil.rmtree(labelled / "not-a-class")
    plain = tmp_path / "plain"
    assert saliency(labelled, plain, "-q", "--save-raw").returncode == 0
    assert_one_line_error(run("classes", plain), 2, "--class-from-folder")
    no_maps = tmp_path / "no-maps"
    assert saliency(labelled, no_maps, "-q", "--class-from-folder").returncode == 0
    assert_one_line_error(run("classes", no_maps), 2, "--save-raw")
    assert_one_line_error(run("classes", tmp_path / "nothing"), 1, "summary.json")
