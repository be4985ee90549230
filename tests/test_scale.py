"""Runs over many images: a run killed at any point goes on with --resume
to the report an uninterrupted run writes; what --resume keeps and what it
redoes; the progress and the last line a log sees; reports that stream
(records on disk, not in memory) and a page that draws one page at a time
of a large report."""
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import pytest
from PIL import Image

from conftest import BIN, IMAGES, V2, ok, run

# Under the sanitizers (slow), the cases whose code paths other cases here
# already take are left to the other builds.
SANITIZED = os.environ.get("ATTRIB_SANITIZED") == "1"

PHOTOS = sorted(p.name for p in IMAGES.iterdir() if p.suffix in (".bmp", ".jpg"))


@pytest.fixture
def folder(tmp_path):
    """The shared photos in two class folders, plus a file that is no picture."""
    d = tmp_path / "photos"
    for i, name in enumerate(PHOTOS):
        sub = d / ("a" if i % 2 else "b")
        sub.mkdir(parents=True, exist_ok=True)
        shutil.copy(IMAGES / name, sub / name)
    (d / "a" / "broken.jpg").write_bytes((IMAGES / "hot_dog.jpg").read_bytes()[:3000])
    return d


def report(out):
    return json.loads((out / "summary.json").read_text())


def records(out):
    """The report's records without what differs between two runs of the
    same work (the time a pass took)."""
    recs = report(out)["images"]
    for r in recs:
        r.pop("pass_ms", None)
    return recs


def summaries(out):
    """Every per-image summary, without timings."""
    found = {}
    for p in sorted(out.rglob("*.saliency.json")):
        j = json.loads(p.read_text())
        j.pop("timings_ms")
        j["outputs"] = {k: os.path.relpath(v, out) for k, v in j["outputs"].items()}
        found[p.relative_to(out)] = j
    return found


def saliency(folder, out, *extra):
    return run("saliency", folder, "-r", "--model", V2, "-o", out, "--batch-size", "1", *extra)


