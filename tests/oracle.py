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
    """The module (eval mode) and its card (embedded attrib.json, else {}):
    a TorchScript file, or a torch.export program (.pt2) as ep.module()."""
    files = {"attrib.json": ""}
    if str(path).endswith(".pt2"):
        module = torch.export.load(str(path), extra_files=files).module()
    else:
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


def interpret(module, x, rectifier=None, tap_global_pool=False, after=None):
    """Runs the module's frozen graph on x in Python. rectifier(kind, args)
    replaces rectifier nodes; with tap_global_pool the tensor entering the
    last global pooling becomes a fresh leaf, returned as the second value;
    after(kind, args, result), if given, sees every one-output node's result
    and returns what the graph goes on with."""
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
                env[outs[0].unique()] = after(kind, args, result) if after else result
            else:
                for o, value in zip(outs, result):
                    env[o.unique()] = value

    run_block(graph)
    out = env[graph.return_node().inputsAt(0).unique()]
    return out, (tapped[0] if tapped else None)


def modified_backprop(module, x, rectifier, target=None, threads=2):
    """The input gradient of a TorchScript module with every rectifier
    replaced by rectifier(kind, args); (grad [3,H,W], target)."""
    torch.set_num_threads(threads)
    x = x.clone().requires_grad_(True)
    logits, _ = interpret(module, x, rectifier=rectifier)
    if target is None:
        target = int(logits[0].argmax())
    logits[0, target].backward()
    return x.grad[0].numpy(), target


def guided_backprop(module, x, target=None, threads=2):
    """Guided backpropagation on a TorchScript module; (grad [3,H,W], target)."""
    return modified_backprop(module, x, guided_rectifier, target, threads)


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


def _bias_per_channel(kind, args):
    """The bias a convolution or batch norm adds per channel (FullGrad's
    terms), from the frozen graph's arguments; None for other nodes."""
    if kind in ("aten::_convolution", "aten::conv2d"):
        return args[2]
    if kind == "aten::batch_norm" and args[3] is not None:
        gamma, beta, mean, var, eps = args[1], args[2], args[3], args[4], args[7]
        scale = (var + eps).rsqrt() * (gamma if gamma is not None else 1)
        return -mean * scale + (beta if beta is not None else 0)
    return None


def fullgrad(module, x, target=None, threads=2, eigen=False):
    """FullGrad (Srinivas & Fleuret 2019) written from the paper and the
    authors' code: |x * dS/dx| per colour channel and |b_c * dS/dz_c| per
    channel c of every convolution with a bias and every batch norm
    (output z), each rescaled to [0, 1] as (v - min) / (1e-7 + max - min),
    upsampled bilinearly (half-pixel centres) and summed - or with eigen the
    first principal component of those maps (the colour channels' and each
    layer's). (map [H, W], target, number of bias layers)."""
    torch.set_num_threads(threads)
    taps = []

    def after(kind, args, result):
        bias = _bias_per_channel(kind, args)
        if bias is None or not isinstance(result, torch.Tensor) or result.dim() != 4:
            return result
        taps.append((result, bias.detach().double().numpy()))
        return result.clone()  # an in-place op after it must not change it

    x = x.clone().requires_grad_(True)
    logits, _ = interpret(module, x, after=after)
    if target is None:
        target = int(logits[0].argmax())
    grads = torch.autograd.grad(logits[0, target], [x] + [t for t, _ in taps],
                                allow_unused=True)
    h, w = x.shape[2:]

    def rescaled(terms):  # [C, h, w], each channel to [0, 1]
        terms = terms - terms.min(axis=(1, 2), keepdims=True)
        return terms / (1e-7 + terms.max(axis=(1, 2), keepdims=True))

    maps = list(rescaled(np.abs((x * grads[0])[0].detach().double().numpy())))
    for (t, b), g in zip(taps, grads[1:]):
        g = np.zeros(t.shape[1:]) if g is None else g[0].double().numpy()
        layer = rescaled(np.abs(b[:, None, None] * g)).sum(0)
        maps.append(layer if layer.shape == (h, w) else upsample(layer, h, w))
    terms = np.stack(maps)  # 3 colour channels, then one map per bias layer
    return (principal_component(terms) if eigen else terms.sum(0)), target, len(taps)


def upsample(cam, h, w):
    """Bilinear, align_corners=False: the usual Grad-CAM upsampling."""
    t = torch.from_numpy(np.ascontiguousarray(cam))[None, None]
    return torch.nn.functional.interpolate(t, size=(h, w), mode="bilinear",
                                           align_corners=False)[0, 0].numpy()


