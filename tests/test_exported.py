"""torch.export programs (.pt2) as attrib reads them: every method's map
on a program equals the map of the TorchScript file of the same weights
(itself checked against PyTorch in the other suites); a program exported
with export's default static batch gives the maps of one exported with a
dynamic batch, whatever the batch attrib runs; the card comes from the
program's extra/attrib.json; layer names are the user's modules; and a
program built wrong in each way the reader guards against gets one line, a
documented exit code and no output. The architectures against PyTorch's own
run of each program are in test_architectures.py and test_lrp.py."""
import io
import json
import zipfile

import numpy as np
import pytest

from conftest import (IMAGES, THREADS, assert_one_line_error, attrib_libtorch, ok, programs_supported, run)

PROGRAMS = programs_supported()
TOLERANCE = 1e-4
CLASS = 3
SMALL_LAYER = "features.3"  # MobileNetV2's 24-channel block

# Every method, with settings small enough for a test: (command, arguments).
METHODS = [
    ("saliency", []), ("input-x-gradient", []),
    ("integrated-gradients", ["--steps", 4]), ("gradient-shap", ["--samples", 4, "--seed", 1]),
    ("deeplift", []), ("lrp", []), ("smoothgrad", ["--samples", 3, "--seed", 2]),
    ("guided-backprop", []), ("deconvnet", []), ("guided-gradcam", []),
    ("fullgrad", []), ("occlusion", ["--window", 112, "--stride", 112]),
    ("rise", ["--masks", 8, "--seed", 3]), ("lime", ["--samples", 16, "--seed", 4]),
    ("kernel-shap", ["--samples", 16, "--seed", 5]),
] + [("gradcam", ["--variant", v]) for v in
     ("gradcam", "gradcam++", "eigencam", "hirescam", "layercam", "xgradcam", "eigengradcam")] + [
    # a pass per channel: on a layer of 24
    ("gradcam", ["--variant", v, "--layer", SMALL_LAYER]) for v in ("scorecam", "ablationcam")]
ATTENTION = [("attention-rollout", []), ("attention-relevance", []), ("gradcam", [])]


def needs_programs():
    if not PROGRAMS:
        pytest.skip("torch.export programs need libtorch 2.x and PyTorch 2.x")


@pytest.fixture(scope="module")
def twins():
    """{arch: (TorchScript file, dynamic program, static program)}, the same
    weights in each: MobileNetV2 (ReLU6, residual sums: every method's rules
    cover it) and the small ViT, made once for the module."""
    needs_programs()
    import torch
    import tvmodels
    made = {}
    for arch in ("mobilenet_v2", "vit_small"):
        eager, script, _ = tvmodels.torchvision_model(arch, "script")
        _, dynamic, _ = tvmodels.torchvision_model(arch, "export")
        static = dynamic.replace(".pt2", "_static.pt2")
        tvmodels.export_program(eager, static, {"name": arch, "input_size": [224, 224]},
                                batch="static")
        made[arch] = (script, dynamic, static)
    torch.set_num_threads(THREADS)
    return made


def raw(model, method, args, out, image=IMAGES / "parrot.jpg", *more):
    out.mkdir(parents=True, exist_ok=True)
    ok(method, image, "--model", model, "-o", out, "--raw", out / "raw.npy", "--threads",
       THREADS, "--class", CLASS, *args, *more)
    return np.load(out / "raw.npy")


def close(got, want, tolerance=TOLERANCE):
    err = np.abs(got - want).max() / max(np.abs(want).max(), 1e-30)
    assert err <= tolerance, f"max abs diff {err:.2e} of the max"


@pytest.mark.parametrize("method,args", METHODS, ids=[" ".join(map(str, [m] + a[:2])) for m, a in METHODS])
def test_every_method_on_a_program_gives_the_map_of_its_torchscript_twin(method, args, twins,
                                                                         tmp_path):
    script, program, _ = twins["mobilenet_v2"]
    want = raw(script, method, args, tmp_path / "script")
    close(raw(program, method, args, tmp_path / "program"), want)


