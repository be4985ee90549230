"""What attrib saliency leaves on disk and prints: the files a user opens,
the JSON a script reads, the formats it accepts."""
import json
import os

import numpy as np
import pytest
from PIL import Image

from conftest import BIN, IMAGES, V1, V2, assert_one_line_error, json_lines, ok, run


def saliency(image, out, *args, model=V2):
    return ok("saliency", image, "--model", model, "-o", out, *args)


def test_writes_heatmap_overlay_and_summary_named_after_the_image(tmp_path):
    saliency(IMAGES / "cat.bmp", tmp_path)
    assert sorted(os.listdir(tmp_path)) == [
        "cat.saliency.json", "cat.saliency.overlay.png", "cat.saliency.png"]
    heat = Image.open(tmp_path / "cat.saliency.png")
    overlay = Image.open(tmp_path / "cat.saliency.overlay.png")
    assert heat.size == (224, 224) and heat.mode == "RGB"       # the model's input size
    assert overlay.size == (512, 341) and overlay.mode == "RGB"  # the original's size


def test_summary_file_has_every_documented_field(tmp_path):
    saliency(IMAGES / "cat.bmp", tmp_path, "--class", "285")
    s = json.loads((tmp_path / "cat.saliency.json").read_text())
    assert s["tool"] == "attrib" and s["method"] == "saliency"
    assert s["version"]
    m = s["model"]
    assert m["name"] == "mobilenet_v2_1.0_224" and m["card"] == "embedded"
    assert len(m["sha256"]) == 64 and m["input_size"] == [224, 224] and m["classes"] == 1000
    import hashlib
    assert m["sha256"] == hashlib.sha256(V2.read_bytes()).hexdigest()
    assert s["image"] == {"path": str(IMAGES / "cat.bmp"), "width": 512, "height": 341,
                          "sha256": hashlib.sha256((IMAGES / "cat.bmp").read_bytes()).hexdigest()}
    assert len(s["run_key"]) == 64  # what --resume compares (test_scale.py)
    pre = s["preprocessing"]
    assert pre["resize"] == "stretch" and pre["mean"] == [0.5, 0.5, 0.5]
    assert pre["region"] == {"x": 0, "y": 0, "width": 512, "height": 341}
    t = s["target"]
    assert t["index"] == 285 and t["label"] == "Egyptian cat" and not t["predicted"]
    assert 0.7 < t["probability"] < 0.85 and t["score"] > 0
    assert [c["index"] for c in s["top"]][:1] == [285] and len(s["top"]) == 5
    stats = s["map"]
    assert stats["shape"] == [224, 224]
    assert 0 <= stats["min"] <= stats["mean"] <= stats["max"]
    assert set(stats["top"]) >= {"fraction", "threshold", "pixels", "center_of_mass", "bbox"}
    assert set(s["outputs"]) == {"heatmap", "overlay", "summary"}
    for path in s["outputs"].values():
        assert os.path.exists(path)
    timings = s["timings_ms"]
    assert 0 < timings["forward_backward"] < timings["total"]
    assert 0 < timings["load"] < timings["total"]


def test_json_flag_prints_the_same_summary_on_stdout(tmp_path):
    p = saliency(IMAGES / "bird.bmp", tmp_path, "--json")
    printed = json_lines(p.stdout)
    assert len(printed) == 1
    assert printed[0] == json.loads((tmp_path / "bird.saliency.json").read_text())
    assert printed[0]["target"]["index"] == 19 and printed[0]["target"]["predicted"]


def test_text_output_names_the_class_and_the_files(tmp_path):
    p = saliency(IMAGES / "bird.bmp", tmp_path)
    assert 'predicted 19 "chickadee"' in p.stdout
    assert str(tmp_path / "bird.saliency.overlay.png") in p.stdout


def test_quiet_prints_nothing_but_still_writes(tmp_path):
    p = saliency(IMAGES / "bird.bmp", tmp_path, "-q")
    assert p.stdout == "" and p.stderr == ""
    assert (tmp_path / "bird.saliency.png").exists()


def test_raw_npy_holds_the_exact_map_and_raw_f32_the_same_bytes(tmp_path):
    saliency(IMAGES / "bird.bmp", tmp_path, "--raw", tmp_path / "m.npy", "--class", "19")
    saliency(IMAGES / "bird.bmp", tmp_path, "--raw", tmp_path / "m.f32", "--class", "19")
    npy = np.load(tmp_path / "m.npy")
    assert npy.shape == (224, 224) and npy.dtype == np.float32
    raw = np.fromfile(tmp_path / "m.f32", dtype="<f4").reshape(224, 224)
    assert np.array_equal(npy, raw)
    s = json.loads((tmp_path / "bird.saliency.json").read_text())
    assert s["outputs"]["raw"] == str(tmp_path / "m.f32")
    assert s["map"]["max"] == pytest.approx(float(npy.max()), rel=1e-6)


