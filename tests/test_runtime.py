"""What attrib runs on: the libtorch line it was built against (--version,
the summary JSON), the threads and device it runs the model on (--threads
and the variables, --device), and a model file that needs an operator this
libtorch lacks."""
import json
import os
import re
import shutil
import subprocess
import zipfile

import numpy as np
import pytest
import torch

from conftest import BIN, IMAGES, V2, assert_close_at_kinks, assert_one_line_error, json_lines, ok, run

CAT = IMAGES / "cat.bmp"


@pytest.fixture(scope="module")
def version():
    """--version's lines: attrib, then 'libtorch V, CUDA compiled in' or
    'libtorch V, CPU only (no CUDA)', then the visible devices with CUDA."""
    lines = ok("--version").stdout.splitlines()
    assert lines[0].startswith("attrib ")
    assert lines[1].startswith("libtorch ")
    libtorch, kind = lines[1][len("libtorch "):].split(", ")
    assert kind in ("CUDA compiled in", "CPU only (no CUDA)")
    return {"libtorch": libtorch, "cuda": kind == "CUDA compiled in", "lines": lines}


def test_version_names_the_libtorch_line_the_oracle_uses(version):
    # The oracles compare against the PyTorch of the same major line.
    assert version["libtorch"].split(".")[0] == torch.__version__.split(".")[0]
    assert len(version["lines"]) == (3 if version["cuda"] else 2)


def test_summary_json_records_libtorch_version_and_device(version, tmp_path):
    r = json.loads(ok("saliency", CAT, "--model", V2, "-o", tmp_path, "--json",
                      "--device", "cpu").stdout)
    assert r["model"]["libtorch"] == version["libtorch"]
    assert r["model"]["device"] == "cpu"
    on_disk = json.loads((tmp_path / "cat.saliency.json").read_text())
    assert on_disk["model"]["device"] == "cpu"


# No thread variable set: what a user's shell has unless they set one.
NO_THREAD_VARIABLES = {"ATTRIB_THREADS": None, "OMP_NUM_THREADS": None}


def threads_of(tmp_path, *args, env=None, command=("saliency", CAT)):
    p = ok(*command, "--model", V2, "-o", tmp_path, "--json", *args,
           env={**NO_THREAD_VARIABLES, **(env or {})})
    s = json.loads(p.stdout.splitlines()[-1])
    return s["threads"], s["threads_from"], p.stderr


@pytest.mark.parametrize("env,args,want", [
    ({}, ("--threads", 1), (1, "--threads")),
    ({"ATTRIB_THREADS": "1"}, (), (1, "ATTRIB_THREADS")),
    ({"OMP_NUM_THREADS": "1"}, (), (1, "OMP_NUM_THREADS")),
    ({"OMP_NUM_THREADS": "1,1"}, (), (1, "OMP_NUM_THREADS")),  # OpenMP's nesting list
    ({"ATTRIB_THREADS": "1", "OMP_NUM_THREADS": "3"}, (), (1, "ATTRIB_THREADS")),
    ({"ATTRIB_THREADS": "3", "OMP_NUM_THREADS": "3"}, ("--threads", 1), (1, "--threads"))])
def test_thread_count_is_the_option_then_attrib_threads_then_omp_num_threads(env, args, want,
                                                                             tmp_path):
    got = threads_of(tmp_path, *args, env=env)
    assert got[:2] == want
    assert got[2] == ""


def test_default_threads_are_the_cores_this_process_may_use(tmp_path):
    count, source, _ = threads_of(tmp_path)
    assert source == "default"
    assert 1 <= count <= len(os.sched_getaffinity(0))
    if len(os.sched_getaffinity(0)) > 1 and shutil.which("taskset"):
        env = {k: v for k, v in os.environ.items() if k not in NO_THREAD_VARIABLES}
        p = subprocess.run(["taskset", "-c", "0", BIN, "saliency", str(CAT), "--model", str(V2),
                            "-o", str(tmp_path), "--json"], capture_output=True, text=True,
                           env=env, check=True)
        assert json.loads(p.stdout)["threads"] == 1


