"""--cache DIR: a run that asks for what an earlier run computed (same
model, method, options, image bytes and versions) copies the outputs from
the cache instead of computing them, and gets the files a fresh run writes;
anything that changes the results misses; a damaged entry, a cache that
cannot be written and one that cannot be made never fail the run."""
import json
import os
import shutil
import subprocess

import pytest

from conftest import IMAGES, V2, json_lines, ok, run

PHOTOS = ["cat.bmp", "hot_dog.jpg", "bird.bmp"]


@pytest.fixture
def tiny(test_models):
    return test_models / "tiny.pt"


def saliency(inputs, out, cache, *extra, model):
    return run("saliency", inputs, "--model", model, "-o", out, "--cache", cache, *extra)


def totals(out):
    return json.loads((out / "summary.json").read_text())["totals"]


def pictures(out):
    """Every file but the summaries, by name, as bytes."""
    return {p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and not p.name.endswith(".json")}


def summary(out, name):
    j = json.loads((out / f"{name}.saliency.json").read_text())
    j.pop("timings_ms")
    j.pop("cache")
    j["image"].pop("path")
    j["outputs"] = {k: os.path.relpath(v, out) for k, v in j["outputs"].items()}
    return j


def test_a_second_run_copies_every_map_from_the_cache_and_writes_the_same_files(photos, tmp_path):
    cache = tmp_path / "cache"
    first = saliency(photos, tmp_path / "first", cache, "--save-raw", model=V2)
    assert first.returncode == 0, first.stderr
    assert totals(tmp_path / "first")["cache"] == {"hits": 0, "misses": 3}
    second = saliency(photos, tmp_path / "second", cache, "--save-raw", "--threads", "1",
                      model=V2)
    assert second.returncode == 0, second.stderr
    assert totals(tmp_path / "second")["cache"] == {"hits": 3, "misses": 0}
    assert "3 from the cache" in second.stderr and "0 explained" in second.stderr
    assert pictures(tmp_path / "first") == pictures(tmp_path / "second")
    for name in ("cat", "hot_dog", "bird"):
        assert summary(tmp_path / "first", name) == summary(tmp_path / "second", name)
        hit = json.loads((tmp_path / "second" / f"{name}.saliency.json").read_text())
        assert hit["cache"] == "hit" and hit["outputs"]["overlay"].startswith(str(tmp_path / "second"))
    # what a person reads is the fresh run's, but for where the files went
    assert second.stdout.replace(str(tmp_path / "second"), "OUT") == \
        first.stdout.replace(str(tmp_path / "first"), "OUT")


def test_a_hit_prints_the_same_json_line_as_the_run_that_computed_it(photos, tmp_path, tiny):
    cache = tmp_path / "cache"
    a = json_lines(ok("saliency", photos / "cat.bmp", "--model", tiny, "-o", tmp_path / "a",
                      "--cache", cache, "--json").stdout)
    b = json_lines(ok("saliency", photos / "cat.bmp", "--model", tiny, "-o", tmp_path / "a",
                      "--cache", cache, "--json").stdout)
    assert (a[0]["cache"], b[0]["cache"]) == ("miss", "hit")
    for j in (a[0], b[0]):
        j.pop("cache")
    assert a == b


@pytest.mark.parametrize("change", ["another model", "another option", "another method",
                                    "another class"])
def test_what_changes_the_results_misses_the_cache(photos, tmp_path, change, tiny):
    cache = tmp_path / "cache"
    assert saliency(photos, tmp_path / "first", cache, model=tiny).returncode == 0
    out = tmp_path / "again"
    if change == "another model":
        p = saliency(photos, out, cache, model=tiny.with_name("tiny_traced.pt"))
    elif change == "another option":
        p = saliency(photos, out, cache, "--clip", "2", model=tiny)
    elif change == "another method":
        p = run("input-x-gradient", photos, "--model", tiny, "-o", out, "--cache", cache)
    else:
        p = saliency(photos, out, cache, "--class", "1", model=tiny)
    assert p.returncode == 0, p.stderr
    assert totals(out)["cache"] == {"hits": 0, "misses": 3}


