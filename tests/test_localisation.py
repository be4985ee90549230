"""eval --boxes / --masks: localisation scores of each method against where
the object is - pointing game, energy-based pointing game, relevance mass
and rank accuracy, IoU of the hottest pixels - computed again in numpy from
the method's own map (attrib METHOD --raw) and a mask built here from the
boxes; boxes and masks follow the image's resize and crop."""
import json
import math

import numpy as np
import pytest
from PIL import Image

from conftest import IMAGES, V2, assert_one_line_error, ok, run

CAT_BOX = (150, 20, 250, 321)    # x, y, w, h in cat.bmp's 512x341 pixels
BIRD_BOX = (60, 80, 200, 240)
WIDE_BOX = (30, 20, 300, 321)    # sticks out of the centre crop
SCORES = ("energy", "mass", "rank", "iou")


def model_mask(box, region, h, w):
    """1 where a model pixel's centre, in the original image, is in the box."""
    rx, ry, rw, rh = region["x"], region["y"], region["width"], region["height"]
    cx = rx + (np.arange(w) + 0.5) * rw / w
    cy = ry + (np.arange(h) + 0.5) * rh / h
    bx, by, bw, bh = box
    return ((cy[:, None] >= by) & (cy[:, None] < by + bh) &
            (cx[None, :] >= bx) & (cx[None, :] < bx + bw))


def scores(m, mask, tol=15.0, top=5.0):
    """The scores from their papers' definitions, in numpy."""
    h, w = m.shape
    y0, x0 = np.unravel_index(np.argmax(m), m.shape)  # the first maximum
    yy, xx = np.mgrid[0:h, 0:w]
    near = (yy - y0) ** 2 + (xx - x0) ** 2 <= tol * tol
    e = (m - m.min()) / (m.max() - m.min())
    r = np.maximum(m, 0)
    k = int(mask.sum())
    order = np.argsort(-m.ravel(), kind="stable")[:k]
    t = np.sort(m.ravel())[::-1][math.ceil(top / 100 * m.size) - 1]
    hot = m >= t
    return {"pointing_hit": int((near & mask).any()), "energy": e[mask].sum() / e.sum(),
            "mass": r[mask].sum() / r.sum(), "rank": mask.ravel()[order].mean(),
            "iou": (hot & mask).sum() / (hot | mask).sum()}


def raw_map(method, image, out, *args):
    p = ok(method, image, "--model", V2, "-o", out, "--raw", out / "m.npy", "--json", *args)
    return np.load(out / "m.npy"), json.loads(p.stdout)


def eval_json(image, out, *args):
    p = ok("eval", image, "--model", V2, "-o", out, "--json", "--steps", 5, *args)
    return [json.loads(line) for line in p.stdout.splitlines()]


def box_csv(path, rows):
    path.write_text("path,x,y,w,h,class\n" + "".join(",".join(map(str, r)) + "\n" for r in rows))
    return path


@pytest.mark.parametrize("resize", ["stretch", "crop"])
def test_scores_match_numpy_on_the_methods_own_maps(resize, tmp_path):
    boxes = box_csv(tmp_path / "boxes.csv", [("cat.bmp", *WIDE_BOX, 285)])
    [e] = eval_json(IMAGES / "cat.bmp", tmp_path / "eval", "--methods", "saliency,gradcam",
                    "--boxes", boxes, "--class", 285, "--resize", resize)
    for method in ("saliency", "gradcam"):
        m, s = raw_map(method, IMAGES / "cat.bmp", tmp_path / method, "--class", 285,
                       "--resize", resize)
        # with crop the model saw x from 85 to 426: the box's left part is not scored
        mask = model_mask(WIDE_BOX, s["preprocessing"]["region"], *m.shape)
        want, got = scores(m, mask), e["methods"][method]["localisation"]
        assert got["pointing_hit"] == want["pointing_hit"]
        for k in SCORES:
            assert got[k] == pytest.approx(want[k], abs=1e-5), (method, k)


