#!/usr/bin/python3
"""Writes the small TorchScript models the test suite needs into OUT_DIR.

Random weights with a fixed seed: a third architecture for the oracle tests
(not MobileNet: plain ReLU, ReLU6, LeakyReLU, batch norm, max pooling, a
residual add, a non-square input), the same network traced instead of
scripted, card variants (none, sidecar, broken) and broken models for the
bad-input tests. Usage: make_test_models.py OUT_DIR
"""
import json
import os
import sys
import zipfile

import torch
from torch import nn

H, W, CLASSES = 32, 40, 10
CARD = {
    "name": "tiny-test-cnn",
    "task": "test classification",
    "input_size": [H, W],
    "mean": [0.45, 0.5, 0.55],
    "std": [0.2, 0.25, 0.3],
    "labels": ["class-%d" % i for i in range(CLASSES)],
    "source": "tests/models/make_test_models.py, random weights, seed 0",
}


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(inplace=True),
            nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.ReLU6(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 16, 3, padding=1, groups=16), nn.LeakyReLU(0.1),
        )
        self.project = nn.Conv2d(16, 16, 1)
        self.classifier = nn.Linear(16, CLASSES)

    def forward(self, x):
        f = self.features(x)
        f = f + torch.relu(self.project(f))
        return self.classifier(f.mean([2, 3]))


class Mlp(nn.Module):  # no convolution: no feature map for Grad-CAM
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(3 * H * W, 32), nn.ReLU(),
                                  nn.Linear(32, CLASSES))

    def forward(self, x):
        return self.body(x)


class Flat(nn.Module):  # depends on the input only through x * 0: zero gradient
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, CLASSES)

    def forward(self, x):
        return self.fc((x * 0).mean([2, 3]))


class NaNGradient(nn.Module):  # finite logits, NaN gradient (sqrt at 0)
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, CLASSES)

    def forward(self, x):
        return self.fc(torch.sqrt(x - x).mean([2, 3]))


class FeatureMap(nn.Module):  # returns 4-D features, not logits
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)

    def forward(self, x):
        return self.conv(x)


class Pair(nn.Module):  # returns a tuple
    def __init__(self):
        super().__init__()
        self.net = Tiny()

    def forward(self, x):
        y = self.net(x)
        return y, y


class NaNs(nn.Module):  # logits full of NaN
    def __init__(self):
        super().__init__()
        self.net = Tiny()

    def forward(self, x):
        return self.net(x) * float("nan")


class OneChannel(nn.Module):  # expects grey input: fails on RGB
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.fc = nn.Linear(4, CLASSES)

    def forward(self, x):
        return self.fc(self.conv(x).mean([2, 3]))


class Smooth(nn.Module):  # tanh only: a gradient without kinks, for classviz's transforms
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 5, stride=2, padding=2), nn.Tanh(),
                                      nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.Tanh())
        self.classifier = nn.Linear(16, CLASSES)

    def forward(self, x):
        return self.classifier(self.features(x).mean([2, 3]))


SEG_CLASSES, EMBED_SIZE = 4, 8
SEG_CARD = dict(CARD, name="tiny-test-segmenter", task="segmentation",
                labels=["background", "round", "long", "dark"])
EMBED_CARD = {k: v for k, v in dict(CARD, name="tiny-test-embedder", task="embedding").items()
              if k != "labels"}


class TinySeg(nn.Module):  # a segmenter: mask logits [N, 4, H/2, W/2], as FCN's "out" unresized
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(inplace=True),
            nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.ReLU6(),
            nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(),
        )
        self.classifier = nn.Conv2d(16, SEG_CLASSES, 1)

    def forward(self, x):
        return self.classifier(self.features(x))


class TinyEmbed(nn.Module):  # an embedder: [N, 8], a classifier's features without its head
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(inplace=True),
            nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(),
        )
        self.project = nn.Linear(16, EMBED_SIZE)

    def forward(self, x):
        return self.project(self.features(x).mean([2, 3]))


DET_CLASSES, DET_QUERIES, DET_STRIDE = 3, 6, 4
DET_LABELS = ["dot", "bar", "blob"]
YOLO_CARD = dict(CARD, name="tiny-test-yolo", task="detection", labels=DET_LABELS,
                 output={"kind": "detection", "layout": "yolo"})
DETR_CARD = dict(CARD, name="tiny-test-detr", task="detection", labels=DET_LABELS,
                 output={"kind": "detection", "layout": "detr"})


class TinyYolo(nn.Module):
    """A dense detector as YOLOv8 exports one: [N, 4 + classes, anchors], each
    anchor (a cell of the stride-4 grid) a box cx, cy, w, h in input pixels
    and class scores (sigmoid)."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.SiLU(),
            nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.SiLU(),
            nn.Conv2d(16, 16, 3, stride=2, padding=1), nn.SiLU(),
        )
        self.head = nn.Conv2d(16, 4 + DET_CLASSES, 1)
        self.stride = DET_STRIDE

    def forward(self, x):
        p = self.head(self.features(x))  # [N, 4 + C, h, w]
        n, _, h, w = p.shape
        gy, gx = torch.meshgrid(torch.arange(h, dtype=x.dtype), torch.arange(w, dtype=x.dtype),
                                indexing="ij")
        cx = (gx + torch.sigmoid(p[:, 0])) * self.stride
        cy = (gy + torch.sigmoid(p[:, 1])) * self.stride
        bw = torch.exp(p[:, 2].clamp(-3, 3)) * 2 * self.stride
        bh = torch.exp(p[:, 3].clamp(-3, 3)) * 2 * self.stride
        scores = torch.sigmoid(p[:, 4:])
        out = torch.cat([torch.stack([cx, cy, bw, bh], 1), scores], 1)
        return out.flatten(2)


class TinyDetr(nn.Module):
    """A set detector as DETR's two outputs side by side: [N, queries,
    classes + 1 + 4], class logits (the last "no object") then boxes cx, cy,
    w, h in [0, 1] (sigmoid)."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(),
            nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.ReLU(),
        )
        self.queries = nn.Linear(16, DET_QUERIES * (DET_CLASSES + 1 + 4))
        self.nq, self.nc = DET_QUERIES, DET_CLASSES

    def forward(self, x):
        q = self.queries(self.features(x).mean([2, 3])).view(-1, self.nq, self.nc + 5)
        return torch.cat([q[:, :, :self.nc + 1], torch.sigmoid(q[:, :, self.nc + 1:])], 2)


