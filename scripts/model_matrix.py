#!/usr/bin/python3
"""Which TorchScript files load in which attrib build (docs/MODELS.md).

Exports each architecture (torchvision's, random weights, plus a small
attention network made here for PyTorches without torchvision), scripted and
traced, with each exporting Python, then asks each attrib build to predict on
a photo with it. Prints a Markdown table; each failure with attrib's one line.

  scripts/model_matrix.py OUT --exporter 1.13=/usr/bin/python3 \\
      --exporter 2.14=.venv/test-torch2/bin/python --attrib 1.13=build/attrib \\
      --attrib 2.13=build-torch2/attrib [--arch resnet50 ...]
"""
import argparse
import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
ARCHS = ["resnet50", "densenet121", "efficientnet_b0", "convnext_tiny", "regnet_y_400mf",
         "mobilenet_v3_large", "vit_b_16", "swin_t", "attention"]

# A small classifier over patch tokens with nn.MultiheadAttention (what
# torchvision's ViT uses), for exporters without torchvision.
ATTENTION = r'''
import json, sys, torch
class Attention(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.patch = torch.nn.Conv2d(3, 32, 16, 16)
        self.attn = torch.nn.MultiheadAttention(32, 4, batch_first=True)
        self.norm = torch.nn.LayerNorm(32)
        self.head = torch.nn.Linear(32, 10)
    def forward(self, x):
        t = self.patch(x).flatten(2).transpose(1, 2)
        t = t + self.attn(t, t, t, need_weights=False)[0]
        return self.head(self.norm(t).mean(1))
torch.manual_seed(0)
m = Attention().eval()
# check_trace=False: MultiheadAttention's fast path makes the checker's
# second trace differ from the first.
m = (torch.jit.trace(m, torch.zeros(1, 3, 224, 224), check_trace=False)
     if sys.argv[2] == "trace" else torch.jit.script(m))
card = {"name": "attention", "input_size": [224, 224], "mean": [0.5] * 3, "std": [0.5] * 3}
torch.jit.save(m, sys.argv[1], _extra_files={"attrib.json": json.dumps(card)})
'''


MODE = {"script": "scripted", "trace": "traced"}


def pairs(values):
    out = []
    for v in values:
        tag, _, path = v.partition("=")
        out.append((tag, path))
    return out


def export(python, arch, mode, out):
    if arch == "attention":
        source = out.parent / "attention_export.py"  # scripting reads the source file
        source.write_text(ATTENTION)
        cmd = [python, str(source), str(out), mode]
    else:
        cmd = [python, str(ROOT / "scripts" / "export_torchvision.py"), arch, str(out),
               "--weights", "none"] + (["--trace"] if mode == "trace" else [])
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode == 0:
        return None
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    return lines[-1][:120] if lines else f"exit {p.returncode}"


def predict(attrib, model, image):
    p = subprocess.run([attrib, "predict", str(image), "--model", str(model), "--json"],
                       capture_output=True, text=True)
    if p.returncode == 0:
        json.loads(p.stdout.splitlines()[0])
        return "loads"
    return f"exit {p.returncode}: {p.stderr.strip()}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("--exporter", action="append", required=True, metavar="TAG=PYTHON")
    ap.add_argument("--attrib", action="append", required=True, metavar="TAG=BINARY")
    ap.add_argument("--arch", action="append", choices=ARCHS)
    ap.add_argument("--image", default=str(ROOT.parent / "shared" / "images" / "cat.bmp"))
    args = ap.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    builds = pairs(args.attrib)
    print("| architecture | saved by | " + " | ".join(f"attrib on libtorch {t}" for t, _ in builds)
          + " |")
    print("|---|---|" + "---|" * len(builds))
    notes = []
    for arch in args.arch or ARCHS:
        for tag, python in pairs(args.exporter):
            for mode in ("script", "trace"):
                f = out / f"{arch}-{mode}-torch{tag}.pt"
                why = None if f.exists() else export(python, arch, mode, f)
                cells = []
                if why:
                    cells = ["(no file: the export failed)"] * len(builds)
                    notes.append(f"- {arch} {MODE[mode]} by torch {tag} does not export: {why}")
                else:
                    for btag, attrib in builds:
                        r = predict(attrib, f, args.image)
                        if r != "loads":
                            notes.append(f"- {arch} {MODE[mode]} by torch {tag}, attrib on "
                                         f"libtorch {btag}: `{r}`")
                        cells.append("loads" if r == "loads" else "**no**")
                print(f"| {arch} | torch {tag}, {MODE[mode]} | " + " | ".join(cells) + " |")
                sys.stdout.flush()
    print()
    print("\n".join(notes))


if __name__ == "__main__":
    main()