@pytest.mark.parametrize("command", [("fool", CAT, "--attack", "fgsm", "--target", 291),
                                     ("classviz", "--class", 1, "--iters", 2)])
def test_every_command_reports_its_threads_and_what_chose_them(command, tmp_path):
    assert threads_of(tmp_path, env={"ATTRIB_THREADS": "1"}, command=command)[:2] == \
        (1, "ATTRIB_THREADS")


@pytest.mark.parametrize("value", ["0", "two", "-3", "2.5", "100000"])
def test_a_bad_attrib_threads_is_a_usage_error_before_any_image(value, tmp_path):
    p = run("saliency", CAT, "--model", V2, "-o", tmp_path / "out",
            env={"ATTRIB_THREADS": value, "OMP_NUM_THREADS": None})
    assert_one_line_error(p, 2, f"ATTRIB_THREADS='{value}'", "thread count")
    assert not (tmp_path / "out").exists()


def test_a_bad_omp_num_threads_is_passed_over_with_one_warning(tmp_path):
    count, source, err = threads_of(tmp_path, env={"OMP_NUM_THREADS": "lots"})
    assert source == "default" and count >= 1
    lines = err.strip().splitlines()
    if os.environ.get("ATTRIB_SANITIZED") == "1":
        # the sanitizer build loads libtorch (and libgomp, which reads the
        # variable) at exec, before attrib sees it (CMakeLists.txt)
        lines = [line for line in lines if line and not line.startswith("libgomp:")]
    assert lines == ["attrib: warning: OMP_NUM_THREADS='lots' is not a thread count; ignored"]


def test_auto_device_is_the_cpu_without_a_visible_gpu(version, tmp_path):
    if version["cuda"] and int(version["lines"][2].split(": ")[1]) > 0:
        pytest.skip("a GPU is visible: auto picks it")
    r = json_lines(ok("predict", CAT, "--model", V2, "--json").stdout)[0]
    p = ok("gradcam", CAT, "--model", V2, "-o", tmp_path, "--json")
    assert json.loads(p.stdout)["model"]["device"] == "cpu"
    assert r["top"][0]["index"] == 285


def test_cpu_only_build_refuses_cuda_with_one_line(version, tmp_path):
    if version["cuda"]:
        pytest.skip("this attrib has CUDA")
    for dev in ("cuda", "cuda:0", "cuda:1"):
        p = run("saliency", CAT, "--model", V2, "-o", tmp_path / "out", "--device", dev)
        assert_one_line_error(p, 2, "built without CUDA support")
    assert not (tmp_path / "out").exists()


def test_a_cuda_device_that_is_not_there_is_named(version, tmp_path):
    if not version["cuda"]:
        pytest.skip("this attrib has no CUDA")
    p = run("saliency", CAT, "--model", V2, "-o", tmp_path / "out", "--device", "cuda:63")
    assert_one_line_error(p, 2, "there is no CUDA device 63")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("value, says", [
    ("gpu", "--device must be auto, cpu, cuda or cuda:N; got 'gpu'"),
    ("cuda:x", "must be an integer from 0 to 63, got 'x'"),
    ("cuda:64", "must be an integer from 0 to 63, got 64"),
    ("cuda:", "got ''"),
    ("CPU", "--device must be auto, cpu, cuda or cuda:N"),
])
def test_bad_device_value_is_one_line_and_exit_2(value, says, tmp_path):
    for command in (["saliency", CAT, "-o", tmp_path], ["predict", CAT],
                    ["classviz", "--class", "1", "-o", tmp_path / "v.png"]):
        assert_one_line_error(run(*command, "--model", V2, "--device", value), 2, says)


def test_every_model_running_command_takes_device():
    options = json.loads(ok("help", "--json").stdout)
    commands = [c for c in options["commands"]
                if any(o["name"] == "model" for o in c["options"])]
    assert len(commands) >= 14  # predict, the 10 methods, eval, fool, classviz
    for c in commands:
        assert any(o["name"] == "device" for o in c["options"]), c["name"]


