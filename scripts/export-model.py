#!/usr/bin/env python3
"""Saves an image model as a torch.export program (.pt2) that attrib
opens, with a dynamic batch and attrib's model card embedded (its task,
labels, input size and normalisation, taken from the source's own
preprocessing config). Run it where your PyTorch (2.3 or newer) is; attrib
itself never runs Python.

  export-model.py --torchvision resnet50 [--weights DEFAULT] -o resnet50.pt2
  export-model.py --timm convnext_tiny [--pretrained] [--checkpoint F] -o m.pt2
  export-model.py --hf ./vit-base-patch16-224 -o vit.pt2       (a local folder)
  export-model.py --module net.py:Net --state-dict net.pth -o net.pt2
                 (the module's attrib_card, a dict, if it has one: the card)
  export-model.py --torchscript model.pt -o model.pt2

Beyond classifiers: torchvision's segmentation models (fcn_resnet50,
deeplabv3_*, lraspp_*) are saved as segmenters, their dict output made its
"out" tensor [N, classes, H, W]; --embedding saves a classifier without its
head (torchvision, timm) or a CLIP vision tower (--hf, its image_embeds) as
an embedder [N, D]; --detection yolo|detr marks a module that returns a
detector's raw output in that layout (attrib's MODELS.md says which).

Card fields the source lacks come from --input-size, --mean, --std,
--labels (a file, one label a line), --name and --multi-label; given, they
override the source's. The exported program is checked against the source
on a random batch of two before it is saved (--tolerance).

Exit status: 0 saved; 1 the source could not be loaded, exported or
checked; 2 bad usage.
"""
import argparse
import importlib.util
import json
import os
import sys

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]
MAX_BATCH = 1024  # the dynamic batch's upper bound (export needs one)
CARD_FILE = "attrib.json"  # the extra file attrib reads its card from


class Failure(Exception):
    """Something the user can act on: one line, exit 1."""


def fail(msg):
    raise Failure(msg)


def side(v):
    """A preprocessing config's size as [H, W]."""
    if isinstance(v, int):
        return [v, v]
    if isinstance(v, dict):
        if "height" in v and "width" in v:
            return [int(v["height"]), int(v["width"])]
        if "shortest_edge" in v:
            return [int(v["shortest_edge"])] * 2
    if isinstance(v, (list, tuple)):
        return [int(v[-2]), int(v[-1])]
    return None


# --- sources: each gives (module, card fields) ------------------------------

