"""gradcam, guided-backprop and guided-gradcam compute what independent
PyTorch implementations compute: node-by-node evaluation of the TorchScript
graph in Python for the shared models and the generated one, forward hooks and
ReLU-module swapping on eager torchvision models."""
import json

import numpy as np
import pytest
import torch

import oracle
from conftest import IMAGES, THREADS, V1, V2, assert_one_line_error, ok, programs_supported, run
from tvmodels import torchvision_model

TOLERANCE = 1e-4   # max abs difference, as a fraction of the map's max |value|


def close(got, want):
    err = np.abs(got - want).max() / np.abs(want).max()
    assert err <= TOLERANCE, f"max abs diff {err:.2e} of the max"


def attrib(method, model, image, out, *args):
    s = json.loads(ok(method, image, "--model", model, "-o", out, "--raw", out / "raw.npy",
                      "--threads", THREADS, "--json", *args).stdout)
    return np.load(out / "raw.npy"), s


def input_at_model_size(model, photo, tmp_path):
    module, card = oracle.load(model)
    image = oracle.resized_copy(IMAGES / photo, tmp_path / "input.png", card)
    return module, card, image, oracle.input_tensor(image, card)


@pytest.mark.parametrize("model,photo,cls,layer", [
    (V2, "cat.bmp", 285, "features.18"), (V2, "bird.bmp", None, "features.18"),
    (V1, "parrot.jpg", 88, "features.13"), (V1, "dragonfly.bmp", None, "features.13")])
def test_gradcam_of_the_default_layer_matches_the_graph_oracle(model, photo, cls, layer, tmp_path):
    module, card, image, x = input_at_model_size(model, photo, tmp_path)
    want, target = oracle.gradcam_at_global_pool(module, x, cls, THREADS)
    extra = ["--class", cls] if cls is not None else []
    full, s = attrib("gradcam", model, image, tmp_path, *extra)
    assert s["layer"]["path"] == layer
    assert s["target"]["index"] == target
    low = np.array(s["layer"]["map"])
    assert low.shape == want.shape == tuple(s["layer"]["shape"][1:])
    close(low, want)
    h, w = card["input_size"]
    close(full, oracle.upsample(want, h, w))


@pytest.mark.parametrize("model,photo,cls", [(V2, "cat.bmp", 285), (V2, "hot_dog.jpg", None),
                                             (V1, "bird.bmp", 19), ("tiny", "sunflower.bmp", 4)])
def test_guided_backprop_matches_the_graph_oracle(model, photo, cls, test_models, tmp_path):
    model = test_models / "tiny.pt" if model == "tiny" else model
    module, card, image, x = input_at_model_size(model, photo, tmp_path)
    want, target = oracle.guided_backprop(module, x, cls, THREADS)
    extra = ["--class", cls] if cls is not None else []
    got, s = attrib("guided-backprop", model, image, tmp_path, *extra)
    assert got.shape == want.shape == (3, *card["input_size"])
    assert s["target"]["index"] == target
    close(got, want)
    assert s["outputs"]["rgb"].endswith("input.guided-backprop.rgb.png")


def test_guided_backprop_differs_from_the_plain_gradient(tmp_path):
    module, card, image, x = input_at_model_size(V2, "cat.bmp", tmp_path)
    guided, _ = attrib("guided-backprop", V2, image, tmp_path, "--class", 285)
    plain, _, _ = oracle.saliency(module, x, 285, THREADS)
    r = np.corrcoef(np.abs(guided).max(0).ravel(), plain.ravel())[0, 1]
    assert r < 0.9, f"guided backprop looks like the plain gradient (r={r:.3f})"


def test_guided_gradcam_is_guided_backprop_times_upsampled_gradcam(tmp_path):
    module, card, image, x = input_at_model_size(V2, "cat.bmp", tmp_path)
    guided, _ = oracle.guided_backprop(module, x, 285, THREADS)
    cam, _ = oracle.gradcam_at_global_pool(module, x, 285, THREADS)
    want = guided * oracle.upsample(cam, 224, 224)[None]
    got, s = attrib("guided-gradcam", V2, image, tmp_path, "--class", 285)
    close(got, want)
    assert s["layer"]["path"] == "features.18"
    # The Grad-CAM part is exactly what gradcam itself reports.
    _, alone = attrib("gradcam", V2, image, tmp_path / "alone", "--class", 285)
    assert s["layer"]["map"] == alone["layer"]["map"]


