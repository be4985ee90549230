"""Signed maps and comparable scales: --sign picks which part of a signed
attribution a map shows, --scale which values the colour map's ends stand
for (each image, the whole run, or fixed numbers), --colorbar writes that on
the pictures. The maps' numbers against PyTorch on the same weights
(tests/oracle.py); the pictures read back pixel by pixel."""
import json
import os
import shutil

import numpy as np
import pytest
import torch
from PIL import Image

import oracle
from conftest import IMAGES, THREADS, V2, assert_one_line_error, ok, run

COLORBAR_STRIP_W = 84  # src/colorbar.h


def prepare(module_path, photo, tmp_path):
    module, card = oracle.load(module_path)
    image = oracle.resized_copy(IMAGES / photo, tmp_path / "input.png", card)
    return module, card, image, oracle.input_tensor(image, card)


def explain(method, model, image, out, *args):
    """attrib's JSON summary of one image (and the path of its outputs)."""
    p = ok(method, image, "--model", model, "-o", out, "--threads", THREADS, "--json", *args)
    return json.loads(p.stdout)


def output(s, kind):
    return s["outputs"][kind]


def picture(path):
    return np.asarray(Image.open(path).convert("RGB")).astype(int)


def stats_match(s, want, tol=1e-3):
    """The summary's min/max/mean are those of the map want, to tol of its
    largest magnitude."""
    scale = np.abs(want).max()
    got = np.array([s["map"]["min"], s["map"]["max"], s["map"]["mean"]])
    ref = np.array([want.min(), want.max(), want.mean()])
    assert np.abs(got - ref).max() <= tol * scale, f"{got} vs {ref}"


def test_integrated_gradients_sign_choices_show_the_channel_sum_pytorch_computes(tmp_path):
    module, card, image, x = prepare(V2, "cat.bmp", tmp_path)
    h, w = card["input_size"]
    attr, _ = oracle.integrated_gradients(module, x, oracle.black(card, h, w), 285, 16,
                                          "gauss-legendre", THREADS)
    total = attr.sum(0)  # the signed map: Captum's visualiser reduces channels the same way
    assert total.min() < 0 < total.max()
    wanted = {"signed": total, "positive": np.maximum(total, 0),
              "negative": np.maximum(-total, 0), "absolute": np.abs(total)}
    m = float(np.abs(total).max())
    if os.environ.get("ATTRIB_SANITIZED") == "1":  # mapsign.c's two kinds of reduction
        wanted = {k: wanted[k] for k in ("signed", "negative")}
    for sign, want in wanted.items():
        s = explain("integrated-gradients", V2, image, tmp_path / sign, "--class", 285,
                    "--steps", 16, "--sign", sign, "--cmap", "gray", "--scale", f"{-m}:{m}")
        stats_match(s, want)
        d = s["map"]["display"]
        assert d["sign"] == sign and d["scale"] == "fixed"
        assert (d["low"], d["high"]) == pytest.approx((-m, m), rel=1e-6)
        # the picture: grey level = (value - low) / (high - low), every pixel
        drawn = picture(output(s, "heatmap"))[:, :, 0] / 255.0 * 2 * m - m
        assert np.abs(drawn - want).max() <= 2 * m / 255 + 1e-3 * m
    # the default is unchanged: |sum|
    s = explain("integrated-gradients", V2, image, tmp_path / "default", "--class", 285,
                "--steps", 16)
    assert s["map"]["display"]["sign"] == "absolute"
    stats_match(s, np.abs(total))


def test_gradcam_signed_is_the_weighted_sum_before_the_relu(tmp_path):
    """For "lion" on the cat photo the layer holds evidence both ways."""
    module, card, image, x = prepare(V2, "cat.bmp", tmp_path)
    act, grad, _ = oracle.layer_act_grad(module, x, 291, THREADS)
    before = (grad.mean(axis=(1, 2))[:, None, None] * act).sum(0)
    assert before.min() < 0 < before.max(), "the test needs evidence both ways"
    for sign, want in [("signed", before), ("negative", np.maximum(-before, 0)),
                       ("positive", np.maximum(before, 0))]:
        s = explain("gradcam", V2, image, tmp_path / sign, "--class", 291, "--sign", sign)
        got = np.array(s["layer"]["map"])
        err = np.abs(got - want).max() / np.abs(before).max()
        assert err <= 1e-4, f"{sign}: {err:.2e} of the max"
        assert s["map"]["display"]["sign"] == sign
    # the paper's map, drawn as before: positive is the default
    s = explain("gradcam", V2, image, tmp_path / "default", "--class", 291)
    assert s["map"]["display"]["sign"] == "positive"
    assert np.array(s["layer"]["map"]).min() >= 0


