"""Bad input gets one clear line on stderr and a documented exit code:
never a crash, never libtorch's stack trace, never a half-written file.
Exit codes: 1 input image, 2 usage, 3 model, 4 output."""
import os
import signal
import struct
import subprocess
import zlib

import pytest

from conftest import BIN, IMAGES, V2, assert_one_line_error, ok, run

INPUT, USAGE, MODEL, OUTPUT = 1, 2, 3, 4


def png_header_only(width, height):
    """A PNG whose IHDR claims width x height, with no image data."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


@pytest.fixture
def out(tmp_path):
    d = tmp_path / "out"
    d.mkdir()
    return d


def assert_nothing_written(out):
    assert sorted(os.listdir(out)) == [], f"files left behind: {os.listdir(out)}"


def bad_image(tmp_path, kind):
    p = tmp_path / f"{kind}.img"
    if kind == "missing":
        return tmp_path / "no-such-photo.jpg"
    if kind == "directory":
        p.mkdir()
    elif kind == "empty":
        p.write_bytes(b"")
    elif kind == "text":
        p.write_text("just some text\n")
    elif kind == "truncated_jpeg":
        p.write_bytes((IMAGES / "hot_dog.jpg").read_bytes()[:40000])
    elif kind == "jpeg_cut_in_its_header":  # too short for stb_image to size it
        p.write_bytes((IMAGES / "hot_dog.jpg").read_bytes()[:100])
    elif kind == "truncated_bmp":
        p.write_bytes((IMAGES / "cat.bmp").read_bytes()[:20000])
    elif kind == "truncated_png":
        from PIL import Image
        Image.open(IMAGES / "bird.bmp").save(tmp_path / "full.png")
        p.write_bytes((tmp_path / "full.png").read_bytes()[:30000])
    elif kind == "huge_png":
        p.write_bytes(png_header_only(100000, 100000))
    elif kind == "huge_bmp":  # stb_image itself would accept this header
        header = bytearray((IMAGES / "squat.bmp").read_bytes()[:54])
        header[18:26] = struct.pack("<ii", 10000, 10000)
        p.write_bytes(bytes(header))
    return p


IMAGE_CASES = [
    ("missing", "No such file"),
    ("directory", "no images in directory"),
    ("empty", "not a readable image"),
    ("text", "not a readable image"),
    ("truncated_jpeg", "truncated"),
    ("jpeg_cut_in_its_header", "is a JPEG that cannot be read: cut short or corrupt"),
    ("truncated_bmp", "truncated BMP"),
    ("truncated_png", "could not be decoded"),
    ("huge_png", "megapixels"),
    ("huge_bmp", "megapixels"),
]


@pytest.mark.parametrize("kind,message", IMAGE_CASES)
def test_bad_image_is_refused_with_exit_1(kind, message, tmp_path, out):
    img = bad_image(tmp_path, kind)
    p = run("saliency", img, "--model", V2, "-o", out)
    assert_one_line_error(p, INPUT, message, str(img))
    assert_nothing_written(out)


@pytest.mark.parametrize("kind,message", IMAGE_CASES[:3])
def test_predict_refuses_bad_images_the_same_way(kind, message, tmp_path):
    img = bad_image(tmp_path, kind)
    assert_one_line_error(run("predict", img, "--model", V2), INPUT, message)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_image_is_refused(tmp_path, out):
    img = tmp_path / "secret.png"
    img.write_bytes((IMAGES / "cat.bmp").read_bytes())
    img.chmod(0)
    assert_one_line_error(run("saliency", img, "--model", V2, "-o", out), INPUT,
                          "Permission denied")


@pytest.mark.parametrize("args,message", [
    (["--class", "1000"], "out of range"),
    (["--class", "-1"], "--class"),
    (["--class", "abc"], "--class must be an integer from 0 to"),
    (["--class", "1e3"], "got '1e3'"),
    (["--class", ""], "got ''"),
    (["--class"], "needs a value"),
    (["--alpha", "2"], "--alpha"),
    (["--cmap", "rainbow"], "--cmap must be one of gray, jet, viridis, inferno, rdbu, auto; got 'rainbow'"),
    (["--threads", "0"], "--threads"),
    (["--resize", "squash"], "--resize must be one of stretch, crop"),
    (["--frobnicate"], "--frobnicate"),
    (["--raw", "x.npy", str(IMAGES / "bird.bmp")], "--raw takes one image"),
])
def test_bad_command_line_is_refused_with_exit_2(args, message, out):
    p = run("saliency", IMAGES / "cat.bmp", "--model", V2, "-o", out, *args)
    assert_one_line_error(p, USAGE, message)
    assert_nothing_written(out)


def test_no_image_is_a_usage_error():
    assert_one_line_error(run("saliency"), USAGE, "no image given")
    assert_one_line_error(run("predict"), USAGE, "no image given")


def test_unknown_command_is_a_usage_error():
    assert_one_line_error(run("salience", "x.jpg"), USAGE, "unknown command 'salience'")


MODEL_CASES = [
    ("missing", "cannot open"),
    ("bad_empty", "not a loadable model"),
    ("bad_text", "not a loadable model"),
    ("bad_truncated", "not a loadable model"),
    ("bad_not_torchscript", "not a loadable model"),
    ("bad_card", "model card"),
    ("bad_output_4d", "expected [N, classes]"),
    ("bad_output_tuple", "returned a Tuple"),
    ("bad_output_nan", "non-finite"),
    ("bad_one_channel", "to have 1 channels"),
]


@pytest.mark.parametrize("name,message", MODEL_CASES)
@pytest.mark.parametrize("command", ["saliency", "predict"])
def test_bad_model_is_refused_with_exit_3(command, name, message, test_models, out):
    model = test_models / f"{name}.pt"
    args = [command, IMAGES / "cat.bmp", "--model", model]
    if command == "saliency":
        args += ["-o", out]
    assert_one_line_error(run(*args), MODEL, message)
    assert_nothing_written(out)


def test_missing_default_model_says_how_to_get_one(tmp_path):
    p = run("predict", IMAGES / "cat.bmp", env={"ATTRIB_MODEL": str(tmp_path / "gone.pt")})
    assert_one_line_error(p, MODEL, "gone.pt")


def test_output_directory_that_cannot_be_created_is_exit_4(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where a directory should be")
    p = run("saliency", IMAGES / "cat.bmp", "--model", V2, "-o", blocker / "sub")
    assert_one_line_error(p, OUTPUT, "cannot create directory")


def test_raw_file_that_cannot_be_written_fails_before_the_method_runs(tmp_path, out):
    # its folder is made, as -o's is
    ok("saliency", IMAGES / "cat.bmp", "--model", V2, "-o", out, "-q",
       "--raw", tmp_path / "new" / "m.npy")
    assert (tmp_path / "new" / "m.npy").is_file()
    # a file in the way: one line, exit 4, and no picture of a run that
    # could not finish (RISE's 4000 passes are not spent first)
    blocker = tmp_path / "file"
    blocker.write_text("a file where a directory should be")
    fresh = tmp_path / "fresh"
    p = run("rise", IMAGES / "cat.bmp", "--model", V2, "-o", fresh, "--raw", blocker / "m.npy")
    assert_one_line_error(p, OUTPUT, "cannot write", "m.npy", "not a directory")
    assert not fresh.exists() or not os.listdir(fresh)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("args", [["predict", "--json"], ["saliency", "--json"], ["predict"]])
def test_stdout_on_a_full_disk_fails_loudly(args, out):
    with open("/dev/full", "w") as full:
        extra = ["-o", out] if args[0] == "saliency" else []
        p = run(args[0], IMAGES / "bird.bmp", "--model", V2, *extra, *args[1:], stdout=full)
    assert_one_line_error(p, OUTPUT, "standard output")


def test_version_on_a_full_disk_fails_loudly():
    with open("/dev/full", "w") as full:
        p = run("--version", stdout=full)
    assert p.returncode == OUTPUT


@pytest.mark.parametrize("args", [["predict"], ["saliency", "--json"], ["help", "--json"]])
def test_a_reader_that_went_away_ends_the_run_quietly_like_git(args, out):
    # `attrib ... | head -1`: the reader's choice, not attrib's failure, so
    # no error and no exit 4 but death by SIGPIPE, as git and coreutils do
    # (a shell sees 141); files already written stay whole.
    r, w = os.pipe()
    os.close(r)
    extra = ["-o", out] if args[0] == "saliency" else []
    images = [IMAGES / "bird.bmp", IMAGES / "cat.bmp"] if args[0] != "help" else []
    try:
        p = run(args[0], *images, *extra, *args[1:], stdout=w,
                env={"ATTRIB_MODEL": str(V2)})
    finally:
        os.close(w)
    assert p.returncode == -signal.SIGPIPE, (p.returncode, p.stderr)
    assert p.stderr == ""
    if out.exists():
        assert not any(".tmp-" in f for f in os.listdir(out))


def test_help_read_in_part_by_head_exits_quietly():
    # 'attrib help --json | head -c 100': more than a pipe holds (226 KB)
    with subprocess.Popen([BIN, "help", "--json"], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE) as p:
        assert p.stdout.read(100)
        p.stdout.close()
        err = p.stderr.read()
        p.wait()
    assert p.returncode in (0, -signal.SIGPIPE) and err == b""


METHODS = ["saliency", "gradcam", "guided-backprop", "guided-gradcam", "deconvnet",
           "integrated-gradients", "smoothgrad", "input-x-gradient", "occlusion"]
if os.environ.get("ATTRIB_SANITIZED") == "1":  # one driver (explain.c) for all: a third of them
    METHODS = METHODS[::3]


@pytest.mark.parametrize("method", METHODS)
def test_every_method_refuses_bad_images_classes_and_models_alike(method, tmp_path, out,
                                                                   test_models):
    img = bad_image(tmp_path, "truncated_jpeg")
    assert_one_line_error(run(method, img, "--model", V2, "-o", out), INPUT, "truncated")
    assert_one_line_error(run(method, IMAGES / "cat.bmp", "--model", V2, "-o", out,
                              "--class", "1000"), USAGE, "out of range")
    assert_one_line_error(run(method, IMAGES / "cat.bmp", "--model",
                              test_models / "bad_output_tuple.pt", "-o", out), MODEL, "Tuple")
    assert_one_line_error(run(method, IMAGES / "cat.bmp", "--model",
                              test_models / "bad_truncated.pt", "-o", out), MODEL,
                          "not a loadable")
    assert_nothing_written(out)


@pytest.mark.parametrize("args,fragment", [
    (["integrated-gradients", "--steps", "0"], "--steps"),
    (["integrated-gradients", "--method", "simpson"], "--method must be one of gauss-legendre, riemann; got 'simpson'"),
    (["integrated-gradients", "--max-error", "0"], "--max-error"),
    (["integrated-gradients", "--baseline", ""], "--baseline"),
    (["integrated-gradients", "--internal-batch", "0"], "--internal-batch"),
    (["smoothgrad", "--samples", "0"], "--samples"),
    (["smoothgrad", "--noise", "-1"], "--noise"),
    (["smoothgrad", "--variant", "median"], "got 'median'"),
    (["smoothgrad", "--baseline", "black"], "--baseline"),
    (["smoothgrad", "--seed", "-3"], "--seed"),
    (["occlusion", "--window", "500"], "larger than the model's input"),
    (["occlusion", "--stride", "0"], "--stride"),
    (["occlusion", "--layer", "features.18"], "--layer is not an option of occlusion"),
    (["gradcam", "--variant", "gradcam2"],
     "--variant must be one of gradcam, gradcam++, scorecam, eigencam, hirescam, layercam, "
     "xgradcam, eigengradcam, ablationcam, fem, kpcacam; got 'gradcam2'"),
    (["gradcam", "--variant", "scorecam", "--internal-batch", "999"], "--internal-batch"),
    (["gradient-shap", "--baselines", "black,white"],
     "--baselines must be one of black, zeros, blur, noise; got 'white'"),
    (["gradient-shap", "--samples", "0"], "--samples"),
    (["gradient-shap", "--stdev", "-1"], "--stdev"),
    (["gradient-shap", "--baselines", "black,black,black,black,black,black,black,black,black"],
     "at most 8 baselines"),
])
def test_method_options_out_of_range_are_usage_errors(args, fragment, tmp_path, out):
    p = run(args[0], IMAGES / "cat.bmp", "--model", V2, "-o", out, *args[1:])
    assert_one_line_error(p, USAGE, fragment)
    assert_nothing_written(out)


@pytest.mark.parametrize("method", ["integrated-gradients", "occlusion"])
def test_an_unreadable_baseline_image_is_named_and_nothing_is_written(method, tmp_path, out):
    p = run(method, IMAGES / "cat.bmp", "--model", V2, "-o", out, "--baseline",
            tmp_path / "missing.png")
    assert_one_line_error(p, INPUT, "--baseline", "missing.png")
    assert_nothing_written(out)