@pytest.mark.parametrize("arch,layer,mode", [("resnet18", None, "script"),
                                             ("resnet18", "layer3", "trace"),
                                             ("resnet18", "layer4.0.conv2", "script"),
                                             ("vgg11", None, "trace")])
def test_gradcam_on_torchvision_models_matches_forward_hooks(arch, layer, mode, tmp_path):
    eager, path, default = torchvision_model(arch, mode)
    _, card, image, x = input_at_model_size(path, "cat.bmp", tmp_path)
    want, target = oracle.gradcam_eager(eager, layer or default, x, None, THREADS)
    full, s = attrib("gradcam", path, image, tmp_path, *(["--layer", layer] if layer else []))
    assert s["layer"]["path"] == (layer or default)
    assert s["target"]["index"] == target
    close(np.array(s["layer"]["map"]), want)


@pytest.mark.parametrize("arch", ["resnet18", "vgg11"])
def test_guided_backprop_on_torchvision_models_matches_relu_swapping(arch, tmp_path):
    eager, path, _ = torchvision_model(arch, "script")
    _, card, image, x = input_at_model_size(path, "bird.bmp", tmp_path)
    want, target = oracle.guided_backprop_eager(eager, x, 3, THREADS)
    got, s = attrib("guided-backprop", path, image, tmp_path, "--class", 3)
    close(got, want)


@pytest.mark.parametrize("arch,method", [("vit_small", "guided-backprop"),
                                         ("vit_small", "deconvnet"),
                                         ("efficientnet_b0", "guided-backprop"),
                                         ("mobilenet_v3_small", "guided-backprop"),
                                         ("mobilenet_v3_small", "deconvnet")])
def test_guided_rules_through_gelu_silu_hardswish_match_module_swapping(arch, method,
                                                                        tmp_path):
    """GELU (ViT), SiLU (EfficientNet) and Hardswish (MobileNetV3) get the
    rule ReLU gets: guided passes the positive gradient where x > 0,
    deconvnet passes it everywhere."""
    eager, path, _ = torchvision_model(arch, "script")
    _, card, image, x = input_at_model_size(path, "bird.bmp", tmp_path)
    rule = "guided" if method == "guided-backprop" else "deconvnet"
    want, target = oracle.gated_backprop_eager(eager, x, rule, 3, THREADS)
    got, s = attrib(method, path, image, tmp_path, "--class", 3)
    close(got, want)
    plain = oracle.saliency(eager, x, 3, THREADS)  # the rule changed the gradient
    assert np.abs(np.abs(got).max(0) - plain[0]).max() > 0.01 * plain[0].max()


@pytest.mark.parametrize("layer,mode", [(None, "script"), (None, "trace"),
                                        ("encoder.layers.encoder_layer_0", "script"),
                                        # a traced block also scopes constants
                                        ("encoder.layers.encoder_layer_0", "trace")])
def test_gradcam_on_vit_tokens_matches_forward_hooks_with_reshape(layer, mode, tmp_path):
    eager, path, default = torchvision_model("vit_small", mode)
    _, card, image, x = input_at_model_size(path, "cat.bmp", tmp_path)
    want, target = oracle.gradcam_eager(eager, layer or default, x, None, THREADS,
                                        reshape=oracle.vit_tokens_to_map)
    full, s = attrib("gradcam", path, image, tmp_path, *(["--layer", layer] if layer else []))
    assert s["layer"]["path"] == (layer or default)
    assert s["layer"]["shape"] == [64, 14, 14]
    assert s["target"]["index"] == target
    assert want.max() > 0  # the layer sees every patch: the map is not empty
    close(np.array(s["layer"]["map"]), want)


@pytest.mark.parametrize("arch,layer,mode,reshape,shape", [
    # class token + 4 registers: the grid is found after 5 extra tokens
    ("vit_registers", None, "script", lambda t: oracle.vit_tokens_to_map(t, 5), [64, 14, 14]),
    ("vit_registers", "blocks.0", "trace", lambda t: oracle.vit_tokens_to_map(t, 5), [64, 14, 14]),
    # Swin: its default is the last 4-D map; inside a stage, channels-last maps
    ("swin_small", None, "script", None, [64, 28, 28]),
    ("swin_small", None, "trace", None, [64, 28, 28]),
    ("swin_small", "features.3.1.norm1", "script", oracle.channels_last_to_map, [64, 28, 28]),
    ("swin_small", "features.1.0", "trace", oracle.channels_last_to_map, [32, 56, 56])])
