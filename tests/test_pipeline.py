"""The pipeline: workers that decode the next images and draw the last ones'
pictures while the network runs (--workers). What a user must not notice
is everything but the time: the same files, byte for byte, the same stdout
lines and error lines in the same order, the same report, with images that
fail, are kept by --resume or copied from --cache, passes that run out of
memory, --scale batch and an interrupt; and how the cores are shared when
nothing is said."""
import json
import os
import shutil
import signal
import subprocess
import time

import numpy as np
import pytest
from PIL import Image

from conftest import BIN, IMAGES, THREADS, V2, assert_one_line_error, json_lines, ok, run

PHOTOS = sorted(p.name for p in IMAGES.iterdir() if p.suffix in (".bmp", ".jpg"))
# under the sanitizers (scripts/test-sanitize.sh) one method stands for all: the
# driver's code is the same for each, and a run there is ten times as slow
SANITIZED = os.environ.get("ATTRIB_SANITIZED") == "1"
NO_THREAD_VARIABLES = {"ATTRIB_THREADS": None, "OMP_NUM_THREADS": None}
# what changes from run to run: times, and the threads the run was given
VOLATILE = {"timings_ms", "pass_ms", "total_ms", "load_ms", "seconds", "images_per_second",
            "workers", "threads", "threads_from", "elapsed_s"}


@pytest.fixture
def folder(tmp_path):
    """The shared photos twice over (more mini-batches than one), with an
    unreadable JPEG and a text file named .png among them."""
    d = tmp_path / "photos"
    d.mkdir()
    for k in (1, 2):
        for name in PHOTOS:
            shutil.copy(IMAGES / name, d / f"{k}-{name}")
    (d / "1-corrupt.jpg").write_bytes((IMAGES / "hot_dog.jpg").read_bytes()[:5000])
    (d / "2-notes.png").write_text("not a picture\n")
    return d