@pytest.fixture(scope="module")
def needs_missing_operator(test_models, tmp_path_factory):
    """tiny.pt with its final relu replaced by an operator no libtorch has:
    what a file saved by a newer PyTorch looks like to an older libtorch."""
    out = tmp_path_factory.mktemp("newer") / "newer.pt"
    with zipfile.ZipFile(test_models / "tiny.pt") as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.endswith("code/__torch__.py"):
                assert b"torch.relu(" in data
                data = data.replace(b"torch.relu(", b"torch.attrib_operator_from_the_future(")
            dst.writestr(item, data)
    return out


def test_model_needing_a_newer_libtorch_names_the_operator(needs_missing_operator, version,
                                                            tmp_path):
    p = run("saliency", CAT, "--model", needs_missing_operator, "-o", tmp_path / "out")
    assert_one_line_error(p, 3, "aten::attrib_operator_from_the_future",
                          f"libtorch {version['libtorch']}", "scripts/setup.sh --libtorch")
    assert "def forward" not in p.stderr and "HERE" not in p.stderr
    assert not (tmp_path / "out").exists()


def photo_folder(tmp_path, names=("cat.bmp", "bird.bmp", "sunflower.bmp", "squat.bmp",
                                  "dragonfly.bmp")):
    d = tmp_path / "in"
    d.mkdir()
    for n in names:
        (d / n).write_bytes((IMAGES / n).read_bytes())
    return d


# ATTRIB_TEST_NOMEM_ABOVE=N makes the shim fail every pass over more than N
# inputs as out of memory: a GPU running out of memory, simulated on the CPU.
def test_out_of_memory_in_a_batch_goes_on_with_smaller_mini_batches(tmp_path):
    folder = photo_folder(tmp_path)
    want = tmp_path / "want"
    ok("saliency", folder, "--model", V2, "-o", want, "--save-raw", "-q")
    (folder / "broken.jpg").write_bytes(b"not a jpeg")
    got = tmp_path / "got"
    p = run("saliency", folder, "--model", V2, "-o", got, "--save-raw", "-q",
            "--batch-size", "8", env={"ATTRIB_TEST_NOMEM_ABOVE": "2"})
    assert p.returncode == 1, p.stderr  # the broken file, and only it
    lines = p.stderr.strip().splitlines()
    assert sum("broken.jpg" in l for l in lines) == 1, lines
    assert "out of memory on cpu for a mini-batch of 5: going on with mini-batches of 2" \
        in lines[1]
    assert len(lines) == 2
    for n in ("cat", "bird", "sunflower", "squat", "dragonfly"):
        # the same maps up to the rounding another batch size brings
        a, b = np.load(got / f"{n}.saliency.npy"), np.load(want / f"{n}.saliency.npy")
        assert np.abs(a - b).max() <= 1e-4 * np.abs(b).max(), n
    summary = json.loads((got / "summary.json").read_text())
    assert summary["totals"]["failed"] == 1 and summary["totals"]["images"] == 6


def test_an_image_that_needs_more_memory_than_there_is_fails_alone(tmp_path):
    folder = photo_folder(tmp_path, ("cat.bmp", "bird.bmp"))
    out = tmp_path / "out"
    p = run("integrated-gradients", folder, "--model", V2, "-o", out, "--steps", "4",
            "--internal-batch", "4", env={"ATTRIB_TEST_NOMEM_ABOVE": "2"})
    assert p.returncode == 1
    lines = [l for l in p.stderr.strip().splitlines() if "error" in l]
    assert len(lines) == 2 and all("out of memory on cpu for this image alone" in l
                                   and "--internal-batch" in l for l in lines), p.stderr
    assert not list(out.glob("*.png")) and not list(out.glob("*.integrated-gradients.json"))
    # with passes small enough, the same run succeeds
    ok("integrated-gradients", folder, "--model", V2, "-o", out, "--steps", "4",
       "--internal-batch", "2", "-q", env={"ATTRIB_TEST_NOMEM_ABOVE": "2"})
    assert len(list(out.glob("*.integrated-gradients.png"))) == 2