def test_gradcam_on_register_vit_and_swin_matches_forward_hooks(arch, layer, mode, reshape,
                                                                shape, tmp_path):
    eager, path, default = torchvision_model(arch, mode)
    _, card, image, x = input_at_model_size(path, "bird.bmp", tmp_path)
    want, target = oracle.gradcam_eager(eager, layer or default, x, None, THREADS,
                                        reshape=reshape)
    _, s = attrib("gradcam", path, image, tmp_path, *(["--layer", layer] if layer else []))
    assert s["layer"]["path"] == (layer or default)
    assert s["layer"]["shape"] == shape
    assert s["target"]["index"] == target
    assert want.max() > 0
    close(np.array(s["layer"]["map"]), want)


def pytorch_grad_cam():
    try:
        import pytorch_grad_cam
        from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
    except ImportError:
        pytest.skip("pytorch-grad-cam does not import beside this PyTorch (the 2.x test "
                    "venv has it; Debian's python3-torch 1.13 does not)")
    return pytorch_grad_cam.GradCAM, ClassifierOutputTarget


@pytest.mark.parametrize("fmt", ["script", "export"])
@pytest.mark.parametrize("arch,layer,reshape", [
    ("resnet18", None, None),
    ("vit_small", None, oracle.vit_tokens_to_map),
    ("vit_registers", None, lambda t: oracle.vit_tokens_to_map(t, 5)),
    ("swin_small", "features.3.1.norm1", oracle.channels_last_to_map)])
def test_gradcam_matches_pytorch_grad_cams_own_gradcam(arch, layer, reshape, fmt, tmp_path):
    """The peer itself (grad-cam from PyPI, its hooks and reshape_transform)
    on the eager twin of a TorchScript file, and on a torch.export program as
    PyTorch loads it (unflattened, so that its hooks reach the layer). It
    rescales each map to [0, 1] (minus the minimum, over the maximum) and
    resizes it to a size it is told: the layer's own here, so attrib's layer
    map is compared before upsampling. (No 1e-7 in the denominator here: the
    raw maps' maxima are ~1e-4 on these random weights, and the peer
    rescales twice, which takes its epsilon out.)"""
    GradCAM, ClassifierOutputTarget = pytorch_grad_cam()
    if fmt == "export" and not programs_supported():
        pytest.skip("torch.export programs need libtorch 2.x")
    eager, path, default = torchvision_model(arch, fmt)
    if fmt == "export":
        eager = torch.export.unflatten(torch.export.load(path))
    _, card, image, x = input_at_model_size(path, "parrot.jpg", tmp_path)
    _, s = attrib("gradcam", path, image, tmp_path, *(["--layer", layer] if layer else []))
    got = np.array(s["layer"]["map"], dtype=np.float64)
    h, w = got.shape
    torch.set_num_threads(THREADS)
    with GradCAM(model=eager, target_layers=[eager.get_submodule(layer or default)],
                 reshape_transform=reshape) as cam:
        cam.get_target_width_height = lambda _: (w, h)
        want = cam(input_tensor=x, targets=[ClassifierOutputTarget(s["target"]["index"])])[0]
    got = np.maximum(got, 0)
    got = (got - got.min()) / (got.max() - got.min())
    assert want.shape == got.shape and want.max() > 0.99
    close(got, want)


@pytest.mark.parametrize("variant,peer,layer", [
    (v, p, layer) for v, p in [("hirescam", "HiResCAM"), ("layercam", "LayerCAM"),
                               ("xgradcam", "XGradCAM"), ("gradcam++", "GradCAMPlusPlus")]
    for layer in (None, "layer3")] + [("ablationcam", "AblationCAM", "layer3")])
