"""attrib lrp computes what Zennit computes: its composites EpsilonPlusFlat,
EpsilonGammaBox and EpsilonAlpha2Beta1 with its ResNet canonizer (batch
norms merged, residual sums under the Norm rule) on the eager twin of the
same weights; models with a layer no rule covers are refused in one line."""
import copy
import json

import numpy as np
import pytest
import torch

import oracle
from conftest import IMAGES, V2, assert_one_line_error, ok, run
from tvmodels import torchvision_model

THREADS = 2
TOLERANCE = 1e-4  # max abs difference, as a fraction of the reference's max |value|


def close(got, want, tol=TOLERANCE):
    err = np.abs(got - want).max() / np.abs(want).max()
    assert err <= tol, f"max abs diff {err:.2e} of the max"


def attrib(model, image, out, *args):
    s = json.loads(ok("lrp", image, "--model", model, "-o", out, "--raw", out / "raw.npy",
                      "--threads", THREADS, "--json", *args).stdout)
    return np.load(out / "raw.npy"), s


def zennit():
    try:
        import zennit.attribution
        import zennit.composites
        import zennit.torchvision
    except ImportError:
        pytest.skip("zennit does not import beside this PyTorch (the 2.x test venv has it; "
                    "Debian's python3-torch 1.13 does not)")
    return zennit


def zennit_relevance(composite_name, eager, x, target, card):
    z = zennit()
    mean = torch.tensor(card["mean"]).view(1, 3, 1, 1)
    std = torch.tensor(card["std"]).view(1, 3, 1, 1)
    canonizers = [z.torchvision.ResNetCanonizer()]
    composite = {
        "epsilon-plus-flat": lambda: z.composites.EpsilonPlusFlat(canonizers=canonizers),
        "epsilon-alpha2-beta1": lambda: z.composites.EpsilonAlpha2Beta1(canonizers=canonizers),
        "epsilon-gamma-box": lambda: z.composites.EpsilonGammaBox(
            low=(0 - mean) / std, high=(1 - mean) / std, canonizers=canonizers),
    }[composite_name]()
    model = copy.deepcopy(eager)
    torch.set_num_threads(THREADS)
    with z.attribution.Gradient(model=model, composite=composite) as attributor:
        out, relevance = attributor(x, lambda out: torch.eye(out.shape[1])[[target]])
    return relevance[0].double().numpy()


@pytest.mark.parametrize("composite", ["epsilon-plus-flat", "epsilon-gamma-box",
                                       "epsilon-alpha2-beta1"])
def test_lrp_composites_match_zennits_own_on_resnet18(composite, tmp_path):
    """ResNet-18 with drawn batch-norm statistics (so that merging them
    matters), its eager twin under Zennit's composite and ResNetCanonizer;
    the relevance of every input value (3 x H x W), seeded with the one-hot
    of the class on both sides."""
    zennit()
    eager, path, _ = torchvision_model("resnet18_stats", "script")
    module, card = oracle.load(path)
    image = oracle.resized_copy(IMAGES / "parrot.jpg", tmp_path / "input.png", card)
    x = oracle.input_tensor(image, card)
    got, s = attrib(path, image, tmp_path, "--composite", composite)
    want = zennit_relevance(composite, eager, x, s["target"]["index"], card)
    assert got.shape == want.shape == (3, 224, 224)
    close(got, want)
    assert s["details"]["composite"] == composite
    assert abs(s["details"]["relevance_sum"] - want.sum()) <= 1e-3 * np.abs(want).sum()
