"""Goldens for everything: every attribution method with its options, and
the numbers of predict, eval and sanity, recorded and checked with each
command's default tolerances; a failing check shows a diff picture, writes
JUnit XML that parses and annotates GitHub Actions."""
import json
import os
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import IMAGES, V1, V2, assert_one_line_error, ok, run

PHOTOS = [str(IMAGES / "cat.bmp"), str(IMAGES / "bird.bmp")]
COMMANDS = {
    "integrated-gradients": ["--steps", "4"],
    "smoothgrad": ["--samples", "4", "--seed", "3"],
    "occlusion": ["--window", "8", "--stride", "8"],
    "deconvnet": [],
    "input-x-gradient": ["--sign", "signed"],
    "gradcam++": ["--variant", "gradcam++"],
    "eigencam": ["--variant", "eigencam"],
    "scorecam": ["--variant", "scorecam"],
    "xgradcam": ["--variant", "xgradcam"],
    "predict": [],
    "eval": ["--methods", "saliency,gradcam", "--steps", "5"],
    "sanity": ["--methods", "saliency"],
}


def command(name, model):
    cmd = "gradcam" if name in ("gradcam++", "eigencam", "scorecam", "xgradcam") else name
    return [cmd, *PHOTOS, "--model", str(model), "--threads", "2", *COMMANDS[name]]


def perturbed(test_models, path):
    """tiny.pt with its first convolution's weights scaled by 1.5."""
    files = {"attrib.json": ""}
    m = torch.jit.load(str(test_models / "tiny.pt"), _extra_files=files)
    with torch.no_grad():
        getattr(m.features, "0").weight.mul_(1.5)
    torch.jit.save(m, str(path), _extra_files=files)
    return path


# Under the sanitizers (slow) one command of each kind: maps of one pass,
# maps of many, a CAM variant, values.
SANITIZED = bool(os.environ.get("ATTRIB_SANITIZED"))
CHECKED = ["deconvnet", "smoothgrad", "xgradcam", "eval"] if SANITIZED else sorted(COMMANDS)


@pytest.mark.parametrize("name", CHECKED)
def test_an_unchanged_run_passes_and_a_changed_model_fails(name, tmp_path, test_models):
    golden = tmp_path / "golden"
    p = ok("golden", "update", golden, "--", *command(name, test_models / "tiny.pt"))
    values = name in ("predict", "eval", "sanity")
    assert p.stdout.startswith("golden values" if values else "golden maps")
    kept = sorted(f.name for f in golden.iterdir())
    assert kept == (["golden.json", "values.json"] if values else
                    sorted(["golden.json", f"bird.{name}.npy", f"cat.{name}.npy"]))
    p = ok("golden", "check", golden, "--json", cwd=tmp_path)
    v = json.loads(p.stdout)
    assert v["passed"] == 2 and v["failed"] == 0, v
    model = perturbed(test_models, tmp_path / "changed.pt")
    p = run("golden", "check", golden, "--json", "--diffs", tmp_path / "diffs", "--", "--model",
            model, cwd=tmp_path)
    assert p.returncode == 1, p.stdout + p.stderr
    assert json.loads(p.stdout)["failed"] >= 1


def test_a_seeded_method_is_byte_identical_on_the_same_build(tmp_path, test_models):
    golden = tmp_path / "golden"
    ok("golden", "update", golden, "--", *command("smoothgrad", test_models / "tiny.pt"))
    v = json.loads(ok("golden", "check", golden, "--json").stdout)
    assert all(p["max_abs"] == 0 and p["pearson"] == 1 for p in v["pairs"]), v


def test_a_failing_map_gets_a_diff_picture_junit_xml_and_github_annotations(tmp_path,
                                                                               test_models):
    golden = tmp_path / "golden"
    ok("golden", "update", golden, "--", *command("integrated-gradients",
                                                  test_models / "tiny.pt"))
    model = perturbed(test_models, tmp_path / "changed.pt")
    junit, diffs = tmp_path / "report.xml", tmp_path / "diffs"
    p = run("golden", "check", golden, "--format", "github", "--junit", junit, "--diffs", diffs,
            "--", "--model", model)
    assert p.returncode == 1
    notes = [line for line in p.stdout.splitlines() if line.startswith("::error ")]
    assert len(notes) == 2
    assert notes[0].startswith(f"::error file={golden}/bird.integrated-gradients.npy,"
                               "title=attrib golden::bird.integrated-gradients.npy: ")
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite.get("tests") == "2" and suite.get("failures") == "2"
    cases = suite.findall("testcase")
    assert sorted(c.get("name") for c in cases) == ["bird.integrated-gradients.npy",
                                                   "cat.integrated-gradients.npy"]
    assert all("max abs diff" in c.find("failure").get("message") for c in cases)
    for name in ("bird", "cat"):
        pic = Image.open(diffs / f"{name}.integrated-gradients.diff.png")
        assert pic.size[0] > 3 * 32 and pic.size[1] > 32  # three panels of the 32x40 map
        px = np.asarray(pic.convert("L")).astype(int)
        assert px.std() > 10, "the panels show something"
    # a passing check writes no picture and a JUnit file without failures
    p = ok("golden", "check", golden, "--junit", junit, "--diffs", tmp_path / "none")
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite.get("failures") == "0" and suite.find("testcase/failure") is None
    assert not (tmp_path / "none").exists()