def test_heatmap_png_is_the_map_through_the_colour_map(tmp_path):
    saliency(IMAGES / "bird.bmp", tmp_path, "--raw", tmp_path / "m.npy", "--cmap", "gray",
             "--clip", "0")
    m = np.load(tmp_path / "m.npy")
    png = np.asarray(Image.open(tmp_path / "bird.saliency.png"), dtype=np.float64)
    assert np.all(png[:, :, 0] == png[:, :, 1])  # grey
    want = (m - m.min()) / (m.max() - m.min()) * 255
    assert np.abs(png[:, :, 0] - want).max() <= 0.51  # rounding only


def test_clip_saturates_the_hottest_pixels(tmp_path):
    saliency(IMAGES / "bird.bmp", tmp_path, "--cmap", "gray", "--clip", "5")
    png = np.asarray(Image.open(tmp_path / "bird.saliency.png"))[:, :, 0]
    assert 0.05 <= (png == 255).mean() <= 0.06
    s = json.loads((tmp_path / "bird.saliency.json").read_text())
    assert s["map"]["display"]["clip_percent"] == 5
    assert s["map"]["display"]["high"] < s["map"]["max"]


def test_every_colour_map_renders_a_different_picture(tmp_path):
    pictures = {}
    for cmap in ["gray", "jet", "viridis", "inferno"]:
        saliency(IMAGES / "bird.bmp", tmp_path, "--cmap", cmap)
        pictures[cmap] = np.asarray(Image.open(tmp_path / "bird.saliency.png"), dtype=float)
        assert pictures[cmap].std() > 10, f"{cmap}: blank picture"
    names = sorted(pictures)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert np.abs(pictures[a] - pictures[b]).mean() > 5, f"{a} looks like {b}"


def test_crop_mode_explains_the_centre_and_records_the_region(tmp_path):
    p = saliency(IMAGES / "cat.bmp", tmp_path, "--resize", "crop", "--json")
    s = json_lines(p.stdout)[0]
    assert s["preprocessing"]["resize"] == "crop"
    assert s["preprocessing"]["region"] == {"x": 85, "y": 0, "width": 341, "height": 341}
    overlay = np.asarray(Image.open(tmp_path / "cat.saliency.overlay.png"), dtype=float)
    original = np.asarray(Image.open(IMAGES / "cat.bmp").convert("RGB"), dtype=float)
    assert overlay.shape == original.shape
    # Outside the region the photo is only dimmed; inside it carries the map.
    assert overlay[:, :80].mean() < original[:, :80].mean() * 0.5


INFERNO_ENDS = np.array([[0, 0, 4], [252, 255, 164]], dtype=float)  # matplotlib's inferno


@pytest.mark.parametrize("blend,cold_weight", [("rising", 0.0), ("flat", 0.5)])
def test_the_overlay_leaves_the_photo_where_the_map_is_cold_unless_blend_is_flat(
        tmp_path, blend, cold_weight):
    """A fixed --scale above every value makes the whole map "cold" (the
    colour map's low end), one below every value makes it all "hot"; the
    overlay is then the photo mixed with one colour, at a weight the user
    can check: rising (the default) leaves cold pixels as they are, flat
    mixes --alpha everywhere, and both mix --alpha at the hottest."""
    original = np.asarray(Image.open(IMAGES / "cat.bmp").convert("RGB"), dtype=float)
    for scale, weight, colour in (("10:20", cold_weight, INFERNO_ENDS[0]),
                                  ("-2:-1", 0.5, INFERNO_ENDS[1])):
        out = tmp_path / scale
        args = ["--scale", scale] + ([] if blend == "rising" else ["--blend", blend])
        ok("gradcam", IMAGES / "cat.bmp", "--model", V2, "-o", out, "-q", *args)
        overlay = np.asarray(Image.open(out / "cat.gradcam.overlay.png"), dtype=float)
        expected = (1 - weight) * original + weight * colour
        assert np.abs(overlay - expected).max() <= 1, (blend, scale)


def test_output_directory_is_created(tmp_path):
    out = tmp_path / "a" / "b" / "c"
    saliency(IMAGES / "bird.bmp", out)
    assert (out / "bird.saliency.png").exists()


def test_several_images_in_one_call_each_get_their_files(tmp_path):
    p = ok("saliency", IMAGES / "bird.bmp", IMAGES / "parrot.jpg", "--model", V1, "-o", tmp_path,
           "--json")
    assert [s["target"]["index"] for s in json_lines(p.stdout)] == [19, 88]
    assert (tmp_path / "parrot.saliency.overlay.png").exists()


