#!/usr/bin/env python3
"""Runs the examples of the README and the manual, so their output cannot go
stale: with --update it writes what each command prints into its block; by
default it checks that what they print now is what the page says.

    scripts/doc-examples.py [--update] [--list] [FILE.md ...]

A page's example is a fenced block whose first line is a command (`$ ...`),
with a marker comment on the line above it:

    <!-- example -->              run it; its output is checked
    <!-- example setup=photos --> the same, in a folder that has photos/
                                  (also: val, an ImageFolder tree; vit,
                                  multilabel and tasks, the tests' small
                                  models; embedder, MobileNetV2's features;
                                  dense, MobileNetV2 fully convolutional;
                                  faces, MTCNN's P-Net exported from
                                  examples/models, facenet-pytorch's weights)
    <!-- example volatile -->     run it; only the words are checked, not the
                                  numbers or quoted names, and its pictures
                                  by their size: what the machine's speed or
                                  another CPU's rounding decides (timings;
                                  the hundreds of steps of an optimisation
                                  or an attack, which rounding takes
                                  elsewhere: classviz, fool)
    <!-- example picture=out/demo/x.png:docs/img/x.png -->
                                  and the picture it writes is the page's
                                  (--update copies it; the check compares
                                  pixels, a mean difference of 10 levels or
                                  less passes)
    <!-- illustration: WHY -->    not run, and WHY says why (a kill at a
                                  chosen moment, a file the reader has)

A `$ ` block with no marker is an error, so every new example says which it
is. Commands run with bash, on a pseudo-terminal as a reader's would, in
one scratch folder per page (blocks in order,
so a later block sees an earlier one's files), beside a `shared` link to the
shared data (`../shared/...` works as in the checkout), `examples/` linked,
`attrib` on PATH, 2 threads. What they print there is the output (the
progress lines, drawn and wiped, left out).

Numbers are compared with a tolerance (1 % relative plus two units of the
last printed digit; below 1e-5 on both sides, a rounding residue or a map's
near-zero minimum, only that), so another thread count or CPU does not fail
the check while a changed result, format or message does: on an AMD EPYC the
pages recorded on an Intel CPU differ by up to 0.7 % (eval's AUCs) where a
ReLU6 unit flips on its kink, and by up to 9x in residues below 1e-5 (a
map's near-zero minimum, DeepLIFT's completeness error). Time figures ("0.5 s",
"11.8/s", "seconds": ...) are not compared. Exit 0: up to date (or
updated); 1: stale examples (listed, with the command to update them); 2:
a page or an example that cannot be run as written.
"""
import argparse
import difflib
import os
import pathlib
import pty
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
PAGES = ["README.md", "docs/manual"]
PHOTOS = ["bird.bmp", "cat.bmp", "cat_720p.jpg", "dragonfly.bmp", "grace_hopper.bmp",
          "hot_dog.jpg", "missvickie_potato_chips.bmp", "parrot.jpg", "resized_cat.bmp",
          "squat.bmp", "sunflower.bmp"]
# an ImageFolder tree with two photos in the wrong class's folder
VAL = {"19": ["bird.bmp", "parrot.jpg"], "285": ["cat.bmp", "cat_720p.jpg", "hot_dog.jpg",
       "resized_cat.bmp"], "652": ["grace_hopper.bmp"], "hotdog": ["hot_dog.jpg"]}
MARKER = re.compile(r"^<!-- (example|illustration)(?::? ?(.*?))? -->$")
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")
QUOTED = re.compile(r'"[^"]*"')  # a class's name: a volatile example's top-1 may be another
# what a machine's speed decides: never compared
TIMES = [re.compile(p) for p in (
    r"\d+(?:\.\d+)? s\b", r"\d+(?:\.\d+)?/s\b", r"\d+(?:\.\d+)? ms\b",
    r'"(?:seconds|images_per_second|[a-z_]*_ms|total_ms|wall_ms)":\s*[\d.e+-]+',
    r"ETA \d+:\d+")]


class PageError(Exception):
    pass


