#!/usr/bin/env python3
"""What a user sees of the photo under attrib's overlay, flat against rising.

For each photo: run `attrib METHOD --blend B --save-raw` (stretch resize, so
the map covers the whole photo), scale the exact map to the photo's size,
and measure the mean change |overlay - photo| (0-255, averaged over the
channels) in the coldest half of the pixels (where the model does not look:
the smaller, the more of the photo is readable) and in the hottest 5 % (the
larger, the more the heat stands out). Usage:

    bench/overlay_blend.py ATTRIB IMAGE... [--method gradcam]
"""
import argparse, json, pathlib, subprocess, sys, tempfile

import numpy as np
from PIL import Image


def measure(attrib, image, method, blend, out):
    subprocess.run([attrib, method, image, "-o", out, "-q", "--blend", blend, "--save-raw"],
                   check=True)
    stem = pathlib.Path(out) / f"{pathlib.Path(image).stem}.{method}"
    photo = np.asarray(Image.open(image).convert("RGB"), dtype=np.float64)
    over = np.asarray(Image.open(f"{stem}.overlay.png").convert("RGB"), dtype=np.float64)
    raw = np.load(f"{stem}.npy").astype(np.float32)
    h, w = photo.shape[:2]
    heat = np.asarray(Image.fromarray(raw, mode="F").resize((w, h), Image.BILINEAR))
    change = np.abs(over - photo).mean(axis=2)
    cold = change[heat <= np.quantile(heat, 0.5)].mean()
    hot = change[heat >= np.quantile(heat, 0.95)].mean()
    return cold, hot


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("attrib")
    ap.add_argument("images", nargs="+")
    ap.add_argument("--method", default="gradcam")
    a = ap.parse_args()
    rows = {"flat": [], "rising": []}
    with tempfile.TemporaryDirectory() as out:
        for image in a.images:
            for blend in rows:
                rows[blend].append(measure(a.attrib, image, a.method, blend, out))
    print(f"{a.method} over {len(a.images)} photos: mean change of the photo, 0-255")
    print(f"{'blend':8} {'coldest half':>13} {'hottest 5%':>11}")
    for blend, r in rows.items():
        r = np.array(r)
        print(f"{blend:8} {r[:, 0].mean():13.1f} {r[:, 1].mean():11.1f}")


if __name__ == "__main__":
    sys.exit(main())
