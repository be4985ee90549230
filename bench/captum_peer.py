"""The Captum peer of bench/captum.sh: Captum's attribution call alone, in a
warm process, on the same TorchScript file and photos attrib reads (resized
to the card's input size and normalised as attrib does), at one batching
setting. The first photo warms up and is not counted.

Usage: captum_peer.py METHOD MODEL THREADS BATCH IMAGE...
  METHOD: integrated-gradients (50 steps, Gauss-Legendre, black baseline;
          BATCH = internal_batch_size), smoothgrad (25 samples, sigma 0.15 of
          the input's range; BATCH = nt_samples_batch_size), occlusion (32x32
          windows, stride 16, zero baseline; BATCH = perturbations_per_eval)
Prints one JSON line: ms per image (median), versions."""
import json
import statistics
import sys
import time

import captum
import numpy as np
import torch
from captum.attr import IntegratedGradients, NoiseTunnel, Occlusion, Saliency
from PIL import Image


def load(path):
    extra = {"attrib.json": ""}
    model = torch.jit.load(path, _extra_files=extra).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model, json.loads(extra["attrib.json"])


def photo(path, card):
    h, w = card["input_size"]
    img = Image.open(path).convert("RGB").resize((w, h), Image.BILINEAR)
    x = torch.from_numpy(np.asarray(img, dtype=np.float32) / 255.0).permute(2, 0, 1)
    mean = torch.tensor(card["mean"]).view(3, 1, 1)
    std = torch.tensor(card["std"]).view(3, 1, 1)
    return ((x - mean) / std).unsqueeze(0).contiguous()


def attribute(method, model, card, x, target, batch):
    if method == "integrated-gradients":
        mean = torch.tensor(card["mean"]).view(1, 3, 1, 1)
        std = torch.tensor(card["std"]).view(1, 3, 1, 1)
        black = ((torch.zeros_like(x) - mean) / std)
        return IntegratedGradients(model).attribute(
            x, baselines=black, target=target, n_steps=50, method="gausslegendre",
            internal_batch_size=batch)
    if method == "smoothgrad":
        sigma = 0.15 * float(x.max() - x.min())
        return NoiseTunnel(Saliency(model)).attribute(
            x, nt_type="smoothgrad", nt_samples=25, nt_samples_batch_size=batch, stdevs=sigma,
            target=target, abs=False)
    if method == "occlusion":
        return Occlusion(model).attribute(
            x, sliding_window_shapes=(3, 32, 32), strides=(3, 16, 16), baselines=0,
            target=target, perturbations_per_eval=batch)
    raise SystemExit("captum_peer: unknown method " + method)


def main():
    method, path, threads, batch, images = (sys.argv[1], sys.argv[2], int(sys.argv[3]),
                                            int(sys.argv[4]), sys.argv[5:])
    torch.set_num_threads(threads)
    model, card = load(path)
    ms = []
    for k, image in enumerate(images):
        x = photo(image, card)
        with torch.no_grad():
            target = int(model(x).argmax(1))
        t0 = time.perf_counter()
        attribute(method, model, card, x, target, batch)
        if k > 0:
            ms.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({"ms_per_image": statistics.median(ms), "images": len(ms),
                      "captum": captum.__version__, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
