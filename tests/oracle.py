"""The independent implementation the tests compare attrib against: eager
PyTorch autograd (Debian's python3-torch) on the same TorchScript file.
Nothing here calls attrib or shares its code."""
import json

import numpy as np
import torch
from PIL import Image


def load(path):
    """The module (eval mode) and its card (embedded attrib.json, else {})."""
    files = {"attrib.json": ""}
    module = torch.jit.load(str(path), map_location="cpu", _extra_files=files)
    module.eval()
    card = json.loads(files["attrib.json"]) if files["attrib.json"] else {}
    card.setdefault("input_size", [224, 224])
    card.setdefault("mean", [0.485, 0.456, 0.406])
    card.setdefault("std", [0.229, 0.224, 0.225])
    return module, card


def input_tensor(image_path, card):
    """[1,3,H,W] normalised input of an image that is already at the
    model's input size (so no resampling is involved)."""
    img = Image.open(image_path).convert("RGB")
    h, w = card["input_size"]
    assert img.size == (w, h), f"{image_path} is {img.size}, model wants {(w, h)}"
    x = torch.from_numpy(np.asarray(img, dtype=np.float32) / np.float32(255.0))
    x = x.permute(2, 0, 1)[None]
    mean = torch.tensor(card["mean"], dtype=torch.float32).view(1, 3, 1, 1)
    std = torch.tensor(card["std"], dtype=torch.float32).view(1, 3, 1, 1)
    return (x - mean) / std


def resized_float(src, card):
    """[1,3,H,W] normalised input of a photo of any size, resized with PIL's
    antialiased bilinear filter in float ('F' mode, channel by channel), the
    filter attrib documents. PIL's 8-bit RGB resize rounds each pass to whole
    levels, and saliency maps are sensitive enough for that to matter."""
    h, w = card["input_size"]
    rgb = np.asarray(Image.open(src).convert("RGB"), dtype=np.float32)
    planes = [np.asarray(Image.fromarray(rgb[:, :, c], mode="F").resize((w, h), Image.BILINEAR))
              for c in range(3)]
    x = torch.from_numpy(np.stack(planes) / np.float32(255.0))[None]
    mean = torch.tensor(card["mean"], dtype=torch.float32).view(1, 3, 1, 1)
    std = torch.tensor(card["std"], dtype=torch.float32).view(1, 3, 1, 1)
    return (x - mean) / std


def resized_copy(src, dst, card):
    """Saves src resized to the model's input size (PIL bilinear) as PNG."""
    h, w = card["input_size"]
    Image.open(src).convert("RGB").resize((w, h), Image.BILINEAR).save(dst)
    return dst


def saliency(module, x, target=None, threads=2):
    """Simonyan et al.: |d logit_target / d x|, max over channels. Returns
    (map HxW numpy, logits numpy, target)."""
    torch.set_num_threads(threads)
    x = x.clone().requires_grad_(True)
    logits = module(x)
    if target is None:
        target = int(logits[0].argmax())
    logits[0, target].backward()
    return x.grad.abs().amax(dim=1)[0].numpy(), logits[0].detach().numpy(), target
