"""scripts/doc-examples.py, which keeps the manual's examples true: it must
notice an example whose output changed, refuse one that says neither how to
run it nor why not, and write what a command prints with --update."""
import os
import pathlib
import subprocess
import sys

from conftest import BIN

SCRIPT = pathlib.Path(__file__).resolve().parent.parent / "scripts" / "doc-examples.py"


def examples(page, *args):
    env = dict(os.environ, ATTRIB_BUILD_DIR=str(pathlib.Path(BIN).parent))
    return subprocess.run([sys.executable, SCRIPT, *args, page], capture_output=True, text=True,
                          env=env, timeout=120)


def page_with(tmp_path, marker, output):
    page = tmp_path / "page.md"
    page.write_text(f"Text.\n\n{marker}\n```\n$ attrib --version | head -1 | cut -d' ' -f1\n{output}```\n")
    return page


def test_an_example_that_prints_what_the_page_says_passes(tmp_path):
    p = examples(page_with(tmp_path, "<!-- example -->", "attrib\n"))
    assert p.returncode == 0 and "1 examples as printed" in p.stdout, p.stdout + p.stderr


def test_an_example_whose_output_changed_fails_with_the_difference(tmp_path):
    p = examples(page_with(tmp_path, "<!-- example -->", "attrib 0.0 (libtorch none)\n"))
    assert p.returncode == 1, p.stdout + p.stderr
    assert "-attrib 0.0 (libtorch none)" in p.stdout and "+attrib" in p.stdout
    assert "--update" in p.stdout


def test_update_writes_what_the_command_prints(tmp_path):
    page = page_with(tmp_path, "<!-- example -->", "stale\n")
    assert examples(page, "--update").returncode == 0
    assert "$ attrib --version | head -1 | cut -d' ' -f1\nattrib\n```" in page.read_text()
    assert examples(page).returncode == 0


def test_numbers_may_move_within_the_tolerance_but_not_beyond(tmp_path):
    marker = "<!-- example -->"
    page = tmp_path / "page.md"
    for printed, code in (("0.7830", 0), ("0.7832", 0), ("0.7880", 0), ("0.8000", 1)):
        page.write_text(f"{marker}\n```\n$ echo 'p=0.7830'\np={printed}\n```\n")
        assert examples(page).returncode == code, printed
    # below 1e-5 on both sides a number is a rounding residue; above, it counts
    for said, printed, code in (("3.1e-08", "2.9e-07", 0), ("1.2e-05", "3.5e-05", 1)):
        page.write_text(f"{marker}\n```\n$ echo 'min {said}'\nmin {printed}\n```\n")
        assert examples(page).returncode == code, printed


def test_a_volatile_example_checks_its_words_not_its_numbers_or_names(tmp_path):
    page = tmp_path / "page.md"
    line = 'top-1 361 \\"skunk\\" after 200 steps'
    for printed, code in (('top-1 805 "soccer ball" after 7 steps', 0),
                          ('top-1 805 "soccer ball" before 7 steps', 1)):
        page.write_text(f"<!-- example volatile -->\n```\n$ echo \"{line}\"\n{printed}\n```\n")
        assert examples(page).returncode == code, printed


def test_an_unmarked_example_is_refused_and_an_illustration_is_not_run(tmp_path):
    page = page_with(tmp_path, "", "anything\n")
    p = examples(page)
    assert p.returncode == 2 and "<!-- example -->" in p.stderr, p.stderr
    page = page_with(tmp_path, "<!-- illustration: the reader's own files -->", "anything\n")
    p = examples(page)
    assert p.returncode == 0 and "0 examples as printed, 1 illustrations" in p.stdout
