#!/usr/bin/python3
"""Export a torchvision classifier as TorchScript with an embedded attrib
model card, ready for `attrib --model`.

    scripts/export_torchvision.py resnet50 models/resnet50.pt
    scripts/export_torchvision.py efficientnet_b0 eff.pt --weights IMAGENET1K_V1
    scripts/export_torchvision.py vgg11 vgg.pt --weights none --trace

Pretrained weights are downloaded by torchvision on first use, so that needs
internet access; `--weights none` exports randomly initialised weights (for
tests). Needs python3-torch and python3-torchvision; attrib itself does not.
"""
import argparse
import json
import sys

import torch
import torchvision
from torchvision.models import get_model, get_model_weights

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("arch", help="torchvision model name, e.g. resnet18, mobilenet_v3_large")
    p.add_argument("out", help="the .pt file to write")
    p.add_argument("--weights", default="DEFAULT",
                   help="weights enum name (DEFAULT, IMAGENET1K_V1, ...) or 'none'")
    p.add_argument("--trace", action="store_true",
                   help="torch.jit.trace instead of torch.jit.script")
    p.add_argument("--input-size", type=int, nargs=2, metavar=("H", "W"),
                   help="input size (default: the weights' crop size, else 224 224)")
    return p.parse_args(argv)


def resolve_weights(arch, name):
    if name.lower() == "none":
        return None
    enum = get_model_weights(arch)
    return enum.DEFAULT if name == "DEFAULT" else enum[name]


def card_for(arch, weights, input_size):
    card = {"name": arch if weights is None else f"{arch}.{weights.name}",
            "task": "imagenet-1k classification",
            "input_size": list(input_size), "mean": IMAGENET_MEAN, "std": IMAGENET_STD,
            "source": f"torchvision {torchvision.__version__} {arch}, weights "
                      f"{weights if weights is not None else 'none (random init)'}"}
    if weights is not None:
        preset = weights.transforms()
        card["mean"] = [float(v) for v in preset.mean]
        card["std"] = [float(v) for v in preset.std]
        card["labels"] = list(weights.meta["categories"])
    return card


def main(argv):
    args = parse_args(argv)
    weights = resolve_weights(args.arch, args.weights)
    model = get_model(args.arch, weights=weights).eval()
    if args.input_size:
        size = args.input_size
    elif weights is not None:
        crop = weights.transforms().crop_size
        size = [crop[0], crop[0]] if len(crop) == 1 else list(crop)
    else:
        size = [224, 224]
    if args.trace:
        example = torch.zeros(1, 3, *size)
        try:
            scripted = torch.jit.trace(model, example)
        except torch.jit.TracingCheckError:
            # nn.MultiheadAttention (ViT) takes its fused fast path when the
            # checker re-runs the model without autograd, so the two traces
            # differ though both compute the same; the trace kept is the
            # plain path, which attrib can differentiate.
            print("note: the trace check differs (attention fast path); traced without it",
                  file=sys.stderr)
            scripted = torch.jit.trace(model, example, check_trace=False)
    else:
        scripted = torch.jit.script(model)
    card = card_for(args.arch, weights, size)
    torch.jit.save(scripted, args.out, _extra_files={"attrib.json": json.dumps(card)})
    print(f"wrote {args.out}: {card['name']}, input {size[0]}x{size[1]}")


if __name__ == "__main__":
    main(sys.argv[1:])