def test_cam_variants_match_pytorch_grad_cams_own(variant, peer, layer, tmp_path):
    """The peer's own classes on the eager twin of ResNet-18, each map
    rescaled to [0, 1] as the peer does, compared at the layer's size: the
    default layer (before the global pool) and layer3, where the gradient
    varies over positions and the variants part ways (Ablation-CAM, a pass
    per channel on both sides, at layer3 only)."""
    _, ClassifierOutputTarget = pytorch_grad_cam()  # skips where the peer does not import
    import pytorch_grad_cam as peers
    eager, path, default = torchvision_model("resnet18", "script")
    _, card, image, x = input_at_model_size(path, "parrot.jpg", tmp_path)
    _, s = attrib("gradcam", path, image, tmp_path, "--variant", variant,
                  *(["--layer", layer] if layer else []))
    got = np.array(s["layer"]["map"], dtype=np.float64)
    h, w = got.shape
    torch.set_num_threads(THREADS)
    with getattr(peers, peer)(
            model=eager, target_layers=[eager.get_submodule(layer or default)]) as cam:
        cam.get_target_width_height = lambda _: (w, h)
        want = cam(input_tensor=x, targets=[ClassifierOutputTarget(s["target"]["index"])])[0]
    got = np.maximum(got, 0)
    got = (got - got.min()) / (got.max() - got.min())
    assert want.shape == got.shape and want.max() > 0.99
    close(got, want)


def test_vit_last_block_output_reaches_the_class_only_through_its_token(tmp_path):
    """Why the default is not the last block's output: there Grad-CAM's
    gradient is zero on every patch token, as attrib's flat map shows."""
    eager, path, _ = torchvision_model("vit_small", "script")
    _, card, image, x = input_at_model_size(path, "cat.bmp", tmp_path)
    want, _ = oracle.gradcam_eager(eager, "encoder.layers.encoder_layer_1", x, None, THREADS,
                                   reshape=oracle.vit_tokens_to_map)
    assert not want.any()
    p = ok("gradcam", image, "--model", path, "-o", tmp_path, "--layer",
           "encoder.layers.encoder_layer_1", "--json")
    assert not any(any(row) for row in json.loads(p.stdout)["layer"]["map"])
    assert "flat" in p.stderr


def test_layers_lists_token_layers_with_their_grid(tmp_path):
    _, path, default = torchvision_model("vit_small", "script")
    rows = [json.loads(l) for l in ok("layers", path, "--json").stdout.splitlines()]
    by_path = {r["path"]: r for r in rows}
    assert by_path[default]["map"] == "tokens 1+14x14" and by_path[default]["default"]
    assert by_path["conv_proj"]["map"] == "map"
    assert by_path["heads.head"]["map"] == ""
    assert sum(r["default"] for r in rows) == 1


def test_token_layer_that_fits_no_grid_gets_one_line(tmp_path):
    class ExtraTokens(torch.nn.Module):
        """Patch tokens with 20 learned tokens in front: 216 tokens, more
        extra tokens than attrib looks past (16), so no grid is derived."""
        def __init__(self):
            super().__init__()
            self.patch = torch.nn.Conv2d(3, 8, 16, 16)
            self.extra = torch.nn.Parameter(torch.zeros(1, 20, 8))
            self.mix = torch.nn.Linear(8, 8)
            self.head = torch.nn.Linear(8, 3)

        def forward(self, x):
            t = self.patch(x).flatten(2).transpose(1, 2)
            t = torch.cat([self.extra.expand(t.size(0), -1, -1), t], 1)
            return self.head(self.mix(t).mean(1))

    model = tmp_path / "extra_tokens.pt"
    torch.jit.save(torch.jit.script(ExtraTokens().eval()), str(model))
    p = run("gradcam", IMAGES / "cat.bmp", "--model", model, "--layer", "mix",
            "-o", tmp_path / "out")
    assert_one_line_error(p, 2, "layer 'mix' outputs [1, 216, 8]", "token sequence",
                          "h x w grid of the 224x224 input")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("arch,method,mode", [("vit_small", "attention-rollout", "script"),
                                              ("vit_small", "attention-relevance", "script"),
                                              ("vit_small", "attention-relevance", "trace"),
                                              ("vit_registers", "attention-rollout", "trace"),
                                              ("vit_registers", "attention-relevance", "script")])