def segmenter():
    torch.manual_seed(2)
    m = TinySeg()
    with torch.no_grad():
        m.features[1].running_mean.uniform_(-0.2, 0.2)
        m.features[1].running_var.uniform_(0.5, 1.5)
        m.eval()
        # Classes about even on photos: each class's mean logit on noise taken off
        # its bias, so that the argmax follows the image, not one class's bias.
        m.classifier.bias -= m(torch.randn(4, 3, H, W) * 0.5).mean([0, 2, 3])
    return m


def embedder():
    torch.manual_seed(3)
    return TinyEmbed().eval()


SMOOTH_SIDE = 48  # square: the test rotates with affine_grid's normalised coordinates


def tiny():
    torch.manual_seed(0)
    m = Tiny()
    # Non-trivial batch-norm statistics, so eval mode matters.
    with torch.no_grad():
        m.features[1].running_mean.uniform_(-0.2, 0.2)
        m.features[1].running_var.uniform_(0.5, 1.5)
    return m.eval()


def multilabel():
    """The tiny network as a multi-label classifier (card "output":
    "sigmoid"); biases from +3 to -3 so that some classes are present
    (p >= 0.5) on most images and others are not."""
    m = tiny()
    with torch.no_grad():
        m.classifier.bias.copy_(torch.linspace(3, -3, CLASSES))
    return m


def save(module, path, card=CARD):
    extra = {"attrib.json": json.dumps(card)} if card is not None else {}
    torch.jit.save(module, path, _extra_files=extra)


def main(out):
    os.makedirs(out, exist_ok=True)
    p = lambda name: os.path.join(out, name)
    model = tiny()
    save(torch.jit.script(model), p("tiny.pt"))
    save(torch.jit.trace(model, torch.randn(1, 3, H, W)), p("tiny_traced.pt"))
    save(torch.jit.script(model), p("tiny_nocard.pt"), card=None)
    save(torch.jit.script(model), p("tiny_sidecar.pt"), card=None)
    with open(p("tiny_sidecar.json"), "w") as f:
        json.dump(dict(CARD, name="tiny-sidecar"), f)
    torch.jit.save(torch.jit.script(model), p("bad_card.pt"),
                   _extra_files={"attrib.json": "{not json"})
    save(torch.jit.script(multilabel()), p("multilabel.pt"),
         card=dict(CARD, name="tiny-multilabel", output="sigmoid"))
    save(torch.jit.script(model), p("bad_card_output.pt"), card=dict(CARD, output="softmax2"))
    torch.manual_seed(0)
    save(torch.jit.script(Mlp().eval()), p("mlp.pt"))
    save(torch.jit.script(Flat().eval()), p("flat.pt"))
    torch.manual_seed(1)
    save(torch.jit.script(Smooth().eval()), p("smooth.pt"),
         card=dict(CARD, name="smooth-test-cnn", input_size=[SMOOTH_SIDE, SMOOTH_SIDE]))
    save(torch.jit.script(segmenter()), p("segmenter.pt"), card=SEG_CARD)
    save(torch.jit.script(segmenter()), p("segmenter_nocard.pt"), card=None)
    save(torch.jit.script(embedder()), p("embedder.pt"), card=EMBED_CARD)
    torch.manual_seed(4)
    yolo = TinyYolo().eval()
    save(torch.jit.script(yolo), p("yolo.pt"), card=YOLO_CARD)
    save(torch.jit.script(yolo), p("yolo_nocard.pt"), card=None)
    torch.manual_seed(5)
    save(torch.jit.script(TinyDetr().eval()), p("detr.pt"), card=DETR_CARD)
    save(torch.jit.script(NaNGradient().eval()), p("nan_gradient.pt"))
    save(torch.jit.script(FeatureMap().eval()), p("bad_output_4d.pt"))
    save(torch.jit.script(Pair().eval()), p("bad_output_tuple.pt"))
    save(torch.jit.script(NaNs().eval()), p("bad_output_nan.pt"))
    save(torch.jit.script(OneChannel().eval()), p("bad_one_channel.pt"))
    with zipfile.ZipFile(p("bad_not_torchscript.pt"), "w") as z:
        z.writestr("archive/data.pkl", b"not a pickle")
    with open(p("tiny.pt"), "rb") as f:
        data = f.read()
    with open(p("bad_truncated.pt"), "wb") as f:
        f.write(data[: len(data) // 2])
    with open(p("bad_text.pt"), "w") as f:
        f.write("this is a text file, not a model\n")
    open(p("bad_empty.pt"), "wb").close()


if __name__ == "__main__":
    main(sys.argv[1])
