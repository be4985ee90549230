"""torchvision architectures with random weights (fixed seed), saved as
TorchScript or as torch.export programs for attrib and kept as eager modules
for the hook-based oracles.
Made once per test process, in a temporary folder removed when the process
exits (each holds a few hundred MB; left behind, a CI run's suites filled the
disk before the 2.x test environment could be installed)."""
import atexit
import json
import os
import shutil
import tempfile

import torch
import torchvision

_DIR = tempfile.mkdtemp(prefix="attrib-tv-")
atexit.register(shutil.rmtree, _DIR, ignore_errors=True)
_CACHE = {}

# The layer pytorch-grad-cam's documentation names for each family, which
# attrib must find by itself.
DEFAULT_LAYERS = {"resnet18": "layer4.1", "vgg11": "features.20",
                  "densenet121": "features.norm5", "convnext_tiny": "features.7",
                  "efficientnet_b0": "features.8", "regnet_y_400mf": "trunk_output.block4",
                  "mobilenet_v3_small": "features.12", "mobilenet_v3_large": "features.16",
                  # pytorch-grad-cam's ViT choice: the last block's first LayerNorm
                  "vit_small": "encoder.layers.encoder_layer_1.ln_1",
                  "vit_registers": "blocks.1.ln_1",
                  # Swin's pooled features see every position: the last 4-D map
                  "swin_small": "permute",
                  # beyond torchvision (programs only): timm's ResNet-18, and a
                  # Hugging Face ViT behind a module returning its logits
                  "timm_resnet18": "layer4.1",
                  "hf_vit": "model.vit.encoder.layer.1.layernorm_before"}


class HFLogits(torch.nn.Module):
    """A Hugging Face image classifier as a module returning its logits
    (scripts/export-model.py's wrapper does the same)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(pixel_values=x).logits


class RegisterViT(torch.nn.Module):
    """A ViT with a class token and four register tokens in front of the
    patches (Darcet et al. 2024; DeiT's distillation token is the same case
    with one): 1 + 4 + 14x14 = 201 tokens. torchvision's encoder blocks."""

    def __init__(self, registers=4, dim=64, depth=2, heads=2, classes=10):
        super().__init__()
        from torchvision.models.vision_transformer import EncoderBlock
        self.conv_proj = torch.nn.Conv2d(3, dim, 16, 16)
        self.extra_tokens = torch.nn.Parameter(0.5 * torch.randn(1, 1 + registers, dim))
        self.pos_embedding = torch.nn.Parameter(0.5 * torch.randn(1, 196, dim))
        self.blocks = torch.nn.Sequential(*[
            EncoderBlock(heads, dim, 2 * dim, 0.0, 0.0) for _ in range(depth)])
        self.ln = torch.nn.LayerNorm(dim)
        self.head = torch.nn.Linear(dim, classes)

    def forward(self, x):
        t = self.conv_proj(x).flatten(2).transpose(1, 2) + self.pos_embedding
        t = torch.cat([self.extra_tokens.expand(t.size(0), -1, -1), t], 1)
        return self.head(self.ln(self.blocks(t))[:, 0])