def test_attention_maps_of_a_vit_match_multihead_attentions_own_weights(arch, method, mode,
                                                                       tmp_path):
    eager, path, _ = torchvision_model(arch, mode)
    _, card, image, x = input_at_model_size(path, "cat.bmp", tmp_path)
    want, target = oracle.attention_maps(eager, x, None, method == "attention-relevance",
                                         THREADS)
    _, s = attrib(method, path, image, tmp_path)
    assert s["target"]["index"] == target
    assert s["layer"]["shape"] == [2, 14, 14]
    extra = 1 if arch == "vit_small" else 5
    assert s["details"]["tokens"] == 196 + extra and s["details"]["extra_tokens"] == extra
    close(np.array(s["layer"]["map"]).ravel(), want)


def test_attention_methods_refuse_a_cnn_with_one_line(tmp_path):
    for method in ("attention-rollout", "attention-relevance"):
        p = run(method, IMAGES / "cat.bmp", "--model", V2, "-o", tmp_path / "out")
        assert_one_line_error(p, 3, "no self-attention over one token sequence per image")
        assert not list((tmp_path / "out").glob("*.png")) if (tmp_path / "out").exists() else True


def peer_map(peer, layer, x, target, w, h, made=None, **call):
    import pytorch_grad_cam as peers
    eager, path, default = torchvision_model("resnet18", "script")
    torch.set_num_threads(THREADS)
    with getattr(peers, peer)(model=eager, target_layers=[eager.get_submodule(layer)],
                              **(made or {})) as cam:
        cam.get_target_width_height = lambda _: (w, h)
        return cam(input_tensor=x, targets=[ClassifierOutputTarget(target)], **call)[0]


@pytest.mark.parametrize("variant,peer", [("gradcam", "GradCAM"), ("hirescam", "HiResCAM")])
def test_aug_smooth_matches_pytorch_grad_cams_own(variant, peer, tmp_path):
    """The peer's test-time augmentation (ttach: flip x (0.9, 1, 1.1), each
    map rescaled to [0, 1], averaged), on ResNet-18's layer3, where the maps
    are not symmetric under a flip. Compared as they are: the mean of
    rescaled maps is in [0, 1] on both sides."""
    global ClassifierOutputTarget
    _, ClassifierOutputTarget = pytorch_grad_cam()
    _, path, _ = torchvision_model("resnet18", "script")
    _, card, image, x = input_at_model_size(path, "parrot.jpg", tmp_path)
    _, s = attrib("gradcam", path, image, tmp_path, "--variant", variant, "--layer", "layer3",
                  "--aug-smooth")
    got = np.array(s["layer"]["map"], dtype=np.float64)
    h, w = got.shape
    close(got, peer_map(peer, "layer3", x, s["target"]["index"], w, h, aug_smooth=True))


def test_scorecam_differs_from_pytorch_grad_cams_only_by_its_mask_upsampling(tmp_path):
    """The peer's ScoreCAM upsamples its masks with UpsamplingBilinear2d
    (align_corners=True); attrib, as the Score-CAM authors' code, with
    half-pixel centres (align_corners=False, what tests/oracle.py's
    scorecam checks to 1e-4): 6.4e-3 of the maximum apart on ResNet-18's
    layer3, so 1e-2 here."""
    global ClassifierOutputTarget
    _, ClassifierOutputTarget = pytorch_grad_cam()
    _, path, _ = torchvision_model("resnet18", "script")
    _, card, image, x = input_at_model_size(path, "parrot.jpg", tmp_path)
    _, s = attrib("gradcam", path, image, tmp_path, "--variant", "scorecam", "--layer", "layer3")
    got = np.maximum(np.array(s["layer"]["map"], dtype=np.float64), 0)
    got = (got - got.min()) / (got.max() - got.min())
    h, w = got.shape
    want = peer_map("ScoreCAM", "layer3", x, s["target"]["index"], w, h)
    err = np.abs(got - want).max()
    assert 1e-4 < err <= 1e-2, f"max abs diff {err:.2e} of the max"


@pytest.mark.parametrize("variant,smooth,peer", [("eigengradcam", [], "EigenGradCAM"),
                                                 ("gradcam", ["--eigen-smooth"], "GradCAM"),
                                                 ("layercam", ["--eigen-smooth"], "LayerCAM")])