def test_masks_coco_and_csv_describe_the_same_object_alike(tmp_path):
    """An integer box, as CSV, as COCO JSON and as a mask PNG, gives the same
    mask on the model's grid, hence the same scores."""
    csv = box_csv(tmp_path / "b.csv", [("cat.bmp", *CAT_BOX, 285), ("bird.bmp", *BIRD_BOX, 19)])
    coco = tmp_path / "b.json"
    coco.write_text(json.dumps({
        "images": [{"id": 7, "file_name": "cat.bmp", "width": 512, "height": 341},
                   {"id": 9, "file_name": "bird.bmp", "width": 512, "height": 343}],
        "annotations": [{"id": 1, "image_id": 7, "bbox": list(CAT_BOX), "category_id": 17},
                        {"id": 2, "image_id": 9, "bbox": list(BIRD_BOX), "category_id": 16}]}))
    masks = tmp_path / "masks"
    masks.mkdir()
    for name, box, size in (("cat", CAT_BOX, (512, 341)), ("bird", BIRD_BOX, (512, 343))):
        a = np.zeros(size[::-1], np.uint8)
        x, y, w, h = box
        a[y:y + h, x:x + w] = 255
        Image.fromarray(a).save(masks / f"{name}.png")
    images = [IMAGES / "cat.bmp", IMAGES / "bird.bmp"]
    runs = {}
    for kind, arg in (("csv", ["--boxes", csv]), ("coco", ["--boxes", coco]),
                      ("masks", ["--masks", masks])):
        p = ok("eval", *images, "--model", V2, "-o", tmp_path / kind, "--json", "--steps", 5,
               "--methods", "saliency,random", *arg)
        runs[kind] = {r["image"]: r["methods"] for r in map(json.loads, p.stdout.splitlines())}
    assert runs["csv"] == runs["coco"] == runs["masks"]
    summary = json.loads((tmp_path / "csv" / "eval-summary.json").read_text())
    loc = summary["methods"]["saliency"]["localisation"]
    hits = [runs["csv"][str(i)]["saliency"]["localisation"]["pointing_hit"] for i in images]
    assert loc["pointing_accuracy"] == pytest.approx(np.mean(hits))
    masses = [runs["csv"][str(i)]["saliency"]["localisation"]["mass"] for i in images]
    assert loc["mass_mean"] == pytest.approx(np.mean(masses), abs=1e-6)
    assert loc["mass_sd"] == pytest.approx(np.std(masses, ddof=1), abs=1e-6)


def test_min_pointing_and_min_mass_fail_ci_for_the_methods_below(tmp_path):
    boxes = box_csv(tmp_path / "b.csv", [("cat.bmp", *CAT_BOX, 285)])
    args = ["--methods", "random,saliency,gradcam", "--boxes", boxes, "--class", 285]
    [e] = eval_json(IMAGES / "cat.bmp", tmp_path / "a", *args)
    mass = {m: v["localisation"]["mass"] for m, v in e["methods"].items()}
    bar = (mass["saliency"] + mass["gradcam"]) / 2  # one passes, the other not
    low = min(("saliency", "gradcam"), key=mass.get)
    p = run("eval", IMAGES / "cat.bmp", "--model", V2, "-o", tmp_path / "b", "--steps", 5,
            "--min-mass", bar, *args)
    assert_one_line_error(p, 1, "localisation check failed over 1 image", f"{low} (mass")
    assert "random" not in p.stderr  # the chance level is not judged
    p = run("eval", IMAGES / "cat.bmp", "--model", V2, "-o", tmp_path / "c", "--steps", 5,
            "--min-mass", min(mass["saliency"], mass["gradcam"]) / 2, "--min-pointing", 0, *args)
    assert p.returncode == 0, p.stderr


def test_a_golden_of_eval_keeps_the_localisation_scores(tmp_path):
    boxes = box_csv(tmp_path / "b.csv", [("cat.bmp", *CAT_BOX, 285)])
    ok("golden", "update", tmp_path / "g", "--", "eval", IMAGES / "cat.bmp", "--model", V2,
       "--methods", "saliency", "--steps", "5", "--boxes", boxes)
    values = json.loads((tmp_path / "g" / "values.json").read_text())
    kept = next(iter(values.values()))
    for k in ("pointing_hit", "energy", "mass", "rank", "iou"):
        assert f"methods.saliency.localisation.{k}" in kept
    assert ok("golden", "check", tmp_path / "g").returncode == 0


