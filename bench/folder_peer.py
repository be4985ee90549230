"""The folder peer of bench/pipeline.sh: what a Captum user's loop over a
folder costs per photo before any file is written - PIL decoding, the
resize and normalisation attrib does, and Captum's attribution call - in a
warm process, BATCH photos per call (the first batch warms up and is not
counted, nor a last one of another size: TorchScript profiles a new shape). Grad-CAM is Captum's LayerGradCam on the model's `features`
(TorchScript modules take no hooks, so the model is called as features ->
mean -> classifier, its documented structure, as bench/peer.py does) and
LayerAttribution.interpolate to the input size.

Usage: folder_peer.py METHOD MODEL THREADS BATCH IMAGE...
  METHOD: saliency | gradcam
Prints one JSON line: ms per photo (decode, attribution, both), versions."""
import json
import sys
import time

import captum
import numpy as np
import torch
from captum.attr import LayerAttribution, LayerGradCam, Saliency

from captum_peer import load, photo  # the same model loading and preprocessing


class Split(torch.nn.Module):
    """The TorchScript model as features -> mean -> classifier, so that
    LayerGradCam can hook `features` (an eager wrapper around it)."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.features = Identity(model.features)

    def forward(self, x):
        return self.model.classifier(self.features(x).mean((2, 3)))


class Identity(torch.nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x)


def attribute(method, model, split, x):
    with torch.no_grad():
        target = model(x).argmax(1)
    if method == "saliency":
        return Saliency(model).attribute(x, target=target, abs=True).amax(1)
    cam = LayerGradCam(split, split.features).attribute(x, target=target, relu_attributions=True)
    return LayerAttribution.interpolate(cam, x.shape[2:], "bilinear")


def main():
    method, model_path, threads, batch = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    images = sys.argv[5:]
    torch.set_num_threads(threads)
    model, card = load(model_path)
    split = Split(model)
    decode, explain = [], []
    for start in range(0, len(images), batch):
        chunk = images[start:start + batch]
        t0 = time.perf_counter()
        x = torch.cat([photo(p, card) for p in chunk])  # photo(): [1, 3, H, W]
        t1 = time.perf_counter()
        attribute(method, model, split, x.requires_grad_(True))
        t2 = time.perf_counter()
        if start > 0 and len(chunk) == batch:  # the first batch warms up; a new shape would too
            decode.append((t1 - t0) / len(chunk))
            explain.append((t2 - t1) / len(chunk))
    d, e = 1e3 * np.mean(decode), 1e3 * np.mean(explain)
    print(json.dumps({"method": method, "decode_ms": round(d, 2), "attribution_ms": round(e, 2),
                      "ms": round(d + e, 2), "photos": len(decode) * batch,
                      "torch": torch.__version__, "captum": captum.__version__}))


if __name__ == "__main__":
    main()