def gradcam_eager(model, layer, x, target=None, threads=2, reshape=None):
    """Grad-CAM of an eager nn.Module's named layer with forward hooks;
    reshape turns the layer's output (and its gradient) into [N, C, h, w],
    as pytorch-grad-cam's reshape_transform does for transformers."""
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
    act, grad = store["act"].detach(), store["grad"]
    if reshape:
        act, grad = reshape(act), reshape(grad)
    return cam_from(act[0], grad[0]).numpy(), target


def vit_tokens_to_map(t, extra=1, h=14, w=14):
    """pytorch-grad-cam's reshape_transform for ViT: drop the class token
    (and any other extra tokens in front), the other tokens row by row on the
    patch grid, channels first."""
    return t[:, extra:, :].reshape(t.size(0), h, w, t.size(2)).permute(0, 3, 1, 2)


def channels_last_to_map(t):
    """pytorch-grad-cam's reshape_transform for Swin: [N, h, w, C] -> [N, C, h, w]."""
    return t.permute(0, 3, 1, 2)


def densenet_rectified_gradcam(model, x, threads=2):
    """DenseNet's forward ends in F.relu(features, inplace=True): the ReLU
    overwrites features.norm5's output, so the tensor that layer hands on is
    the rectified map, and attrib's map of features.norm5 is Grad-CAM of
    that tensor with the gradient at it (a hook would mix the overwritten
    activation with the gradient before the ReLU). Written out here."""
    torch.set_num_threads(threads)
    features = model.features(x)
    rectified = torch.nn.functional.relu(features)
    rectified.retain_grad()
    pooled = torch.nn.functional.adaptive_avg_pool2d(rectified, (1, 1))
    logits = model.classifier(torch.flatten(pooled, 1))
    target = int(logits[0].argmax())
    logits[0, target].backward()
    return cam_from(rectified[0].detach(), rectified.grad[0]).numpy(), target


class _GuidedReLU(torch.nn.Module):
    def forward(self, x):
        return GuidedRectifier.apply(x, torch.relu, 0.0, float("inf"))


def swapped_input_gradient(model, x, swap, target=None, threads=2):
    """The input gradient of a copy of an eager model in which every module
    c with swap(c) not None is replaced by swap(c). Returns (grad CxHxW,
    target)."""
    import copy
    torch.set_num_threads(threads)
    model = copy.deepcopy(model)
    for _, child in list(model.named_modules()):
        for cname, c in list(child.named_children()):
            replacement = swap(c)
            if replacement is not None:
                setattr(child, cname, replacement)
    x = x.clone().requires_grad_(True)
    logits = model(x)
    if target is None:
        target = int(logits[0].argmax())
    logits[0, target].backward()
    return x.grad[0].numpy(), target


def guided_backprop_eager(model, x, target=None, threads=2):
    """Guided backprop of an eager model: every nn.ReLU module swapped for a
    guided one (the classic module-replacement implementation)."""
    return swapped_input_gradient(
        model, x, lambda c: _GuidedReLU() if isinstance(c, torch.nn.ReLU) else None,
        target, threads)


class _GateRule(torch.autograd.Function):
    """Forward: the activation module itself. Backward: guided (the positive
    gradient where x > 0) or deconvnet (the positive gradient everywhere),
    the rule attrib applies to ReLU, GELU, SiLU and Hardswish alike."""

    @staticmethod
    def forward(ctx, x, module, guided):
        ctx.save_for_backward((x > 0).to(x.dtype))
        ctx.guided = guided
        return module(x)

    @staticmethod
    def backward(ctx, grad):
        (positive,) = ctx.saved_tensors
        g = grad.clamp(min=0)
        return (g * positive if ctx.guided else g), None, None


class _Gated(torch.nn.Module):
    def __init__(self, module, guided):
        super().__init__()
        self.module, self.guided = module, guided

    def forward(self, x):
        return _GateRule.apply(x, self.module, self.guided)


GATES = (torch.nn.ReLU, torch.nn.GELU, torch.nn.SiLU, torch.nn.Hardswish)


def gated_backprop_eager(model, x, rule, target=None, threads=2):
    """Guided backprop or deconvnet of an eager model with every ReLU, GELU
    (transformers' GELUActivation too), SiLU and Hardswish module swapped for
    one with the rule's backward, and
    torch.nn.functional.relu too while it runs (DenseNet's last ReLU is a
    function call in its forward, not a module)."""
    guided = rule == "guided"

    def swap(c):
        if type(c).__name__ == "GELUActivation":  # transformers' (exact) GELU module
            return _Gated(torch.nn.GELU(), guided)
        if not isinstance(c, GATES):
            return None
        # the swapped module computes out of place (in-place SiLU would
        # overwrite the input autograd keeps)
        fresh = type(c)(**({"approximate": c.approximate}
                           if isinstance(c, torch.nn.GELU) else {}))
        return _Gated(fresh, guided)
    functional_relu = torch.nn.functional.relu
    torch.nn.functional.relu = lambda t, inplace=False: _GateRule.apply(t, torch.relu, guided)
    try:
        return swapped_input_gradient(model, x, swap, target, threads)
    finally:
        torch.nn.functional.relu = functional_relu