@pytest.mark.parametrize("method,args", ATTENTION, ids=[m for m, _ in ATTENTION])
def test_attention_methods_on_a_vit_program_give_the_maps_of_its_torchscript_twin(
        method, args, twins, tmp_path):
    script, program, _ = twins["vit_small"]
    want = raw(script, method, args, tmp_path / "script")
    close(raw(program, method, args, tmp_path / "program"), want)


# A static program (batch 1) runs every pass one image at a time: batches
# of images, methods' internal batches and DeepLIFT's input-reference pairs.
STATIC = [("saliency", ["--batch-size", 3]), ("gradcam", ["--batch-size", 3]),
          ("integrated-gradients", ["--steps", 5, "--internal-batch", 4]),
          ("smoothgrad", ["--samples", 3, "--seed", 2]), ("fullgrad", []),
          ("gradcam", ["--variant", "scorecam", "--layer", SMALL_LAYER]),
          ("gradcam", ["--variant", "ablationcam", "--layer", SMALL_LAYER]),
          ("lrp", []), ("guided-backprop", [])]
PHOTOS = ["parrot.jpg", "cat.bmp", "bird.bmp"]


def raws(model, method, args, out):
    """The exact maps of the three photos in one run: {photo: map}."""
    ok(method, *[IMAGES / p for p in PHOTOS], "--model", model, "-o", out, "--save-raw",
       "--threads", THREADS, "--class", CLASS, *args)
    return {p: np.load(next(out.glob(p.rsplit(".", 1)[0] + ".*.npy"))) for p in PHOTOS}


@pytest.mark.parametrize("method,args", STATIC, ids=[" ".join(map(str, [m] + a[:2])) for m, a in STATIC])
def test_a_program_of_a_static_batch_gives_the_maps_of_a_dynamic_one(method, args, twins,
                                                                      tmp_path):
    _, dynamic, static = twins["mobilenet_v2"]
    got, want = raws(static, method, args, tmp_path / "static"), raws(dynamic, method, args,
                                                                       tmp_path / "dynamic")
    for p in PHOTOS:
        close(got[p], want[p])


def test_deeplift_on_a_static_program_pairs_each_input_with_its_reference(twins, tmp_path):
    _, dynamic, static = twins["mobilenet_v2"]
    close(raw(static, "deeplift", ["--baseline", "blur"], tmp_path / "s"),
          raw(dynamic, "deeplift", ["--baseline", "blur"], tmp_path / "d"))


def test_the_json_says_a_program_and_its_static_batch(twins, tmp_path):
    script, dynamic, static = twins["mobilenet_v2"]
    for path, fmt, batch in ((script, "torchscript", None), (dynamic, "torch.export", None),
                             (static, "torch.export", 1)):
        s = json.loads(ok("saliency", IMAGES / "cat.bmp", "--model", path, "-o", tmp_path,
                          "--json").stdout)
        assert s["model"]["format"] == fmt and s["model"].get("fixed_batch") == batch


def layer_names(model):
    """The layer column of attrib layers' table."""
    rows = ok("layers", "--model", model).stdout.splitlines()[1:]
    return {r.split()[0] for r in rows if r.startswith("  ") and r.split()}


def test_layers_and_the_default_gradcam_layer_are_named_as_the_users_modules(twins, tmp_path):
    script, program, _ = twins["mobilenet_v2"]
    assert layer_names(script) <= layer_names(program)
    paths = [json.loads(ok("gradcam", IMAGES / "cat.bmp", "--model", p, "-o", tmp_path / "o",
                           "--json").stdout)["layer"]["path"] for p in (script, program)]
    assert paths[0] == paths[1] == "features.18"