def strip(value, out=None):
    """A summary without what differs between two runs of the same job: times,
    threads, and the output folder's name in the output paths."""
    if isinstance(value, dict):
        return {k: strip(v, out) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [strip(v, out) for v in value]
    if isinstance(value, str) and out:
        return value.replace(str(out), "OUT")
    return value


def outputs(out):
    """Every file of a run: pictures and maps as bytes, JSON without times."""
    files = {}
    for f in sorted(out.rglob("*")):
        if f.is_file() and f.suffix == ".json":
            files[f.relative_to(out)] = strip(json.loads(f.read_text()), out)
        elif f.is_file() and f.suffix != ".html":
            files[f.relative_to(out)] = f.read_bytes()
    return files


def explain(method, inputs, out, *args, workers, env=None):
    inputs = inputs if isinstance(inputs, list) else [inputs]
    p = run(method, *inputs, "--model", V2, "-o", out, "--threads", THREADS,
            "--workers", workers, *args, env=env)
    p.out = out
    return p


def assert_same_run(a, b):
    assert a.returncode == b.returncode, (a.stderr, b.stderr)
    assert a.stderr == b.stderr  # the same lines, in the same order
    assert [strip(x, a.out) for x in json_lines(a.stdout)] == \
        [strip(x, b.out) for x in json_lines(b.stdout)]


@pytest.mark.parametrize("method", ["gradcam"] if SANITIZED else
                         ["saliency", "gradcam", "guided-backprop"])
def test_workers_change_no_byte_of_the_outputs_and_no_line_of_stdout_or_stderr(
        method, folder, tmp_path):
    runs = {}
    for workers in (0, 1, 3):
        runs[workers] = explain(method, folder, tmp_path / f"w{workers}", "--json",
                                "--save-raw", "--batch-size", 3, workers=workers)
    assert runs[0].returncode == 1  # the two bad files, each alone
    assert [l for l in runs[0].stderr.splitlines()] == [
        l for l in runs[0].stderr.splitlines() if "1-corrupt.jpg" in l or "2-notes.png" in l]
    assert len(json_lines(runs[0].stdout)) == 2 * len(PHOTOS)
    want = outputs(tmp_path / "w0")
    assert len([f for f in want if str(f).endswith(".npy")]) == 2 * len(PHOTOS)
    for workers in (1, 3):
        assert_same_run(runs[0], runs[workers])
        assert outputs(tmp_path / f"w{workers}") == want


def test_resumed_and_cached_images_come_in_input_order_with_workers(folder, tmp_path):
    cache = tmp_path / "cache"
    distinct = tmp_path / "distinct"  # no photo twice: see the next test
    distinct.mkdir()
    for f in sorted(folder.glob("1-*")):
        shutil.copy(f, distinct / f.name)
    seen = sorted(distinct.iterdir())[::3]  # a third of the photos seen before
    explain("saliency", seen, tmp_path / "first", "--cache", cache, "-q", workers=0)
    got = {}
    for workers in (0, 2):
        shutil.copytree(cache, tmp_path / f"cache{workers}")  # the same hits for both
        got[workers] = explain("saliency", distinct, tmp_path / f"c{workers}", "--cache",
                               tmp_path / f"cache{workers}", "--json", "--batch-size", 2,
                               workers=workers)
        lines = json_lines(got[workers].stdout)
        assert {l.get("cache") for l in lines} == {"hit", "miss"}
    assert_same_run(got[0], got[2])
    assert outputs(tmp_path / "c0") == outputs(tmp_path / "c2")
    # a run that lost half its outputs, resumed: the kept images said in their turn
    resumed = {}
    for workers in (0, 2):
        out = tmp_path / f"resumed{workers}"
        explain("saliency", folder, out, "-q", "--batch-size", 2, workers=workers)
        for f in sorted(out.glob("2-*.saliency.json")):  # half the outputs lost
            f.unlink()
        resumed[workers] = explain("saliency", folder, out, "--resume", "--json",
                                   "--batch-size", 2, workers=workers)
        assert len(json_lines(resumed[workers].stdout)) == 2 * len(PHOTOS)
    assert_same_run(resumed[0], resumed[2])
    assert outputs(tmp_path / "resumed0") == outputs(tmp_path / "resumed2")


def test_a_photo_twice_in_a_cached_run_may_be_computed_twice_with_workers(folder, tmp_path):
    """Workers look the next images up before the last ones are stored, so a
    photo whose twin (the same bytes) is among the images just before it may
    be computed again rather than copied from the entry its twin writes:
    "cache": "miss" instead of "hit", and the map its own mini-batch gives
    (batch composition moves the last bits). Without workers a batch is
    stored before the next is looked up, as always: every twin is copied."""
    got = {}
    for workers in (0, 2):
        got[workers] = explain("saliency", folder, tmp_path / f"c{workers}", "--cache",
                               tmp_path / f"cache{workers}", "--json", "--save-raw",
                               "--batch-size", 2, workers=workers)
    lines = {w: json_lines(got[w].stdout) for w in got}
    assert all(l["cache"] == ("hit" if l["image"]["path"].split("/")[-1].startswith("2-")
                              else "miss") for l in lines[0])  # every twin copied
    assert sum(l["cache"] == "hit" for l in lines[2]) < len(PHOTOS)
    for npy in sorted((tmp_path / "c0").glob("*.npy")):
        a, b = np.load(npy), np.load(tmp_path / "c2" / npy.name)
        assert np.abs(a - b).max() <= 1e-4 * np.abs(a).max(), npy.name


def test_a_pass_out_of_memory_is_halved_and_said_in_the_same_order_with_workers(
        folder, tmp_path):
    got = {w: explain("saliency", folder, tmp_path / f"w{w}", "--save-raw", "-q",
                      "--batch-size", 8, workers=w, env={"ATTRIB_TEST_NOMEM_ABOVE": "2"})
           for w in (0, 2)}
    assert got[0].returncode == 1
    lines = got[0].stderr.splitlines()
    assert "1-corrupt.jpg" in lines[0] and "2-notes.png" in lines[-1]
    assert "a mini-batch of 7: going on with mini-batches of 3" in lines[1]  # 8, one unread
    assert "a mini-batch of 3: going on with mini-batches of 1" in lines[2]
    assert_same_run(got[0], got[2])
    assert outputs(tmp_path / "w0") == outputs(tmp_path / "w2")


def test_scale_batch_measures_and_draws_the_same_with_workers(folder, tmp_path):
    got = {w: explain("gradcam", folder, tmp_path / f"w{w}", "--scale", "batch", "-q",
                      "--batch-size", 4, workers=w) for w in (0, 2)}
    assert_same_run(got[0], got[2])
    assert outputs(tmp_path / "w0") == outputs(tmp_path / "w2")


def test_a_class_file_line_out_of_range_fails_its_image_in_turn_with_workers(folder, tmp_path):
    names = sorted(p.name for p in folder.iterdir())
    classes = tmp_path / "classes.tsv"
    classes.write_text("".join(f"{folder / n}\t{5000 if i == 4 else 1}\n"
                               for i, n in enumerate(names)))
    got = {w: explain("saliency", folder, tmp_path / f"w{w}", "--class-file", classes, "--json",
                      "--batch-size", 2, workers=w) for w in (0, 2)}
    assert "is out of range" in got[0].stderr
    assert_same_run(got[0], got[2])


def test_an_interrupt_leaves_only_whole_files_while_workers_run(tmp_path):
    out = tmp_path / "out"
    images = [IMAGES / "cat_720p.jpg"] * 400
    env = {k: v for k, v in os.environ.items() if k != "ATTRIB_MODEL"}
    p = subprocess.Popen([BIN, "saliency", *map(str, images), "--model", str(V2), "-o",
                          str(out), "-q", "--workers", "2", "--batch-size", "4"],
                         stderr=subprocess.PIPE, env=env)
    deadline = time.time() + 60
    while not (out / "cat_720p.saliency.json").exists() and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    p.send_signal(signal.SIGINT)
    p.wait(timeout=60)
    assert p.returncode == -signal.SIGINT
    files = sorted(os.listdir(out))
    assert files and not [f for f in files if ".tmp-" in f], files
    for f in files:
        if f.endswith(".png"):
            Image.open(out / f).load()  # complete, decodable
        else:
            json.loads((out / f).read_text())


def cores():
    return len(os.sched_getaffinity(0))


def split_of(tmp_path, *args, inputs=None, method="saliency"):
    p = ok(method, *(inputs or [IMAGES]), "--model", V2, "-o", tmp_path / "out", "--json",
           *args, env=NO_THREAD_VARIABLES)
    s = json_lines(p.stdout)[-1]
    return s["threads"], s["workers"], s["threads_from"]


def test_a_folder_run_shares_four_cores_or_more_between_network_and_workers_unasked(tmp_path):
    n = cores()
    want = (n - n // 2, n // 2) if n >= 4 else (n, 0)  # threads.h: MIN_CORES_FOR_WORKERS
    assert split_of(tmp_path) == (*want, "default")


def test_one_image_a_many_pass_method_or_a_thread_count_keeps_every_core_for_the_network(
        tmp_path):
    n = cores()
    assert split_of(tmp_path, inputs=[IMAGES / "cat.bmp"]) == (n, 0, "default")
    assert split_of(tmp_path, "--steps", 2, method="integrated-gradients",
                    inputs=[IMAGES / "cat.bmp", IMAGES / "bird.bmp", IMAGES / "squat.bmp"]
                    ) == (n, 0, "default")
    # one mini-batch holds every image: no next batch to decode beside it
    assert split_of(tmp_path, "--batch-size", 16) == (n, 0, "default")
    # a count given is the process's share (N processes on one machine)
    assert split_of(tmp_path, "--threads", 1) == (1, 0, "--threads")


def test_workers_given_take_their_cores_from_the_networks_default(tmp_path):
    n = cores()
    assert split_of(tmp_path, "--workers", 1) == (max(1, n - 1), 1, "default")
    assert split_of(tmp_path, "--workers", 3, "--threads", 2) == (2, 3, "--threads")
    assert split_of(tmp_path, "--workers", 0) == (n, 0, "default")


def test_timings_list_what_the_workers_did_beside_the_passes(folder, tmp_path):
    p = explain("gradcam", folder, tmp_path / "out", "-q", "--timings", "--batch-size", 4,
                workers=2)
    lines = p.stderr.splitlines()
    start = lines.index("  on 2 workers, beside the passes:")
    assert [l.split()[0] for l in lines[start + 1:]] == ["decode", "preprocess", "pictures"]
    assert any(l.split()[:3] == ["waiting", "for", "workers"] for l in lines[:start])


@pytest.mark.parametrize("value", ["-1", "9", "two", "", "1.5"])
def test_a_bad_worker_count_is_refused_before_any_image(value, tmp_path):
    p = run("saliency", IMAGES / "cat.bmp", "--model", V2, "-o", tmp_path, "--workers", value)
    assert_one_line_error(p, 2, "--workers")
    assert not tmp_path.joinpath("cat.saliency.json").exists()
