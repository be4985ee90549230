"""A face detector with real weights for attrib's box: targets: MTCNN's
first stage (P-Net, from facenet-pytorch's wheel, which bundles its weights)
over one scale of the image, each of its 12-pixel cells a box in YOLO's
layout, [N, 4 + 1, cells]: centre x, centre y, width, height in input
pixels, and the cell's face probability.

  pip install --no-deps facenet-pytorch==2.6.0    # its pins predate torch 2.3
  scripts/export-model.py --module examples/models/mtcnn_faces.py:FaceCells \\
      --module-args '{"scale": 0.06}' -o faces.pt2

A cell sees a 12-pixel square of the scaled image, so one scale finds faces
of about 12 / scale pixels (0.06: 200 pixels, a portrait's); MTCNN itself
scans a pyramid of scales and refines the boxes with two more networks.
"""
import torch
import torch.nn.functional as F
from facenet_pytorch.models.mtcnn import PNet

CELL = 12    # a P-Net cell's side, in the scaled image's pixels
STRIDE = 2   # between cells: P-Net's one pooling


class FaceCells(torch.nn.Module):
    def __init__(self, scale=0.06, height=600, width=512):
        super().__init__()
        self.pnet = PNet(pretrained=True).eval()
        self.scale = scale
        # the scaled image's size as MTCNN takes it, and its own resampling
        self.size = (int(height * scale + 1), int(width * scale + 1))
        # MTCNN's input: (pixel - 127.5) / 128, as a card's mean and std of [0, 1]
        self.attrib_card = {"name": "mtcnn-pnet-faces", "task": "detection",
                            "input_size": [height, width], "mean": [0.5] * 3,
                            "std": [128 / 255] * 3, "labels": ["face"],
                            "output": {"kind": "detection", "layout": "yolo"}}

    def forward(self, x):
        offsets, prob = self.pnet(F.interpolate(x, size=self.size, mode="area"))
        rows, cols = prob.shape[2], prob.shape[3]
        y = torch.arange(rows, dtype=x.dtype).view(rows, 1).expand(rows, cols)
        x_ = torch.arange(cols, dtype=x.dtype).view(1, cols).expand(rows, cols)
        # each cell's square in input pixels, as facenet-pytorch's
        # generateBoundingBox puts it, then moved by the cell's offsets
        # (fractions of its side), as MTCNN refines them
        x1, y1 = torch.floor((STRIDE * x_ + 1) / self.scale), torch.floor((STRIDE * y + 1) / self.scale)
        x2 = torch.floor((STRIDE * x_ + CELL) / self.scale)
        y2 = torch.floor((STRIDE * y + CELL) / self.scale)
        side_x, side_y = x2 - x1, y2 - y1
        bx1, by1 = x1 + offsets[:, 0] * side_x, y1 + offsets[:, 1] * side_y
        bx2, by2 = x2 + offsets[:, 2] * side_x, y2 + offsets[:, 3] * side_y
        cells = torch.stack([(bx1 + bx2) / 2, (by1 + by2) / 2, bx2 - bx1, by2 - by1, prob[:, 1]], 1)
        return cells.flatten(2)
