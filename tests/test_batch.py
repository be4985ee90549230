"""Folders in, a report out: batch runs over directories and stdin, output
names, per-image classes, shards and their merge, the HTML page in a real
browser, the contact sheet."""
import json
import re
import os
import shutil
import subprocess
import tempfile

import numpy as np
import pytest
from PIL import Image

from conftest import BIN, IMAGES, THREADS, V2, assert_one_line_error, json_lines, ok, run

PHOTOS = sorted(p.name for p in IMAGES.iterdir() if p.suffix in (".bmp", ".jpg"))


@pytest.fixture
def folder(tmp_path):
    """The shared photos plus a corrupt JPEG and a text file named .png."""
    d = tmp_path / "photos"
    d.mkdir()
    for name in PHOTOS:
        shutil.copy(IMAGES / name, d / name)
    (d / "corrupt.jpg").write_bytes((IMAGES / "hot_dog.jpg").read_bytes()[:5000])
    (d / "notes.png").write_text("not a picture\n")
    (d / "README.txt").write_text("ignored: not an image extension\n")
    return d


def report(out):
    return json.loads((out / "summary.json").read_text())


def test_folder_run_explains_good_images_and_lists_bad_ones(folder, tmp_path):
    out = tmp_path / "out"
    p = run("saliency", folder, "--model", V2, "-o", out, "-q")
    assert p.returncode == 1  # some inputs failed
    assert "corrupt.jpg" in p.stderr and "notes.png" in p.stderr
    r = report(out)
    status = {rec["name"]: rec["status"] for rec in r["images"]}
    assert status.pop("corrupt") == "failed" and status.pop("notes") == "failed"
    assert sorted(status) == sorted(n.rsplit(".", 1)[0] for n in PHOTOS)
    assert set(status.values()) == {"ok"}
    assert r["totals"] == {**r["totals"], "images": 13, "ok": 11, "failed": 2}
    assert r["totals"]["images_per_second"] > 0
    for name in status:
        assert (out / f"{name}.saliency.png").exists()
    csv = (out / "summary.csv").read_text().splitlines()
    assert csv[0].startswith("image,name,status,error,target")
    assert len(csv) == 14


def test_output_tree_mirrors_input_tree_and_names_never_collide(tmp_path):
    src = tmp_path / "in"
    for sub in ["a", "b", "b/deep"]:
        (src / sub).mkdir(parents=True)
    for sub in ["a", "b", "b/deep"]:
        shutil.copy(IMAGES / "bird.bmp", src / sub / "x.bmp")
    shutil.copy(IMAGES / "parrot.jpg", src / "a" / "x.jpg")  # same stem, same folder
    out = tmp_path / "out"
    ok("gradcam", src, "-r", "--model", V2, "-o", out, "-q", "--batch-size", 3)
    names = sorted(r["name"] for r in report(out)["images"])
    assert names == ["a/x", "a/x-2", "b/deep/x", "b/x"]
    for n in names:
        assert (out / f"{n}.gradcam.overlay.png").exists()
    # Without -r only the top level counts: here there is nothing.
    p = run("gradcam", src, "--model", V2, "-o", tmp_path / "flat")
    assert p.returncode == 1 and "--recursive" in p.stderr
    # Two files with one name from different folders, given one by one.
    out2 = tmp_path / "out2"
    ok("saliency", src / "a" / "x.bmp", src / "b" / "x.bmp", "--model", V2, "-o", out2, "-q")
    assert sorted(os.listdir(out2)).count("x-2.saliency.png") == 1