def setup(kind, cwd, shared, test_models):
    """The files an example's folder needs besides the shared data."""
    if kind == "photos":
        (cwd / "photos").mkdir(exist_ok=True)
        for p in PHOTOS:
            shutil.copy(shared / "images" / p, cwd / "photos" / p)
    elif kind == "val":
        for cls, files in VAL.items():
            (cwd / "val" / cls).mkdir(parents=True, exist_ok=True)
            for f in files:
                shutil.copy(shared / "images" / f, cwd / "val" / cls / f)
    elif kind == "vit":  # the tests' two-block ViT (random weights, seeded) and a photo
        import warnings
        warnings.simplefilter("ignore", FutureWarning)  # torch.jit.script's deprecation
        sys.path.insert(0, str(ROOT / "tests"))
        from tvmodels import torchvision_model  # torch and torchvision: the tests' venv
        _, path, _ = torchvision_model("vit_small", "script")
        shutil.copy(path, cwd / "vit_small.pt")
        shutil.copy(shared / "images" / "cat.bmp", cwd / "cat.bmp")
    elif kind == "multilabel":  # the tests' multi-label model (tests/models)
        shutil.copy(test_models / "multilabel.pt", cwd / "multilabel.pt")
    elif kind == "tasks":  # the tests' segmenter, embedder and detectors (tests/models)
        for name in ("segmenter", "embedder", "yolo", "detr"):
            shutil.copy(test_models / f"{name}.pt", cwd / f"{name}.pt")
    elif kind == "embedder":  # MobileNetV2 without its head, as docs/manual/targets.md makes it
        make_embedder(shared / "models" / "mobilenet_v2_1.0_224.pt", cwd / "mnv2_embedder.pt")
    elif kind == "dense":  # MobileNetV2 fully convolutional, as docs/manual/targets.md makes it
        make_dense(shared / "models" / "mobilenet_v2_1.0_224.pt", cwd / "mnv2_dense.pt")
    elif kind == "faces":  # MTCNN's P-Net as a face detector, exported as targets.md says
        subprocess.run([sys.executable, str(ROOT / "scripts" / "export-model.py"), "--module",
                        f"{ROOT / 'examples' / 'models' / 'mtcnn_faces.py'}:FaceCells",
                        "--module-args", '{"scale": 0.06}', "-o", str(cwd / "faces.pt2")],
                       check=True, stdout=subprocess.DEVNULL)
    else:
        raise PageError(f"unknown setup '{kind}'")


def make_embedder(classifier, out):
    """The shared MobileNetV2 without its classifier: its pooled features
    [N, 1280], an embedder with real weights (the snippet targets.md shows)."""
    import json
    import warnings
    warnings.simplefilter("ignore", FutureWarning)  # torch.jit's deprecation
    import torch

    class Embedder(torch.nn.Module):
        def __init__(self, features):
            super().__init__()
            self.features = features

        def forward(self, x):
            return self.features(x).mean([2, 3])

    files = {"attrib.json": ""}
    net = torch.jit.load(str(classifier), _extra_files=files)
    card = json.loads(files["attrib.json"])
    card.update(name="mobilenet_v2-embedder", task="embedding")
    card.pop("labels", None)
    torch.jit.save(torch.jit.script(Embedder(net.features)), str(out),
                   _extra_files={"attrib.json": json.dumps(card)})


def make_dense(classifier, out):
    """The shared MobileNetV2 made fully convolutional: its classifier
    applied at each of the last feature map's 7x7 positions (as FCN made
    classifiers segmenters), class logits [N, 1000, 7, 7] with real
    weights (the snippet targets.md shows)."""
    import json
    import warnings
    warnings.simplefilter("ignore", FutureWarning)  # torch.jit's deprecation
    import torch

    class Dense(torch.nn.Module):
        def __init__(self, features, classifier):
            super().__init__()
            self.features = features
            self.classifier = classifier

        def forward(self, x):
            return self.classifier(self.features(x).permute(0, 2, 3, 1)).permute(0, 3, 1, 2)

    files = {"attrib.json": ""}
    net = torch.jit.load(str(classifier), _extra_files=files)
    card = dict(json.loads(files["attrib.json"]), name="mobilenet_v2-dense", task="segmentation")
    torch.jit.save(torch.jit.script(Dense(net.features, net.classifier)), str(out),
                   _extra_files={"attrib.json": json.dumps(card)})