def test_a_run_killed_half_way_resumes_to_the_report_of_an_uninterrupted_run(folder, tmp_path):
    whole = tmp_path / "whole"
    assert saliency(folder, whole, "-q").returncode == 1  # the broken file fails alone
    out = tmp_path / "killed"
    p = subprocess.Popen([BIN, "saliency", folder, "-r", "--model", V2, "-o", out,
                          "--batch-size", "1", "-q"], stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while len(list(out.rglob("*.saliency.json"))) < 4 and time.time() < deadline:
        time.sleep(0.02)
    p.send_signal(signal.SIGKILL)
    p.wait()
    done_before = len(list(out.rglob("*.saliency.json")))
    assert 4 <= done_before < len(PHOTOS), "the kill came too late to test anything"
    assert not (out / "summary.json").exists()
    again = saliency(folder, out, "--resume")
    assert again.returncode == 1 and "broken.jpg" in again.stderr
    assert records(out) == records(whole)
    assert summaries(out) == summaries(whole)
    totals = report(out)["totals"]
    assert totals["skipped"] == done_before and totals["ok"] == len(PHOTOS)
    last = again.stderr.strip().splitlines()[-1]
    assert last.startswith(f"saliency: {len(PHOTOS) + 1} images in ")
    assert last.endswith(f"{len(PHOTOS) - done_before} explained, 1 failed, "
                         f"{done_before} skipped"), last
    # Nothing half-written is left beside the outputs.
    assert not [p for p in out.rglob("*") if ".tmp-" in p.name]


def test_resume_keeps_only_what_this_run_would_write(folder, tmp_path):
    out = tmp_path / "out"
    saliency(folder, out, "-q")
    saliency(folder, out, "--resume", "-q")
    assert report(out)["totals"]["skipped"] == len(PHOTOS)
    # Other image bytes under the same name: that image is redone.
    Image.open(IMAGES / "cat.bmp").rotate(90).save(folder / "b" / "bird.bmp")
    # A picture of another image deleted: that image is redone.
    (out / "a" / f"{PHOTOS[1][:-4]}.saliency.overlay.png").unlink()
    saliency(folder, out, "--resume", "-q")
    assert report(out)["totals"]["skipped"] == len(PHOTOS) - 2
    assert json.loads((out / "b" / "bird.saliency.json").read_text())["target"]["index"] != 19
    assert (out / "a" / f"{PHOTOS[1][:-4]}.saliency.overlay.png").exists()
    # An option that changes the maps or pictures: everything is redone ...
    saliency(folder, out, "--resume", "-q", "--clip", "2")
    assert report(out)["totals"]["skipped"] == 0
    # ... but not one that changes only how the run goes or reports.
    p = run("saliency", folder, "-r", "--model", V2, "-o", out, "--resume", "-q", "--clip", "2",
            "--batch-size", "3", "--threads", "1")
    assert p.returncode == 1 and report(out)["totals"]["skipped"] == len(PHOTOS)
    # Another method's outputs never count.
    p = run("gradcam", folder, "-r", "--model", V2, "-o", out, "--resume", "-q")
    assert report(out)["totals"]["skipped"] == 0 and p.returncode == 1


def test_resume_redoes_an_image_whose_class_changed_in_the_class_file(folder, tmp_path):
    out = tmp_path / "out"
    classes = tmp_path / "classes.tsv"
    classes.write_text(f"{folder / 'b' / 'bird.bmp'}\t19\n")
    saliency(folder, out, "-q", "--class-file", classes)
    classes.write_text(f"{folder / 'b' / 'bird.bmp'}\t20\n")
    saliency(folder, out, "-q", "--class-file", classes, "--resume")
    assert report(out)["totals"]["skipped"] == len(PHOTOS) - 1
    assert json.loads((out / "b" / "bird.saliency.json").read_text())["target"]["index"] == 20


def test_a_damaged_summary_is_recomputed_with_one_warning(folder, tmp_path):
    out = tmp_path / "out"
    saliency(folder, out, "-q")
    damaged = out / "b" / "bird.saliency.json"
    damaged.write_text(damaged.read_text()[:200])
    p = saliency(folder, out, "--resume", "-q")
    warnings = [l for l in p.stderr.splitlines() if "recomputed" in l]
    assert len(warnings) == 1 and "bird.bmp" in warnings[0], p.stderr
    assert json.loads(damaged.read_text())["target"]["index"] == 19
    assert report(out)["totals"]["skipped"] == len(PHOTOS) - 1


def test_every_summary_names_its_run_and_its_image_bytes(tmp_path):
    out = tmp_path / "out"
    ok("saliency", IMAGES / "cat.bmp", "--model", V2, "-o", out, "-q")
    j = json.loads((out / "cat.saliency.json").read_text())
    assert j["image"]["sha256"] == hashlib.sha256((IMAGES / "cat.bmp").read_bytes()).hexdigest()
    assert len(j["run_key"]) == 64
    ok("saliency", IMAGES / "cat.bmp", "--model", V2, "-o", out, "-q", "--threads", "1")
    assert json.loads((out / "cat.saliency.json").read_text())["run_key"] == j["run_key"]
    ok("saliency", IMAGES / "cat.bmp", "--model", V2, "-o", out, "-q", "--alpha", "0.7")
    assert json.loads((out / "cat.saliency.json").read_text())["run_key"] != j["run_key"]


def test_a_log_sees_a_last_line_with_the_totals_and_quiet_sees_nothing(folder, tmp_path):
    p = saliency(folder, tmp_path / "out")
    last = p.stderr.strip().splitlines()[-1]
    assert last.startswith(f"saliency: {len(PHOTOS) + 1} images in ")
    assert last.endswith(f"{len(PHOTOS)} explained, 1 failed, 0 skipped"), last
    assert not re.search(r"^saliency: \d+/\d+ ", p.stderr, re.M)  # a short run: no log line
    p = saliency(folder, tmp_path / "out", "--log-every", "0.01")
    done = [int(m) for m in re.findall(r"^saliency: (\d+)/%d " % (len(PHOTOS) + 1), p.stderr, re.M)]
    assert len(done) >= 2 and done == sorted(done), p.stderr  # a line as often as asked
    p = saliency(folder, tmp_path / "out", "-q", "--log-every", "0.01")
    assert "explained" not in p.stderr and not re.search(r"^saliency: \d+/", p.stderr, re.M)


def make_records(n, pictures):
    """n records (indices 0..n-1) whose pictures are the files of a real run
    (pictures: records of it)."""
    recs = []
    for i in range(n):
        r = dict(pictures[i % len(pictures)])
        r["index"], r["name"] = i, f"img{i:06d}"
        recs.append(r)
    return recs


def test_merge_of_many_shards_streams_and_the_page_shows_one_page(tmp_path):
    """100 shards of 200 records: merged in seconds, and index.html opens
    with 48 cards of pictures, none broken, and the totals of all."""
    real = tmp_path / "real"
    ok("saliency", IMAGES, "--model", V2, "-o", real, "-q")
    base = report(real)
    pictures = [r for r in base["images"] if r["status"] == "ok"]
    for r in pictures:  # shards live in sub-folders of real: paths relative to them
        r["outputs"] = {k: "../" + v for k, v in r["outputs"].items()}
    shards, per = 100, 200
    for k in range(shards):
        d = real / f"s{k:03d}"
        d.mkdir()
        recs = make_records(per, pictures)
        for r in recs:
            r["index"] += k * per
        root = {key: base[key] for key in ("tool", "version", "method", "model", "display")}
        root["images"], root["totals"] = recs, {"seconds": 1.0}
        (d / "summary.json").write_text(json.dumps(root))
    out = tmp_path / "merged"
    t0 = time.time()
    p = ok("merge", *sorted(real.glob("s[0-9]*")), "-o", out)
    seconds = time.time() - t0
    assert f"{shards * per} images" in p.stdout
    assert seconds < 30, seconds  # a bound for a hung merge, not a speed claim
    merged = report(out)
    assert [r["index"] for r in merged["images"]] == list(range(shards * per))
    assert merged["totals"]["images"] == shards * per
    if not shutil.which("chromium"):
        pytest.skip("needs Debian's chromium for the page")
    with tempfile.TemporaryDirectory() as profile:
        page = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                               "--no-first-run", "--disable-background-networking",
                               f"--user-data-dir={profile}", "--virtual-time-budget=20000",
                               "--dump-dom", (out / "index.html").as_uri()],
                              capture_output=True, text=True, timeout=180)
    body = page.stdout[page.stdout.index("<body"):]
    # 48 cards on the first page, each with original, heatmap and overlay
    tag = body[:body.index(">")]
    assert 'data-loaded="144"' in tag and 'data-broken="0"' in tag, tag
    assert body.count('class="card"') == 48
    assert f"1-48 of {shards * per}" in body