class SegmentationOutput(torch.nn.Module):
    """torchvision's segmentation models return a dict; this returns its
    "out" tensor [N, classes, H, W] (pytorch-grad-cam's tutorial wrapper,
    and scripts/export-model.py's)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)["out"]


def _eager(arch):
    torch.manual_seed(0)
    if arch in ("fcn_resnet50", "deeplabv3_mobilenet_v3_large"):
        model = torchvision.models.get_model(arch, weights=None, weights_backbone=None,
                                             num_classes=21, aux_loss=False)
        return SegmentationOutput(model).eval()
    if arch == "resnet18_embedding":
        # an embedder as pytorch-grad-cam's embeddings tutorial makes one: a
        # classifier without its head, its pooled features [N, 512]
        model = torchvision.models.get_model("resnet18", weights=None)
        model.fc = torch.nn.Identity()
        return model.eval()
    if arch == "vit_small":
        # torchvision's ViT class (vit_b_16's modules and names), two blocks
        # of width 64 so that tests stay fast. Its head starts at zero, which
        # would make every logit equal and every map flat: re-drawn.
        model = torchvision.models.VisionTransformer(
            image_size=224, patch_size=16, num_layers=2, num_heads=2, hidden_dim=64,
            mlp_dim=128, num_classes=10)
        torch.nn.init.normal_(model.heads.head.weight, std=0.5)
        return model.eval()
    if arch == "timm_resnet18":
        import timm
        return timm.create_model("resnet18").eval()
    if arch == "hf_vit":
        # transformers' ViT (ViTForImageClassification), two blocks of width
        # 64 at 224x224 / 16: 1 + 14x14 tokens; its head re-drawn as above
        from transformers import ViTConfig, ViTForImageClassification
        config = ViTConfig(image_size=224, patch_size=16, hidden_size=64, num_hidden_layers=2,
                           num_attention_heads=2, intermediate_size=128, num_labels=10)
        model = ViTForImageClassification(config)
        torch.nn.init.normal_(model.classifier.weight, std=0.5)
        return HFLogits(model).eval()
    if arch == "vit_registers":
        model = RegisterViT()
        torch.nn.init.normal_(model.head.weight, std=0.5)
        return model.eval()
    if arch == "swin_small":
        # torchvision's SwinTransformer class (swin_t's modules and names),
        # two stages of width 32 and 64: a 28x28 channels-last last stage
        from torchvision.models.swin_transformer import SwinTransformer
        return SwinTransformer(patch_size=[4, 4], embed_dim=32, depths=[2, 2],
                               num_heads=[2, 4], window_size=[7, 7], num_classes=10).eval()
    if arch == "resnet18_stats":
        # Fresh batch norms are identities (mean 0, var 1, gamma 1, beta 0):
        # their biases, which FullGrad draws, would all be zero. eps 0:
        # Zennit's canonizer folds a batch norm into the convolution before
        # it and leaves it computing x / sqrt(1 + eps), not x, which moved
        # LRP's maps by up to 5e-3 where a residual sum nearly cancels.
        model = torchvision.models.get_model("resnet18", weights=None)
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.eps = 0.0
                m.running_mean.normal_(0, 0.2)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.data.uniform_(0.5, 1.5)
                m.bias.data.normal_(0, 0.2)
        return model.eval()
    model = torchvision.models.get_model(arch, weights=None)
    if arch.startswith("vgg"):
        # VGG's 4096-wide head would make a 500 MB file; a small head keeps
        # torchvision's features/avgpool/classifier structure.
        model.classifier = torch.nn.Sequential(torch.nn.Linear(512 * 7 * 7, 64),
                                               torch.nn.ReLU(), torch.nn.Linear(64, 10))
    return model.eval()


def export_program(eager, path, card, batch="dynamic", size=224):
    """eager saved as a torch.export program with the card embedded: a
    dynamic batch (1-1024) as scripts/export-model.py exports, or export's
    default static shapes (batch 1) with batch="static"."""
    x = torch.zeros(2 if batch == "dynamic" else 1, 3, size, size)
    shapes = ({0: torch.export.Dim("batch", min=1, max=1024)},) if batch == "dynamic" else None
    program = torch.export.export(eager, (x,), dynamic_shapes=shapes)
    torch.export.save(program, path, extra_files={"attrib.json": json.dumps(card)})


def torchvision_model(arch, mode="script"):
    """(eager model, path of its TorchScript file or, mode "export", its
    torch.export program, expected default layer)."""
    key = (arch, mode)
    if key not in _CACHE:
        eager = _eager(arch)
        card = {"name": f"{arch}-{mode}", "input_size": [224, 224]}
        if mode == "export":
            path = os.path.join(_DIR, f"{arch}.pt2")
            export_program(eager, path, card)
            _CACHE[key] = (eager, path)
            return eager, path, DEFAULT_LAYERS.get(arch)
        if mode == "script":
            scripted = torch.jit.script(eager)
        else:
            # check_trace off for ViT: the checker re-runs without autograd and
            # nn.MultiheadAttention then takes its fused path (a different graph)
            scripted = torch.jit.trace(eager, torch.zeros(1, 3, 224, 224),
                                       check_trace=not arch.startswith("vit"))
        path = os.path.join(_DIR, f"{arch}_{mode}.pt")
        torch.jit.save(scripted, path, _extra_files={"attrib.json": json.dumps(card)})
        _CACHE[key] = (eager, path)
    eager, path = _CACHE[key]
    return eager, path, DEFAULT_LAYERS.get(arch)