def peak_mb(*args):
    """Runs attrib under /usr/bin/time; its exit status, stdout, stderr and
    peak resident memory in MB. (Not wait4 from here: a child forked from
    this Python, torch imported, inherits its ru_maxrss of about 1 GB.)"""
    env = dict(os.environ)
    env.pop("ATTRIB_MODEL", None)
    p = subprocess.run(["/usr/bin/time", "-f", "peak-kb %M", BIN, *map(str, args)],
                       capture_output=True, text=True, stdin=subprocess.DEVNULL, env=env)
    lines = p.stderr.strip().splitlines()
    assert lines and lines[-1].startswith("peak-kb "), p.stderr
    return p.returncode, p.stdout, "\n".join(lines[:-1]), int(lines[-1].split()[1]) / 1024


MEMORY_BOUND_MB = 600


@pytest.mark.skipif(os.environ.get("ATTRIB_SANITIZED") == "1",
                    reason="ASan's shadow memory inflates RSS past any bound")
def test_max_memory_keeps_the_peak_within_the_bound_with_the_same_map(tmp_path):
    common = ("integrated-gradients", CAT, "--model", V2, "--steps", 16, "--json")
    rc, out, err, free_peak = peak_mb(*common, "--internal-batch", 16, "-o", tmp_path / "a",
                                      "--raw", tmp_path / "a.npy")
    assert rc == 0, err
    assert free_peak > MEMORY_BOUND_MB  # else this test shows nothing
    rc, out, err, bounded_peak = peak_mb(*common, "--internal-batch", 16, "-o", tmp_path / "b",
                                         "--raw", tmp_path / "b.npy",
                                         "--max-memory", MEMORY_BOUND_MB)
    assert rc == 0, err
    assert bounded_peak <= MEMORY_BOUND_MB, (bounded_peak, free_peak)
    chosen = json.loads(out)["details"]["internal_batch"]
    assert 1 <= chosen < 16
    a, b = np.load(tmp_path / "a.npy"), np.load(tmp_path / "b.npy")
    # The same path in smaller batches: oneDNN blocks them otherwise, and a
    # few of MobileNetV2's ReLU6 units on their kinks flip (conftest's
    # assert_close_at_kinks). At two threads the maps are identical; at one
    # (the suites run side by side) 1.6e-3 of the max on an Intel CPU, and on
    # an AMD EPYC (libtorch 1.13, batches of 4 against 16) 6.5e-3, with 2.4 %
    # of the pixels beyond 3e-4 but 0.16 % beyond 1e-3. A wrong batching
    # would be off by the map's size at most pixels.
    assert_close_at_kinks(b, a, bulk=1e-3)


@pytest.mark.parametrize("method", [["smoothgrad"], ["gradcam", "--variant", "scorecam"]])
def test_a_memory_bound_below_one_input_is_a_usage_error(method, tmp_path):
    p = run(*method, CAT, "--model", V2, "-o", tmp_path, "--max-memory", 100)
    assert_one_line_error(p, 2, "--max-memory 100 MB is too little here")
    assert not list(tmp_path.iterdir())
    p = run("occlusion", CAT, "--model", V2, "-o", tmp_path, "--max-memory", 10)
    assert_one_line_error(p, 2, "--max-memory")


def test_timings_account_for_the_whole_run_stage_by_stage(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for n in ("cat.bmp", "parrot.jpg", "bird.bmp"):
        (folder / n).write_bytes((IMAGES / n).read_bytes())
    p = ok("saliency", folder, "--model", V2, "-o", tmp_path / "out", "-q", "--timings")
    lines = p.stderr.strip().splitlines()
    head = re.match(r"saliency: timings over 3 images, ([0-9.]+) ms wall$", lines[0])
    assert head, lines
    rows = {}
    for line in lines[2:]:
        cells = re.split(r"\s{2,}", line.strip())
        rows[cells[0]] = (float(cells[1]), float(cells[-1].rstrip("%")))
    for stage in ("model load", "decode", "preprocess", "network (libtorch)", "pictures (PNG)",
                  "JSON, raw, stdout", "batch report"):
        assert rows[stage][0] > 0, (stage, lines)
    total = sum(ms for ms, _ in rows.values())
    assert abs(total - float(head.group(1))) < 1, lines
    assert abs(sum(share for _, share in rows.values()) - 100) < 1, lines
