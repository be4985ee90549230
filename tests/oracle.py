"""The independent implementation the tests compare attrib against: eager
PyTorch autograd (Debian's python3-torch) on the same TorchScript file.
Nothing here calls attrib or shares its code."""
import json
import math
import operator

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


# --- Layer and rectifier oracles -------------------------------------------
#
# TorchScript modules have no hooks, so for the shared TorchScript models the
# oracle evaluates the frozen, inlined graph node by node in Python with the
# ops' own Python bindings. That gives two independent handles attrib's C++
# graph rewrites also need: the tensor entering the global pooling (Grad-CAM's
# default layer) and every rectifier (guided backpropagation), here replaced by
# a Python autograd.Function.

RECTIFIERS = {"aten::relu", "aten::relu_", "aten::relu6", "aten::relu6_", "aten::hardtanh",
              "aten::hardtanh_", "aten::leaky_relu", "aten::leaky_relu_"}
GLOBAL_POOLS = {"aten::mean", "aten::adaptive_avg_pool2d"}


class GuidedRectifier(torch.autograd.Function):
    """Forward: the rectifier itself. Backward: the gradient where the input
    was inside (lo, hi) and the gradient is positive (Springenberg et al.)."""

    @staticmethod
    def forward(ctx, x, forward_fn, lo, hi):
        ctx.save_for_backward(((x > lo) & (x < hi)).to(x.dtype))
        return forward_fn(x)

    @staticmethod
    def backward(ctx, grad):
        (inside,) = ctx.saved_tensors
        return grad.clamp(min=0) * inside, None, None, None


def guided_rectifier(kind, args):
    x = args[0]
    name = kind.split("::")[1].rstrip("_")
    if name == "relu":
        return GuidedRectifier.apply(x, torch.relu, 0.0, float("inf"))
    if name == "relu6":
        return GuidedRectifier.apply(x, lambda t: t.clamp(0, 6), 0.0, 6.0)
    if name == "hardtanh":
        lo, hi = args[1], args[2]
        return GuidedRectifier.apply(x, lambda t: t.clamp(lo, hi), lo, hi)
    slope = args[1] if len(args) > 1 else 0.01
    return GuidedRectifier.apply(x, lambda t: torch.nn.functional.leaky_relu(t, slope),
                                 0.0, float("inf"))


# Integer and list arithmetic (SAME-padding computations and the like) has no
# Python binding through torch.ops; it is plain Python.
SCALAR_OPS = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul,
    "floordiv": operator.floordiv, "div": operator.truediv, "neg": operator.neg,
    "remainder": operator.mod, "pow": operator.pow, "eq": operator.eq, "ne": operator.ne,
    "lt": operator.lt, "gt": operator.gt, "le": operator.le, "ge": operator.ge,
    "__getitem__": operator.getitem, "max": max, "min": min, "len": len, "Int": int,
    "Float": float, "__not__": operator.not_, "__and__": operator.and_,
    "__or__": operator.or_, "ceil": math.ceil, "floor": math.floor,
}


def call_op(node, args):
    kind = node.kind()
    ns, name = kind.split("::")
    if kind == "aten::size":
        return list(args[0].shape) if len(args) == 1 else args[0].shape[args[1]]
    if kind == "aten::dim":
        return args[0].dim()
    if name in SCALAR_OPS and not any(isinstance(a, torch.Tensor) for a in args):
        return SCALAR_OPS[name](*args)
    # Arguments after '*' in the schema (e.g. add's alpha) go by keyword.
    positional, keywords = [], {}
    schema = node.schema()
    formals = torch._C.parse_schema(schema).arguments if schema != "(no schema)" else []
    for i, value in enumerate(args):
        if i < len(formals) and formals[i].kwarg_only:
            keywords[formals[i].name] = value
        else:
            positional.append(value)
    return getattr(getattr(torch.ops, ns), name)(*positional, **keywords)


def frozen_graph(module):
    frozen = torch.jit._recursive.wrap_cpp_module(torch._C._freeze_module(module._c))
    graph = frozen.graph.copy()
    torch._C._jit_pass_inline(graph)
    return frozen, graph