def test_one_bad_image_does_not_stop_the_others(tmp_path):
    bad = tmp_path / "bad.jpg"
    bad.write_text("nope")
    out = tmp_path / "out"
    p = run("saliency", bad, IMAGES / "bird.bmp", "--model", V2, "-o", out)
    assert p.returncode == 1 and "bad.jpg" in p.stderr
    assert sorted(os.listdir(out)) == ["bird.saliency.json", "bird.saliency.overlay.png",
                                       "bird.saliency.png", "index.data.js", "index.html", "summary.csv",
                                       "summary.json"]
    records = json.loads((out / "summary.json").read_text())["images"]
    assert [r["status"] for r in records] == ["failed", "ok"]
    assert "bad.jpg" in records[0]["error"]


def make_variant(src, dst, kind):
    img = Image.open(src).convert("RGB").resize((160, 120))
    if kind == "grey":
        img.convert("L").save(dst)
    elif kind == "grey_alpha":
        img.convert("LA").save(dst)
    elif kind == "rgba":
        img.convert("RGBA").save(dst)
    elif kind == "png16":  # 16-bit greyscale PNG
        a = (np.asarray(img.convert("L"), dtype=np.uint16) * 257)
        Image.fromarray(a.astype(np.uint16)).save(dst)  # mode I;16
    elif kind == "gif":
        img.convert("P").save(dst)
    elif kind == "jpeg_progressive":
        img.save(dst, "JPEG", progressive=True, quality=90)
    return dst


@pytest.mark.parametrize("kind,ext", [("grey", "png"), ("grey_alpha", "png"), ("rgba", "png"),
                                      ("png16", "png"), ("gif", "gif"),
                                      ("jpeg_progressive", "jpg")])
def test_accepts_grey_alpha_16bit_gif_and_progressive_jpeg(kind, ext, tmp_path):
    img = make_variant(IMAGES / "bird.bmp", tmp_path / f"v.{ext}", kind)
    p = saliency(img, tmp_path / "out", "--json")
    s = json_lines(p.stdout)[0]
    assert s["image"]["width"] == 160 and s["image"]["height"] == 120


