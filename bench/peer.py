#!/usr/bin/python3
"""The benchmark's peer: what a PyTorch user would write to do what attrib
does, start to PNG written: load the TorchScript model and its card, resize
with PIL, autograd for the gradient, save heatmap and overlay PNGs and a
JSON summary. Used by bench/run.sh only, never by attrib.

    peer.py saliency|gradcam IMAGE... -o DIR [--threads N]
    peer.py fool IMAGE --target N -o DIR
    peer.py classviz --class N -o DIR [--iters 200]
"""
import argparse
import json
import os
import sys
import time

T0 = time.time()
import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

MODEL = os.path.join(os.path.dirname(__file__), "..", "models", "mobilenet_v2_1.0_224.pt")


def load(path):
    files = {"attrib.json": ""}
    model = torch.jit.load(path, map_location="cpu", _extra_files=files).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model, json.loads(files["attrib.json"])


def preprocess(path, card):
    h, w = card["input_size"]
    img = Image.open(path).convert("RGB")
    x = torch.from_numpy(np.asarray(img.resize((w, h), Image.BILINEAR), np.float32) / 255)
    x = x.permute(2, 0, 1)[None]
    mean = torch.tensor(card["mean"]).view(1, 3, 1, 1)
    std = torch.tensor(card["std"]).view(1, 3, 1, 1)
    return img, (x - mean) / std


def save_maps(m, img, out, stem, method):
    m = (m - m.min()) / max(m.max() - m.min(), 1e-12)
    heat = Image.fromarray((m * 255).astype(np.uint8)).convert("RGB")
    heat.save(os.path.join(out, f"{stem}.{method}.png"))
    big = heat.resize(img.size, Image.BILINEAR)
    Image.blend(img, big, 0.5).save(os.path.join(out, f"{stem}.{method}.overlay.png"))


def explain(args, model, card):
    for path in args.images:
        img, x = preprocess(path, card)
        if args.method == "saliency":
            x.requires_grad_(True)
            logits = model(x)
            c = int(logits.argmax())
            logits[0, c].backward()
            m = x.grad.abs().amax(1)[0].numpy()
        else:  # Grad-CAM on the model's known structure: features -> mean -> classifier
            act = model.features(x).detach().requires_grad_(True)
            logits = model.classifier(act.mean((2, 3)))
            c = int(logits.argmax())
            logits[0, c].backward()
            w = act.grad.mean((2, 3), keepdim=True)
            cam = torch.relu((w * act).sum(1, keepdim=True))
            h, wd = card["input_size"]
            m = torch.nn.functional.interpolate(cam, (h, wd), mode="bilinear",
                                                align_corners=False)[0, 0].detach().numpy()
        stem = os.path.splitext(os.path.basename(path))[0]
        save_maps(m, img, args.output, stem, args.method)
        with open(os.path.join(args.output, f"{stem}.{args.method}.json"), "w") as f:
            json.dump({"class": c, "max": float(m.max()), "seconds": time.time() - T0}, f)


def fool(args, model, card):
    _, x = preprocess(args.images[0], card)
    std = torch.tensor(card["std"]).view(1, 3, 1, 1)
    mean = torch.tensor(card["mean"]).view(1, 3, 1, 1)
    pix = (x * std + mean).clamp(0, 1)
    for it in range(101):
        xx = ((pix - mean) / std).requires_grad_(True)
        logits = model(xx)
        if int(logits.argmax()) == args.target:
            break
        logits[0, args.target].backward()
        g = xx.grad / std
        pix = (pix + 0.06 * g / g.norm()).clamp(0, 1).detach()
    q = (pix[0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
    Image.fromarray(q).save(os.path.join(args.output, "fool.png"))
    print(json.dumps({"iterations": it}))


def classviz(args, model, card):
    torch.manual_seed(0)
    mean = torch.tensor(card["mean"]).view(1, 3, 1, 1)
    std = torch.tensor(card["std"]).view(1, 3, 1, 1)
    h, w = card["input_size"]
    x = torch.randn(1, 3, h, w)
    lo, hi = -mean / std, (1 - mean) / std
    k = torch.exp(-0.5 * torch.arange(-2.0, 3.0) ** 2 / 0.25)
    k = (k / k.sum()).view(1, 1, 5)
    t0 = time.time()
    for t in range(args.iters):
        ox, oy = np.random.randint(-16, 17, 2)
        x = torch.roll(x, (int(oy), int(ox)), (2, 3)).requires_grad_(True)
        score = model(x)[0, args.cls] - 1e-3 * (x * x).sum()
        (g,) = torch.autograd.grad(score, x)
        x = (x + 25 * g / g.norm()).detach()
        x = torch.roll(x, (-int(oy), -int(ox)), (2, 3))
        x = torch.max(torch.min(x, hi), lo)
        if (t + 1) % 10 == 0:
            p = torch.nn.functional.pad(x, (2, 2, 2, 2), mode="reflect")
            p = torch.nn.functional.conv2d(p, k.view(1, 1, 1, 5).repeat(3, 1, 1, 1), groups=3)
            x = torch.nn.functional.conv2d(p, k.view(1, 1, 5, 1).repeat(3, 1, 1, 1), groups=3)
    per_step = (time.time() - t0) / args.iters * 1000
    pix = (x * std + mean)[0].permute(1, 2, 0).numpy()
    Image.fromarray((pix * 255).round().astype(np.uint8)).save(
        os.path.join(args.output, "classviz.png"))
    print(json.dumps({"ms_per_step": per_step}))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("method", choices=["saliency", "gradcam", "fool", "classviz"])
    p.add_argument("images", nargs="*")
    p.add_argument("-o", "--output", default=".")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--model", default=MODEL)
    p.add_argument("--target", type=int, default=291)
    p.add_argument("--class", dest="cls", type=int, default=19)
    p.add_argument("--iters", type=int, default=200)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(args.output, exist_ok=True)
    model, card = load(args.model)
    {"saliency": explain, "gradcam": explain, "fool": fool, "classviz": classviz}[args.method](
        args, model, card)


if __name__ == "__main__":
    sys.exit(main())