def test_default_tolerances_are_the_commands_own(tmp_path, test_models):
    """predict's probabilities may move by 1e-4, a map's pixel by 1e-2 of
    its max; a golden nudged just inside passes, just outside fails."""
    golden = tmp_path / "predict"
    ok("golden", "update", golden, "--", *command("predict", test_models / "tiny.pt"))
    values = json.loads((golden / "values.json").read_text())
    first = next(iter(values))
    for nudge, passes in ((5e-5, True), (3e-4, False)):
        v = json.loads(json.dumps(values))
        v[first]["top.0.probability"] += nudge
        (golden / "values.json").write_text(json.dumps(v))
        p = run("golden", "check", golden)
        assert (p.returncode == 0) == passes, (nudge, p.stdout)
        if not passes:
            assert "top.0.probability differs by" in p.stdout
    v = json.loads(json.dumps(values))
    v[first]["top.0.index"] += 1  # a class index must be equal
    (golden / "values.json").write_text(json.dumps(v))
    p = run("golden", "check", golden, "--max-value-diff", "1")
    assert p.returncode == 1 and "top.0.index is" in p.stdout

    golden = tmp_path / "maps"
    ok("golden", "update", golden, "--", *command("deconvnet", test_models / "tiny.pt"))
    path = golden / "cat.deconvnet.npy"
    orig = np.load(path)
    for nudge, passes in ((5e-3, True), (3e-2, False)):
        m = orig.copy()
        m.flat[0] += nudge * np.abs(orig).max()
        np.save(path, m)
        p = run("golden", "check", golden, "--diffs", tmp_path / "d")
        assert (p.returncode == 0) == passes, (nudge, p.stdout)
    # a tolerance given replaces the default
    assert run("golden", "check", golden, "--max-abs", "0.1",
               "--diffs", tmp_path / "d").returncode == 0


def test_help_states_each_commands_default_tolerance_and_why():
    text = " ".join(ok("golden", "--help").stdout.split())
    for fragment in ("predict: --max-value-diff 0.0001;", "eval: --max-value-diff 0.001;",
                     "sanity: --max-value-diff 0.001;",
                     "integrated-gradients smoothgrad occlusion gradient-shap deeplift rise lime kernel-shap: --max-abs 0.01",
                     "every other method: --max-abs 0.01", "AMD EPYC", "byte-identical"):
        assert fragment in text


def test_a_golden_of_a_command_that_keeps_nothing_is_refused(tmp_path):
    assert_one_line_error(run("golden", "update", tmp_path / "g", "--", "compare", "a", "b"), 2,
                          "needs an attribution command")
    assert not (tmp_path / "g").exists()


