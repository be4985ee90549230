"""attrib classviz against Lucent itself (torch-lucent 0.1.8 from PyPI, the
PyTorch port of Lucid; installed without its dependencies into the 2.x test
venv, as it pins kornia <= 0.4.1 and imports it only for its transforms and
renderer, which these tests do not use): Lucent's parameterisations make
attrib's images from the same parameters, and Lucent's objectives (channel,
diversity) optimised from attrib's start through attrib's transform draws
reach attrib's objective."""
import json

import numpy as np
import pytest
import torch
from PIL import Image

import oracle
from conftest import V2, ok
from test_classviz import block_output, lucent_start, lucid_view, pixels_of

from lucent.optvis import objectives, param  # noqa: E402  (the peer)


def classviz(out, *args):
    return json.loads(ok("classviz", "--model", V2, "-o", out, "--json", *args).stdout)


def lucent_image_of(start, fft, decorrelate, batch=1):
    """Lucent's param.image with its parameters set to start."""
    params, image_f = param.image(224, fft=fft, decorrelate=decorrelate, batch=batch)
    with torch.no_grad():
        params[0].copy_(start)
    return params, image_f


@pytest.mark.parametrize("p,colour", [("fft", "decorrelated"), ("pixel", "decorrelated"),
                                      ("fft", "rgb")])
def test_lucents_parameterisations_make_attribs_images(p, colour, tmp_path):
    s = classviz(tmp_path, "--class", 88, "--param", p, "--colour", colour, "--iters", 1,
                 "--lr", 1e-6, "--transforms", "none", "--seed", 12)
    start = lucent_start(12, 224, 224, fft=p == "fft")
    _, image_f = lucent_image_of(start, p == "fft", colour == "decorrelated")
    with torch.no_grad():
        want = pixels_of(image_f())
    got = np.asarray(Image.open(s["outputs"]["image"]).convert("RGB"), dtype=np.int32)
    assert np.abs(got - want).max() <= 1 and (got != want).mean() < 1e-3


def test_lucents_diversity_objective_reaches_attribs(tmp_path):
    """Three images of features.14 channel 37 less 100 times the diversity
    term (Lucent's own objectives, as its diversity notebook writes them),
    20 Adam steps of lr 0.05 on Lucent's spectrum from attrib's start,
    through the standard transforms attrib drew: on the saved images the
    channel's mean and the diversity term each within 30% of attrib's (from
    1.6 at the start, the term falls to about 0.08 in both). Adam's first
    steps go by the gradients' signs, so float-level differences between
    the two networks' passes send the runs somewhat apart (see
    test_classviz's Adam case)."""
    module, card = oracle.load(V2)
    torch.set_num_threads(2)
    s = classviz(tmp_path, "--layer", "features.14", "--channel", 37, "--diversity", 3,
                 "--param", "fft", "--iters", 20, "--seed", 5)
    params, image_f = lucent_image_of(lucent_start(5, 224, 224, n=3), True, True, batch=3)
    mean = torch.tensor(card["mean"]).view(1, 3, 1, 1)
    std = torch.tensor(card["std"]).view(1, 3, 1, 1)
    loss_f = objectives.channel("features_14", 37) - 1e2 * objectives.diversity("features_14")
    adam = torch.optim.Adam(params, lr=0.05)
    for draw in s["curve"]["transforms"]:
        adam.zero_grad()
        seen = (lucid_view(image_f(), draw, (224, 224)) - mean) / std
        maps = block_output(module, seen, "features.14")
        loss = loss_f(lambda name: maps)
        loss.backward()
        adam.step()
    with torch.no_grad():
        png = torch.round(image_f() * 255) / 255
        maps = block_output(module, (png - mean) / std, "features.14")
        their_channel = float(maps[:, 37].mean())
        their_diversity = -float(objectives.diversity("features_14")(lambda name: maps))
    channel = np.mean([e["objective"] for e in s["images"]])
    # the objective is their difference, near zero here: each part is compared
    assert channel == pytest.approx(their_channel, rel=0.3), (channel, their_channel)
    assert s["diversity"]["term"] == pytest.approx(their_diversity, rel=0.3)
    assert s["objective"] == pytest.approx(channel - 100 * s["diversity"]["term"], abs=1e-3)
    assert s["curve"]["objective"][-1] > s["curve"]["objective"][0]