def blocks(text, path):
    """(marker, options, first line index, last line index) of each $-block."""
    lines = text.split("\n")
    out, i = [], 0
    while i < len(lines):
        if lines[i].startswith("```"):
            j = i + 1
            while j < len(lines) and not lines[j].startswith("```"):
                j += 1
            if j == len(lines):
                raise PageError(f"{path}:{i + 1}: a code block that does not end")
            if j > i + 1 and lines[i + 1].startswith("$ "):
                m = MARKER.match(lines[i - 1]) if i > 0 else None
                if not m:
                    raise PageError(f"{path}:{i + 2}: an example without <!-- example --> or "
                                    "<!-- illustration: why --> above it")
                out.append((m.group(1), (m.group(2) or "").split(), i + 1, j))
            i = j + 1
        else:
            i += 1
    return out


def commands(body):
    """The commands of a block, continuation lines joined."""
    cmds, cur = [], None
    for line in body:
        if line.startswith("$ "):
            cur = [line[2:]]
            cmds.append(cur)
        elif cur is not None and cur[-1].endswith("\\"):
            cur.append(line)
    return ["\n".join(c) for c in cmds]


# a progress line drawn and wiped on a terminal: "\r...ESC[K"
PROGRESS = re.compile(r"\r[^\r\n]*?\x1b\[K")


def on_a_terminal(cmd, cwd, env):
    """What cmd prints on a terminal, as a reader running it sees it: stdout
    and stderr in the order they were written (stdout is line-buffered
    there), `ls` in columns; progress lines, drawn and wiped, left out."""
    leader, follower = pty.openpty()
    p = subprocess.Popen(["bash", "-c", cmd], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                         stdout=follower, stderr=follower)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the follower's last holder has gone
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    p.wait(timeout=900)
    text = seen.decode("utf-8", "replace").replace("\r\n", "\n")
    return PROGRESS.sub("", text)


def run_block(body, cwd, env):
    out = []
    for cmd in commands(body):
        out.extend(("$ " + cmd).split("\n"))
        text = on_a_terminal(cmd, cwd, env).rstrip("\n")
        if text:
            out.extend(text.split("\n"))
    return out


def masked(line):
    for t in TIMES:
        line = t.sub("<time>", line)
    return line


def last_digit(s):
    """The value of one unit of s's last printed digit ("0.7830": 1e-4)."""
    mantissa, _, exponent = s.lower().partition("e")
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    return 10.0 ** (int(exponent or 0) - decimals)


RELATIVE = 1e-2   # of the larger number
RESIDUE = 1e-5    # below it on both sides: rounding, compared no further


def same_number(a, b):
    x, y = float(a), float(b)
    if max(abs(x), abs(y)) < RESIDUE:
        return True
    return abs(x - y) <= RELATIVE * max(abs(x), abs(y)) + 2 * max(last_digit(a), last_digit(b))


def same_line(a, b, volatile):
    # runs of spaces as one: a wider number moves its table's columns
    a, b = (re.sub(r"\s+", " ", masked(x)).strip() for x in (a, b))
    if volatile:
        return (NUMBER.sub("#", QUOTED.sub('"#"', a)) == NUMBER.sub("#", QUOTED.sub('"#"', b)))
    if NUMBER.sub("#", a) != NUMBER.sub("#", b):
        return False
    return all(same_number(x, y) for x, y in zip(NUMBER.findall(a), NUMBER.findall(b)))


def same(page, now, volatile):
    return len(page) == len(now) and all(same_line(a, b, volatile) for a, b in zip(page, now))


def picture_stale(made, kept, volatile=False):
    """Whether the picture a command wrote differs from the page's copy (a
    volatile example's: its size)."""
    if not made.exists():
        return f"{made.name} was not written"
    if not kept.exists():
        return f"{kept} is not there"
    try:
        import numpy as np
        from PIL import Image
    except ImportError:  # a python without them checks the text alone
        return None
    a, b = (np.asarray(Image.open(f).convert("RGB"), dtype=float) for f in (made, kept))
    if a.shape != b.shape:
        return f"{kept}: {b.shape[1]}x{b.shape[0]}, the command's is {a.shape[1]}x{a.shape[0]}"
    if volatile:
        return None
    diff = np.abs(a - b).mean()
    return f"{kept}: differs by {diff:.1f} levels on average" if diff > 10 else None


