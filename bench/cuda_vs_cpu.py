"""PyTorch's own CPU-vs-CUDA difference of the saliency map on the shared
models and photos: the floor any CUDA attribution tool can reach on these
ReLU6 networks (scripts/gpu-check.sh prints it beside attrib's).

usage: python3 bench/cuda_vs_cpu.py SHARED_DIR"""
import pathlib
import sys

import json

import numpy as np
import torch
from PIL import Image

shared = pathlib.Path(sys.argv[1])
if not torch.cuda.is_available():
    sys.exit("cuda_vs_cpu.py: this PyTorch sees no CUDA device")
torch.backends.cudnn.allow_tf32 = False
torch.backends.cuda.matmul.allow_tf32 = False
for model_file in sorted((shared / "models").glob("*.pt")):
    worst = []
    for image in sorted((shared / "images").iterdir()):
        if image.suffix.lower() not in (".bmp", ".jpg", ".jpeg", ".png"):
            continue
        maps = {}
        for dev in ("cpu", "cuda"):
            files = {"attrib.json": ""}
            m = torch.jit.load(str(model_file), map_location=dev, _extra_files=files).eval()
            card = json.loads(files["attrib.json"])
            h, w = card["input_size"]
            img = Image.open(image).convert("RGB").resize((w, h), Image.BILINEAR)
            x = torch.from_numpy(np.asarray(img, np.float32) / 255).permute(2, 0, 1)[None]
            mean = torch.tensor(card["mean"]).view(1, 3, 1, 1)
            std = torch.tensor(card["std"]).view(1, 3, 1, 1)
            x = ((x - mean) / std).to(dev).requires_grad_(True)
            y = m(x)
            y[0, int(y[0].argmax())].backward()
            maps[dev] = x.grad.abs().amax(1)[0].cpu().numpy()
        d = np.abs(maps["cpu"] - maps["cuda"]).max() / np.abs(maps["cpu"]).max()
        r = np.corrcoef(maps["cpu"].ravel(), maps["cuda"].ravel())[0, 1]
        worst.append((d, r, image.name))
    d, r, name = max(worst)
    print(f"PyTorch saliency CPU vs CUDA, {model_file.name}: worst max_abs {d:.3g} of the "
          f"map max ({name}, Pearson {r:.5f}); median {np.median([w[0] for w in worst]):.3g}")