class _Weights(torch.nn.Module):
    """MultiheadAttention (batch first, self-attention, no mask) written out
    from its own projections, keeping the per-head attention probabilities
    [N, heads, T, T] that the output is computed from, with their gradient."""

    def __init__(self, mha, store):
        super().__init__()
        self.mha, self.store = mha, store

    def forward(self, query, key, value, need_weights=False, **kw):
        m, q = self.mha, query
        n, t, c = q.shape
        h = m.num_heads
        qkv = torch.nn.functional.linear(q, m.in_proj_weight, m.in_proj_bias)
        qh, kh, vh = (z.reshape(n, t, h, c // h).transpose(1, 2) for z in qkv.chunk(3, -1))
        a = torch.softmax(qh @ kh.transpose(-2, -1) / (c // h) ** 0.5, dim=-1)
        a.retain_grad()
        self.store.append(a)
        out = (a @ vh).transpose(1, 2).reshape(n, t, c)
        return m.out_proj(out), None


def attention_maps(model, x, target=None, relevance=False, threads=2):
    """Attention rollout (Abnar & Zuidema) or Chefer et al.'s generic
    relevance of an eager ViT made of torchvision's encoder blocks (in
    model.encoder.layers or model.blocks): the class token's row over the
    patch tokens (16x16 patches), [h*w]. Weights from MultiheadAttention
    itself."""
    import copy
    torch.set_num_threads(threads)
    model = copy.deepcopy(model)
    store = []
    blocks = model.encoder.layers if hasattr(model, "encoder") else model.blocks
    for block in blocks:
        block.self_attention = _Weights(block.self_attention, store)
    x = x.clone().requires_grad_(True)
    logits = model(x)
    if target is None:
        target = int(logits[0].argmax())
    logits[0, target].backward()
    t = store[0].shape[-1]
    r = torch.eye(t, dtype=torch.float64)
    for w in store:
        a = w[0].detach().double()
        if relevance:
            m = (w.grad[0].double() * a).clamp(min=0).mean(0)
            r = r + m @ r
        else:
            r = (0.5 * a.mean(0) + 0.5 * torch.eye(t, dtype=torch.float64)) @ r
    patches = (x.shape[2] // 16) * (x.shape[3] // 16)
    return r[0, t - patches:].numpy(), target


# --- Methods beyond the classics (issue 7) ---------------------------------

class DeconvRectifier(torch.autograd.Function):
    """Forward: the rectifier. Backward: the positive part of the gradient,
    whatever the input was (Zeiler & Fergus's deconvnet)."""

    @staticmethod
    def forward(ctx, x, forward_fn):
        return forward_fn(x)

    @staticmethod
    def backward(ctx, grad):
        return grad.clamp(min=0), None


def deconv_rectifier(kind, args):
    x = args[0]
    name = kind.split("::")[1].rstrip("_")
    if name == "relu":
        return DeconvRectifier.apply(x, torch.relu)
    if name == "relu6":
        return DeconvRectifier.apply(x, lambda t: t.clamp(0, 6))
    if name == "hardtanh":
        lo, hi = args[1], args[2]
        return DeconvRectifier.apply(x, lambda t: t.clamp(lo, hi))
    slope = args[1] if len(args) > 1 else 0.01
    return DeconvRectifier.apply(x, lambda t: torch.nn.functional.leaky_relu(t, slope))


def deconvnet(module, x, target=None, threads=2):
    """Deconvnet gradient of a TorchScript module; (grad [3,H,W], target)."""
    return modified_backprop(module, x, deconv_rectifier, target, threads)


def gradients(module, xs, target, threads=2, chunk=16):
    """d logit_target / d x for every row of xs [N,3,H,W], in chunks."""
    torch.set_num_threads(threads)
    out = []
    for i in range(0, len(xs), chunk):
        x = xs[i:i + chunk].clone().requires_grad_(True)
        module(x)[:, target].sum().backward()
        out.append(x.grad.detach())
    return torch.cat(out)


# What attrib's --objective turns a row of logits into.
OBJECTIVES = {"logit": lambda z: z, "probability": lambda z: torch.softmax(z, 1),
              "log-probability": lambda z: torch.log_softmax(z, 1)}


def scores(module, xs, target, threads=2, chunk=16, kind="logit"):
    """The target's logit (or probability, log-probability) for every row."""
    f = OBJECTIVES[kind]
    torch.set_num_threads(threads)
    with torch.no_grad():
        return torch.cat([f(module(xs[i:i + chunk]))[:, target]
                          for i in range(0, len(xs), chunk)])


def integrated_gradients(module, x, baseline, target, steps=50, rule="gauss-legendre",
                         threads=2):
    """Sundararajan et al.: (x - x') * integral of the gradient on the path,
    nodes from numpy's Gauss-Legendre table or the right Riemann sum. Returns
    (attributions [3,H,W] float64 numpy, score(x) - score(baseline))."""
    if rule == "gauss-legendre":
        nodes, weights = np.polynomial.legendre.leggauss(steps)
        alphas, weights = (nodes + 1) / 2, weights / 2
    else:
        alphas, weights = np.arange(1, steps + 1) / steps, np.full(steps, 1.0 / steps)
    # the points in float64, then rounded once to float32 (as attrib does):
    # ReLU6 kinks make the gradient jump on last-bit differences of the input
    a = torch.tensor(alphas, dtype=torch.float64).view(-1, 1, 1, 1)
    path = (baseline.double() + a * (x.double() - baseline.double())).float()
    g = gradients(module, path, target, threads).double().numpy()
    integral = np.tensordot(weights, g, axes=1)
    attr = (x - baseline)[0].double().numpy() * integral
    delta = float(scores(module, x, target, threads)[0] - scores(module, baseline, target,
                                                                 threads)[0])
    return attr, delta


def black(card, h, w):
    mean = torch.tensor(card["mean"]).view(1, 3, 1, 1)
    std = torch.tensor(card["std"]).view(1, 3, 1, 1)
    return ((torch.zeros(1, 3, h, w) - mean) / std).float()


class Xoshiro:
    """xoshiro256** seeded by splitmix64, with Box-Muller normals: the
    generator attrib documents, written from its published definition so
    that noise-based methods can be reproduced here."""
    M = (1 << 64) - 1

    def __init__(self, seed):
        self.s = []
        x = seed
        for _ in range(4):
            x = (x + 0x9E3779B97F4A7C15) & self.M
            z = x
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & self.M
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & self.M
            self.s.append(z ^ (z >> 31))

    @staticmethod
    def rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & Xoshiro.M

    def next(self):
        s = self.s
        result = (self.rotl((s[1] * 5) & self.M, 7) * 9) & self.M
        t = (s[1] << 17) & self.M
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = self.rotl(s[3], 45)
        return result

    def uniform(self):
        return (self.next() >> 11) * (1.0 / 9007199254740992.0)

    def normal(self):
        u, v = self.uniform(), self.uniform()
        return math.sqrt(-2.0 * math.log(1.0 - u)) * math.cos(2.0 * math.pi * v)

    def normals(self, n):
        """n normals as float32, both Box-Muller outputs of each pair (cos,
        then sin; an odd n drops the last sine), as attrib's rng_normals."""
        out = np.empty(n + n % 2, dtype=np.float64)
        for i in range(0, n, 2):
            u, v = self.uniform(), self.uniform()
            radius, angle = math.sqrt(-2.0 * math.log(1.0 - u)), 2.0 * math.pi * v
            out[i], out[i + 1] = radius * math.cos(angle), radius * math.sin(angle)
        return out[:n].astype(np.float32)


def smoothgrad(module, x, target, samples, noise, seed=0, threads=2):
    """Smilkov et al.: gradients of noisy copies (sigma = noise * range of x);
    returns (mean, mean of squares) [3,H,W] float64 numpy."""
    rng = Xoshiro(seed)
    sigma = noise * float(x.max() - x.min())
    n = x.numel()
    eps = np.stack([rng.normals(n) for _ in range(samples)]).astype(np.float64)
    noisy = (x.double().reshape(1, -1) + sigma * torch.from_numpy(eps)).float()
    g = gradients(module, noisy.view(samples, *x.shape[1:]), target, threads).double().numpy()
    return g.mean(0), (g * g).mean(0)


def occlusion(module, x, target, window, stride, baseline, threads=2, kind="logit"):
    """Zeiler & Fergus / Captum's Occlusion: mean score drop over the windows
    covering each pixel."""
    _, _, h, w = x.shape
    ys, xs = range(0, h - window + 1, stride), range(0, w - window + 1, stride)
    copies = []
    for py in ys:
        for px in xs:
            c = x.clone()
            c[:, :, py:py + window, px:px + window] = baseline[:, :, py:py + window,
                                                               px:px + window]
            copies.append(c)
    s = scores(module, torch.cat(copies), target, threads, kind=kind).double().numpy()
    base = float(scores(module, x, target, threads, kind=kind)[0])
    total, count = np.zeros((h, w)), np.zeros((h, w))
    for k, (py, px) in enumerate((py, px) for py in ys for px in xs):
        total[py:py + window, px:px + window] += base - s[k]
        count[py:py + window, px:px + window] += 1
    return np.divide(total, count, out=np.zeros_like(total), where=count > 0)


def layer_act_grad(module, x, target=None, threads=2):
    """Activation and gradient [C,h,w] of the map entering the global pool."""
    torch.set_num_threads(threads)
    with torch.enable_grad():
        logits, act = interpret(module, x, tap_global_pool=True)
        if target is None:
            target = int(logits[0].argmax())
        (grad,) = torch.autograd.grad(logits[0, target], act)
    return act[0].detach().double().numpy(), grad[0].double().numpy(), target


def gradcam_pp(act, grad):
    """pytorch-grad-cam's GradCAMPlusPlus weights, in numpy."""
    g2, g3 = grad ** 2, grad ** 3
    sum_act = act.sum(axis=(1, 2))
    aij = g2 / (2 * g2 + sum_act[:, None, None] * g3 + 1e-6)
    aij = np.where(grad != 0, aij, 0)
    weights = (np.maximum(grad, 0) * aij).sum(axis=(1, 2))
    return np.maximum((weights[:, None, None] * act).sum(0), 0)


def eigencam(act):
    """First principal component of the activations (numpy SVD), sign
    chosen to agree with the summed activation, rectified."""
    c, h, w = act.shape
    m = act.reshape(c, -1).T
    m = m - m.mean(axis=0)
    _, _, vt = np.linalg.svd(m, full_matrices=False)
    proj = m @ vt[0]
    if (proj * act.sum(0).ravel()).sum() < 0:
        proj = -proj
    return np.maximum(proj.reshape(h, w), 0)


def scorecam(module, x, act, target, threads=2):
    """Wang et al. as pytorch-grad-cam does it: each upsampled, min-max scaled
    map masks the input; softmax over the channels' target logits weighs them
    (flat maps mask everything)."""
    _, _, h, w = x.shape
    up = torch.nn.functional.interpolate(torch.from_numpy(act).float()[None], size=(h, w),
                                         mode="bilinear", align_corners=False)[0]
    lo = up.flatten(1).min(1).values.view(-1, 1, 1)
    hi = up.flatten(1).max(1).values.view(-1, 1, 1)
    masks = torch.where(hi > lo, (up - lo) / (hi - lo), torch.zeros_like(up))
    s = scores(module, x * masks[:, None], target, threads).double()
    weights = torch.softmax(s, 0).numpy()
    return np.maximum((weights[:, None, None] * act).sum(0), 0)


def gaussian_blur(x, sigma=5.0):
    """scipy.ndimage.gaussian_filter's defaults (truncate 4, 'reflect'
    edges = numpy's 'symmetric'), separable, on [1,3,H,W]."""
    r = int(4 * sigma + 0.5)
    k = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2)
    k /= k.sum()
    a = x[0].double().numpy()
    a = np.pad(a, ((0, 0), (0, 0), (r, r)), mode="symmetric")
    a = np.stack([np.apply_along_axis(lambda v: np.convolve(v, k, "valid"), 2, a)])[0]
    a = np.pad(a, ((0, 0), (r, r), (0, 0)), mode="symmetric")
    a = np.apply_along_axis(lambda v: np.convolve(v, k, "valid"), 1, a)
    return torch.from_numpy(a).float()[None]


def deletion_insertion(module, x, saliency_map, target, steps, threads=2, score=None):
    """RISE curves: pixels in order of the map (stable for ties) replaced by 0
    (deletion) or put into the blurred image (insertion); softmax
    probability of target at each step (or score(copies), a target's own
    score, [N]); AUC by the trapezoidal rule."""
    if score is None:
        score = lambda t: torch.softmax(module(t), 1)[:, target]
    torch.set_num_threads(threads)
    _, _, h, w = x.shape
    order = np.argsort(-saliency_map.ravel(), kind="stable")
    n = h * w
    blurred = gaussian_blur(x)

    def curve(start, finish):
        copies = []
        for k in range(steps + 1):
            m = (n * k + steps // 2) // steps
            c = start.contiguous().clone().reshape(1, 3, n)
            c[:, :, order[:m]] = finish.reshape(1, 3, n)[:, :, order[:m]]
            copies.append(c.reshape(1, 3, h, w))
        with torch.no_grad():
            p = torch.cat([score(t) for t in torch.cat(copies).split(16)])
        y = p.double().numpy()
        return y, (y.sum() - y[0] / 2 - y[-1] / 2) / steps

    return curve(x, torch.zeros_like(x)), curve(blurred, x)


# --- Sanity checks (Adebayo et al. 2018) -------------------------------------
# The randomisation and the similarity measures, written from attrib's
# documented definitions (attrib sanity --help, docs) and the papers.

def parameter_block(name):
    """The block a parameter belongs to: its module path cut after the first
    numeric component, else after the first component ending in a digit,
    else the whole path; a root parameter is its own block."""
    parts = name.split(".")[:-1]
    if not parts:
        return name
    for i, p in enumerate(parts):
        if p.isdigit():
            return ".".join(parts[:i + 1])
    for i, p in enumerate(parts):
        if p[-1:].isdigit():
            return ".".join(parts[:i + 1])
    return ".".join(parts)


def parameter_blocks(module):
    """Blocks in order of first appearance among named_parameters."""
    out = []
    for name, _ in module.named_parameters():
        b = parameter_block(name)
        if b not in out:
            out.append(b)
    return out


def redraw(module, blocks, seed, trained):
    """Sets the parameters of the given blocks to Gaussian draws with each
    tensor's own mean and (population) standard deviation, tensor i drawn
    from Xoshiro(seed + i); the others back to their trained values."""
    with torch.no_grad():
        for i, (name, p) in enumerate(module.named_parameters()):
            orig = trained[name]
            if parameter_block(name) in blocks:
                v = orig.double().flatten().numpy()
                z = Xoshiro(seed + i).normals(v.size).astype(np.float64)
                new = (v.mean() + v.std() * z).astype(np.float32)
                p.copy_(torch.from_numpy(new).view_as(p))
            else:
                p.copy_(orig)


def ranks(v):
    """1-based ranks, ties sharing their average."""
    v = np.asarray(v, dtype=np.float64).ravel()
    order = np.argsort(v, kind="mergesort")
    sorted_v = v[order]
    r = np.empty(v.size)
    i = 0
    while i < v.size:
        j = i
        while j + 1 < v.size and sorted_v[j + 1] == sorted_v[i]:
            j += 1
        r[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return r


def spearman(a, b):
    ra, rb = ranks(a), ranks(b)
    ra -= ra.mean()
    rb -= rb.mean()
    d = np.sqrt((ra * ra).sum() * (rb * rb).sum())
    return float((ra * rb).sum() / d) if d > 0 else float("nan")


def normalise_abs(m):
    """|m| over its 99th percentile (nearest rank from the top), clipped to 1."""
    a = np.abs(np.asarray(m, dtype=np.float64)).ravel()
    k = int(np.floor(0.01 * a.size)) + 1  # the k-th largest
    p = np.sort(a)[::-1][k - 1]
    out = np.minimum(a / p, 1.0) if p > 0 else np.zeros_like(a)
    return out.reshape(np.shape(m))


def ssim(a, b, win=7):
    """Mean SSIM over every win x win window (uniform weights, sample
    covariances, K1 0.01, K2 0.03, data range 1): scikit-image's defaults."""
    from numpy.lib.stride_tricks import sliding_window_view as windows
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    wa, wb = windows(a, (win, win)), windows(b, (win, win))
    n = win * win
    ma, mb = wa.mean(axis=(2, 3)), wb.mean(axis=(2, 3))
    va = ((wa - ma[..., None, None]) ** 2).sum(axis=(2, 3)) / (n - 1)
    vb = ((wb - mb[..., None, None]) ** 2).sum(axis=(2, 3)) / (n - 1)
    cov = ((wa - ma[..., None, None]) * (wb - mb[..., None, None])).sum(axis=(2, 3)) / (n - 1)
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    s = (2 * ma * mb + c1) * (2 * cov + c2) / ((ma ** 2 + mb ** 2 + c1) * (va + vb + c2))
    return float(s.mean())


def largest_channel(chw):
    """The signed value of the channel with the largest magnitude."""
    chw = np.asarray(chw)
    idx = np.abs(chw).argmax(0)
    return np.take_along_axis(chw, idx[None], 0)[0]


def hirescam(act, grad):
    """HiResCAM (Draelos & Carin), as pytorch-grad-cam: relu(sum_k g_k * A_k)."""
    return np.maximum((grad * act).sum(0), 0)


def layercam(act, grad):
    """LayerCAM (Jiang et al.), as pytorch-grad-cam: relu(sum_k relu(g_k) * A_k)."""
    return np.maximum((np.maximum(grad, 0) * act).sum(0), 0)


def xgradcam(act, grad):
    """XGradCAM (Fu et al.), as pytorch-grad-cam: w_k = sum(g_k A_k) / (sum A_k + 1e-7)."""
    w = (grad * act).sum(axis=(1, 2)) / (act.sum(axis=(1, 2)) + 1e-7)
    return np.maximum((w[:, None, None] * act).sum(0), 0)


def objective(logits, target, kind="logit", versus=None):
    """What attrib's --objective/--versus differentiate, per row summed:
    f(logits)[target] - f(logits)[versus], f the identity, softmax or
    log-softmax."""
    f = OBJECTIVES[kind](logits)
    score = f[:, target].sum()
    return score if versus is None else score - f[:, versus].sum()


def principal_component(wa):
    """The h*w positions of weighted activations [C, h, w] as points in C
    dimensions, centred, projected on their first principal component (numpy
    SVD, as pytorch-grad-cam's get_2d_projection), the sign chosen to agree
    with the channel sum (the SVD's own is arbitrary). Not rectified."""
    c, h, w = wa.shape
    m = wa.reshape(c, -1).T
    m = m - m.mean(axis=0)
    _, _, vt = np.linalg.svd(m, full_matrices=False)
    proj = m @ vt[0]
    if (proj * wa.sum(0).ravel()).sum() < 0:
        proj = -proj
    return proj.reshape(h, w)


AUGMENTATIONS = [(flip, factor) for flip in (False, True) for factor in (0.9, 1.0, 1.1)]


def aug_smoothed(module, x, target, cam, threads=2):
    """pytorch-grad-cam's aug_smooth: the input (normalised) flipped left-right
    or not, times 0.9, 1 or 1.1; each map cam(act, grad) of the layer entering
    the global pool, flipped back, scaled to [0, 1] (minus its minimum, over
    its range), averaged."""
    total = 0
    for flip, factor in AUGMENTATIONS:
        xa = x * factor
        if flip:
            xa = torch.flip(xa, dims=[3])
        act, grad, _ = layer_act_grad(module, xa, target, threads)
        m = cam(act, grad)
        if flip:
            m = m[:, ::-1]
        m = m - m.min()
        total = total + (m / m.max() if m.max() > 0 else m)
    return total / len(AUGMENTATIONS)


def rise_masks(n, grid, keep, h, w, seed):
    """RISE's masks as attrib draws them (src/risemask.h): per mask grid*grid
    uniforms (a cell kept below keep), the row and column shifts, the grid
    upsampled to one cell more than the input (PyTorch's bilinear,
    align_corners=False) and cropped at the shift."""
    r = Xoshiro(seed)
    cell_h, cell_w = -(-h // grid), -(-w // grid)
    out = []
    for _ in range(n):
        cells = np.array([r.uniform() < keep for _ in range(grid * grid)], dtype=np.float32)
        dy, dx = int(r.uniform() * cell_h), int(r.uniform() * cell_w)
        up = torch.nn.functional.interpolate(
            torch.from_numpy(cells.reshape(1, 1, grid, grid)),
            size=((grid + 1) * cell_h, (grid + 1) * cell_w), mode="bilinear",
            align_corners=False)[0, 0]
        out.append(up[dy:dy + h, dx:dx + w])
    return torch.stack(out)


def rise(module, x, target, masks, keep, baseline, kind="probability", threads=2):
    """Petsiuk et al.: sum_i f(baseline + M_i (x - baseline)) M_i / (N keep)."""
    xs = baseline + masks[:, None] * (x - baseline)
    s = scores(module, xs, target, threads, kind=kind).double()
    return (s[:, None, None] * masks.double()).sum(0).numpy() / (len(masks) * keep)


def noise_baseline(card, h, w, seed):
    """attrib's --baseline noise: 3*h*w uniform pixels from the seed, normalised."""
    r = Xoshiro(seed)
    pix = np.array([r.uniform() for _ in range(3 * h * w)], dtype=np.float32).reshape(1, 3, h, w)
    mean = np.array(card["mean"], dtype=np.float32).reshape(1, 3, 1, 1)
    std = np.array(card["std"], dtype=np.float32).reshape(1, 3, 1, 1)
    return torch.from_numpy((pix - mean) / std)


def gradient_shap_draws(samples, k, n, stdev, seed):
    """attrib's draws for gradient-shap: per sample the baseline's index, the
    point's position on the path and (stdev > 0) n normals."""
    r = Xoshiro(seed)
    out = []
    for _ in range(samples):
        index, alpha = int(r.uniform() * k), r.uniform()
        out.append((index, alpha, r.normals(n) if stdev > 0 else None))
    return out


def gradient_shap(module, x, target, bases, draws, stdev, threads=2):
    """Expected gradients: mean over draws of grad(b + a (x' - b)) (x' - b)."""
    points, diffs = [], []
    for index, alpha, eps in draws:
        b = bases[index]
        noisy = x if eps is None else (x.double() + stdev * torch.from_numpy(eps).double()
                                       .view_as(x)).float()
        d = noisy - b
        diffs.append(d)
        points.append((b.double() + alpha * d.double()).float())
    g = gradients(module, torch.cat(points), target, threads)
    return (g.double() * torch.cat(diffs).double()).mean(0).numpy()


def lime_draws(n, m, seed):
    """attrib lime's samples: n rows of m uniforms, a superpixel kept below 1/2."""
    r = Xoshiro(seed)
    return np.array([[r.uniform() < 0.5 for _ in range(m)] for _ in range(n)], dtype=np.int64)


def kernel_shap_draws(n, m, seed):
    """attrib kernel-shap's samples: all kept, none kept, then a size k with
    probability proportional to 1 / (k (m - k)) (one uniform through the CDF)
    and k superpixels by a partial Fisher-Yates shuffle (rng_range)."""
    r = Xoshiro(seed)
    probs = [1.0 / (k * (m - k)) for k in range(1, m)]
    rows = [np.ones(m, dtype=np.int64), np.zeros(m, dtype=np.int64)]
    while len(rows) < n:
        u, cdf, k = r.uniform() * sum(probs), 0.0, 1
        while k < m - 1:
            cdf += probs[k - 1]
            if u < cdf:
                break
            k += 1
        order, row = list(range(m)), np.zeros(m, dtype=np.int64)
        for j in range(k):
            pick = j + int(r.uniform() * (m - j))
            order[j], order[pick] = order[pick], order[j]
            row[order[j]] = 1
        rows.append(row)
    return np.stack(rows[:n])


def superpixel_scores(module, x, base, segments, z, target, threads=2, kind="logit"):
    """The objective on copies keeping the superpixels z marks (rows), the
    baseline elsewhere; and each copy's cosine similarity to x."""
    seg = torch.from_numpy(segments.astype(np.int64))
    keep = torch.from_numpy(z)[:, seg].bool()[:, None]  # [n, 1, h, w]
    copies = torch.where(keep, x, base)
    flat_x, flat_c = x.flatten().double(), copies.flatten(1).double()
    cos = (flat_c @ flat_x) / (flat_c.norm(dim=1) * flat_x.norm())
    return scores(module, copies, target, threads, kind=kind).double().numpy(), cos.numpy()


def weighted_least_squares(z, y, w):
    """min sum w (y - b - z.coef)^2 with an intercept (numpy lstsq on the
    sqrt-weighted design with a column of ones); (coef, intercept)."""
    a = np.hstack([z.astype(np.float64), np.ones((len(z), 1))]) * np.sqrt(w)[:, None]
    sol = np.linalg.lstsq(a, y * np.sqrt(w), rcond=None)[0]
    return sol[:-1], sol[-1]


class RescaleRectifier(torch.autograd.Function):
    """DeepLIFT's rescale rule on a batch of inputs followed by their
    references: grad * (f(x) - f(x_ref)) / (x - x_ref), or grad * f'(x)
    where |x - x_ref| < 1e-10 (Captum's DeepLift)."""

    @staticmethod
    def forward(ctx, x, fn, derivative):
        y = fn(x)
        ctx.save_for_backward(x, y)
        ctx.derivative = derivative
        return y

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        n = x.shape[0] // 2
        dx = torch.cat([x[:n] - x[n:]] * 2)
        dy = torch.cat([y[:n] - y[n:]] * 2)
        plain = grad * ctx.derivative(x)
        return torch.where(dx.abs() < 1e-10, plain, grad * dy / dx), None, None


def deeplift_rectifier(kind, args):
    x = args[0]
    name = kind.split("::")[1].rstrip("_")
    if name in ("relu", "relu6", "hardtanh"):
        lo, hi = (args[1], args[2]) if name == "hardtanh" else (0.0, 6.0 if name == "relu6"
                                                                 else float("inf"))
        return RescaleRectifier.apply(x, lambda t: t.clamp(lo, hi),
                                      lambda t: ((t > lo) & (t < hi)).to(t.dtype))
    slope = args[1] if len(args) > 1 else 0.01
    return RescaleRectifier.apply(x, lambda t: torch.nn.functional.leaky_relu(t, slope),
                                  lambda t: torch.where(t > 0, 1.0, slope).to(t.dtype))


def deeplift(module, x, base, target, threads=2):
    """DeepLIFT (rescale) on a TorchScript module through the graph
    interpreter: (x - base) times the modified gradient; also the score
    difference it should add up to."""
    torch.set_num_threads(threads)
    xs = torch.cat([x, base]).clone().requires_grad_(True)
    logits, _ = interpret(module, xs, rectifier=deeplift_rectifier)
    logits[:, target].sum().backward()
    return ((x - base)[0] * xs.grad[0]).double().numpy(), float(logits[0, target] - logits[1, target])