def test_occlusion_is_signed_by_default_and_splits_into_its_two_sides(tmp_path, test_models):
    model = test_models / "tiny.pt"
    module, card, image, x = prepare(model, "sunflower.bmp", tmp_path)
    want = oracle.occlusion(module, x, 4, 5, 3, torch.zeros_like(x), THREADS)
    assert want.min() < 0 < want.max()
    for sign, ref in [("signed", want), ("positive", np.maximum(want, 0)),
                      ("negative", np.maximum(-want, 0)), ("absolute", np.abs(want))]:
        out = tmp_path / sign
        args = [] if sign == "signed" else ["--sign", sign]
        s = explain("occlusion", model, image, out, "--class", 4, "--window", 5, "--stride", 3,
                    "--raw", out / "raw.npy", *args)
        got = np.load(out / "raw.npy")
        assert np.abs(got - ref).max() <= 1e-4 * np.abs(want).max()
        d = s["map"]["display"]
        assert d["sign"] == sign and d["sign_convention"]
        if sign == "signed":  # symmetric about 0, so 0 is the colour map's centre
            assert d["low"] == -d["high"] and d["high"] > 0
        else:
            assert d["low"] == pytest.approx(float(ref.min()), abs=1e-6)


def test_signed_pictures_are_blue_against_near_white_at_zero_and_red_for_the_class(tmp_path):
    image = IMAGES / "cat.bmp"
    s = explain("occlusion", V2, image, tmp_path, "--class", 285, "--raw", tmp_path / "m.npy",
                "--clip", 0)
    m = np.load(tmp_path / "m.npy")
    heat = picture(output(s, "heatmap"))
    hot, cold = np.unravel_index(m.argmax(), m.shape), np.unravel_index(m.argmin(), m.shape)
    assert m[cold] < 0 < m[hot]
    r, g, b = heat[hot]
    assert r > b + 60 and r > g + 60, heat[hot]  # red
    r, _, b = heat[cold]
    assert b > r, heat[cold]  # blue
    zero = np.unravel_index(np.abs(m).argmin(), m.shape)
    assert abs(m[zero]) < 0.01 * np.abs(m).max()
    assert heat[zero].min() > 200, heat[zero]  # near white
    # an explicit colour map is still centred on 0
    s = explain("occlusion", V2, image, tmp_path / "gray", "--class", 285, "--cmap", "gray",
                "--clip", 0)
    d = s["map"]["display"]
    gray = picture(output(s, "heatmap"))[:, :, 0]
    assert abs(gray[zero] - 255 * (m[zero] - d["low"]) / (d["high"] - d["low"])) <= 1.5


def test_smoothgrad_and_saliency_signs_keep_the_largest_channels_sign(tmp_path, test_models):
    model = test_models / "tiny.pt"
    module, card, image, x = prepare(model, "cat.bmp", tmp_path)
    mean, _ = oracle.smoothgrad(module, x, 3, 8, 0.15, seed=7, threads=THREADS)
    grad = oracle.gradients(module, x, 3, THREADS)[0].double().numpy()

    def largest(chw):
        idx = np.abs(chw).argmax(0)
        return np.take_along_axis(chw, idx[None], 0)[0]

    for method, values, extra in [("smoothgrad", mean, ["--samples", 8, "--seed", 7]),
                                  ("saliency", grad, [])]:
        signed = largest(values)
        assert signed.min() < 0 < signed.max()
        for sign, want in [("signed", signed), ("negative", np.maximum(-signed, 0)),
                           ("absolute", np.abs(signed))]:
            s = explain(method, model, image, tmp_path / f"{method}-{sign}", "--class", 3,
                        "--sign", sign, *extra)
            stats_match(s, want)


