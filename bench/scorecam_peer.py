"""The Score-CAM peer of bench/scorecam.sh: pytorch-grad-cam's ScoreCAM on a
torchvision network with random weights (seed 0), the eager module whose
TorchScript twin attrib reads; the CAM call alone in a warm process, the
first photo warming up.

Usage: scorecam_peer.py save ARCH PATH          the TorchScript twin + card
       scorecam_peer.py time ARCH STAGE THREADS BATCH IMAGE...
STAGE: a ResNet stage (layer1 ... layer4), whose last block's output is the
CAM layer (attrib's --layer STAGE.N, its default for layer4).
Prints (time) one JSON line: ms per image (median), versions."""
import json
import statistics
import sys
import time

import numpy as np
import pytorch_grad_cam
import torch
import torchvision
from PIL import Image
from pytorch_grad_cam import ScoreCAM
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]  # attrib's defaults


def eager(arch):
    torch.manual_seed(0)
    return torchvision.models.get_model(arch, weights=None).eval()


def photo(path):
    img = Image.open(path).convert("RGB").resize((224, 224), Image.BILINEAR)
    x = torch.from_numpy(np.asarray(img, dtype=np.float32) / 255.0).permute(2, 0, 1)
    return ((x - torch.tensor(MEAN).view(3, 1, 1)) / torch.tensor(STD).view(3, 1, 1)).unsqueeze(0)


def main():
    if sys.argv[1] == "save":
        arch, path = sys.argv[2], sys.argv[3]
        card = {"name": f"{arch}-random", "input_size": [224, 224], "mean": MEAN, "std": STD}
        torch.jit.save(torch.jit.script(eager(arch)), path,
                       _extra_files={"attrib.json": json.dumps(card)})
        return
    arch, stage, threads, batch = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    images = sys.argv[6:]
    torch.set_num_threads(threads)
    model = eager(arch)
    cam = ScoreCAM(model=model, target_layers=[getattr(model, stage)[-1]])
    cam.batch_size = batch
    ms = []
    for k, image in enumerate(images):
        x = photo(image)
        with torch.no_grad():
            target = int(model(x).argmax(1))
        t0 = time.perf_counter()
        cam(input_tensor=x, targets=[ClassifierOutputTarget(target)])
        if k > 0:
            ms.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({"ms_per_image": statistics.median(ms), "images": len(ms),
                      "grad_cam": getattr(pytorch_grad_cam, "__version__", "1.5.7"),
                      "torch": torch.__version__, "torchvision": torchvision.__version__}))


if __name__ == "__main__":
    main()