def out_tensor(inner):
    """A torchvision segmentation model as a module returning its "out"
    tensor (the masks) instead of a dict."""
    import torch

    class Out(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = inner

        def forward(self, x):
            return self.model(x)["out"]

    return Out()


HEADS = ("fc", "classifier", "heads", "head")  # where torchvision keeps a classifier's head


def headless(model, name):
    """model with its classification head an identity: its pooled features."""
    import torch
    if hasattr(model, "reset_classifier"):  # timm
        model.reset_classifier(0)
        return model
    for attr in HEADS:
        if isinstance(getattr(model, attr, None), torch.nn.Module):
            setattr(model, attr, torch.nn.Identity())
            return model
    fail(f"--embedding: {name} has none of {', '.join(HEADS)} to take off")


def from_torchvision(args):
    import torchvision
    weights = None
    if args.weights and args.weights.lower() != "none":
        weights = torchvision.models.get_model_weights(args.torchvision)[args.weights]
    segmenter = args.torchvision in torchvision.models.list_models(
        module=torchvision.models.segmentation)
    extra = {"weights_backbone": None} if segmenter and weights is None else {}  # no download
    model = torchvision.models.get_model(args.torchvision, weights=weights, **extra)
    card = {"name": args.torchvision}
    if segmenter:
        model, card["task"] = out_tensor(model), "segmentation"
    if weights is not None:
        card["labels"] = list(weights.meta.get("categories") or [])
        t = weights.transforms()
        card["input_size"] = side(list(getattr(t, "crop_size", [224])) * 2)
        card["mean"], card["std"] = list(t.mean), list(t.std)
    return model, card


def from_timm(args):
    import timm
    model = timm.create_model(args.timm, pretrained=args.pretrained,
                              checkpoint_path=args.checkpoint or "")
    cfg = getattr(model, "pretrained_cfg", None) or {}
    card = {"name": args.timm}
    if cfg.get("input_size"):
        card["input_size"] = side(cfg["input_size"])
    if cfg.get("mean"):
        card["mean"], card["std"] = list(cfg["mean"]), list(cfg["std"])
    try:  # ImageNet's label names where the model was trained on them
        from timm.data import ImageNetInfo, infer_imagenet_subset
        subset = infer_imagenet_subset(model)
        if subset:
            card["labels"] = ImageNetInfo(subset).label_names()
    except ImportError:
        pass
    return model, card


def output_module(inner, field):
    """A Hugging Face model as a module returning one field of its output:
    a classifier's logits, a CLIP vision tower's image_embeds."""
    import torch

    class Output(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = inner

        def forward(self, pixel_values):
            return getattr(self.model(pixel_values=pixel_values), field)

    return Output()


def hf_preprocessing(folder, config, card):
    """The input size and normalisation of the model saved in folder: its
    processor config, else its config's image size."""
    pre = os.path.join(folder, "preprocessor_config.json")
    if os.path.exists(pre):
        with open(pre) as f:
            p = json.load(f)
        size = side(p.get("crop_size") if p.get("do_center_crop") else p.get("size"))
        if size:
            card["input_size"] = size
        if p.get("image_mean"):
            card["mean"], card["std"] = list(p["image_mean"]), list(p["image_std"])
    elif getattr(config, "image_size", None):
        card["input_size"] = side(config.image_size)
    return card


def from_hf(args):
    if not os.path.isdir(args.hf):
        fail(f"--hf {args.hf}: not a folder (a model saved with save_pretrained)")
    card = {"name": os.path.basename(os.path.normpath(args.hf))}
    if args.embedding:
        from transformers import AutoConfig, CLIPVisionModelWithProjection
        if AutoConfig.from_pretrained(args.hf).model_type not in ("clip", "clip_vision_model"):
            fail(f"--hf {args.hf} --embedding: a CLIP model (its vision tower) is what this "
                 "takes")
        inner = CLIPVisionModelWithProjection.from_pretrained(args.hf)
        return output_module(inner, "image_embeds"), hf_preprocessing(args.hf, inner.config, card)
    from transformers import AutoModelForImageClassification
    inner = AutoModelForImageClassification.from_pretrained(args.hf)
    id2label = getattr(inner.config, "id2label", None) or {}
    if id2label and not all(str(v).startswith("LABEL_") for v in id2label.values()):
        card["labels"] = [id2label[i] for i in sorted(id2label)]
    if getattr(inner.config, "problem_type", None) == "multi_label_classification":
        card["output"] = "sigmoid"
    return output_module(inner, "logits"), hf_preprocessing(args.hf, inner.config, card)


def from_module(args):
    import torch
    if ":" not in args.module:
        fail("--module takes FILE.py:CLASS")
    path, name = args.module.rsplit(":", 1)
    spec = importlib.util.spec_from_file_location("user_model", path)
    if spec is None:
        fail(f"--module: cannot import '{path}'")
    code = importlib.util.module_from_spec(spec)
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    spec.loader.exec_module(code)
    if not hasattr(code, name):
        fail(f"--module: '{path}' has no '{name}'")
    model = getattr(code, name)(**json.loads(args.module_args))
    if args.state_dict:
        state = torch.load(args.state_dict, map_location="cpu", weights_only=True)
        state = state.get("state_dict", state) if isinstance(state, dict) else state
        model.load_state_dict(state)
    # a module that knows its card (task, preprocessing, labels) says it in
    # its attrib_card; the options below override it
    card = dict(getattr(model, "attrib_card", {}))
    card.setdefault("name", name)
    return model, card


def from_torchscript(args):
    import torch
    files = {CARD_FILE: ""}
    scripted = torch.jit.load(args.torchscript, map_location="cpu", _extra_files=files)
    card = json.loads(files[CARD_FILE]) if files[CARD_FILE] else {}
    card.setdefault("name", os.path.splitext(os.path.basename(args.torchscript))[0])
    return scripted, card


# --- the export ----------------------------------------------------------------

def overrides(args, card):
    if args.name:
        card["name"] = args.name
    if args.input_size:
        card["input_size"] = args.input_size
    if args.mean:
        card["mean"] = args.mean
    if args.std:
        card["std"] = args.std
    if args.labels:
        with open(args.labels) as f:
            card["labels"] = [line.rstrip("\n") for line in f if line.strip()]
    if args.multi_label:
        card["output"] = "sigmoid"
    if args.embedding:
        card["task"] = "embedding"
        card.pop("labels", None)  # a classifier's labels name no embedding dimension
    if args.detection:
        card["task"] = "detection"
        card["output"] = {"kind": "detection", "layout": args.detection}
    card.setdefault("input_size", [224, 224])
    card.setdefault("mean", IMAGENET_MEAN)
    card.setdefault("std", IMAGENET_STD)
    return card


def export(model, card, torchscript):
    """(the program, its batch: "dynamic" or "1", the source's logits and
    the program's on a random batch of two)."""
    import torch
    h, w = card["input_size"]
    x = torch.randn(2, 3, h, w)
    batch = ({0: torch.export.Dim("batch", min=1, max=MAX_BATCH)},)
    if torchscript:
        # TorchScript has no Python to trace: PyTorch's converter gives a
        # program of the traced batch (module names lost, parameter names
        # kept), exported again for any batch where its graph allows.
        from torch._export.converter import TS2EPConverter
        static = TS2EPConverter(model, (x[:1],)).convert()
        try:
            program, kind = torch.export.export(static.module(), (x,), dynamic_shapes=batch), "dynamic"
        except Exception:
            program, kind = static, "1"
    else:
        model.eval()
        program, kind = torch.export.export(model, (x,), dynamic_shapes=batch), "dynamic"
    with torch.no_grad():
        want = model(x)
        got = program.module()(x if kind == "dynamic" else x[:1])
    return program, kind, want[: got.shape[0]], got


def parse(argv):
    p = argparse.ArgumentParser(
        prog="export-model.py", description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--torchvision", metavar="NAME", help="a torchvision model (resnet50, vit_b_16, ...)")
    src.add_argument("--timm", metavar="NAME", help="a timm model (convnext_tiny, ...)")
    src.add_argument("--hf", metavar="DIR", help="a Hugging Face image classifier saved in DIR")
    src.add_argument("--module", metavar="FILE.py:CLASS", help="an nn.Module class in your file")
    src.add_argument("--torchscript", metavar="FILE", help="a TorchScript file (.pt)")
    p.add_argument("-o", "--output", required=True, metavar="FILE.pt2", help="the program to write")
    p.add_argument("--weights", metavar="NAME", default="DEFAULT",
                   help="torchvision: the weights enum member, or none (default: DEFAULT)")
    p.add_argument("--pretrained", action="store_true", help="timm: its pretrained weights")
    p.add_argument("--checkpoint", metavar="FILE", help="timm: weights from this checkpoint")
    p.add_argument("--state-dict", metavar="FILE", help="--module: load these weights")
    p.add_argument("--module-args", metavar="JSON", default="{}",
                   help="--module: keyword arguments of the class, as JSON (default: {})")
    p.add_argument("--name", help="the card's name")
    p.add_argument("--input-size", nargs=2, type=int, metavar=("H", "W"))
    p.add_argument("--mean", nargs=3, type=float, metavar=("R", "G", "B"))
    p.add_argument("--std", nargs=3, type=float, metavar=("R", "G", "B"))
    p.add_argument("--labels", metavar="FILE", help="class names, one a line")
    p.add_argument("--multi-label", action="store_true", help="sigmoid outputs (card output)")
    p.add_argument("--embedding", action="store_true",
                   help="an embedder: the classifier without its head, a CLIP vision tower")
    p.add_argument("--detection", choices=["yolo", "detr"],
                   help="the module returns a detector's raw output in this layout")
    p.add_argument("--tolerance", type=float, default=1e-4,
                   help="largest logit difference from the source, relative (default: 1e-4)")
    return p.parse_args(argv)


SOURCES = {"torchvision": from_torchvision, "timm": from_timm, "hf": from_hf,
           "module": from_module, "torchscript": from_torchscript}


def main(argv):
    args = parse(argv)
    import torch
    kind = next(k for k in SOURCES if getattr(args, k))
    if args.embedding and kind in ("module", "torchscript"):
        fail("--embedding takes a torchvision, timm or Hugging Face CLIP source; save your "
             "module returning its embedding instead")
    model, card = SOURCES[kind](args)
    if args.embedding and kind != "hf":
        model = headless(model, getattr(args, kind))
    card = overrides(args, card)
    program, batch, want, got = export(model, card, kind == "torchscript")
    task = task_of(card)
    rank, what = OUTPUTS[task]
    if not isinstance(got, torch.Tensor) or got.dim() != rank:
        shape = list(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__
        fail(f"the model returns {shape}, not {what} (a {task} model's output)")
    err = float((got - want).abs().max() / want.abs().max().clamp_min(1e-12))
    if err > args.tolerance:
        fail(f"the program's {'logits' if task == 'classification' else 'outputs'} differ from "
             f"the source's by {err:.2e} of their largest")
    classes = got.shape[1] if task in ("classification", "segmentation") else None
    if card.get("labels") and classes and len(card["labels"]) != classes:
        fail(f"{len(card['labels'])} labels for {classes} classes")
    torch.export.save(program, args.output, extra_files={CARD_FILE: json.dumps(card)})
    labels = f"{len(card['labels'])} labels" if card.get("labels") else "no labels"
    batches = "any batch" if batch == "dynamic" else f"batches of {batch}"
    if task == "segmentation":
        output = f"masks of {got.shape[1]} classes at {got.shape[2]}x{got.shape[3]}"
    elif task == "embedding":
        output = f"embeddings of {got[0].numel()}"
    elif task == "detection":
        output = f"{card['output']['layout']} detections {list(got.shape[1:])}"
    else:
        output = f"{got.shape[1]} classes"
    print(f"{args.output}: {card['name']}, {output}, input "
          f"{card['input_size'][0]}x{card['input_size'][1]}, {labels}, {batches}; "
          f"{'logits' if task == 'classification' else 'outputs'} within {err:.1e} of the "
          "source")
    return 0


def task_of(card):
    """The task a card's "task" text names, as attrib reads it: the first
    task word in it ("imagenet-1k classification"), else classification."""
    if isinstance(card.get("output"), dict):  # a detector's layout
        return "detection"
    text = str(card.get("task", ""))
    named = [(text.find(t), t) for t in OUTPUTS if t in text]
    return min(named)[1] if named else "classification"


# The output's rank each task has, and what it is.
OUTPUTS = {"classification": (2, "logits [N, classes]"),
           "segmentation": (4, "masks [N, classes, H, W]"),
           "embedding": (2, "embeddings [N, D]"),
           "detection": (3, "a detector's raw output [N, ., .]")}


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except Failure as e:
        print(f"export-model.py: error: {e}", file=sys.stderr)
        sys.exit(1)
    except Exception as e:  # the source's own failure, in one line
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        print(f"export-model.py: error: {type(e).__name__}: {first}", file=sys.stderr)
        sys.exit(1)
