"""attrib on CUDA against PyTorch on CUDA, and the CPU against CUDA, on the
same inputs; then CPU and CUDA throughput on a larger folder and on ViT-B/16.
Run by scripts/gpu-check.sh on a lent GPU machine (its python3 has PyTorch
with CUDA and torchvision); `--devices cpu` dry-runs it anywhere.

Part 1 sets the tolerance attrib's gradient maps are held to on CUDA: if
attrib on a device equals PyTorch autograd on that device, and PyTorch's own
maps move as much between the CPU and CUDA as attrib's do, the gap belongs
to the arithmetic of the devices (cuDNN's and oneDNN's rounding flipping
ReLU6 units on their kinks), not to attrib.

usage: python3 bench/cuda_check.py ATTRIB SHARED_DIR WORK_DIR [--devices cpu,cuda]
                                   [--copies N] [--vit]"""
import argparse
import json
import pathlib
import shutil
import subprocess
import sys
import time

import numpy as np
import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "tests"))
import oracle  # noqa: E402  (the tests' PyTorch oracle: input tensors, loading)

THREADS = 8
STEPS = 50
PHOTO_SUFFIXES = (".bmp", ".jpg", ".jpeg", ".png")


def attrib(binary, *args, timeout=600):
    t = time.perf_counter()
    p = subprocess.run([str(binary), *map(str, args)], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=timeout)
    if p.returncode != 0:
        print(f"  attrib {' '.join(map(str, args[:2]))}... exit {p.returncode}: "
              f"{p.stderr.strip()[:300]}")
    return time.perf_counter() - t, p.returncode


def torch_saliency(module, x, dev):
    x = x.to(dev).clone().requires_grad_(True)
    y = module(x)
    target = int(y[0].argmax())
    y[0, target].backward()
    return x.grad.abs().amax(1)[0].cpu().numpy().astype(np.float64), target


def torch_ig(module, x, baseline, target, dev, chunk=16):
    """Gauss-Legendre integrated gradients, points rounded once to float32
    (the rule tests/oracle.py documents), on dev."""
    nodes, weights = np.polynomial.legendre.leggauss(STEPS)
    alphas, weights = (nodes + 1) / 2, weights / 2
    a = torch.tensor(alphas, dtype=torch.float64).view(-1, 1, 1, 1)
    path = (baseline.double() + a * (x.double() - baseline.double())).float()
    grads = []
    for i in range(0, STEPS, chunk):
        p = path[i:i + chunk].to(dev).clone().requires_grad_(True)
        module(p)[:, target].sum().backward()
        grads.append(p.grad.double().cpu())
    g = torch.cat(grads).numpy()
    return (x - baseline)[0].double().numpy() * np.tensordot(weights, g, axes=1)


def rel(a, b):
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30))


def shared_photos(shared):
    return sorted(p for p in (shared / "images").iterdir() if p.suffix.lower() in PHOTO_SUFFIXES)