def test_changed_image_bytes_miss_and_the_others_hit(photos, tmp_path, tiny):
    cache = tmp_path / "cache"
    assert saliency(photos, tmp_path / "first", cache, model=tiny).returncode == 0
    shutil.copy(IMAGES / "dragonfly.bmp", photos / "bird.bmp")  # same name, other picture
    p = saliency(photos, tmp_path / "again", cache, model=tiny)
    assert p.returncode == 0, p.stderr
    assert totals(tmp_path / "again")["cache"] == {"hits": 2, "misses": 1}
    # the changed picture computed alone, as it was in the run that missed
    fresh = saliency(photos / "bird.bmp", tmp_path / "fresh", tmp_path / "other-cache", model=tiny)
    assert fresh.returncode == 0
    again, first = pictures(tmp_path / "again"), pictures(tmp_path / "first")
    for name, data in again.items():
        if name.name.startswith("bird."):
            assert data == (tmp_path / "fresh" / name).read_bytes()
        elif name.suffix == ".png":
            assert data == first[name]


def test_a_damaged_entry_is_recomputed_with_one_warning_and_replaced(photos, tmp_path, tiny):
    cache = tmp_path / "cache"
    one = ("--batch-size", "1")  # each image alone: recomputed maps are the first run's
    assert saliency(photos, tmp_path / "first", cache, *one, model=tiny).returncode == 0
    entries = sorted(p for p in cache.rglob("*") if p.is_file())
    assert len(entries) == 3
    flipped = bytearray(entries[0].read_bytes())
    flipped[len(flipped) // 2] ^= 0x40
    entries[0].write_bytes(bytes(flipped))
    entries[1].write_bytes(entries[1].read_bytes()[:1000])  # cut short
    p = saliency(photos, tmp_path / "second", cache, *one, model=tiny)
    assert p.returncode == 0, p.stderr
    warnings = [l for l in p.stderr.splitlines() if "warning" in l]
    assert len(warnings) == 2, p.stderr
    assert all("recomputed" in w and "entry" in w for w in warnings)
    assert totals(tmp_path / "second")["cache"] == {"hits": 1, "misses": 2}
    assert pictures(tmp_path / "second") == pictures(tmp_path / "first")
    third = saliency(photos, tmp_path / "third", cache, model=tiny)
    assert "warning" not in third.stderr
    assert totals(tmp_path / "third")["cache"] == {"hits": 3, "misses": 0}


def test_a_cache_that_cannot_be_made_is_one_warning_and_the_run_goes_on(photos, tmp_path, tiny):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    p = saliency(photos, tmp_path / "out", blocker / "cache", model=tiny)
    assert p.returncode == 0, p.stderr
    warnings = [l for l in p.stderr.splitlines() if "warning" in l]
    assert len(warnings) == 1 and "cannot be used" in warnings[0], p.stderr
    assert len(list((tmp_path / "out").glob("*.saliency.png"))) == 3
    assert "cache" not in totals(tmp_path / "out")


def read_only(path):
    """Makes path read-only for this process (a read-only bind mount when
    root, whom permissions do not stop); False when it cannot."""
    if os.geteuid() != 0:
        for p in [path, *path.rglob("*")]:
            if p.is_dir():
                p.chmod(0o555)
        return True
    if subprocess.run(["mount", "--bind", path, path], capture_output=True).returncode:
        return False
    if subprocess.run(["mount", "-o", "remount,ro,bind", path], capture_output=True).returncode:
        subprocess.run(["umount", path], check=True)
        return False
    return True


def test_a_read_only_cache_is_used_and_what_it_lacks_is_computed_with_one_warning(photos, tmp_path,
                                                                                 tiny):
    cache = tmp_path / "cache"
    assert saliency(photos, tmp_path / "first", cache, model=tiny).returncode == 0
    if not read_only(cache):
        pytest.skip("cannot make a read-only directory here (root without mount)")
    try:
        hits = saliency(photos, tmp_path / "hits", cache, model=tiny)
        assert hits.returncode == 0 and totals(tmp_path / "hits")["cache"]["hits"] == 3
        misses = saliency(photos, tmp_path / "misses", cache, "--clip", "3", model=tiny)
        assert misses.returncode == 0, misses.stderr
        warnings = [l for l in misses.stderr.splitlines() if "warning" in l]
        assert len(warnings) == 1 and "not" in warnings[0], misses.stderr
        assert totals(tmp_path / "misses")["cache"] == {"hits": 0, "misses": 3}
        assert len(list((tmp_path / "misses").glob("*.saliency.png"))) == 3
    finally:
        if os.geteuid() == 0:
            subprocess.run(["umount", cache], check=True)
        else:
            for p in [cache, *cache.rglob("*")]:
                if p.is_dir():
                    p.chmod(0o755)


def test_scale_batch_hits_only_while_the_runs_range_is_the_same(photos, tmp_path, tiny):
    cache, args = tmp_path / "cache", ("--scale", "batch", "--clip", "0")
    first = saliency(photos, tmp_path / "first", cache, *args, model=tiny)
    assert first.returncode == 0, first.stderr
    again = saliency(photos, tmp_path / "again", cache, *args, model=tiny)
    assert totals(tmp_path / "again")["cache"] == {"hits": 3, "misses": 0}
    assert pictures(tmp_path / "again") == pictures(tmp_path / "first")
    # without the image whose map holds the run's maximum, the range moves
    maps = {p.name: json.loads((tmp_path / "first" / (p.stem + ".saliency.json")).read_text())["map"]
            for p in photos.iterdir()}
    (photos / max(maps, key=lambda n: maps[n]["max"])).unlink()
    fewer = saliency(photos, tmp_path / "fewer", cache, *args, model=tiny)
    assert fewer.returncode == 0, fewer.stderr
    assert totals(tmp_path / "fewer")["cache"] == {"hits": 0, "misses": 2}


def test_an_entry_that_names_a_file_outside_the_output_directory_is_not_followed(photos, tmp_path,
                                                                                 tiny):
    """A cache restored from somewhere else (a CI cache a fork could write)
    decides nothing about where files go: only suffixes beside the image's
    name are taken, whatever the checksum says."""
    import hashlib
    cache = tmp_path / "cache"
    assert saliency(photos / "cat.bmp", tmp_path / "first", cache, model=tiny).returncode == 0
    entry = next(p for p in cache.rglob("*") if p.is_file())
    data = entry.read_bytes()
    magic, rest = data.split(b"\n", 1)
    line, blobs = rest.split(b"\n", 1)
    meta = json.loads(line)
    meta["files"][0]["suffix"] = "/../../escaped.png"
    body = magic + b"\n" + json.dumps(meta).encode() + b"\n" + blobs[:-65]
    entry.write_bytes(body + hashlib.sha256(body).hexdigest().encode() + b"\n")
    out = tmp_path / "deep" / "er" / "out"
    p = saliency(photos / "cat.bmp", out, cache, model=tiny)
    assert p.returncode == 0, p.stderr
    assert "outside the output directory" in p.stderr and "recomputed" in p.stderr
    assert not list(tmp_path.rglob("escaped.png"))
    assert (out / "cat.saliency.png").is_file()


def test_a_batch_redone_after_running_out_of_memory_copies_its_hits_once(photos, tmp_path, tiny):
    """ATTRIB_TEST_NOMEM_ABOVE=N fails every pass over more than N inputs as
    out of memory (a GPU's, simulated): the batch is redone in halves, and
    the images the cache served the first time are not served again."""
    cache = tmp_path / "cache"
    shutil.copy(IMAGES / "dragonfly.bmp", photos / "dragonfly.bmp")
    shutil.copy(IMAGES / "squat.bmp", photos / "squat.bmp")
    assert saliency(photos / "cat.bmp", tmp_path / "one", cache, model=tiny).returncode == 0
    p = run("saliency", photos, "--model", tiny, "-o", tmp_path / "out", "--cache", cache,
            "--batch-size", "8", env={"ATTRIB_TEST_NOMEM_ABOVE": "2"})
    assert p.returncode == 0, p.stderr
    assert "going on with mini-batches" in p.stderr
    t = totals(tmp_path / "out")
    assert (t["images"], t["ok"], t["cache"]) == (5, 5, {"hits": 1, "misses": 4})
