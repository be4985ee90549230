"""Shared fixtures: where the tool, the shared data and the test models are,
and helpers that run attrib the way a user's script does."""
import json
import os
import pathlib
import pty
import select
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
BIN = os.environ.get("ATTRIB_BIN", str(ROOT / "build" / "attrib"))
SHARED = pathlib.Path(os.environ.get("ATTRIB_SHARED", ROOT.parent / "shared"))
IMAGES = SHARED / "images"
MODELS = SHARED / "models"
V2 = MODELS / "mobilenet_v2_1.0_224.pt"
V1 = MODELS / "mobilenet_v1_0.75_192.pt"

# Threads for attrib and for the oracles' PyTorch alike, so that both run
# the same kernels (oneDNN's blocking depends on the count).
# scripts/test.sh sets ATTRIB_TEST_THREADS=1 when it runs suites side by side.
THREADS = int(os.environ.get("ATTRIB_TEST_THREADS", "2"))

# Marks of a crash or of libtorch leaking onto the terminal.
LEAKS = ("Traceback", "frame #", "Exception raised from", "terminate called",
         "Segmentation", "Aborted", "[W ", "[E ")


def attrib_libtorch():
    """The libtorch release attrib runs on ("2.13.0"), from --version."""
    p = subprocess.run([BIN, "--version"], capture_output=True, text=True, check=True)
    return p.stdout.splitlines()[1].split()[1].rstrip(",")


def programs_supported():
    """Whether torch.export programs can be made and read here: attrib on
    libtorch 2.x and the tests' PyTorch 2.x (the 2.x line's suite)."""
    import torch
    return int(attrib_libtorch().split(".")[0]) >= 2 and int(torch.__version__.split(".")[0]) >= 2


def oracle_is_same_release():
    """Whether the oracles' PyTorch is the very release attrib runs on (Debian's
    1.13 on both sides) or only the same line (2.14 against libtorch 2.13):
    their CPU kernels (oneDNN) then round differently."""
    import re
    import torch
    return re.match(r"\d+\.\d+\.\d+", torch.__version__)[0] == attrib_libtorch()


def run(*args, env=None, stdout=subprocess.PIPE, **kw):
    """Runs attrib with args; returns the CompletedProcess (text mode).
    ATTRIB_MODEL is cleared unless env sets it; a variable env sets to None
    is removed."""
    full_env = dict(os.environ)
    full_env.pop("ATTRIB_MODEL", None)
    for name, value in (env or {}).items():
        if value is None:
            full_env.pop(name, None)
        else:
            full_env[name] = value
    return subprocess.run([BIN, *map(str, args)], stdout=stdout, stderr=subprocess.PIPE,
                          text=True, env=full_env, stdin=subprocess.DEVNULL, timeout=300, **kw)


def stderr_on_a_terminal(args, stdout_too=False):
    """Runs attrib with stderr (and with stdout_too, stdout: one terminal,
    as a user sees both) on a pseudo-terminal; (what it drew, whether the
    first progress line came while it still ran, exit code)."""
    leader, follower = pty.openpty()
    p = subprocess.Popen([BIN, *map(str, args)], stderr=follower,
                         stdout=follower if stdout_too else subprocess.DEVNULL)
    os.close(follower)
    seen, live = b"", None
    while True:
        ready, _, _ = select.select([leader], [], [], 0.1)
        if not ready:
            if p.poll() is not None:
                break
            continue
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        if live is None and b"passes" in chunk:
            live = p.poll() is None
        seen += chunk
    os.close(leader)
    return seen, live, p.wait()


def ok(*args, **kw):
    p = run(*args, **kw)
    assert p.returncode == 0, f"exit {p.returncode}: {p.stderr}"
    return p


def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def assert_one_line_error(p, code, *fragments):
    """The contract for bad input: the documented exit code, one line on
    stderr naming the problem, nothing that looks like a crash."""
    assert p.returncode == code, f"exit {p.returncode}, expected {code}: {p.stderr!r}"
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got: {p.stderr!r}"
    assert lines[0].startswith("attrib"), lines[0]
    for f in fragments:
        assert f in lines[0], f"{f!r} not in {lines[0]!r}"
    for leak in LEAKS:
        assert leak not in p.stderr, f"{leak!r} leaked: {p.stderr!r}"


@pytest.fixture(scope="session")
def test_models(tmp_path_factory):
    """The generated TorchScript models (tests/models/make_test_models.py)."""
    d = os.environ.get("ATTRIB_TEST_MODELS")
    if d and (pathlib.Path(d) / "tiny.pt").exists():
        return pathlib.Path(d)
    out = tmp_path_factory.mktemp("models")
    subprocess.run([sys.executable, str(ROOT / "tests" / "models" / "make_test_models.py"),
                    str(out)], check=True)
    return out


@pytest.fixture(scope="session")
def expected():
    """EXPECTED.tsv as {image: {"v2": (class, prob), "v1": (class, prob)}}."""
    rows = {}
    with open(IMAGES / "EXPECTED.tsv") as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            r = dict(zip(header, line.rstrip("\n").split("\t")))
            rows[r["image"]] = {"v2": (int(r["v2_top1"]), float(r["v2_prob"])),
                                "v1": (int(r["v1_top1"]), float(r["v1_prob"]))}
    return rows


@pytest.fixture
def photos(request, tmp_path):
    """A folder of the shared photos that the test module names in PHOTOS."""
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in request.module.PHOTOS:
        shutil.copy(IMAGES / name, folder / name)
    return folder


# Networks with kinks (ReLU, ReLU6) under many gradients (IG, GradientSHAP,
# LRP's gated rules): rounding flips the odd unit sitting on its kink, and
# each flip moves the pixels of that unit's receptive field. The rounding
# differs with the batch (oneDNN blocks batches differently), the release
# (2.14's oracle against libtorch 2.13 picks other kernels for some layers)
# and the CPU: on the Intel AVX-512 CPUs CI had, MobileNetV1's IG moved by
# 1.8e-3 of the max at its worst pixel; on an AMD EPYC without AVX-512, by
# 2.8e-3 against 2.14's oracle and by 1.5e-2 against 1.13's own, at 0.24 %
# and 0.44 % of the pixels beyond 3e-4 of the max. A largest difference alone
# cannot tell that from a bug, and grows with each CPU; the share of the
# pixels that moved can: one quadrature step fewer moves 77 % of V1's IG
# pixels beyond 3e-4, a wrong weighting all of them, a wrong border row more
# than KINK_CAP.
KINK_BULK = 3e-4   # of the max, held at all but KINK_SHARE of the pixels
KINK_SHARE = 0.01
KINK_CAP = 5e-2    # of the max, held at every pixel


def assert_close_at_kinks(got, want, bulk=KINK_BULK, share=KINK_SHARE):
    """got is want but for units flipped at their kinks (above)."""
    import numpy as np
    d = np.abs(got - want) / np.abs(want).max()
    moved = float((d > bulk).mean())
    assert moved <= share and d.max() <= KINK_CAP, (
        f"{moved:.3%} of the pixels beyond {bulk:g} of the max (at most {share:.1%}), "
        f"largest {d.max():.2e} (at most {KINK_CAP:g})")