def pictures(opts, cwd, update):
    """The block's pictures: copied into the docs (update), or what is stale."""
    out = []
    for o in opts:
        if o.startswith("picture="):
            made, kept = o[len("picture="):].split(":")
            made, kept = cwd / made, ROOT / kept
            if update and made.exists():
                kept.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(made, kept)
            elif not update:
                why = picture_stale(made, kept, "volatile" in opts)
                if why:
                    out.append(why)
    return out


def shown(page):
    """A page's path as messages give it: from the checkout when inside it."""
    try:
        return page.relative_to(ROOT)
    except ValueError:
        return page


def pages(args):
    found = []
    for p in args or PAGES:
        p = ROOT / p if not os.path.isabs(p) else pathlib.Path(p)
        found.extend(sorted(p.glob("*.md")) if p.is_dir() else [p])
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--update", action="store_true", help="write the output into the pages")
    ap.add_argument("--list", action="store_true", help="list the examples, run nothing")
    ap.add_argument("-v", "--verbose", action="store_true", help="say how long each took")
    ap.add_argument("pages", nargs="*")
    a = ap.parse_args()
    build = pathlib.Path(os.environ.get("ATTRIB_BUILD_DIR", ROOT / "build"))
    shared = pathlib.Path(os.environ.get("ATTRIB_SHARED", ROOT.parent / "shared")).resolve()
    test_models = pathlib.Path(os.environ.get("ATTRIB_TEST_MODELS", build / "test-models"))
    if not (build / "attrib").exists():
        print(f"doc-examples: no attrib in {build} (build first, or set ATTRIB_BUILD_DIR)",
              file=sys.stderr)
        return 2
    env = dict(os.environ, PATH=f"{build}:{os.environ['PATH']}", ATTRIB_THREADS="2",
               ATTRIB_MODEL=str(shared / "models" / "mobilenet_v2_1.0_224.pt"), LC_ALL="C",
               TABSIZE="0")  # ls: columns in spaces
    env.pop("OMP_NUM_THREADS", None)
    stale, ran, told = [], 0, 0
    try:
        for page in pages(a.pages):
            text = page.read_text()
            lines = text.split("\n")
            found = blocks(text, shown(page))
            if a.list:
                for kind, opts, first, last in found:
                    print(f"{shown(page)}:{first + 1}: {kind} {' '.join(opts)}: "
                          f"{lines[first][2:80]}")
                continue
            with tempfile.TemporaryDirectory() as tmp:
                tmp = pathlib.Path(tmp)
                (tmp / "shared").symlink_to(shared)
                cwd = tmp / "work"
                cwd.mkdir()
                (cwd / "examples").symlink_to(ROOT / "examples")
                done, results = set(), []
                for kind, opts, first, last in found:
                    if kind == "illustration":
                        told += 1
                        continue
                    for o in opts:
                        if o.startswith("setup=") and o not in done:
                            setup(o[len("setup="):], cwd, shared, test_models)
                            done.add(o)
                    body = lines[first:last]
                    t0 = time.monotonic()
                    now = run_block(body, cwd, env)
                    ran += 1
                    if a.verbose:
                        print(f"{shown(page)}:{first + 1}: {time.monotonic() - t0:.1f} s",
                              file=sys.stderr)
                    for why in pictures(opts, cwd, a.update):
                        print(f"{shown(page)}:{first + 1}: {why}")
                        stale.append((page, first, None, None))
                    if not same(body, now, "volatile" in opts):
                        results.append((first, last, now))
                        stale.append((page, first, body, now))
                if a.update and results:  # from the last up, so line numbers stay true
                    for first, last, now in reversed(results):
                        lines[first:last] = now
                    page.write_text("\n".join(lines))
    except PageError as e:
        print(f"doc-examples: {e}", file=sys.stderr)
        return 2
    if a.list:
        return 0
    if a.update:
        print(f"doc-examples: {ran} examples run, {len(stale)} updated, {told} illustrations")
        return 0
    for page, first, body, now in stale:
        if body is None:
            continue  # a picture, told above
        print(f"{shown(page)}:{first + 1}: the example's output has changed:")
        sys.stdout.writelines(difflib.unified_diff([l + "\n" for l in body], [l + "\n" for l in now],
                                                   "page", "now", n=1))
    if stale:
        print(f"doc-examples: {len(stale)} of {ran} examples stale; scripts/doc-examples.py "
              "--update writes what they print now (then read the diff)")
        return 1
    print(f"doc-examples: {ran} examples as printed, {told} illustrations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