def interpret(module, x, rectifier=None, tap_global_pool=False):
    """Runs the module's frozen graph on x in Python. rectifier(kind, args)
    replaces rectifier nodes; with tap_global_pool the tensor entering the
    last global pooling becomes a fresh leaf, returned as the second value."""
    frozen, graph = frozen_graph(module)
    env = {}
    inputs = list(graph.inputs())
    env[inputs[0].unique()] = frozen._c
    env[inputs[1].unique()] = x
    pools = [n for n in graph.nodes() if n.kind() in GLOBAL_POOLS]
    tap_node = pools[-1] if tap_global_pool and pools else None
    tapped = []

    def run_block(block):
        for node in block.nodes():
            kind = node.kind()
            outs = list(node.outputs())
            if kind == "prim::Constant":
                env[outs[0].unique()] = outs[0].toIValue()
                continue
            args = [env[v.unique()] for v in node.inputs()]
            if node is tap_node or (tap_node is not None and node == tap_node):
                leaf = args[0].detach().requires_grad_(True)
                tapped.append(leaf)
                args[0] = leaf
            if kind == "prim::ListConstruct":
                result = list(args)
            elif kind == "prim::TupleConstruct":
                result = tuple(args)
            elif kind in ("prim::ListUnpack", "prim::TupleUnpack"):
                for o, value in zip(outs, args[0]):
                    env[o.unique()] = value
                continue
            elif kind == "prim::If":
                branch = list(node.blocks())[0 if args[0] else 1]
                run_block(branch)
                for o, r in zip(outs, branch.returnNode().inputs()):
                    env[o.unique()] = env[r.unique()]
                continue
            elif rectifier is not None and kind in RECTIFIERS:
                result = rectifier(kind, args)
            else:
                result = call_op(node, args)
            if len(outs) == 1:
                env[outs[0].unique()] = result
            else:
                for o, value in zip(outs, result):
                    env[o.unique()] = value

    run_block(graph)
    out = env[graph.return_node().inputsAt(0).unique()]
    return out, (tapped[0] if tapped else None)


def guided_backprop(module, x, target=None, threads=2):
    """Guided backpropagation on a TorchScript module; (grad [3,H,W], target)."""
    torch.set_num_threads(threads)
    x = x.clone().requires_grad_(True)
    logits, _ = interpret(module, x, rectifier=guided_rectifier)
    if target is None:
        target = int(logits[0].argmax())
    logits[0, target].backward()
    return x.grad[0].numpy(), target


def cam_from(act, grad):
    """Grad-CAM from activation and gradient [C, h, w] (Selvaraju et al.)."""
    weights = grad.mean(dim=(1, 2), keepdim=True)
    return torch.relu((weights * act).sum(0))


def gradcam_at_global_pool(module, x, target=None, threads=2):
    """Grad-CAM of the feature map entering the model's last global pooling;
    (cam [h, w] numpy, target)."""
    torch.set_num_threads(threads)
    with torch.enable_grad():
        logits, act = interpret(module, x, tap_global_pool=True)
        if target is None:
            target = int(logits[0].argmax())
        (grad,) = torch.autograd.grad(logits[0, target], act)
    return cam_from(act[0].detach(), grad[0]).numpy(), target


def upsample(cam, h, w):
    """Bilinear, align_corners=False: the usual Grad-CAM upsampling."""
    t = torch.from_numpy(np.ascontiguousarray(cam))[None, None]
    return torch.nn.functional.interpolate(t, size=(h, w), mode="bilinear",
                                           align_corners=False)[0, 0].numpy()


def gradcam_eager(model, layer, x, target=None, threads=2):
    """Grad-CAM of an eager nn.Module's named layer with forward hooks."""
    torch.set_num_threads(threads)
    store = {}
    module = model.get_submodule(layer)

    def hook(_, __, output):
        store["act"] = output
        output.register_hook(lambda g: store.__setitem__("grad", g))

    handle = module.register_forward_hook(hook)
    try:
        x = x.clone().requires_grad_(True)
        logits = model(x)
        if target is None:
            target = int(logits[0].argmax())
        logits[0, target].backward()
    finally:
        handle.remove()
    return cam_from(store["act"][0].detach(), store["grad"][0]).numpy(), target


class _GuidedReLU(torch.nn.Module):
    def forward(self, x):
        return GuidedRectifier.apply(x, torch.relu, 0.0, float("inf"))


def guided_backprop_eager(model, x, target=None, threads=2):
    """Guided backprop of an eager model: every nn.ReLU module swapped for a
    guided one (the classic module-replacement implementation)."""
    import copy
    torch.set_num_threads(threads)
    model = copy.deepcopy(model)
    for name, child in list(model.named_modules()):
        for cname, c in list(child.named_children()):
            if isinstance(c, torch.nn.ReLU):
                setattr(child, cname, _GuidedReLU())
    x = x.clone().requires_grad_(True)
    logits = model(x)
    if target is None:
        target = int(logits[0].argmax())
    logits[0, target].backward()
    return x.grad[0].numpy(), target