@pytest.mark.skipif(SANITIZED, reason="the failing-input and --resume paths run in other cases")
def test_a_folder_that_changes_during_the_run_fails_only_the_pictures_that_went(tmp_path):
    """The input list is read once, at the start: a picture removed or cut
    short later fails alone, one added later waits for the next run (with
    --resume, the only one computed then)."""
    d = tmp_path / "many"
    d.mkdir()
    names = [f"{i:02d}{(IMAGES / PHOTOS[i % len(PHOTOS)]).suffix}" for i in range(24)]
    for i, name in enumerate(names):
        shutil.copy(IMAGES / PHOTOS[i % len(PHOTOS)], d / name)
    out = tmp_path / "out"
    p = subprocess.Popen([BIN, "saliency", d, "--model", V2, "-o", out, "--batch-size", "1",
                          "-q"], stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not list(out.glob("*.saliency.json")) and time.time() < deadline:
        time.sleep(0.005)
    p.send_signal(signal.SIGSTOP)
    done = len(list(out.glob("*.saliency.json")))
    removed, cut = d / names[22], d / names[21]
    removed.unlink()
    cut.write_bytes(cut.read_bytes()[:2000])
    shutil.copy(IMAGES / "cat.bmp", d / "00a-added.bmp")
    p.send_signal(signal.SIGCONT)
    _, err = p.communicate(timeout=300)
    assert done < 20, "the run was past the changed pictures before they changed"
    assert p.returncode == 1, err  # some inputs failed, the rest were written
    lines = err.strip().splitlines()
    assert len(lines) == 2 and names[21] in lines[0] and names[22] in lines[1], err
    recs = {r["name"]: r for r in report(out)["images"]}
    assert len(recs) == 24 and "00a-added" not in recs
    assert {n for n, r in recs.items() if r.get("error")} == {names[21][:2], names[22][:2]}
    again = saliency(d, out, "--resume")
    assert again.returncode == 1  # the cut picture still fails
    t = report(out)["totals"]
    assert (t["images"], t["skipped"], t["failed"]) == (24, 22, 1)  # 23 listed now, +1 added
    assert "00a-added" in {r["name"] for r in report(out)["images"]}


def small_disk(path, size):
    """A tmpfs of size bytes at path; False where mounting is not allowed."""
    path.mkdir()
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", path],
                          capture_output=True).returncode == 0


@pytest.mark.skipif(SANITIZED, reason="the write-failure and --resume paths run in other cases")
@pytest.mark.parametrize("workers", ["0", "2"])  # in turn, and beside the passes
def test_a_disk_full_half_way_stops_with_exit_4_and_resume_finishes_after_space_is_freed(
        folder, tmp_path, workers):
    whole = tmp_path / "whole"
    assert saliency(folder, whole, "-q").returncode == 1  # the broken file fails alone
    need = sum(p.stat().st_size for p in whole.rglob("*") if p.is_file())
    out = tmp_path / "small"
    if not small_disk(out, need * 2 // 5 // 4096 * 4096):
        pytest.skip("mounting a small tmpfs is not allowed here")
    try:
        p = saliency(folder, out, "-q", "--workers", workers)
        assert p.returncode == 4, p.stderr
        lines = p.stderr.strip().splitlines()  # the broken picture's line, then the disk's
        assert "No space left on device" in lines[-1] and len(lines) <= 2, p.stderr
        finished = list(out.rglob("*.saliency.json"))
        assert 0 < len(finished) < len(PHOTOS)
        for f in finished:  # what was finished is whole
            for path in json.loads(f.read_text())["outputs"].values():
                if path.endswith(".png"):
                    Image.open(path).verify()
        leftovers = [p.name for p in out.rglob("*") if p.is_file() and not
                     p.name.endswith((".png", ".json"))]
        assert leftovers == []
        assert not (out / "summary.json").exists()
        subprocess.run(["mount", "-o", "remount,size=256m", out], check=True)
        again = saliency(folder, out, "--resume", "--workers", workers)
        assert again.returncode == 1, again.stderr
        assert records(out) == records(whole)
        assert report(out)["totals"]["skipped"] == len(finished)
    finally:
        subprocess.run(["umount", out], check=True)
