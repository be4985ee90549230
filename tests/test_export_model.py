"""scripts/export-model.py writes programs attrib opens, from each source a
user has: a torchvision model, a timm model, a Hugging Face image
classifier saved in a folder, an nn.Module in the user's file with a state
dict, and a TorchScript file. Random weights (no hub access); the card
comes from each source's own preprocessing config, and attrib's logits on
the program equal PyTorch's run of the same program."""
import json
import subprocess
import sys

import numpy as np
import pytest

from conftest import IMAGES, ROOT, V2, ok, programs_supported

SCRIPT = ROOT / "scripts" / "export-model.py"

pytestmark = pytest.mark.skipif(not programs_supported(),
                                reason="programs need libtorch 2.x and PyTorch 2.x")


def export(*args):
    p = subprocess.run([sys.executable, SCRIPT, *map(str, args)], capture_output=True, text=True)
    return p


def exported(*args):
    p = export(*args)
    assert p.returncode == 0, p.stderr
    return p.stdout


def card_of(path):
    import torch
    files = {"attrib.json": ""}
    program = torch.export.load(str(path), extra_files=files)
    return program, json.loads(files["attrib.json"])


def logits_agree(path, card, image=IMAGES / "cat.bmp"):
    """attrib's top-5 logits on the program are PyTorch's on it (to 1e-3:
    the oracle's PyTorch is 2.14, attrib's libtorch 2.13, whose CPU kernels
    round differently: up to 3e-4 of a logit seen)."""
    import torch
    import oracle
    program, _ = card_of(path)
    sized = oracle.resized_copy(image, path.parent / "in.png", card)  # both see these pixels
    s = json.loads(ok("predict", sized, "--model", path, "--json", "--top", 5).stdout)
    x = oracle.input_tensor(sized, card)
    with torch.no_grad():
        want = program.module()(x)[0]
    for c in s["top"]:
        assert c["score"] == pytest.approx(float(want[c["index"]]), rel=1e-3, abs=1e-3)
    return s


def test_a_torchvision_model_exports_with_a_dynamic_batch(tmp_path):
    out = tmp_path / "r18.pt2"
    said = exported("--torchvision", "resnet18", "--weights", "none", "-o", out)
    assert "any batch" in said and "1000 classes" in said
    _, card = card_of(out)
    assert card["input_size"] == [224, 224] and card["name"] == "resnet18"
    logits_agree(out, card)
    s = json.loads(ok("gradcam", IMAGES / "cat.bmp", "--model", out, "-o", tmp_path, "--json").stdout)
    assert s["layer"]["path"] == "layer4.1" and s["model"].get("fixed_batch") is None


def test_a_timm_model_takes_its_pretrained_configs_size_and_normalisation(tmp_path):
    import timm
    out = tmp_path / "timm.pt2"
    exported("--timm", "resnet18", "-o", out)
    _, card = card_of(out)
    cfg = timm.create_model("resnet18").pretrained_cfg
    assert card["input_size"] == list(cfg["input_size"][1:])
    assert card["mean"] == pytest.approx(list(cfg["mean"])) and card["std"] == pytest.approx(list(cfg["std"]))
    logits_agree(out, card)


def hf_folder(tmp_path):
    """A small ViT image classifier with named classes and a processor
    config of its own (not ImageNet's normalisation), as save_pretrained writes."""
    import torch
    from transformers import ViTConfig, ViTForImageClassification, ViTImageProcessor
    torch.manual_seed(0)
    labels = ["ant", "bee", "cow", "dog"]
    config = ViTConfig(image_size=64, patch_size=16, hidden_size=32, num_hidden_layers=2,
                       num_attention_heads=2, intermediate_size=64, num_labels=4,
                       id2label=dict(enumerate(labels)), label2id={l: i for i, l in enumerate(labels)})
    model = ViTForImageClassification(config).eval()
    folder = tmp_path / "vit-tiny"
    model.save_pretrained(folder)
    ViTImageProcessor(size={"height": 64, "width": 64}, image_mean=[0.5, 0.5, 0.5],
                      image_std=[0.5, 0.5, 0.5]).save_pretrained(folder)
    return folder, labels