def same_inputs_part(binary, shared, work, devices):
    """Part 1: four differences per map, worst over the photos."""
    print("== attrib vs PyTorch on the same device, and each across devices")
    print("   (worst over the photos of max |a - b| / max |b|; n>1e-4: maps over 1e-4)")
    photos = shared_photos(shared)
    rows = []
    for model_file in sorted((shared / "models").glob("*.pt")):
        module_cpu, card = oracle.load(model_file)
        h, w = card["input_size"]
        folder = work / model_file.stem / "inputs"
        folder.mkdir(parents=True, exist_ok=True)
        inputs = {}
        for p in photos:
            png = oracle.resized_copy(p, folder / (p.stem + ".png"), card)
            inputs[p.stem] = oracle.input_tensor(png, card)
        base = oracle.black(card, h, w)
        maps = {}
        for dev in devices:
            torch.set_num_threads(THREADS)
            module = module_cpu.to(dev)  # in place: devices run cpu first, then cuda
            for method, extra in (("saliency", []),
                                  ("integrated-gradients",
                                   ["--baseline", "black", "--steps", STEPS,
                                    "--method", "gauss-legendre"])):
                out = work / model_file.stem / dev / method
                attrib(binary, method, folder, "--model", model_file, "--device", dev,
                       "--threads", THREADS, "--save-raw", "-q", "--no-report",
                       "-o", out, *extra)
                for name, x in inputs.items():
                    got = np.load(out / f"{name}.{method}.npy").astype(np.float64)
                    if method == "saliency":
                        want, target = torch_saliency(module, x, dev)
                        maps[(dev, "target", name)] = target
                    else:
                        want = torch_ig(module, x, base, maps[(dev, "target", name)], dev)
                    maps[(dev, "attrib", method, name)] = got
                    maps[(dev, "torch", method, name)] = want
        for method in ("saliency", "integrated-gradients"):
            pairs = [(f"attrib-{d} vs torch-{d}", (d, "attrib"), (d, "torch")) for d in devices]
            if len(devices) == 2:
                pairs += [("torch cpu vs cuda", ("cuda", "torch"), ("cpu", "torch")),
                          ("attrib cpu vs cuda", ("cuda", "attrib"), ("cpu", "attrib"))]
            for label, a, b in pairs:
                d = [(rel(maps[(*a, method, n)], maps[(*b, method, n)]), n) for n in inputs]
                worst, name = max(d)
                over = sum(v > 1e-4 for v, _ in d)
                median = float(np.median([v for v, _ in d]))
                rows.append({"model": model_file.stem, "method": method, "pair": label,
                             "worst": worst, "median": median, "over_1e-4": over,
                             "maps": len(d), "worst_photo": name})
                print(f"{model_file.stem:24s} {method:21s} {label:22s} worst {worst:9.3g} "
                      f"median {median:9.3g} n>1e-4 {over:2d}/{len(d)} ({name})")
        if len(devices) == 2:
            flips = [n for n in inputs if maps[("cpu", "target", n)] != maps[("cuda", "target", n)]]
            print(f"{model_file.stem}: top-1 differs between the devices on {flips or 'no photo'}")
    return rows


def folder_of_copies(files, dst, copies):
    """dst with copies of each file; (dst, number of images)."""
    dst.mkdir(parents=True, exist_ok=True)
    for i in range(copies):
        for f in files:
            shutil.copy(f, dst / f"{f.stem}-{i}{f.suffix}")
    return dst, len(files) * copies


def throughput_part(binary, model, label, methods, devices, work, batch):
    """Whole-process seconds on a small and a large folder; the per-image
    steady state is the difference over the extra images. methods: rows of
    (method, extra arguments, (small folder, images), (large folder, images))."""
    rows = []
    for method, extra, small, large in methods:
        for dev in devices:
            bs = batch[dev]
            t = {}
            for name, folder, n in (("small",) + small, ("large",) + large):
                out = work / "runs" / f"{label}-{method}-{dev}-{name}"
                common = [method, folder, "--model", model, "--device", dev]
                if method != "predict":  # predict writes nothing but stdout
                    common += ["--batch-size", bs, "-q", "--no-report", "-o", out]
                secs, rc = attrib(binary, *common, *extra)
                shutil.rmtree(out, ignore_errors=True)
                t[name] = (secs, n, rc)
            (s1, n1, r1), (s2, n2, r2) = t["small"], t["large"]
            steady = (s2 - s1) / (n2 - n1) * 1e3
            what = f"{method} ({small[0].name}/)"
            rows.append({"model": label, "method": method, "inputs": small[0].name,
                         "device": dev, "batch": bs, "seconds_small": s1, "images_small": n1,
                         "seconds_large": s2, "images_large": n2,
                         "steady_ms_per_image": steady, "ok": r1 == r2 == 0})
            print(f"{label:9s} {what:36s} {dev:5s} batch {bs:3d}: {n1} images {s1:6.2f} s, "
                  f"{n2} images {s2:7.2f} s -> {steady:7.1f} ms/image steady")
    return rows


