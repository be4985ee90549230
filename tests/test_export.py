"""scripts/export_torchvision.py makes models attrib can load and explain:
more architectures (ResNet, VGG, MobileNetV3), scripted and traced."""
import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import oracle
from conftest import IMAGES, ROOT, THREADS, json_lines, ok

EXPORT = ROOT / "scripts" / "export_torchvision.py"


def export(arch, out, *extra):
    subprocess.run([sys.executable, str(EXPORT), arch, str(out), "--weights", "none", *extra],
                   check=True, capture_output=True)
    return out


@pytest.fixture(scope="module")
def resnet18(tmp_path_factory):
    return export("resnet18", tmp_path_factory.mktemp("export") / "resnet18.pt")


def test_exported_model_carries_a_card_attrib_reads(resnet18):
    r = json_lines(ok("predict", IMAGES / "bird.bmp", "--model", resnet18, "--json").stdout)[0]
    assert r["model"] == "resnet18"
    assert len(r["top"]) == 5


def test_saliency_on_exported_resnet_matches_pytorch(resnet18, tmp_path):
    module, card = oracle.load(resnet18)
    assert card["input_size"] == [224, 224] and card["mean"] == [0.485, 0.456, 0.406]
    image = oracle.resized_copy(IMAGES / "parrot.jpg", tmp_path / "in.png", card)
    want, _, target = oracle.saliency(module, oracle.input_tensor(image, card), None, THREADS)
    s = json.loads(ok("saliency", image, "--model", resnet18, "-o", tmp_path, "--json",
                      "--raw", tmp_path / "m.npy", "--threads", THREADS).stdout)
    assert s["target"]["index"] == target
    got = np.load(tmp_path / "m.npy")
    assert np.abs(got - want).max() <= 1e-4 * want.max()


@pytest.mark.parametrize("arch,extra", [("vgg11", ["--trace"]),
                                        ("mobilenet_v3_small", []),
                                        ("resnet18", ["--trace", "--input-size", "160", "128"])])
def test_other_architectures_export_and_run(arch, extra, tmp_path):
    model = export(arch, tmp_path / f"{arch}.pt", *extra)
    s = json_lines(ok("saliency", IMAGES / "cat.bmp", "--model", model, "-o", tmp_path,
                      "--json").stdout)[0]
    want = [160, 128] if "--input-size" in extra else [224, 224]
    assert s["map"]["shape"] == want
    assert s["map"]["max"] > 0