def test_a_fixed_scale_draws_every_image_on_the_same_numbers(tmp_path):
    out = tmp_path / "out"
    for photo in ("cat.bmp", "bird.bmp"):
        s = explain("saliency", V2, IMAGES / photo, out, "--scale", "0:0.01", "--cmap", "gray")
        d = s["map"]["display"]
        assert (d["low"], d["high"], d["scale"]) == (0, 0.01, "fixed")
        gray = picture(output(s, "heatmap"))[:, :, 0]
        # values above VMAX saturate, whatever the image's own range
        over = s["map"]["max"] > 0.01
        assert (gray.max() == 255) == over


def test_a_batch_scale_is_one_range_covering_every_images_own(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    for photo in ("cat.bmp", "bird.bmp", "parrot.jpg"):
        shutil.copy(IMAGES / photo, folder / photo)
    own = {r["image"]["path"]: r for r in map(json.loads, ok(
        "integrated-gradients", folder, "--model", V2, "-o", tmp_path / "own", "--steps", 8,
        "--sign", "signed", "--json", "--threads", THREADS).stdout.splitlines())}
    p = ok("integrated-gradients", folder, "--model", V2, "-o", tmp_path / "run", "--steps", 8,
           "--sign", "signed", "--scale", "batch", "--json", "--threads", THREADS)
    shared = [json.loads(line) for line in p.stdout.splitlines()]
    assert len(shared) == 3
    high = max(r["map"]["display"]["high"] for r in own.values())
    for s in shared:
        d = s["map"]["display"]
        assert d["scale"] == "batch" and d["low"] == -d["high"]
        assert d["high"] == pytest.approx(high, rel=1e-6)
        # the maps themselves are the same as one by one
        assert s["map"]["max"] == pytest.approx(own[s["image"]["path"]]["map"]["max"], rel=1e-5)
    report = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert report["display"]["scale"] == "batch"
    assert report["display"]["high"] == pytest.approx(high, rel=1e-6)
    assert report["display"]["cmap"] == "rdbu" and report["display"]["sign"] == "signed"
    page = (tmp_path / "run" / "index.html").read_text()
    assert "scale batch" in page and "(every picture)" in page and "linear-gradient" in page


def test_shards_measured_apart_merge_without_claiming_one_range(tmp_path, test_models):
    model = test_models / "tiny.pt"
    folder = tmp_path / "photos"
    folder.mkdir()
    for photo in ("cat.bmp", "bird.bmp", "parrot.jpg", "sunflower.bmp"):
        shutil.copy(IMAGES / photo, folder / photo)
    for scale, one_range in [("batch", False), ("0:0.5", True)]:
        out = tmp_path / scale.replace(":", "-")
        for k in (1, 2):
            ok("saliency", folder, "--model", model, "-o", out, "--scale", scale, "--shard",
               f"{k}/2", "-q")
        ok("merge", out, "-o", out)
        d = json.loads((out / "summary.json").read_text())["display"]
        assert ("low" in d) == one_range, d


def test_colorbar_adds_a_labelled_strip_to_the_overlay_and_the_sheet(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    for photo in ("cat.bmp", "bird.bmp"):
        shutil.copy(IMAGES / photo, folder / photo)
    ok("saliency", folder, "--model", V2, "-o", tmp_path / "plain", "--sheet",
       tmp_path / "plain" / "sheet.png", "-q", "--cmap", "gray")
    ok("saliency", folder, "--model", V2, "-o", tmp_path / "bar", "--sheet",
       tmp_path / "bar" / "sheet.png", "-q", "--colorbar", "--cmap", "gray")
    original = Image.open(folder / "cat.bmp")
    plain = Image.open(tmp_path / "plain" / "cat.saliency.overlay.png")
    bar = picture(tmp_path / "bar" / "cat.saliency.overlay.png")
    assert plain.size == original.size
    assert bar.shape[1] == original.size[0] + COLORBAR_STRIP_W
    assert bar.shape[0] == max(original.size[1], 56)
    # the bar: high (white in gray) at the top, low (black) at the bottom
    x = original.size[0] + 8 + 7
    assert bar[8, x].min() == 255 and bar[bar.shape[0] - 9, x].max() == 0
    # beside it, the overlay as drawn without a bar
    w, h = original.size
    assert np.array_equal(bar[:h, :w], np.asarray(plain.convert("RGB")).astype(int))
    # labelled: dark text right of the bar
    assert (bar[:, x + 12:] < 60).all(axis=2).sum() > 30
    a, b = Image.open(tmp_path / "plain" / "sheet.png"), Image.open(tmp_path / "bar" / "sheet.png")
    assert a.size[0] == b.size[0] and b.size[1] > a.size[1]


def test_overlay_max_side_draws_the_same_overlay_smaller_and_leaves_small_photos_alone(
        tmp_path):
    """--overlay-max-side N: the overlay of a big photo at most N pixels on its
    longest side, the photo's shape kept, and the picture the full-size
    overlay shrunk would be; the heatmap and the map untouched; a photo
    already within N drawn as without the option."""
    photos = [IMAGES / "cat_720p.jpg", IMAGES / "parrot.jpg", IMAGES / "resized_cat.bmp"]
    full = [explain("gradcam", V2, p, tmp_path / "full") for p in photos]
    small = [explain("gradcam", V2, p, tmp_path / "small", "--overlay-max-side", 320)
             for p in photos]
    for f, s, photo in zip(full, small, photos):
        w, h = Image.open(photo).size
        got = Image.open(output(s, "overlay"))
        if max(w, h) <= 320:  # resized_cat.bmp
            assert "overlay_size" not in s["map"]["display"]
            assert open(output(s, "overlay"), "rb").read() == open(output(f, "overlay"), "rb").read()
            continue
        assert max(got.size) == 320 and abs(got.size[0] / got.size[1] - w / h) < 0.01
        assert s["map"]["display"]["overlay_size"] == list(got.size)
        assert s["image"]["width"] == w and s["image"]["height"] == h  # the photo's, as before
        shrunk = Image.open(output(f, "overlay")).convert("RGB").resize(got.size, Image.BILINEAR)
        diff = np.abs(picture(output(s, "overlay")) - np.asarray(shrunk).astype(int))
        assert diff.mean() < 2 and np.percentile(diff, 99) < 24, (photo.name, diff.mean())
        assert open(output(s, "heatmap"), "rb").read() == open(output(f, "heatmap"), "rb").read()


@pytest.mark.parametrize("args,code,say", [
    (["saliency", "--overlay-max-side", "-1"], 2, "--overlay-max-side must be"),
    (["smoothgrad", "--variant", "squared", "--sign", "signed"], 2,
     "--variant squared maps are never negative"),
    (["saliency", "--scale", "5:1"], 2, "--scale 5:1: VMIN must be below VMAX"),
    (["saliency", "--scale", "-1:nan"], 2, "--scale VMAX must be a number"),
    (["guided-gradcam", "--sign", "signed"], 2, "--sign is not an option of guided-gradcam"),
    (["saliency", "--sign", "both"], 2, "--sign must be one of"),
])
def test_bad_sign_and_scale_get_one_line_and_exit_2(args, code, say, tmp_path):
    p = run(args[0], IMAGES / "cat.bmp", "--model", V2, "-o", tmp_path, *args[1:])
    assert_one_line_error(p, code, say)
    assert not list(tmp_path.iterdir()), "nothing may be written"


@pytest.mark.parametrize("method,default", [
    ("integrated-gradients", "absolute"), ("input-x-gradient", "absolute"),
    ("saliency", "absolute"), ("smoothgrad", "absolute"), ("guided-backprop", "absolute"),
    ("deconvnet", "absolute"), ("occlusion", "signed"), ("gradcam", "positive")])
def test_help_states_each_methods_default_sign(method, default):
    text = ok(method, "--help").stdout
    i = text.index("\n  --sign ")  # the option's row, not the description
    assert f"(default: {default})" in " ".join(text[i:i + 400].split())