def torch_peer(model_file, images, dev, batch):
    """PyTorch's own saliency loop on the same files (images already at the
    model's size), ms per image: the peer for part 2. Full batches only, and
    three warm-up passes: Python's TorchScript executor profiles the first
    two passes of each input shape and compiles on the third (first seen on
    the H100, where a trailing short batch cost seconds of compilation)."""
    module, card = oracle.load(model_file)
    module = module.to(dev)
    xs = torch.cat([oracle.input_tensor(p, card) for p in images])
    xs = xs[:len(xs) // batch * batch]

    def one_pass(x):
        x = x.to(dev).clone().requires_grad_(True)
        y = module(x)
        y.gather(1, y.argmax(1, keepdim=True)).sum().backward()
        return x.grad.abs().amax(1).cpu()
    for _ in range(3):
        one_pass(xs[:batch])
    if dev == "cuda":
        torch.cuda.synchronize()
    t = time.perf_counter()
    for i in range(0, len(xs), batch):
        one_pass(xs[i:i + batch])
    if dev == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - t) / len(xs) * 1e3


def export_vit(path):
    """torchvision's ViT-B/16 with random weights, scripted; its zero head
    re-drawn so that maps are not flat."""
    import torchvision
    torch.manual_seed(0)
    m = torchvision.models.vit_b_16().eval()
    with torch.no_grad():
        m.heads.head.weight.normal_(0, 0.02)
    card = {"input_size": [224, 224], "mean": [0.485, 0.456, 0.406],
            "std": [0.229, 0.224, 0.225]}
    torch.jit.script(m).save(str(path), _extra_files={"attrib.json": json.dumps(card)})
    return path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("attrib", type=pathlib.Path)
    ap.add_argument("shared", type=pathlib.Path)
    ap.add_argument("work", type=pathlib.Path)
    ap.add_argument("--devices", default="cpu,cuda")
    ap.add_argument("--copies", type=int, default=16)
    ap.add_argument("--vit", action="store_true")
    ap.add_argument("--skip-same-inputs", action="store_true")
    args = ap.parse_args()
    devices = args.devices.split(",")
    if "cuda" in devices and not torch.cuda.is_available():
        sys.exit("cuda_check.py: this PyTorch sees no CUDA device")
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    work = args.work
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    result = {"torch": torch.__version__, "devices": devices}
    if torch.cuda.is_available():
        result["gpu"] = torch.cuda.get_device_name(0)
    if not args.skip_same_inputs:
        result["same_inputs"] = same_inputs_part(args.attrib, args.shared, work, devices)

    print("== throughput: whole process on a small and a large folder")
    photos = shared_photos(args.shared)
    small = folder_of_copies(photos, work / "photos", 1)
    large = folder_of_copies(photos, work / "photos-x", args.copies)
    medium = folder_of_copies(photos, work / "photos-4", 4)
    batch = {"cpu": 16, "cuda": 32}
    v2 = args.shared / "models" / "mobilenet_v2_1.0_224.pt"
    sized = sorted((work / "mobilenet_v2_1.0_224" / "inputs").glob("*.png"))
    methods = []
    if sized:
        # inputs already at 224x224: no decoding of large photos, no resizing
        pre = (folder_of_copies(sized, work / "sized", 1),
               folder_of_copies(sized, work / "sized-x", args.copies))
        methods += [("predict", [], *pre), ("saliency", [], *pre)]
    methods += [("saliency", [], small, large), ("gradcam", [], small, large),
                ("integrated-gradients", ["--internal-batch", 50], small, medium)]
    result["throughput"] = throughput_part(args.attrib, v2, "mnv2", methods, devices, work,
                                           batch)
    if sized:
        result["torch_peer"] = {d: torch_peer(v2, sized * 4, d, batch[d]) for d in devices}
        print(f"PyTorch's own saliency loop, mnv2, ms/image: {result['torch_peer']}")
    if args.vit:
        vit = export_vit(work / "vit_b_16.pt")
        result["vit"] = throughput_part(
            args.attrib, vit, "vit_b_16",
            [(m, [], small, medium) for m in ("saliency", "gradcam", "attention-rollout")],
            devices, work, batch)
    (work / "cuda_check.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
