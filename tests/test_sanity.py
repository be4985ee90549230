"""attrib sanity: the model-parameter randomisation test of Adebayo et al.
(2018) and the random-logit test of Sixt et al. (2020). The re-drawn
weights, the maps and the similarity numbers against PyTorch and numpy
(tests/oracle.py: the same seeded draws, independent Spearman and SSIM);
the paper's finding on the shared MobileNetV2; the CI check's exit codes."""
import json
import shutil

import numpy as np
import pytest
import torch

import oracle
from conftest import IMAGES, THREADS, V2, assert_one_line_error, ok, run, stderr_on_a_terminal

METRICS = ("spearman_abs", "spearman", "ssim")


def sanity(image, out, *args, model=V2):
    p = ok("sanity", image, "--model", model, "-o", out, "--threads", THREADS, "--json", *args)
    return [json.loads(line) for line in p.stdout.splitlines()]


def similarities(orig, now, h, w):
    return {"spearman_abs": oracle.spearman(np.abs(orig), np.abs(now)),
            "spearman": oracle.spearman(orig, now),
            "ssim": oracle.ssim(oracle.normalise_abs(orig).reshape(h, w),
                                oracle.normalise_abs(now).reshape(h, w))}


def test_every_step_matches_pytorch_on_the_same_redrawn_weights(tmp_path, test_models):
    """Cascading and independent steps and the random logit, on the tiny
    model: attrib's similarity numbers are those of PyTorch's maps on
    weights re-drawn in Python from the same seeds."""
    model = test_models / "tiny.pt"
    module, card = oracle.load(model)
    image = oracle.resized_copy(IMAGES / "cat.bmp", tmp_path / "cat.png", card)
    x = oracle.input_tensor(image, card)
    h, w = card["input_size"]
    [s] = sanity(image, tmp_path / "out", "--methods", "saliency,guided-backprop", "--seed", 5,
                 "--independent", "--random-logit", model=model)
    blocks = oracle.parameter_blocks(module)
    assert s["blocks"] == blocks[::-1], "re-drawn from the logits down"
    trained = {n: p.detach().clone() for n, p in module.named_parameters()}
    target = s["target"]["index"]
    assert target == int(module(x)[0].argmax())

    def signed_maps(cls):
        g = oracle.gradients(module, x, cls, THREADS)[0].double().numpy()
        gb, _ = oracle.guided_backprop(module, x, cls, THREADS)
        return {"saliency": oracle.largest_channel(g),
                "guided-backprop": oracle.largest_channel(np.asarray(gb, np.float64))}

    base = signed_maps(target)
    steps = {"cascading": [blocks[len(blocks) - 1 - j:] for j in range(len(blocks))],
             "independent": [[blocks[len(blocks) - 1 - j]] for j in range(len(blocks))]}
    for kind, sets in steps.items():
        for j, drawn in enumerate(sets):
            oracle.redraw(module, set(drawn), 5, trained)
            now = signed_maps(target)
            for method, m in now.items():
                got = s["methods"][method][kind][j]
                assert got["randomized"] == drawn[0]
                want = similarities(base[method], m, h, w)
                for k in METRICS:
                    assert got[k] == pytest.approx(want[k], abs=2e-3), (kind, j, method, k)
    oracle.redraw(module, set(), 5, trained)
    other = s["methods"]["saliency"]["random_logit"]["class"]
    assert other != target and 0 <= other < 10
    assert s["methods"]["guided-backprop"]["random_logit"]["class"] == other
    now = signed_maps(other)
    for method in now:
        want = similarities(base[method], now[method], h, w)
        for k in METRICS:
            assert s["methods"][method]["random_logit"][k] == pytest.approx(want[k], abs=2e-3)


def test_the_oracles_rank_correlation_is_scipys(tmp_path):
    """The numpy Spearman above is checked once against SciPy where the
    test environment has it (the 2.x venv)."""
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=500), rng.normal(size=500)
    b[:100] = a[:100]
    a[::7] = 0.25  # ties
    assert oracle.spearman(a, b) == pytest.approx(stats.spearmanr(a, b)[0], abs=1e-12)


def test_guided_backprop_ignores_the_top_layers_where_gradient_and_gradcam_do_not(tmp_path):
    """The paper's finding, on the shared MobileNetV2: with the logits and
    the top three blocks re-drawn, guided backpropagation's map is nearly
    unchanged while the gradient's and Grad-CAM's are not."""
    [s] = sanity(IMAGES / "cat.bmp", tmp_path)
    at = {m: v["cascading"][3] for m, v in s["methods"].items()}
    assert at["guided-backprop"]["randomized"] == "features.16"
    assert at["guided-backprop"]["spearman_abs"] > 0.95, at
    assert at["saliency"]["spearman_abs"] < 0.5, at
    assert abs(at["gradcam"]["spearman_abs"]) < 0.5, at
    # with every block re-drawn, none of them shows the trained model any more
    for m, v in s["methods"].items():
        assert v["cascading"][-1]["randomized"] == "features.0"
        assert v["cascading"][-1]["spearman_abs"] < 0.5, (m, v["cascading"][-1])