def test_a_hugging_face_classifier_exports_with_its_labels_and_processor_config(tmp_path):
    folder, labels = hf_folder(tmp_path)
    out = tmp_path / "hf.pt2"
    exported("--hf", folder, "-o", out)
    _, card = card_of(out)
    assert card["labels"] == labels and card["input_size"] == [64, 64]
    assert card["mean"] == [0.5] * 3 and card["std"] == [0.5] * 3
    s = logits_agree(out, card)
    assert {c["label"] for c in s["top"]} == set(labels)
    # its attention (scaled_dot_product_attention in the program) is read too
    ok("attention-rollout", IMAGES / "cat.bmp", "--model", out, "-o", tmp_path / "rollout")


def test_a_module_in_a_users_file_exports_with_its_state_dict(tmp_path):
    import torch
    (tmp_path / "net.py").write_text(
        "import torch\n"
        "class Net(torch.nn.Module):\n"
        "    def __init__(self, classes=10):\n"
        "        super().__init__()\n"
        "        self.conv = torch.nn.Conv2d(3, 8, 3)\n"
        "        self.head = torch.nn.Linear(8, classes)\n"
        "    def forward(self, x):\n"
        "        return self.head(torch.relu(self.conv(x)).mean([2, 3]))\n")
    sys.path.insert(0, str(tmp_path))
    try:
        import net
    finally:
        sys.path.pop(0)
    torch.manual_seed(1)
    model = net.Net(classes=5)
    torch.save(model.state_dict(), tmp_path / "net.pth")
    (tmp_path / "labels.txt").write_text("a\nb\nc\nd\ne\n")
    out = tmp_path / "net.pt2"
    exported("--module", f"{tmp_path / 'net.py'}:Net", "--module-args", '{"classes": 5}',
             "--state-dict", tmp_path / "net.pth", "--labels", tmp_path / "labels.txt",
             "--input-size", 96, 96, "-o", out)
    program, card = card_of(out)
    assert card["labels"] == list("abcde") and card["input_size"] == [96, 96]
    x = torch.randn(1, 3, 96, 96)
    with torch.no_grad():
        assert torch.allclose(program.module()(x), model.eval()(x), atol=1e-6)
    logits_agree(out, card)


def test_a_torchscript_file_exports_with_its_card(tmp_path):
    out = tmp_path / "v2.pt2"
    said = exported("--torchscript", V2, "-o", out)
    _, card = card_of(out)
    import oracle
    assert card == oracle.load(V2)[1]  # the file's own card, carried over
    s = logits_agree(out, card)
    want = json.loads(ok("predict", tmp_path / "in.png", "--model", V2, "--json", "--top", 5).stdout)
    assert [c["index"] for c in s["top"]] == [c["index"] for c in want["top"]]
    assert "batch" in said


def test_a_torchvision_segmenter_exports_as_one_with_its_masks_tensor(tmp_path):
    """Its dict output made its "out" tensor; the card says segmentation, so
    attrib asks for a --target and predict writes its mask."""
    import torch
    out = tmp_path / "lraspp.pt2"
    said = exported("--torchvision", "lraspp_mobilenet_v3_large", "--weights", "none",
                    "-o", out)
    assert "masks of 21 classes at 224x224" in said
    program, card = card_of(out)
    assert card["task"] == "segmentation"
    s = json.loads(ok("predict", IMAGES / "cat.bmp", "--model", out, "-o", tmp_path, "--json")
                   .stdout)
    assert s["task"] == "segmentation" and s["mask_size"] == [224, 224]
    cls = s["classes"][0]["index"]
    ok("saliency", IMAGES / "cat.bmp", "--model", out, "--target", f"segment:{cls}",
       "-o", tmp_path)


def test_a_classifier_without_its_head_exports_as_an_embedder(tmp_path):
    import torch
    import torchvision
    out = tmp_path / "r18e.pt2"
    said = exported("--torchvision", "resnet18", "--weights", "none", "--embedding", "-o", out)
    assert "embeddings of 512" in said
    program, card = card_of(out)
    assert card["task"] == "embedding" and "labels" not in card
    s = json.loads(ok("predict", IMAGES / "cat.bmp", "--model", out, "-o", tmp_path, "--json")
                   .stdout)
    assert s["task"] == "embedding" and s["size"] == 512
    ok("gradcam", IMAGES / "cat.bmp", "--model", out, "--target",
       f"similar-to:{IMAGES / 'bird.bmp'}", "-o", tmp_path)