def test_paths_on_stdin(tmp_path):
    out = tmp_path / "out"
    listing = "\n".join(str(IMAGES / n) for n in ["bird.bmp", "parrot.jpg"]) + "\n"
    p = subprocess.run([BIN, "saliency", "-", "--model", str(V2), "-o", str(out), "--json"],
                       input=listing, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert [s["target"]["index"] for s in json_lines(p.stdout)] == [19, 88]
    assert [r["name"] for r in report(out)["images"]] == ["bird", "parrot"]


def test_class_file_sets_each_images_class(tmp_path):
    tsv = tmp_path / "classes.tsv"
    tsv.write_text(f"# path\tclass\n{IMAGES / 'cat.bmp'}\t291\n{IMAGES / 'bird.bmp'}\t954\n")
    out = tmp_path / "out"
    p = ok("gradcam", IMAGES / "cat.bmp", IMAGES / "bird.bmp", IMAGES / "parrot.jpg",
           "--class-file", tsv, "--model", V2, "-o", out, "--json")
    got = [(s["target"]["index"], s["target"]["predicted"]) for s in json_lines(p.stdout)]
    assert got == [(291, False), (954, False), (88, True)]
    bad = tmp_path / "bad.tsv"
    bad.write_text("cat.bmp 291\n")
    p = run("gradcam", IMAGES / "cat.bmp", "--class-file", bad, "--model", V2, "-o", out)
    assert p.returncode == 2 and "PATH<TAB>CLASS" in p.stderr


def test_a_class_the_model_lacks_in_the_class_file_fails_only_its_image(tmp_path):
    """Class 5000 on one line of the class file: that image fails with one
    line naming the file's line and the model's classes; the others are
    explained, the report records the failure, the exit code is 1."""
    d = tmp_path / "in"
    d.mkdir()
    for name in ("cat.bmp", "bird.bmp", "hot_dog.jpg"):
        shutil.copy(IMAGES / name, d / name)
    tsv = tmp_path / "classes.tsv"
    tsv.write_text(f"{d / 'cat.bmp'}\t285\n{d / 'bird.bmp'}\t5000\n")
    out = tmp_path / "out"
    p = run("saliency", d, "--class-file", tsv, "--model", V2, "-o", out, "-q")
    assert p.returncode == 1
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    for fragment in ("bird.bmp", "class 5000", f"{tsv} line 2", "classes 0 to 999"):
        assert fragment in lines[0]
    assert sorted(f.name for f in out.glob("*.saliency.png")) == [
        "cat.saliency.png", "hot_dog.saliency.png"]
    assert not list(out.glob("bird.*"))
    r = report(out)
    status = {rec["name"]: rec["status"] for rec in r["images"]}
    assert status == {"bird": "failed", "cat": "ok", "hot_dog": "ok"}
    bird = next(rec for rec in r["images"] if rec["name"] == "bird")
    assert "class 5000" in bird["error"]
    cat = json.loads((out / "cat.saliency.json").read_text())
    assert cat["target"]["index"] == 285


def test_a_class_the_model_lacks_given_with_class_is_a_usage_error(tmp_path):
    out = tmp_path / "out"
    p = run("saliency", IMAGES / "cat.bmp", IMAGES / "bird.bmp", "--class", "5000",
            "--model", V2, "-o", out)
    assert p.returncode == 2
    assert p.stderr.count("\n") == 1 and "--class 5000 is out of range" in p.stderr
    assert not out.exists() or not list(out.iterdir())


def test_batches_give_the_maps_single_images_give(tmp_path):
    ok("saliency", IMAGES, "--model", V2, "-o", tmp_path / "b", "--save-raw", "-q",
       "--batch-size", 4, "--threads", THREADS)
    for name in ["cat", "parrot", "sunflower"]:
        photo = next(IMAGES.glob(name + ".*"))
        ok("saliency", photo, "--model", V2, "-o", tmp_path / "s", "--raw",
           tmp_path / f"{name}.npy", "-q", "--threads", THREADS)
        single = np.load(tmp_path / f"{name}.npy")
        batched = np.load(tmp_path / "b" / f"{name}.saliency.npy")
        # Batched convolutions round differently in the last bits.
        assert np.abs(single - batched).max() <= 1e-4 * single.max()


def records_without_timings(out):
    r = report(out)
    for rec in r["images"]:
        rec.pop("pass_ms", None)
    r.pop("totals")
    return r


def assert_same_records(a, b):
    assert a.keys() == b.keys()
    for key in a:
        if key != "images":
            assert a[key] == b[key], key
    assert len(a["images"]) == len(b["images"])
    for x, y in zip(a["images"], b["images"]):
        for k in ("index", "image", "name", "status", "outputs"):
            assert x.get(k) == y.get(k), k
        for part in ("target", "top1", "map"):
            for k, v in (x.get(part) or {}).items():
                if isinstance(v, float):  # batch composition moves the last bits
                    assert v == pytest.approx(y[part][k], rel=1e-4, abs=1e-7), (part, k)
                else:
                    assert v == y[part][k]


def test_the_report_finds_its_pictures_when_the_output_directory_ends_in_a_slash(tmp_path,
                                                                                 test_models):
    out = tmp_path / "out"
    ok("saliency", IMAGES / "cat.bmp", IMAGES / "bird.bmp", "--model", test_models / "tiny.pt",
       "-o", f"{out}/", "-q")
    report = json.loads((out / "summary.json").read_text())
    for r in report["images"]:
        for path in r["outputs"].values():
            assert (out / path).is_file(), path  # relative to the page, as it links them
    assert report["model"]["classes"] == 10  # known after the first pass, not 0


def test_three_shards_merged_equal_one_run(folder, tmp_path):
    single, shards = tmp_path / "single", tmp_path / "shards"
    run("gradcam", folder, "--model", V2, "-o", single, "-q")
    for k in (1, 2, 3):
        p = run("gradcam", folder, "--model", V2, "-o", shards, "-q", "--shard", f"{k}/3")
        assert p.returncode in (0, 1)
        assert (shards / f"summary.shard-{k}-of-3.json").exists()
    assert not (shards / "summary.json").exists()
    assert "13 images" in ok("merge", shards).stdout
    assert_same_records(records_without_timings(shards), records_without_timings(single))
    assert report(shards)["totals"]["failed"] == 2


def test_merge_across_directories_rewrites_output_paths(tmp_path):
    for k in (1, 2):
        ok("saliency", IMAGES, "--model", V2, "-o", tmp_path / f"s{k}", "-q", "--shard", f"{k}/2")
    out = tmp_path / "merged"
    ok("merge", tmp_path / "s1", tmp_path / "s2", "-o", out)
    recs = report(out)["images"]
    assert len(recs) == 11 and [r["index"] for r in recs] == list(range(11))
    for r in recs:
        assert (out / r["outputs"]["heatmap"]).exists()


def test_merge_refuses_overlapping_or_foreign_reports(tmp_path):
    ok("saliency", IMAGES, "--model", V2, "-o", tmp_path / "a", "-q")
    ok("saliency", IMAGES, "--model", V2, "-o", tmp_path / "b", "-q")
    p = run("merge", tmp_path / "a", tmp_path / "b", "-o", tmp_path / "m")
    assert p.returncode == 1 and "more than one report" in p.stderr
    ok("gradcam", IMAGES, "--model", V2, "-o", tmp_path / "c", "-q")
    p = run("merge", tmp_path / "a", tmp_path / "c", "-o", tmp_path / "m2")
    assert p.returncode == 1 and "another method or model" in p.stderr


CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


@pytest.mark.skipif(not shutil.which("chromium"), reason="needs Debian's chromium")
def test_report_page_loads_in_a_browser_and_shows_every_picture(folder, tmp_path):
    out = tmp_path / "out"
    run("guided-gradcam", folder, "--model", V2, "-o", out, "-q")
    with tempfile.TemporaryDirectory() as profile:
        p = subprocess.run(["chromium", *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                            "--enable-logging=stderr", "--virtual-time-budget=10000",
                            "--dump-dom", (out / "index.html").as_uri()],
                           capture_output=True, text=True, timeout=120)
    assert p.returncode == 0
    body = p.stdout[p.stdout.index("<body"):]
    # original + heatmap + overlay + rgb for each of the 11 explained photos
    tag = body[:body.index(">")]
    assert 'data-loaded="44"' in tag and 'data-broken="0"' in tag, tag
    assert int(re.search(r'data-drawn-ms="(\d+)"', tag)[1]) >= 0  # the first page's time
    assert body.count('class="card failed"') == 2
    assert "Uncaught" not in p.stderr and "SyntaxError" not in p.stderr
    # the counts read apart, not run together
    assert re.search(r"images 1-13 of 13, page 1 of 1;</span> <span id=\"pics\">44 of 44 pictures shown", body)
    # each map-sized picture (heatmap, rgb) sits over the photo as its
    # overlay does: letterboxed to the photo's shape in its square box
    cat = body[body.index('src="../photos/cat.bmp"'):]
    for kind in ("heatmap", "rgb"):
        style = re.search(r'alt="%s"[^>]*style="([^"]*)"' % kind, cat)[1]
        box = dict((k, float(v)) for k, v in re.findall(r"(\w+): ([\d.]+)%", style))
        assert box == pytest.approx({"left": 0, "top": 100 * (1 - 341 / 512) / 2, "width": 100,
                                     "height": 100 * 341 / 512}, abs=0.01), style
    # the class once when it is the top-1
    assert re.search(r"<b>cat</b>: 285 Egyptian cat \(p=0\.\d{3}, top-1\)<br>", body), cat[:600]


def test_contact_sheet_draws_every_image(tmp_path):
    out = tmp_path / "out"
    ok("saliency", IMAGES, "--model", V2, "-o", out, "-q", "--sheet", out / "sheet.png")
    sheet = Image.open(out / "sheet.png")
    # 11 images in rows of 4 cells of 2 tiles (160 px) with labels.
    assert sheet.size == (4 * 344 + 8, 3 * 206 + 8)
    px = np.asarray(sheet.convert("L"))
    assert (px < 250).mean() > 0.3  # pictures, not a blank page
    p = run("saliency", IMAGES / "cat.bmp", "--model", V2, "-o", out, "--sheet", out / "s.png")
    assert p.returncode == 2 and "batch" in p.stderr


def drawn_box(tile):
    """The bounding box (x0, y0, x1, y1) of what is drawn in a sheet tile:
    every pixel that is not the tile's grey."""
    ys, xs = np.nonzero((tile != 220).any(axis=2))
    return xs.min(), ys.min(), xs.max() + 1, ys.max() + 1


@pytest.mark.parametrize("resize,extra", [("stretch", ()), ("crop", ()),
                                          ("crop", ("--overlay-max-side", "200"))])
def test_the_sheets_heatmap_sits_over_the_same_part_of_the_photo_as_its_overlay(tmp_path, resize,
                                                                               extra):
    photos = tmp_path / "photos"
    photos.mkdir()
    for photo in ("cat.bmp", "parrot.jpg"):  # landscape and portrait
        shutil.copy(IMAGES / photo, photos / photo)
    out = tmp_path / "out"
    ok("gradcam", photos, "--model", V2, "-o", out, "-q", "--resize", resize,
       "--sheet", out / "sheet.png", *extra)
    sheet = np.asarray(Image.open(out / "sheet.png").convert("RGB")).astype(int)
    for cell, photo in enumerate(("cat", "parrot")):
        x = 8 + cell * 344
        overlay, heatmap = (drawn_box(sheet[8:168, x + k * 168:x + k * 168 + 160]) for k in (0, 1))
        w, h = Image.open(next(photos.glob(photo + ".*"))).size
        scale = 160 / max(w, h)
        assert abs((overlay[2] - overlay[0]) - w * scale) <= 1  # the photo, letterboxed
        assert abs((overlay[3] - overlay[1]) - h * scale) <= 1
        if resize == "stretch":  # the map covers the whole photo
            assert all(abs(a - b) <= 1 for a, b in zip(overlay, heatmap)), (photo, overlay, heatmap)
        else:  # the map covers the centred square the model saw
            side = min(w, h) * scale
            assert abs((heatmap[2] - heatmap[0]) - side) <= 1, (photo, heatmap)
            assert abs((heatmap[3] - heatmap[1]) - side) <= 1, (photo, heatmap)
            assert abs((heatmap[0] + heatmap[2]) - (overlay[0] + overlay[2])) <= 2
            assert abs((heatmap[1] + heatmap[3]) - (overlay[1] + overlay[3])) <= 2


def test_sheet_path_is_relative_to_the_working_directory_like_every_path(tmp_path):
    # the newcomer's command line: the sheet in the output folder, named so
    photos = tmp_path / "photos"
    photos.mkdir()
    for photo in ("cat.bmp", "bird.bmp"):
        shutil.copy(IMAGES / photo, photos / photo)
    ok("saliency", "photos", "--model", V2, "-o", "out/batch", "-q",
       "--sheet", "out/batch/sheet.png", cwd=tmp_path)
    assert (tmp_path / "out" / "batch" / "sheet.png").is_file()
    assert not (tmp_path / "out" / "batch" / "out").exists()
    # a folder of its own is made; one that cannot be written fails the run
    # at once, before any image is explained
    ok("saliency", "photos", "--model", V2, "-o", "out/b", "-q", "--sheet", "sheets/s.png",
       cwd=tmp_path)
    assert (tmp_path / "sheets" / "s.png").is_file()
    (tmp_path / "a-file").write_text("not a folder")
    p = run("saliency", "photos", "--model", V2, "-o", "out/c", "--sheet", "a-file/s.png",
            cwd=tmp_path)
    assert_one_line_error(p, 4, "a-file")
    assert not list((tmp_path / "out" / "c").glob("*.png"))