def test_16bit_png_is_read_at_full_precision(tmp_path):
    """A 16-bit grey ramp and its 8-bit rounding must give different maps."""
    ramp = (np.linspace(0, 65535, 224 * 224).reshape(224, 224)).astype(np.uint16)
    Image.fromarray(ramp.astype(np.uint16)).save(tmp_path / "r16.png")
    Image.fromarray((ramp // 257).astype(np.uint8)).save(tmp_path / "r8.png")
    saliency(tmp_path / "r16.png", tmp_path, "--raw", tmp_path / "a.npy", "--class", "1")
    saliency(tmp_path / "r8.png", tmp_path, "--raw", tmp_path / "b.npy", "--class", "1")
    assert not np.array_equal(np.load(tmp_path / "a.npy"), np.load(tmp_path / "b.npy"))


def test_help_documents_options_and_exit_codes():
    p = ok("saliency", "--help")
    for word in ["--class", "--raw", "--cmap", "--model", "--threads", "--resize", "Exit status",
                 "3  model"]:
        assert word in p.stdout
    top = ok("--help").stdout
    assert "saliency" in top and "predict" in top and "Exit status" in top
    assert ok("help", "predict").stdout.startswith("usage: attrib predict")


def test_version_prints_the_tool_version():
    assert ok("--version").stdout.startswith("attrib ")


def test_generated_model_without_card_uses_torchvision_defaults(test_models, tmp_path):
    p = saliency(IMAGES / "bird.bmp", tmp_path, "--json", model=test_models / "tiny_nocard.pt")
    s = json_lines(p.stdout)[0]
    assert s["model"]["card"] == "defaults" and s["model"]["input_size"] == [224, 224]
    assert s["preprocessing"]["mean"] == [0.485, 0.456, 0.406]
    assert s["target"]["label"].startswith("class ")
    # and says so, once on stderr and in the JSON
    assert p.stderr.count("has no card") == 1 and "224x224" in p.stderr
    assert any("no card" in w for w in s["warnings"])
    with_card = json_lines(saliency(IMAGES / "bird.bmp", tmp_path, "--json",
                                    model=test_models / "tiny.pt").stdout)[0]
    assert with_card["warnings"] == []


def test_a_model_of_another_input_size_without_a_card_is_told_about_input_size(tmp_path):
    # a LeNet wants 32x32; given the assumed 224x224 its first linear layer
    # fails with a shape error that alone would not say why
    import torch
    lenet = torch.nn.Sequential(
        torch.nn.Conv2d(3, 6, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(6, 16, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(16 * 5 * 5, 10)).eval()
    torch.jit.save(torch.jit.script(lenet), str(tmp_path / "lenet.pt"))
    p = run("saliency", IMAGES / "bird.bmp", "--model", tmp_path / "lenet.pt",
            "-o", tmp_path / "out")
    # one line, the error (the run has no result to warn about)
    assert_one_line_error(p, 3, "no card, so it was given 224x224 input", "input_size")


def test_sidecar_card_is_used_when_none_is_embedded(test_models, tmp_path):
    p = saliency(IMAGES / "bird.bmp", tmp_path, "--json", model=test_models / "tiny_sidecar.pt")
    s = json_lines(p.stdout)[0]
    assert s["model"]["card"].startswith("sidecar ") and s["model"]["name"] == "tiny-sidecar"
    assert s["model"]["input_size"] == [32, 40] and s["map"]["shape"] == [32, 40]
    assert s["target"]["label"].startswith("class-")


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_interrupted_run_leaves_only_complete_files(sig, tmp_path):
    import signal
    import subprocess
    import time
    out = tmp_path / "out"
    images = [IMAGES / "grace_hopper.bmp"] * 200  # same name: rewritten again and again
    p = subprocess.Popen([run.__globals__["BIN"], "saliency", *map(str, images), "--model",
                          str(V2), "-o", str(out), "-q"], stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while not (out / "grace_hopper.saliency.json").exists() and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    p.send_signal(getattr(signal, sig))
    p.wait(timeout=60)
    assert p.returncode == -getattr(signal, sig)  # died of the signal, as Unix tools do
    files = sorted(os.listdir(out))
    assert not [f for f in files if ".tmp-" in f], files
    for f in files:
        if f.endswith(".png"):
            Image.open(out / f).load()  # complete, decodable
        else:
            json.loads((out / f).read_text())


@pytest.mark.parametrize("method,files,raw_shape", [
    ("gradcam", ["json", "overlay.png", "png"], (224, 224)),
    ("guided-backprop", ["json", "overlay.png", "png", "rgb.png"], (3, 224, 224)),
    ("guided-gradcam", ["json", "overlay.png", "png", "rgb.png"], (3, 224, 224)),
    ("deconvnet", ["json", "overlay.png", "png", "rgb.png"], (3, 224, 224)),
    ("integrated-gradients", ["json", "overlay.png", "png", "rgb.png"], (3, 224, 224)),
    ("smoothgrad", ["json", "overlay.png", "png", "rgb.png"], (3, 224, 224)),
    ("input-x-gradient", ["json", "overlay.png", "png", "rgb.png"], (3, 224, 224)),
    ("occlusion", ["json", "overlay.png", "png"], (224, 224)),
])
def test_each_method_writes_its_files_and_raw_values(method, files, raw_shape, tmp_path):
    p = ok(method, IMAGES / "cat.bmp", "--model", V2, "-o", tmp_path, "--json",
           "--raw", tmp_path / "raw.npy")
    s = json_lines(p.stdout)[0]
    assert s["method"] == method
    assert sorted(f for f in os.listdir(tmp_path) if f != "raw.npy") == \
        sorted(f"cat.{method}.{suffix}" for suffix in files)
    assert np.load(tmp_path / "raw.npy").shape == raw_shape
    for name in os.listdir(tmp_path):
        if name.endswith(".png"):
            size = Image.open(tmp_path / name).size
            assert size == ((512, 341) if "overlay" in name else (224, 224))
    if method in ("gradcam", "guided-gradcam"):
        assert s["layer"]["path"] == "features.18" and s["layer"]["shape"] == [1280, 7, 7]
        assert np.array(s["layer"]["map"]).shape == (7, 7)
    else:
        assert "layer" not in s


def test_installed_attrib_runs_from_its_prefix_with_its_man_page_completions_and_model(
        tmp_path):
    # scripts/install.sh's step: cmake --install of the build the tests run
    import shutil
    import subprocess
    cmake = "/usr/bin/cmake" if os.path.exists("/usr/bin/cmake") else shutil.which("cmake")
    prefix = tmp_path / "prefix"
    subprocess.run([cmake, "--install", os.path.dirname(BIN), "--prefix", prefix], check=True,
                   capture_output=True)
    for f in ("bin/attrib", "share/man/man1/attrib.1", "share/bash-completion/completions/attrib",
              "share/zsh/site-functions/_attrib", "share/fish/vendor_completions.d/attrib.fish",
              "share/attrib/models/mobilenet_v2_1.0_224.pt"):
        assert (prefix / f).is_file(), f
    env = {k: v for k, v in os.environ.items() if k != "ATTRIB_MODEL"}
    p = subprocess.run([prefix / "bin" / "attrib", "saliency", IMAGES / "cat.bmp", "-o",
                        tmp_path / "out", "--json"], capture_output=True, text=True, env=env)
    assert p.returncode == 0, p.stderr
    s = json.loads(p.stdout)
    assert s["model"]["path"] == str(prefix / "share/attrib/models/mobilenet_v2_1.0_224.pt")
