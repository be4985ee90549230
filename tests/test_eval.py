"""attrib eval: deletion/insertion curves and their areas, checked against
the same curves computed with PyTorch from the same map; the table, the JSON,
the plot and the folder summary a user reads."""
import json

import numpy as np
import pytest
from PIL import Image

import oracle
from conftest import IMAGES, THREADS, V2, assert_one_line_error, ok, run, stderr_on_a_terminal



def test_curves_match_pytorch_on_the_same_map(tmp_path):
    module, card = oracle.load(V2)
    image = oracle.resized_copy(IMAGES / "cat.bmp", tmp_path / "cat.png", card)
    x = oracle.input_tensor(image, card)
    ok("saliency", image, "--model", V2, "--class", 285, "--raw", tmp_path / "s.npy",
       "-o", tmp_path / "sal", "--threads", THREADS, "-q")
    (dele, dauc), (ins, iauc) = oracle.deletion_insertion(module, x, np.load(tmp_path / "s.npy"),
                                                          285, 10, THREADS)
    p = ok("eval", image, "--model", V2, "--class", 285, "--methods", "saliency", "--steps", 10,
           "-o", tmp_path / "ev", "--threads", THREADS, "--json")
    s = json.loads(p.stdout)
    m = s["methods"]["saliency"]
    assert len(m["deletion"]) == len(m["insertion"]) == 11
    assert np.abs(np.array(m["deletion"]) - dele).max() < 1e-3
    assert np.abs(np.array(m["insertion"]) - ins).max() < 1e-3
    assert abs(m["deletion_auc"] - dauc) < 1e-3 and abs(m["insertion_auc"] - iauc) < 1e-3
    # the curves start from the image (deletion) and end at it (insertion)
    assert abs(m["deletion"][0] - s["target"]["probability"]) < 1e-3
    assert abs(m["insertion"][-1] - s["target"]["probability"]) < 1e-3


def test_table_plot_and_json_for_one_image(tmp_path):
    p = ok("eval", IMAGES / "bird.bmp", "--model", V2, "--methods", "random,gradcam,saliency",
           "--steps", 20, "-o", tmp_path, "--threads", THREADS)
    lines = p.stdout.splitlines()
    assert lines[0].startswith(str(IMAGES / "bird.bmp") + ": class 19")
    assert "deletion AUC" in lines[1] and "insertion AUC" in lines[1]
    rows = {l.split()[0]: (float(l.split()[1]), float(l.split()[2])) for l in lines[2:5]}
    assert set(rows) == {"random", "gradcam", "saliency"}
    # an attribution beats a random order on a clear photo: faster deletion, faster insertion
    assert rows["gradcam"][0] < rows["random"][0] and rows["gradcam"][1] > rows["random"][1]
    png = Image.open(tmp_path / "bird.eval.png")
    assert png.size[0] >= 700 and png.size[1] >= 300
    px = np.asarray(png.convert("RGB")).reshape(-1, 3)
    assert len(np.unique(px, axis=0)) >= 6, "the plot has no coloured curves"
    j = json.loads((tmp_path / "bird.eval.json").read_text())
    assert j["methods"]["gradcam"]["deletion_auc"] == pytest.approx(rows["gradcam"][0], abs=1e-4)


