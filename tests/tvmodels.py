"""torchvision architectures with random weights (fixed seed), saved as
TorchScript for attrib and kept as eager modules for the hook-based oracles.
Made once per test process, in a temporary folder."""
import json
import os
import tempfile

import torch
import torchvision

_DIR = tempfile.mkdtemp(prefix="attrib-tv-")
_CACHE = {}

# The layer pytorch-grad-cam's documentation names for each family, which
# attrib must find by itself.
DEFAULT_LAYERS = {"resnet18": "layer4.1", "vgg11": "features.20",
                  "mobilenet_v3_small": "features.12", "mobilenet_v3_large": "features.16",
                  # pytorch-grad-cam's ViT choice: the last block's first LayerNorm
                  "vit_small": "encoder.layers.encoder_layer_1.ln_1"}


def _eager(arch):
    torch.manual_seed(0)
    if arch == "vit_small":
        # torchvision's ViT class (vit_b_16's modules and names), two blocks
        # of width 64 so that tests stay fast. Its head starts at zero, which
        # would make every logit equal and every map flat: re-drawn.
        model = torchvision.models.VisionTransformer(
            image_size=224, patch_size=16, num_layers=2, num_heads=2, hidden_dim=64,
            mlp_dim=128, num_classes=10)
        torch.nn.init.normal_(model.heads.head.weight, std=0.5)
        return model.eval()
    model = torchvision.models.get_model(arch, weights=None)
    if arch.startswith("vgg"):
        # VGG's 4096-wide head would make a 500 MB file; a small head keeps
        # torchvision's features/avgpool/classifier structure.
        model.classifier = torch.nn.Sequential(torch.nn.Linear(512 * 7 * 7, 64),
                                               torch.nn.ReLU(), torch.nn.Linear(64, 10))
    return model.eval()


def torchvision_model(arch, mode="script"):
    """(eager model, path of its TorchScript file, expected default layer)."""
    key = (arch, mode)
    if key not in _CACHE:
        eager = _eager(arch)
        if mode == "script":
            scripted = torch.jit.script(eager)
        else:
            # check_trace off for ViT: the checker re-runs without autograd and
            # nn.MultiheadAttention then takes its fused path (a different graph)
            scripted = torch.jit.trace(eager, torch.zeros(1, 3, 224, 224),
                                       check_trace=not arch.startswith("vit"))
        path = os.path.join(_DIR, f"{arch}_{mode}.pt")
        card = {"name": f"{arch}-{mode}", "input_size": [224, 224]}
        torch.jit.save(scripted, path, _extra_files={"attrib.json": json.dumps(card)})
        _CACHE[key] = (eager, path)
    eager, path = _CACHE[key]
    return eager, path, DEFAULT_LAYERS.get(arch)
