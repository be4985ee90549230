"""classviz's Lucid step against Lucent's, on the shared MobileNetV2, same
session, same threads: ms per step of `attrib classviz --param fft` (the
spectrum, the colour mix, the standard transforms, the model's forward and
backward pass, Adam) against the same loop written with Lucent 0.1.8's
parameterisation and objectives in eager PyTorch (the transforms with
PyTorch's ops from the draws attrib reports: Lucent's own need kornia; the
whole network runs forward, as in Lucent's render_vis).
Batch 1 (a class) and batch 4 (--diversity 4 on features.14 channel 37).

    .venv/test-torch2/bin/python bench/classviz_lucent.py [--bin build-torch2/attrib]
        [--steps 50] [--threads 2]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
os.environ.setdefault("ATTRIB_BIN", os.path.join(ROOT, "build-torch2", "attrib"))

import oracle  # noqa: E402
from conftest import V2  # noqa: E402
from test_classviz import lucent_start, lucid_view  # noqa: E402
from lucent.optvis import objectives, param  # noqa: E402

CASES = {
    "class 88, 1 image": (["--class", "88"], 1),
    "features.14 c37, --diversity 4": (["--layer", "features.14", "--channel", "37",
                                        "--diversity", "4"], 4),
}


def attrib_run(binary, args, steps, threads):
    with tempfile.TemporaryDirectory() as out:
        p = subprocess.run([binary, "classviz", "--model", str(V2), *args, "--param", "fft",
                            "--iters", str(steps), "--threads", str(threads), "-o", out,
                            "--json"], capture_output=True, text=True, check=True)
    return json.loads(p.stdout)


def tapped_forward(module, x, tap):
    """MobileNetV2's whole forward pass (as Lucent's render_vis runs the
    model, its hooks keeping the layer), and features.<tap>'s output."""
    for i in range(19):
        x = getattr(module.features, str(i))(x)
        if i == tap:
            kept = x
    module.classifier(x.mean([2, 3]))
    return kept


def lucent_ms(module, card, s, batch):
    """Lucent's loop over attrib's draws; ms per step."""
    params, image_f = param.image(224, fft=True, decorrelate=True, batch=batch)
    with torch.no_grad():
        params[0].copy_(lucent_start(0, 224, 224, n=batch))
    mean = torch.tensor(card["mean"]).view(1, 3, 1, 1)
    std = torch.tensor(card["std"]).view(1, 3, 1, 1)
    if batch == 1:
        loss_f = lambda seen: -module(seen)[0, 88]  # noqa: E731
    else:
        obj = objectives.channel("f", 37) - 1e2 * objectives.diversity("f")
        loss_f = lambda seen: obj(lambda name, m=tapped_forward(module, seen, 14): m)  # noqa: E731
    adam = torch.optim.Adam(params, lr=0.05)
    t0 = time.perf_counter()
    for draw in s["curve"]["transforms"]:
        adam.zero_grad()
        loss_f((lucid_view(image_f(), draw, (224, 224)) - mean) / std).backward()
        adam.step()
    return (time.perf_counter() - t0) * 1e3 / len(s["curve"]["transforms"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.environ["ATTRIB_BIN"])
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    module, card = oracle.load(V2)
    print(f"torch {torch.__version__}, {args.threads} threads, {args.steps} steps")
    print("| case | attrib ms/step | Lucent ms/step | Lucent / attrib |")
    print("|---|---|---|---|")
    for name, (extra, batch) in CASES.items():
        s = attrib_run(args.bin, extra, args.steps, args.threads)
        mine = s["timings_ms"]["per_step"]
        theirs = lucent_ms(module, card, s, batch)
        print(f"| {name} | {mine:.1f} | {theirs:.1f} | {theirs / mine:.2f} |", flush=True)


if __name__ == "__main__":
    main()