def test_eigen_smoothing_matches_pytorch_grad_cams_up_to_the_svds_sign(variant, smooth, peer,
                                                                        tmp_path):
    """The peer projects on the first right-singular vector as numpy's SVD
    returns it, whose sign is arbitrary; attrib picks the sign that agrees
    with the channel sum. So the peer's rectified map is attrib's positive
    part or its negative part, each rescaled to [0, 1]."""
    global ClassifierOutputTarget
    _, ClassifierOutputTarget = pytorch_grad_cam()
    _, path, _ = torchvision_model("resnet18", "script")
    _, card, image, x = input_at_model_size(path, "parrot.jpg", tmp_path)
    parts = []
    for sign in ("positive", "negative"):
        _, s = attrib("gradcam", path, image, tmp_path, "--variant", variant, "--layer", "layer3",
                      "--sign", sign, *smooth)
        part = np.array(s["layer"]["map"], dtype=np.float64)
        parts.append((part - part.min()) / (part.max() - part.min()))
    h, w = parts[0].shape
    eager_kw = {"eigen_smooth": True} if smooth else {}
    want = peer_map(peer, "layer3", x, s["target"]["index"], w, h, **eager_kw)
    errors = [np.abs(p - want).max() for p in parts]
    assert min(errors) <= TOLERANCE, f"max abs diff {min(errors):.2e} of the max"


def test_fullgrad_matches_pytorch_grad_cams_own(tmp_path):
    """The peer's FullGrad (every Conv2d with a bias and every BatchNorm2d,
    hooked on the eager twin; cv2 resizes) against attrib's from the frozen
    graph, on ResNet-18 with batch-norm statistics drawn so that their
    biases are not zero. The peer rescales the sum to [0, 1]; attrib keeps
    the sum (its scale says how many terms there are), rescaled here."""
    global ClassifierOutputTarget
    _, ClassifierOutputTarget = pytorch_grad_cam()
    import pytorch_grad_cam as peers
    eager, path, _ = torchvision_model("resnet18_stats", "script")
    _, card, image, x = input_at_model_size(path, "parrot.jpg", tmp_path)
    got, s = attrib("fullgrad", path, image, tmp_path)
    assert s["details"]["bias_layers"] == 20  # ResNet-18's batch norms; no conv has a bias
    torch.set_num_threads(THREADS)
    with peers.FullGrad(model=eager, target_layers=[]) as cam:
        want = cam(input_tensor=x, targets=[ClassifierOutputTarget(s["target"]["index"])])[0]
    got = (got - got.min()) / (got.max() - got.min())
    assert want.shape == got.shape
    close(got, want)


def test_aug_smoothed_fullgrad_matches_pytorch_grad_cams_own(tmp_path):
    """Six flipped and scaled copies, each map rescaled to [0, 1], flipped
    back and averaged, on both sides."""
    global ClassifierOutputTarget
    _, ClassifierOutputTarget = pytorch_grad_cam()
    import pytorch_grad_cam as peers
    eager, path, _ = torchvision_model("resnet18_stats", "script")
    _, card, image, x = input_at_model_size(path, "parrot.jpg", tmp_path)
    got, s = attrib("fullgrad", path, image, tmp_path, "--aug-smooth")
    assert s["details"]["augmentations"] == 6
    torch.set_num_threads(THREADS)
    with peers.FullGrad(model=eager, target_layers=[]) as cam:
        want = cam(input_tensor=x, targets=[ClassifierOutputTarget(s["target"]["index"])],
                   aug_smooth=True)[0]
    close(got, want)


@pytest.mark.parametrize("layer,sigmas", [(None, None), ("layer3", None), ("layer3", 1.0),
                                          ("layer2", 0.5)])
def test_fem_matches_pytorch_grad_cams_own(layer, sigmas, tmp_path):
    """The peer's FEM (each map weighted by the share of its positions above
    its mean plus k standard deviations), its k our --sigmas, rescaled to
    [0, 1] as the peer does, at the layer's size."""
    global ClassifierOutputTarget
    _, ClassifierOutputTarget = pytorch_grad_cam()
    _, path, default = torchvision_model("resnet18", "script")
    _, card, image, x = input_at_model_size(path, "parrot.jpg", tmp_path)
    _, s = attrib("gradcam", path, image, tmp_path, "--variant", "fem",
                  *(["--layer", layer] if layer else []),
                  *(["--sigmas", sigmas] if sigmas is not None else []))
    got = np.array(s["layer"]["map"], dtype=np.float64)
    h, w = got.shape
    want = peer_map("FEM", layer or default, x, s["target"]["index"], w, h,
                    made={} if sigmas is None else {"k": sigmas})
    got = np.maximum(got, 0)
    got = (got - got.min()) / (got.max() - got.min())
    assert want.max() > 0.99
    close(got, want)