@pytest.mark.parametrize("rows,say", [
    ([("cat.bmp", 10, 10, 0, 50, 285)], "the box has zero area (0x50)"),
    ([("cat.bmp", 400, 10, 200, 50, 285)], "lies outside the 512x341 image"),
    ([("cat.bmp", 10, 10, 50, 50, 3)], "has no box for class 285"),
    ([("dog.bmp", 10, 10, 50, 50, 285)], "has no box for it"),
])
def test_a_bad_box_fails_its_image_alone(rows, say, tmp_path):
    boxes = box_csv(tmp_path / "b.csv", rows + [("bird.bmp", *BIRD_BOX, 285)])
    p = run("eval", IMAGES / "cat.bmp", IMAGES / "bird.bmp", "--model", V2, "-o", tmp_path / "o",
            "--steps", 5, "--methods", "saliency", "--boxes", boxes, "--class", 285, "--json")
    assert p.returncode == 1
    errors = [line for line in p.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and say in errors[0] and "cat.bmp" in errors[0], p.stderr
    assert [json.loads(line)["image"] for line in p.stdout.splitlines()] == [
        str(IMAGES / "bird.bmp")]
    if rows[0][0] == "dog.bmp":  # a row for an image that is not an input: one warning
        assert "1 row name images that are not among the inputs" in p.stderr


def test_a_box_outside_what_the_model_saw_is_refused(tmp_path):
    boxes = box_csv(tmp_path / "b.csv", [("cat.bmp", 0, 0, 60, 60, 285)])
    p = run("eval", IMAGES / "cat.bmp", "--model", V2, "-o", tmp_path / "o", "--steps", 5,
            "--methods", "saliency", "--boxes", boxes, "--resize", "crop")
    assert_one_line_error(p, 1, "no box lies in the part of the image the model saw")


def test_bad_masks_fail_their_image_with_one_line(tmp_path):
    masks = tmp_path / "m"
    masks.mkdir()
    Image.fromarray(np.zeros((10, 10), np.uint8) + 255).save(masks / "cat.png")
    grey = np.zeros((343, 512), np.uint8)
    grey[:, :100], grey[:, 100:200] = 255, 128
    Image.fromarray(grey).save(masks / "bird.png")
    for image, say in (("cat.bmp", "is 10x10, the image 512x341"), ("bird.bmp", "is not binary"),
                       ("parrot.jpg", "no mask")):
        p = run("eval", IMAGES / image, "--model", V2, "-o", tmp_path / "o", "--steps", 5,
                "--methods", "saliency", "--masks", masks)
        assert_one_line_error(p, 1, say)


def test_a_coco_file_without_the_image_fails_it_alone(tmp_path):
    coco = tmp_path / "c.json"
    coco.write_text(json.dumps({"images": [{"id": 1, "file_name": "bird.bmp"}],
                                "annotations": [{"image_id": 1, "bbox": list(BIRD_BOX)}]}))
    p = run("eval", IMAGES / "cat.bmp", "--model", V2, "-o", tmp_path / "o", "--steps", 5,
            "--methods", "saliency", "--boxes", coco)
    assert_one_line_error(p, 1, "the COCO file", "has no image of that name")


@pytest.mark.parametrize("args,say", [
    (["--boxes", "B", "--masks", "."], "give --boxes or --masks, not both"),
    (["--min-pointing", "0.5"], "--min-pointing and --min-mass need --boxes or --masks"),
    (["--boxes", "BAD"], "line 2: expected path,x,y,w,h[,class]"),
    (["--boxes", "COCO"], "is not a COCO instances file"),
    (["--boxes", "missing.csv"], "missing.csv"),
])
def test_bad_ground_truth_options_get_one_line_and_exit_2(args, say, tmp_path):
    good = box_csv(tmp_path / "b.csv", [("cat.bmp", *CAT_BOX, 285)])
    bad = tmp_path / "bad.csv"
    bad.write_text("cat.bmp,1,2,3,4\ncat.bmp,1,2\n")
    coco = tmp_path / "c.json"
    coco.write_text('{"images": []}')
    args = [{"B": str(good), "BAD": str(bad), "COCO": str(coco)}.get(a, a) for a in args]
    p = run("eval", IMAGES / "cat.bmp", "--model", V2, "-o", tmp_path / "o", *args)
    assert_one_line_error(p, 2, say)
    assert not (tmp_path / "o").exists()