def test_a_folder_gives_mean_and_spread_per_method(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    for name in ("cat.bmp", "bird.bmp", "parrot.jpg"):
        (d / name).symlink_to(IMAGES / name)
    (d / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really")
    p = run("eval", d, "--model", V2, "--methods", "random,gradcam", "--steps", 10, "-o",
            tmp_path / "out", "--threads", THREADS)
    assert p.returncode == 1, p.stderr  # one image failed, the rest done
    assert "broken.jpg" in p.stderr
    s = json.loads((tmp_path / "out" / "eval-summary.json").read_text())
    assert s["images"] == 3
    per = [json.loads((tmp_path / "out" / f"{n}.eval.json").read_text())
           for n in ("cat", "bird", "parrot")]
    for method in ("random", "gradcam"):
        aucs = [j["methods"][method]["deletion_auc"] for j in per]
        assert s["methods"][method]["deletion_auc_mean"] == pytest.approx(np.mean(aucs), abs=1e-5)
        assert s["methods"][method]["deletion_auc_std"] == pytest.approx(np.std(aucs, ddof=1),
                                                                         abs=1e-5)
    assert "3 images: mean (standard deviation)" in p.stdout


@pytest.mark.parametrize("args,code,fragment", [
    (["--methods", "saliency,bogus"], 2, "unknown method 'bogus'"),
    (["--methods", "saliency,saliency"], 2, "given twice"),
    (["--methods", ""], 2, "--methods needs a value"),
    (["--steps", "0"], 2, "--steps"),
    (["--class", "5000"], 2, "--class"),
    (["--internal-batch", "0"], 2, "--internal-batch"),
])
def test_bad_eval_options_get_one_line_and_write_nothing(args, code, fragment, tmp_path):
    p = run("eval", IMAGES / "cat.bmp", "--model", V2, "-o", tmp_path / "o", *args)
    assert_one_line_error(p, code, fragment)
    assert not list((tmp_path / "o").glob("*.eval.*")) if (tmp_path / "o").exists() else True


def test_each_method_takes_its_own_options_in_the_methods_list(tmp_path):
    """integrated-gradients:steps=..., occlusion:window=...: the options reach
    the method (a window as large as the input hides everything at once, so
    occlusion's map is flat) and name the method in the outputs."""
    spec = "occlusion:window=224:stride=1"
    p = ok("eval", IMAGES / "cat.bmp", "--model", V2, "-o", tmp_path, "--steps", "5",
           "--methods", f"saliency,{spec},occlusion,gradcam:variant=gradcam++")
    j = json.loads((tmp_path / "cat.eval.json").read_text())
    assert list(j["methods"]) == ["saliency", spec, "occlusion", "gradcam:variant=gradcam++"]
    assert "flat map" in j["methods"][spec]["warning"]
    assert "warning" not in j["methods"]["occlusion"]
    assert spec in p.stdout


@pytest.mark.parametrize("methods,fragment", [
    ("integrated-gradients:steps=0", "--methods integrated-gradients:steps must be an integer"),
    ("integrated-gradients:stpes=3", "unknown option 'stpes' (did you mean steps?)"),
    ("smoothgrad:variant=median", "smoothgrad:variant must be one of smoothgrad, squared"),
    ("saliency:steps=3", "saliency has no options of its own"),
    ("random:seed=1", "random takes no options"),
    ("gradcam++:variant=scorecam", "unknown option 'variant'"),
])
def test_bad_per_method_options_are_refused_before_anything_runs(methods, fragment, tmp_path):
    p = run("eval", IMAGES / "cat.bmp", "--model", V2, "-o", tmp_path / "o", "--methods", methods)
    assert_one_line_error(p, 2, fragment)
    assert not (tmp_path / "o").exists()


def test_the_help_lists_the_methods_from_the_methods_table():
    text = ok("eval", "--help").stdout
    assert "Methods: random, saliency, input-x-gradient, integrated-gradients" in text
    assert "Default set: random, saliency" in text and "scorecam" in text


def test_eval_of_one_image_shows_its_methods_done_while_it_runs(tmp_path):
    # a folder run has its line over images; one image, over its methods
    args = ["eval", IMAGES / "cat.bmp", "--model", V2, "-o", tmp_path, "--threads", THREADS,
            "--methods", "saliency,gradcam,smoothgrad,integrated-gradients"]
    seen, _, rc = stderr_on_a_terminal(args, stdout_too=True)
    assert rc == 0 and b"/4" in seen and b"ETA" in seen, seen[-300:]
    # the line is wiped before the table, which starts a line of its own
    assert b"\r\x1b[K" + str(IMAGES / "cat.bmp").encode() + b": class 285" in seen, seen[-600:]
    seen, _, rc = stderr_on_a_terminal([*args, "-q"])
    assert rc == 0 and seen == b""