def test_the_ci_example_script_gates_on_every_golden(tmp_path, test_models):
    """examples/ci/check-heatmaps.sh as a CI job runs it: each golden dir
    checked, a JUnit report each, annotations under GitHub Actions."""
    import os
    import subprocess
    from conftest import BIN, ROOT
    goldens = tmp_path / "goldens"
    tiny = test_models / "tiny.pt"
    ok("golden", "update", goldens / "maps", "--", *command("input-x-gradient", tiny))
    ok("golden", "update", goldens / "predict", "--", *command("predict", tiny))
    env = dict(os.environ, PATH=f"{os.path.dirname(BIN)}:{os.environ['PATH']}")
    env.pop("GITHUB_ACTIONS", None)
    script = str(ROOT / "examples" / "ci" / "check-heatmaps.sh")
    p = subprocess.run([script, goldens], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    for name in ("maps", "predict"):
        suite = ET.parse(tmp_path / f"golden-report-{name}.xml").getroot().find("testsuite")
        assert suite.get("tests") == "2" and suite.get("failures") == "0"
    env["GITHUB_ACTIONS"] = "true"
    p = subprocess.run([script, goldens, perturbed(test_models, tmp_path / "changed.pt")],
                       cwd=tmp_path, env=env, capture_output=True, text=True)
    assert p.returncode == 1, p.stdout + p.stderr
    assert p.stdout.count("::error file=") >= 3  # two maps and at least one image's numbers
    assert list((tmp_path / "golden-diffs" / "maps").glob("*.diff.png"))


def test_junit_xml_escapes_file_names_and_messages(tmp_path, test_models):
    import shutil
    odd = tmp_path / 'a&b <"c">.bmp'
    shutil.copy(IMAGES / "cat.bmp", odd)
    golden = tmp_path / "golden"
    ok("golden", "update", golden, "--", "saliency", odd, "--model", test_models / "tiny.pt")
    junit = tmp_path / "r.xml"
    p = run("golden", "check", golden, "--junit", junit, "--diffs", tmp_path / "d", "--",
            "--model", perturbed(test_models, tmp_path / "changed.pt"))
    assert p.returncode == 1
    case = ET.parse(junit).getroot().find("testsuite/testcase")
    assert case.get("name") == 'a&b <"c">.saliency.npy'
    assert "max abs diff" in case.find("failure").text


def test_superpixels_are_not_goldens_but_the_map_built_on_them_is(tmp_path, test_models):
    """lime --save-raw also writes NAME.lime.segments.npy: a label image, not
    a map, so neither recorded nor compared (the map depends on it)."""
    model = test_models / "tiny.pt"
    ok("golden", "update", tmp_path / "g", "--", "lime", IMAGES / "sunflower.bmp", "--model",
       model, "--samples", 30, "--segments", 10, "-q")
    assert sorted(p.name for p in (tmp_path / "g").iterdir()) == ["golden.json",
                                                                 "sunflower.lime.npy"]
    p = ok("golden", "check", tmp_path / "g")
    assert "1 passed, 0 failed" in p.stdout and "segments" not in p.stdout


@pytest.mark.parametrize("kind", ["maps", "values"])
def test_goldens_check_from_any_directory_with_the_paths_they_were_recorded_with(kind, tmp_path):
    # A CI job records from the repository's root with relative paths and
    # checks from another folder (a build directory): the recorded command
    # runs in the folder update ran in, which golden.json names from itself.
    project, elsewhere = tmp_path / "project", tmp_path / "build"
    (project / "photos").mkdir(parents=True)
    elsewhere.mkdir()
    (project / "photos" / "cat.bmp").write_bytes((IMAGES / "cat.bmp").read_bytes())
    (project / "model.pt").write_bytes(V2.read_bytes())
    cmd = ["saliency"] if kind == "maps" else ["predict"]
    ok("golden", "update", "ci/goldens", "--", *cmd, "photos/cat.bmp", "--model", "model.pt",
       cwd=project)
    manifest = json.loads((project / "ci" / "goldens" / "golden.json").read_text())
    assert manifest["workdir"] == "../.." and manifest["command"][1] == "photos/cat.bmp"
    p = ok("golden", "check", "../project/ci/goldens", cwd=elsewhere)
    assert " passed, 0 failed" in p.stdout and not p.stdout.startswith("0 passed")
    # paths typed at check time stay the checker's: another model, named
    # from here, is what runs (and its maps differ)
    (elsewhere / "other.pt").write_bytes(V1.read_bytes())
    p = run("golden", "check", "../project/ci/goldens", "--", "--model", "other.pt",
            cwd=elsewhere)
    assert p.returncode == 1 and "0 passed, 1 failed" in p.stdout, p.stdout + p.stderr
    # a golden folder moved away from what it was recorded in says so
    (tmp_path / "moved").mkdir()
    (project / "ci" / "goldens").rename(tmp_path / "moved" / "goldens")
    # (its workdir, ../.., is now tmp_path: no photos/, no model.pt there)
    p = run("golden", "check", tmp_path / "moved" / "goldens")
    assert p.returncode == 3 and "cannot open 'model.pt'" in p.stderr


def test_a_junit_file_or_diffs_folder_that_cannot_be_made_fails_in_one_line_before_the_run(tmp_path):
    golden = tmp_path / "golden"
    ok("golden", "update", golden, "--", "saliency", IMAGES / "cat.bmp", "--model", V2)
    (tmp_path / "a-file").write_text("not a folder")
    p = run("golden", "check", golden, "--junit", tmp_path / "a-file" / "report.xml")
    assert_one_line_error(p, 4, "a-file")
    # --diffs is made only for a failing map, but one that could never be
    # made fails now too, not after the command has run
    p = run("golden", "check", golden, "--diffs", tmp_path / "a-file" / "diffs")
    assert_one_line_error(p, 4, "cannot create directory", "a-file")
    # its folder is made when it can be
    ok("golden", "check", golden, "--junit", tmp_path / "reports" / "ci" / "report.xml")
    assert (tmp_path / "reports" / "ci" / "report.xml").is_file()
