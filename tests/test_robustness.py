"""Hostile input and failure: decompression bombs, paths that would leave
the output directory, symlink loops, a full disk, regression inputs from
fuzzing."""
import os
import pathlib
import struct
import subprocess
import zlib

import pytest

from conftest import BIN, IMAGES, V2, assert_one_line_error, ok, run

HERE = pathlib.Path(__file__).resolve().parent
INPUT, OUTPUT = 1, 4


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def test_png_bomb_is_refused_before_allocating(tmp_path):
    """6000x6000 RGB (under the pixel limit) in 69 bytes."""
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(b"\x89PNG\r\n\x1a\n" +
                     chunk(b"IHDR", struct.pack(">IIBBBBB", 6000, 6000, 8, 2, 0, 0, 0)) +
                     chunk(b"IDAT", zlib.compress(b"\0" * 100)) + chunk(b"IEND", b""))
    p = subprocess.run(["/usr/bin/time", "-f", "%M", BIN, "predict", str(bomb), "--model",
                        str(V2)], capture_output=True, text=True, timeout=120)
    assert p.returncode == INPUT and "decompression bomb" in p.stderr
    peak_kb = int(p.stderr.strip().splitlines()[-1])
    if not os.environ.get("ATTRIB_SANITIZED"):  # ASan's shadow memory inflates RSS
        assert peak_kb < 400_000  # libtorch alone is ~260 MB; 36 Mpx of floats: 430 MB more


def test_regression_inputs_from_fuzzing_get_clean_errors(tmp_path):
    found = sorted((HERE / "fuzz" / "crashes" / "image").glob("*"))
    for f in found:
        p = run("predict", f, "--model", V2)
        assert p.returncode in (0, INPUT), (f.name, p.stderr)
        if p.returncode:
            assert_one_line_error(p, INPUT)


def test_output_names_cannot_leave_the_output_directory(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for name in ["..jpg", "...bmp", "-rf.jpg"]:
        (src / name).write_bytes((IMAGES / "bird.bmp").read_bytes())
    listing = tmp_path / "list.txt"
    listing.write_text(f"{src / '..jpg'}\n/{src / '...bmp'}\n")
    out = tmp_path / "out"
    ok("saliency", src, "--model", V2, "-o", out, "-q")
    with open(listing) as stdin:
        p = subprocess.run([BIN, "saliency", "-", "--model", str(V2), "-o", str(out / "s"), "-q"],
                           stdin=stdin, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p.suffix in (".png", ".json")]
    assert written and all(out in w.parents for w in written), written


def test_symlinked_subfolder_in_the_output_tree_is_refused(tmp_path):
    src = tmp_path / "in" / "sub"
    src.mkdir(parents=True)
    (src / "x.bmp").write_bytes((IMAGES / "bird.bmp").read_bytes())
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / "sub").symlink_to(elsewhere)
    p = run("saliency", tmp_path / "in", "-r", "--model", V2, "-o", out, "-q")
    assert p.returncode == OUTPUT and "symbolic link" in p.stderr
    assert list(elsewhere.iterdir()) == []


def test_symlink_loop_in_the_input_tree_is_not_followed(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "x.bmp").write_bytes((IMAGES / "bird.bmp").read_bytes())
    (src / "loop").symlink_to(src)
    p = run("predict", src, "-r", "--model", V2, "--json")
    assert p.returncode == 0 and len(p.stdout.splitlines()) == 1


def test_full_disk_gives_a_clear_error_and_no_partial_file(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    # A 64 KiB file-size limit: the JSON fits, the PNGs do not.
    p = subprocess.run(["bash", "-c", f'ulimit -f 64; exec "{BIN}" saliency "{IMAGES / "cat.bmp"}" '
                        f'--model "{V2}" -o "{out}"'], capture_output=True, text=True, timeout=120)
    assert_one_line_error(p, OUTPUT, "File too large")
    assert [f for f in os.listdir(out) if ".tmp-" in f or f.endswith(".png")] == []


def test_flat_map_is_written_with_a_warning(test_models, tmp_path):
    p = run("saliency", IMAGES / "cat.bmp", "--model", test_models / "flat.pt", "-o", tmp_path,
            "--json")
    assert p.returncode == 0
    assert len(p.stderr.strip().splitlines()) == 1 and "warning" in p.stderr and "flat" in p.stderr
    import json
    assert "flat" in json.loads(p.stdout)["warnings"][0]


def test_nan_gradient_is_reported_not_drawn(test_models, tmp_path):
    p = run("saliency", IMAGES / "cat.bmp", "--model", test_models / "nan_gradient.pt", "-o",
            tmp_path)
    assert_one_line_error(p, 3, "NaN")
    assert [f for f in os.listdir(tmp_path) if f.endswith(".png")] == []
