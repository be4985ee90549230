"""attrib predict: real models on real photos give the published answers."""
import pytest

from conftest import IMAGES, V1, V2, json_lines, ok, run

# EXPECTED.tsv was computed with PyTorch/PIL resampling; ours differs slightly.
PROB_TOLERANCE = 0.03


@pytest.mark.parametrize("key,model", [("v2", V2), ("v1", V1)])
def test_top1_of_every_shared_photo_matches_expected(key, model, expected):
    images = sorted(expected)
    p = ok("predict", *[IMAGES / i for i in images], "--model", model, "--json", "--top", "1")
    results = json_lines(p.stdout)
    assert len(results) == len(images)
    for image, r in zip(images, results):
        want_class, want_prob = expected[image][key]
        assert r["image"].endswith(image)
        top = r["top"][0]
        assert top["index"] == want_class, f"{image}: got {top['index']} {top['label']}"
        assert abs(top["probability"] - want_prob) <= PROB_TOLERANCE, \
            f"{image}: p={top['probability']} expected {want_prob}"


def test_text_output_lists_k_classes_with_labels():
    p = ok("predict", IMAGES / "bird.bmp", "--model", V2, "--top", "3")
    lines = p.stdout.splitlines()
    assert lines[0].endswith("bird.bmp")
    assert len(lines) == 4
    prob, index, label = lines[1].split(None, 2)
    assert index == "19" and label == "chickadee" and 0.9 < float(prob) <= 1


def test_probabilities_are_ranked_and_sum_below_one():
    r = json_lines(ok("predict", IMAGES / "cat.bmp", "--model", V2, "--json",
                      "--top", "10").stdout)[0]
    probs = [t["probability"] for t in r["top"]]
    assert probs == sorted(probs, reverse=True)
    assert 0.9 < sum(probs) <= 1.0 + 1e-6


def test_crop_resize_still_finds_the_bird():
    r = json_lines(ok("predict", IMAGES / "bird.bmp", "--model", V2, "--json",
                      "--resize", "crop").stdout)[0]
    assert r["top"][0]["index"] == 19


def test_a_bad_image_among_good_ones_is_reported_and_skipped(tmp_path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"not a jpeg at all")
    p = run("predict", IMAGES / "bird.bmp", bad, IMAGES / "parrot.jpg", "--model", V2, "--json")
    assert p.returncode == 1
    assert [r["top"][0]["index"] for r in json_lines(p.stdout)] == [19, 88]
    assert "broken.jpg" in p.stderr and len(p.stderr.strip().splitlines()) == 1


def test_default_model_comes_from_the_environment_variable():
    p = ok("predict", IMAGES / "bird.bmp", "--json", env={"ATTRIB_MODEL": str(V1)})
    assert json_lines(p.stdout)[0]["model"] == "mobilenet_v1_0.75_192"


def test_default_model_is_mobilenet_v2_beside_the_tool():
    p = ok("predict", IMAGES / "bird.bmp", "--json")
    assert json_lines(p.stdout)[0]["model"] == "mobilenet_v2_1.0_224"