def test_a_clip_vision_tower_exports_as_an_embedder_of_its_projection(tmp_path):
    """transformers' CLIP, two small blocks, random weights, saved with
    save_pretrained: the program returns image_embeds (projection_dim)."""
    import torch
    from transformers import CLIPConfig, CLIPModel
    torch.manual_seed(0)
    config = CLIPConfig(
        text_config={"hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
                     "intermediate_size": 64},
        vision_config={"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2,
                       "intermediate_size": 64, "image_size": 64, "patch_size": 16,
                       "projection_dim": 16},
        projection_dim=16)
    CLIPModel(config).save_pretrained(tmp_path / "clip")
    out = tmp_path / "clip.pt2"
    said = exported("--hf", tmp_path / "clip", "--embedding", "-o", out)
    assert "embeddings of 16" in said and "input 64x64" in said
    program, card = card_of(out)
    assert card["task"] == "embedding"
    s = json.loads(ok("predict", IMAGES / "cat.bmp", "--model", out, "-o", tmp_path, "--json")
                   .stdout)
    assert s["size"] == 16


def test_a_module_returning_raw_detections_exports_with_its_layout(tmp_path):
    (tmp_path / "det.py").write_text(
        "import torch\n"
        "class Det(torch.nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.conv = torch.nn.Conv2d(3, 4 + 2, 8, stride=8)\n"
        "    def forward(self, x):\n"
        "        p = self.conv(x).flatten(2)\n"
        "        return torch.cat([torch.sigmoid(p[:, :4]) * 64, torch.sigmoid(p[:, 4:])], 1)\n")
    out = tmp_path / "det.pt2"
    said = exported("--module", f"{tmp_path / 'det.py'}:Det", "--detection", "yolo",
                    "--input-size", 64, 64, "-o", out)
    assert "yolo detections [6, 64]" in said
    _, card = card_of(out)
    assert card["output"] == {"kind": "detection", "layout": "yolo"}
    s = json.loads(ok("predict", IMAGES / "cat.bmp", "--model", out, "-o", tmp_path, "--json",
                      "--score-threshold", 0).stdout)
    assert s["task"] == "detection" and s["detections"]


def test_a_modules_own_card_is_the_cards_start_and_options_override_it(tmp_path):
    (tmp_path / "net.py").write_text(
        "import torch\n"
        "class Net(torch.nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.fc = torch.nn.Linear(3, 2)\n"
        "        self.attrib_card = {'name': 'mine', 'input_size': [32, 48],\n"
        "                            'mean': [0.5] * 3, 'std': [0.25] * 3, 'labels': ['a', 'b']}\n"
        "    def forward(self, x):\n"
        "        return self.fc(x.mean([2, 3]))\n")
    out = tmp_path / "net.pt2"
    exported("--module", f"{tmp_path / 'net.py'}:Net", "--std", 0.5, 0.5, 0.5, "-o", out)
    _, card = card_of(out)
    assert (card["name"], card["input_size"], card["mean"], card["labels"]) == (
        "mine", [32, 48], [0.5] * 3, ["a", "b"])
    assert card["std"] == [0.5] * 3  # the option over the module's own
    logits_agree(out, card)


@pytest.mark.parametrize("args,code,say", [
    ([], 2, "required"),
    (["--torchvision", "resnet18", "--weights", "none"], 2, "-o/--output"),
    (["--hf", "/nonexistent/folder", "-o", "x.pt2"], 1, "not a folder"),
    (["--module", "nofile.py", "-o", "x.pt2"], 1, "FILE.py:CLASS"),
    (["--torchvision", "no_such_net", "-o", "x.pt2"], 1, "error"),
    (["--torchvision", "resnet18", "--weights", "none", "--detection", "yolo", "-o", "x.pt2"], 1,
     "not a detector's raw output [N, ., .] (a detection model's output)"),
    (["--torchscript", "m.pt", "--embedding", "-o", "x.pt2"], 1, "--embedding takes a"),
    (["--torchvision", "resnet18", "--detection", "ssd", "-o", "x.pt2"], 2, "invalid choice"),
])
def test_bad_usage_gets_one_line(args, code, say, tmp_path):
    p = subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True, cwd=tmp_path)
    assert p.returncode == code and say in p.stderr, p.stderr
    assert "Traceback" not in p.stderr and not (tmp_path / "x.pt2").exists()