# Every other command that runs a model, on the program and on its
# TorchScript twin: the numbers in their JSON agree (timings, paths and the
# model's own description aside).
SKIP_KEYS = {"model", "models", "timings", "path", "paths", "outputs", "sha256", "run_key",
             "pass_ms", "total_ms", "load_ms", "images_per_second", "seconds", "elapsed_ms"}


def numbers(obj, at=""):
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k not in SKIP_KEYS and not k.endswith("_ms"):
                yield from numbers(v, f"{at}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from numbers(v, f"{at}[{i}]")
    elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
        yield at, float(obj)


COMMANDS = [
    ("eval", ["--methods", "saliency,gradcam", "--steps", 8, "--class", CLASS]),
    ("sanity", ["--methods", "saliency", "--class", CLASS]),
    ("fool", ["--target", 5, "--attack", "fgsm"]),
    ("classviz", ["--class", CLASS, "--iters", 3, "--seed", 1]),
]


@pytest.mark.parametrize("command,args", COMMANDS, ids=[c for c, _ in COMMANDS])
def test_every_command_gives_the_same_numbers_on_a_program(command, args, twins, tmp_path):
    script, program, _ = twins["mobilenet_v2"]
    inputs = [] if command == "classviz" else [IMAGES / "parrot.jpg"]
    got = {}
    for name, model in (("script", script), ("program", program)):
        p = ok(command, *inputs, "--model", model, "-o", tmp_path / name, "--threads", THREADS,
               "--json", *args)
        got[name] = dict(numbers([json.loads(line) for line in p.stdout.splitlines() if line.strip()]))
    assert got["script"].keys() == got["program"].keys() and got["script"]
    for k, want in got["script"].items():
        assert got["program"][k] == pytest.approx(want, rel=1e-4, abs=1e-5), k


def test_drift_from_a_torchscript_file_to_its_program_moved_nothing(twins, tmp_path):
    script, program, _ = twins["mobilenet_v2"]
    p = ok("drift", IMAGES / "parrot.jpg", IMAGES / "cat.bmp", "--models", f"{script},{program}",
           "--method", "saliency", "-o", tmp_path, "--max-moved", 0, "--json")
    d = json.loads(p.stdout)
    assert d["summary"]["predictions_changed"] == 0
    assert all(r["moved"] == 0 for r in d["images"])


def test_golden_maps_recorded_on_a_program_check_against_it(twins, tmp_path):
    _, program, _ = twins["mobilenet_v2"]
    golden = tmp_path / "golden"
    ok("golden", "update", golden, "--", "gradcam", IMAGES / "cat.bmp", "--model", program)
    ok("golden", "check", golden)


def test_a_program_converted_from_torchscript_names_layers_by_its_parameters(tmp_path):
    """torch's TS2EPConverter keeps no module stack: layers are named by the
    parameters their nodes read, and Grad-CAM's default layer and map are
    the TorchScript file's."""
    needs_programs()
    import torch
    from torch._export.converter import TS2EPConverter
    from conftest import V2
    card = {"attrib.json": ""}
    scripted = torch.jit.load(str(V2), _extra_files=card)
    program = TS2EPConverter(scripted, (torch.zeros(1, 3, 224, 224),)).convert()
    path = tmp_path / "converted.pt2"
    # its card, for the same normalisation
    torch.export.save(program, str(path), extra_files={k: v.decode() for k, v in card.items()})
    got = raw(path, "gradcam", [], tmp_path / "p", IMAGES / "cat.bmp", "--json")
    want = raw(V2, "gradcam", [], tmp_path / "s", IMAGES / "cat.bmp")
    close(got, want)


def three_classes():
    """A small three-class network (a convolution, relu, a mean, a linear head)."""
    import torch

    class Small(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 4, 3)
            self.head = torch.nn.Linear(4, 3)

        def forward(self, x):
            return self.head(torch.relu(self.conv(x)).mean([2, 3]))

    return Small().eval()


def test_a_programs_embedded_card_gives_labels_and_input_size(tmp_path):
    needs_programs()
    import torch

    torch.manual_seed(0)
    path = str(tmp_path / "tiny.pt2")
    card = {"name": "tiny", "input_size": [64, 48], "labels": ["ant", "bee", "cow"]}
    x = torch.zeros(2, 3, 64, 48)
    shapes = ({0: torch.export.Dim("batch", min=1, max=1024)},)
    torch.export.save(torch.export.export(three_classes(), (x,), dynamic_shapes=shapes), path,
                      extra_files={"attrib.json": json.dumps(card)})
    s = json.loads(ok("predict", IMAGES / "cat.bmp", "--model", path, "--json").stdout)
    assert {c["label"] for c in s["top"]} == {"ant", "bee", "cow"} and s["model"] == "tiny"
    s = json.loads(ok("saliency", IMAGES / "cat.bmp", "--model", path, "-o", tmp_path,
                      "--json").stdout)
    assert s["model"]["input_size"] == [64, 48] and s["model"]["card"] == "embedded"


# --- bad programs: one line, exit 3, nothing written ---------------------------

@pytest.fixture(scope="module")
def good_archive(tmp_path_factory):
    """The records of a small, valid program: {name: bytes}."""
    needs_programs()
    import torch

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("good") / "small.pt2"
    torch.export.save(torch.export.export(three_classes(), (torch.zeros(1, 3, 224, 224),)), str(path))
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def archive(records, path):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for name, data in records.items():
            z.writestr(name, data)
    return path


def edited(records, edit):
    """records with model.json passed through edit(dict) (or its text through edit(str))."""
    out = dict(records)
    key = next(n for n in out if n.endswith("models/model.json"))
    doc = json.loads(out[key])
    changed = edit(doc)
    out[key] = changed if isinstance(changed, (bytes, str)) else json.dumps(doc)
    return out


def nodes(doc):
    return doc["graph_module"]["graph"]["nodes"]


def first(doc, target):
    return next(n for n in nodes(doc) if n["target"] == target)


def weights_config(records):
    key = next(n for n in records if n.endswith("model_weights_config.json"))
    return key, json.loads(records[key])


def with_weight(records, change):
    out = dict(records)
    key, cfg = weights_config(out)
    change(cfg["config"][next(iter(cfg["config"]))], out)
    out[key] = json.dumps(cfg)
    return out


def set_input(doc, arg):
    first(doc, "torch.ops.aten.conv2d.default")["inputs"][0]["arg"] = arg


def bad_programs():
    def truncate(r):
        return "truncated"
    return [
        ("an archive cut short", "truncated", None),
        ("a zip that is not a program", "no archive_format", None),
        ("model.json that is not JSON", "models/model.json is not a JSON object",
         lambda d: "{ not json"),
        ("model.json nested too deep", "nested deeper than 128 levels",
         lambda d: "[" * 200 + "]" * 200),
        ("an operator libtorch lacks", "aten::no_such_op",
         lambda d: first(d, "torch.ops.aten.relu.default").update(target="torch.ops.aten.no_such_op.default")),
        ("an argument of the wrong type", "argument 'input' of type Tensor is given as_string",
         lambda d: set_input(d, {"as_string": "x"})),
        ("a value used before it is made", "uses 'later' before it is made",
         lambda d: set_input(d, {"as_tensor": {"name": "later"}})),
        ("torch.cond", "cond (torch.ops.higher_order)",
         lambda d: first(d, "torch.ops.aten.relu.default").update(target="torch.ops.higher_order.cond")),
        ("two user inputs", "takes two inputs",
         lambda d: d["graph_module"]["signature"]["input_specs"].__setitem__(
             0, {"user_input": {"arg": {"as_tensor": {"name": d["graph_module"]["signature"]["input_specs"][0]["parameter"]["arg"]["name"]}}}})),
        ("a non-tensor input", "non-tensor input",
         lambda d: d["graph_module"]["signature"]["input_specs"][-1]["user_input"].__setitem__(
             "arg", {"as_int": 3})),
        ("a newer schema", "schema version is 99.0",
         lambda d: d.__setitem__("schema_version", {"major": 99, "minor": 0})),
    ]


BAD = bad_programs()


@pytest.mark.parametrize("why,message,edit", BAD, ids=[b[0] for b in BAD])
def test_a_bad_program_gets_one_line_and_exit_3(why, message, edit, good_archive, tmp_path):
    path = tmp_path / "bad.pt2"
    if why == "an archive cut short":
        archive(good_archive, path)
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
        message = "not a loadable model"
    elif why == "a zip that is not a program":
        archive({k: v for k, v in good_archive.items() if not k.endswith("archive_format")}, path)
        message = "not a loadable model"
    else:
        archive(edited(good_archive, edit), path)
    p = run("saliency", IMAGES / "cat.bmp", "--model", path, "-o", tmp_path / "out")
    code = 3
    assert_one_line_error(p, code, message)
    assert not (tmp_path / "out").exists()


WEIGHTS = [
    ("fewer bytes than its sizes", "bytes, its record holds",
     lambda w, r: w["tensor_meta"]["sizes"].__setitem__(0, {"as_int": 4096})),
    ("sizes multiplying past the limit", "multiply past",
     lambda w, r: w["tensor_meta"].update(sizes=[{"as_int": 1 << 20}] * 4,
                                          strides=[{"as_int": 1}] * 4)),
    ("a path_name with ..", "not a plain file name", lambda w, r: w.update(path_name="../x")),
    ("a path_name with a leading /", "not a plain file name", lambda w, r: w.update(path_name="/etc/passwd")),
    ("a pickled weight", "stored pickled", lambda w, r: w.update(use_pickle=True)),
]


@pytest.mark.parametrize("why,message,change", WEIGHTS, ids=[w[0] for w in WEIGHTS])
def test_a_bad_weight_gets_one_line_and_exit_3(why, message, change, good_archive, tmp_path):
    path = archive(with_weight(good_archive, change), tmp_path / "bad.pt2")
    p = run("predict", IMAGES / "cat.bmp", "--model", path)
    assert_one_line_error(p, 3, message)


def test_an_archive_record_outside_its_folder_is_refused(good_archive, tmp_path):
    records = dict(good_archive)
    folder = next(iter(records)).split("/")[0]
    records[f"{folder}/extra/../../evil"] = b"x"
    p = run("predict", IMAGES / "cat.bmp", "--model", archive(records, tmp_path / "bad.pt2"))
    assert p.returncode == 3 and len(p.stderr.strip().splitlines()) == 1


def test_a_program_on_libtorch_1_says_which_libtorch_it_needs(tmp_path):
    """On the 1.13 line: any archive with torch.export's archive_format
    record gets one line naming the line it needs, exit 3."""
    if attrib_libtorch().startswith("2."):
        pytest.skip("the 2.x line reads programs")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("m/archive_format", "pt2")
        z.writestr("m/.data/version", "6\n")
        z.writestr("m/models/model.json", "{}")
    path = tmp_path / "m.pt2"
    path.write_bytes(buf.getvalue())
    p = run("predict", IMAGES / "cat.bmp", "--model", path)
    assert_one_line_error(p, 3, "needs attrib built on libtorch 2.x")


def test_a_record_claiming_more_bytes_than_the_archive_is_refused_before_it_is_read():
    """Found by fuzzing (scripts/fuzz.sh program): a 21 KB archive whose
    directory says a record holds 4 GB made libtorch's reader allocate them."""
    needs_programs()
    from conftest import ROOT
    path = ROOT / "tests" / "fuzz" / "corpus" / "program" / "regression_huge_record.pt2"
    p = run("predict", IMAGES / "cat.bmp", "--model", path)
    assert_one_line_error(p, 3, "claims 4294967295 bytes, more than the 21217 of the archive")