def layer_activations(eager, layer, x):
    taken = []
    hook = eager.get_submodule(layer).register_forward_hook(lambda m, i, o: taken.append(o))
    with torch.no_grad():
        eager(x)
    hook.remove()
    return taken[0].numpy()


@pytest.mark.parametrize("layer,kernel", [("layer4", None), ("layer3", None), ("layer2", None),
                                          ("layer3", ["--kernel", "rbf"]),
                                          ("layer3", ["--kernel", "poly", "--gamma", "0.002"]),
                                          ("layer3", ["--kernel", "cosine"])])
def test_kpcacam_is_the_peers_kernel_pca_with_the_sign_of_the_channel_sum(layer, kernel,
                                                                          tmp_path):
    """The peer's own projection (pytorch-grad-cam's get_2d_projection_kernel,
    scikit-learn's KernelPCA) of the layer's activations, unrectified: equal
    to attrib's signed map up to the component's sign, which scikit-learn
    fixes by its largest entry and attrib so that the map agrees with the
    activations' channel sum (as its Eigen-CAM)."""
    pytorch_grad_cam()  # skips where the peer does not import
    from pytorch_grad_cam.utils.svd_on_activations import get_2d_projection_kernel
    eager, path, _ = torchvision_model("resnet18", "script")
    _, card, image, x = input_at_model_size(path, "parrot.jpg", tmp_path)
    extra = kernel or []
    _, s = attrib("gradcam", path, image, tmp_path, "--variant", "kpcacam", "--layer", layer,
                  "--sign", "signed", *extra)
    got = np.array(s["layer"]["map"], dtype=np.float64)
    act = layer_activations(eager, layer, x)
    name = extra[1] if extra else "sigmoid"
    gamma = float(extra[3]) if len(extra) > 2 else None
    want = get_2d_projection_kernel(act, name, gamma)[0].astype(np.float64)
    agree = np.sign((got * act[0].sum(0)).sum())
    assert agree > 0, "the map agrees with the channel sum"
    err = min(np.abs(got - sign * want).max() for sign in (1, -1)) / np.abs(want).max()
    assert err <= TOLERANCE, f"max abs diff {err:.2e} of the max"


def test_kpcacams_linear_kernel_is_eigencam(tmp_path):
    _, path, _ = torchvision_model("resnet18", "script")
    _, card, image, x = input_at_model_size(path, "parrot.jpg", tmp_path)
    _, a = attrib("gradcam", path, image, tmp_path, "--variant", "kpcacam", "--kernel", "linear",
                  "--layer", "layer3")
    _, b = attrib("gradcam", path, image, tmp_path, "--variant", "eigencam", "--layer", "layer3")
    close(np.array(a["layer"]["map"]), np.array(b["layer"]["map"]))


@pytest.mark.parametrize("args,message", [
    (["--variant", "gradcam", "--sigmas", "1"], "--sigmas is fem's"),
    (["--variant", "fem", "--kernel", "rbf"], "--kernel is kpcacam's"),
    (["--variant", "eigencam", "--gamma", "0.1"], "--gamma is kpcacam's"),
    (["--variant", "kpcacam", "--kernel", "cosine", "--gamma", "0.1"], "has no width"),
    (["--variant", "kpcacam", "--gamma", "0"], "--gamma"),
    (["--variant", "fem", "--sigmas", "-1"], "--sigmas"),
    (["--variant", "kpcacam", "--kernel", "laplace"], "--kernel must be one of")])
def test_a_variants_options_out_of_place_or_range_are_refused_in_one_line(args, message,
                                                                          tmp_path):
    p = run("gradcam", IMAGES / "cat.bmp", "--model", V2, "-o", tmp_path, *args)
    assert_one_line_error(p, 2, message)
    assert not list(tmp_path.iterdir())
