"""Makes a labelled image folder of N pictures from the shared photos, for the
data-set-scale benchmarks (bench/scale.sh) and tests: each picture is a photo
cropped by a few pixels, maybe mirrored, saved as JPEG, so that every file
differs and decoding is real. Laid out as ImageFolder: DIR/<class>/<name>.jpg,
the class being the photo's expected top-1 under MobileNetV2 (EXPECTED.tsv).

    python3 bench/make_dataset.py DIR N [--size S]
"""
import argparse
import csv
import os
import random

from PIL import Image, ImageOps

SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "images")


def expected_classes():
    with open(os.path.join(SHARED, "EXPECTED.tsv")) as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return {r["image"]: int(r["v2_top1"]) for r in rows}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("n", type=int)
    ap.add_argument("--size", type=int, default=256, help="longer side of each picture")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    classes = expected_classes()
    photos = []
    for name in sorted(classes):
        im = Image.open(os.path.join(SHARED, name)).convert("RGB")
        im.thumbnail((a.size + 16, a.size + 16))
        photos.append((os.path.splitext(name)[0], classes[name], im))
    for i in range(a.n):
        stem, cls, im = photos[i % len(photos)]
        w, h = im.size
        dx, dy = rng.randrange(0, 16), rng.randrange(0, 16)
        pic = im.crop((dx, dy, w - 16 + dx, h - 16 + dy))
        if rng.random() < 0.5:
            pic = ImageOps.mirror(pic)
        folder = os.path.join(a.dir, str(cls))
        os.makedirs(folder, exist_ok=True)
        pic.save(os.path.join(folder, "%s_%06d.jpg" % (stem, i)), quality=90)


if __name__ == "__main__":
    main()