def test_max_similarity_fails_ci_for_the_method_that_stays_similar(tmp_path):
    args = ["--methods", "saliency,guided-backprop", "--max-similarity", 0.9]
    p = run("sanity", IMAGES / "cat.bmp", "--model", V2, "-o", tmp_path / "top",
            "--check-blocks", 4, *args)
    assert_one_line_error(p, 1, "sanity check failed: 1 map", "4 of 20 blocks re-drawn")
    lines = {line.split()[0]: line for line in p.stdout.splitlines() if line.startswith("  ")}
    assert "> --max-similarity after features.16" in lines["guided-backprop"]
    assert "--max-similarity" not in lines["saliency"]
    s = json.loads((tmp_path / "top" / "cat.sanity.json").read_text())
    assert s["check"]["above"] == ["guided-backprop"]
    assert s["check"]["after"] == "features.16" and s["check"]["metric"] == "spearman_abs"
    # judged with every block re-drawn, both pass
    p = run("sanity", IMAGES / "cat.bmp", "--model", V2, "-o", tmp_path / "all", *args)
    assert p.returncode == 0, p.stderr
    s = json.loads((tmp_path / "all" / "cat.sanity.json").read_text())
    assert s["check"]["above"] == [] and s["check"]["blocks"] == 20


def test_a_folder_gets_the_mean_and_sd_of_its_images_and_one_bad_image_fails_alone(
        tmp_path, test_models):
    model = test_models / "tiny.pt"
    folder = tmp_path / "photos"
    folder.mkdir()
    for photo in ("cat.bmp", "bird.bmp", "parrot.jpg"):
        shutil.copy(IMAGES / photo, folder / photo)
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff not a jpeg")
    p = run("sanity", folder, "--model", model, "-o", tmp_path / "out", "--methods",
            "saliency,gradcam", "--random-logit", "--batch-size", 2, "--json")
    assert p.returncode == 1 and "broken.jpg" in p.stderr
    images = [json.loads(line) for line in p.stdout.splitlines()]
    assert len(images) == 3
    summary = json.loads((tmp_path / "out" / "sanity-summary.json").read_text())
    assert summary["images"] == 3
    for method in ("saliency", "gradcam"):
        for j, step in enumerate(summary["methods"][method]["cascading"]):
            for k in METRICS:
                vals = [i["methods"][method]["cascading"][j][k] for i in images]
                vals = [v for v in vals if v is not None]
                assert step[f"{k}_mean"] == pytest.approx(np.mean(vals), abs=1e-5)
                assert step[f"{k}_sd"] == pytest.approx(np.std(vals, ddof=1), abs=1e-5)
        vals = [i["methods"][method]["random_logit"]["spearman_abs"] for i in images]
        assert summary["methods"][method]["random_logit"]["spearman_abs_mean"] == \
            pytest.approx(np.mean(vals), abs=1e-5)
    for f in ("sanity-summary.png", "cat.sanity.png", "cat.sanity.strip.png"):
        assert (tmp_path / "out" / f).stat().st_size > 1000


def test_results_do_not_depend_on_the_batch_or_the_images_before(tmp_path, test_models):
    """Weights are given back their trained values between batches: an
    image's numbers are the same alone, and after others in a folder."""
    model = test_models / "tiny.pt"
    folder = tmp_path / "photos"
    folder.mkdir()
    for photo in ("bird.bmp", "cat.bmp"):
        shutil.copy(IMAGES / photo, folder / photo)
    together = {r["image"].rsplit("/", 1)[1]: r for r in sanity(
        folder, tmp_path / "a", "--batch-size", 1, "--random-logit", model=model)}
    [alone] = sanity(folder / "cat.bmp", tmp_path / "b", "--random-logit", model=model)
    assert together["cat.bmp"]["methods"] == alone["methods"]
    [other_seed] = sanity(folder / "cat.bmp", tmp_path / "c", "--seed", 1, model=model)
    assert other_seed["methods"]["saliency"]["cascading"] != \
        alone["methods"]["saliency"]["cascading"]


def test_sanity_of_one_image_shows_its_steps_while_it_runs(tmp_path):
    # the trained maps, the random logit's, then 20 blocks re-drawn
    args = ["sanity", IMAGES / "cat.bmp", "--model", V2, "-o", tmp_path, "--threads", THREADS,
            "--methods", "saliency,gradcam", "--random-logit"]
    seen, _, rc = stderr_on_a_terminal(args, stdout_too=True)
    assert rc == 0 and b"/22" in seen and b"ETA" in seen and b"features." in seen, seen[-300:]
    # the line is wiped before the table, which starts a line of its own
    assert b"\r\x1b[K" + str(IMAGES / "cat.bmp").encode() + b": predicted 285" in seen, seen[-600:]
    seen, _, rc = stderr_on_a_terminal([*args, "--json"])
    assert rc == 0 and seen == b""


def test_a_model_without_parameters_is_refused_with_one_line(tmp_path, test_models):
    module = torch.jit.load(str(test_models / "tiny.pt"))
    frozen = torch.jit.freeze(module.eval())
    path = tmp_path / "frozen.pt"
    torch.jit.save(frozen, str(path))
    p = run("sanity", IMAGES / "cat.bmp", "--model", path, "-o", tmp_path / "out")
    assert_one_line_error(p, 3, "has no parameters to re-draw")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("args,say", [
    (["--methods", "saliency,nope"], "--methods: unknown method 'nope'"),
    (["--methods", "integrated-gradients:steps=0"], "--methods integrated-gradients:steps"),
    (["--max-similarity", "2"], "--max-similarity must be a number from -1 to 1"),
    (["--metric", "pearson"], "--metric must be one of"),
])
def test_bad_sanity_options_get_one_line_and_exit_2(args, say, tmp_path):
    p = run("sanity", IMAGES / "cat.bmp", "--model", V2, "-o", tmp_path / "out", *args)
    assert_one_line_error(p, 2, say)
    assert not (tmp_path / "out").exists()
