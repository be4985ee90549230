"""Every option of every command, checked from attrib's own option tables
(`attrib help --json`): bad values are refused with exit 2 and one line that
names the option, --help lists exactly the options the tables hold, and each
listed option is accepted. Then the messages a user sees for the common
mistakes, the completion scripts and the manual page made from the tables."""
import json
import os
import pathlib
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import BIN, IMAGES, LEAKS, V2, assert_one_line_error, ok, run

USAGE = 2
# The quick tier, and the sanitizer build (which loads libtorch at exec, so
# every process costs most of a second): a sample of the generated cases.
# The parser's own memory safety is the unit tests' (instrumented there too).
SANITIZED = os.environ.get("ATTRIB_SANITIZED") == "1"
QUICK = os.environ.get("ATTRIB_QUICK") == "1" or SANITIZED


def tables():
    return json.loads(ok("help", "--json").stdout)


TABLES = tables()
COMMANDS = {c["name"]: c for c in TABLES["commands"]}


def test_the_tables_hold_the_options_users_know():
    """A guard against an empty or truncated dump: known options are there."""
    opts = {name: {o["name"]: o for o in c["options"]} for name, c in COMMANDS.items()}
    assert opts["saliency"]["class"]["letter"] == "c"
    assert opts["integrated-gradients"]["steps"]["min"] == 1
    assert opts["gradcam"]["variant"]["words"] == ["gradcam", "gradcam++", "scorecam", "eigencam",
                                                     "hirescam", "layercam", "xgradcam",
                                                     "eigengradcam", "ablationcam", "fem",
                                                     "kpcacam"]
    assert "layer" in opts["guided-gradcam"] and "layer" not in opts["occlusion"]
    assert opts["compare"]["min-pearson"]["kind"] == "real"
    assert opts["fool"]["class-file"]["kind"] == "path"
    for method in ("saliency", "occlusion", "smoothgrad"):
        assert {"model", "threads", "resize", "output", "batch-size", "shard"} <= set(opts[method])
    assert len(COMMANDS) >= 19


def _number(v):
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else repr(v)


def bad_values(o):
    """(value, what the message must say) for values the option must refuse."""
    kind = o["kind"]
    if kind == "int":
        return [(str(int(o["min"]) - 1), "must be an integer"),
                (str(int(o["max"]) + 1), "must be an integer"),
                ("abc", "must be an integer"), ("1.5", "must be an integer")]
    if kind == "real":
        span = max(1.0, (o["max"] - o["min"]) * 0.5)
        return [(_number(o["min"] - span), "must be a number"),
                (_number(o["max"] + span), "must be a number"),
                ("abc", "must be a number"), ("nan", "must be a number")]
    if kind == "enum":
        return [("no-such-word", "must be one of")]
    if kind == "custom" and o["name"] == "shard":
        return [("0/2", "--shard"), ("3/2", "--shard"), ("x", "--shard")]
    if kind == "custom" and o["name"] == "device":
        return [("", "--device must be"), ("gpu", "--device must be"),
                ("cuda:-1", "--device cuda:N")]
    if kind == "custom" and o["name"] == "scale":
        return [("5:1", "VMIN must be below VMAX"), ("wide", "--scale must be"),
                ("0:x", "--scale VMAX must be a number")]
    if kind == "custom" and o["name"] == "neuron":
        return [("", "needs a value"), ("3", "--neuron must be X,Y"), ("1,x", "must be X,Y"),
                ("-1,2", "must be X,Y")]
    if kind == "custom" and o["name"] == "workers":
        return [("", "needs a value"), ("9", "--workers must be auto or a count from 0 to 8"),
                ("-1", "--workers must be auto"), ("two", "--workers must be auto")]
    if kind == "custom" and o["name"] == "target":  # the attribution commands' --target SPEC
        return [("", "needs a value"), ("ball:1,2,3,4", "--target must be class:N"),
                ("box:1,2,3", "a box is X,Y,W,H"),
                ("segment:x", "the class must be a number"), ("class:-3", "must be a number"),
                ("segment:1@", "no mask file")]
    if kind == "custom" and o["name"] in ("eps", "step"):  # fool's budgets
        return [("", "needs a value"), ("0", "must be more than 0"),
                ("4/0", "a fraction such as 4/255"), ("x", "must be a number or a fraction")]
    return [("", "needs a value")]


def cases():
    out = []
    for name, c in COMMANDS.items():
        for o in c["options"]:
            if o["takes_value"]:
                for value, say in bad_values(o):
                    out.append((name, [f"--{o['name']}", value], o["name"], say))
                out.append((name, [f"--{o['name']}"], o["name"], "needs a value"))
            else:
                out.append((name, [f"--{o['name']}=1"], o["name"], "takes no value"))
    return out


CASES = cases()
if SANITIZED:  # one in 20, every kind of option and mistake among them
    CASES = CASES[::20]
elif QUICK:  # the edit-test loop: every option of two commands, one of each kind elsewhere
    CASES = [c for c in CASES if c[0] in ("integrated-gradients", "fool")] + CASES[::23]


def _run_case(case, cwd):
    name, args, _, _ = case
    return subprocess.run([BIN, name, *args], cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
                          timeout=60)


def test_no_two_options_of_a_command_share_a_name_or_letter():
    """A second row with a name would be unreachable (the parser takes the
    first): a method's own option must not shadow a shared one."""
    for name, c in COMMANDS.items():
        names = [o["name"] for o in c["options"]]
        letters = [o["letter"] for o in c["options"] if o.get("letter")]
        assert len(names) == len(set(names)), (name, sorted(n for n in names if names.count(n) > 1))
        assert len(letters) == len(set(letters)), (name, letters)


def test_every_bad_option_value_is_refused_with_exit_2_and_one_line_naming_it(tmp_path):
    """Generated from the tables, so no option can be missed: below range,
    above range, wrong type, missing value, a value for a flag."""
    assert len(CASES) > (30 if SANITIZED else 80 if QUICK else 600)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        results = list(pool.map(lambda c: (c, _run_case(c, tmp_path)), CASES))
    wrong = []
    for (name, args, opt, say), p in results:
        lines = p.stderr.strip().splitlines()
        if (p.returncode != USAGE or len(lines) != 1 or f"--{opt}" not in lines[0]
                or say not in lines[0] or any(leak in p.stderr for leak in LEAKS)):
            wrong.append(f"attrib {name} {' '.join(args)!r}: exit {p.returncode}, {p.stderr!r}")
    assert not wrong, f"{len(wrong)} of {len(CASES)} cases:\n" + "\n".join(wrong[:20])
    assert not list(tmp_path.iterdir()), "a refused command line wrote files"


def help_options(text):
    """The long options an --help text lists (at the start of its lines)."""
    return set(re.findall(r"^  (?:-\w, )?--([a-z0-9-]+)", text, re.M))


# Under the sanitizers every attrib process loads libtorch at exec (see
# CMakeLists.txt: LeakSanitizer and a dlopen'ed OpenMP), ~1 s each: every
# fifth command there - the help generator is one function of the rows.
@pytest.mark.parametrize("name", sorted(COMMANDS)[::5] if SANITIZED else sorted(COMMANDS))
def test_help_lists_exactly_the_options_of_the_tables(name):
    p = ok(name, "--help")
    listed = help_options(p.stdout)
    tabled = {o["name"] for o in COMMANDS[name]["options"]} | {"help"}
    assert listed == tabled
    assert p.stdout.startswith("usage: attrib ")
    assert "Exit status:" in p.stdout
    assert ok("help", name).stdout == p.stdout  # 'attrib help NAME' is the same text
    assert ok(name, "-h").stdout == p.stdout


def good_value(o, tmp):
    kind = o["kind"]
    if kind in ("int", "real"):
        return _number(o["min"])
    if kind == "enum":
        return o["words"][-1]
    if kind == "list" and o.get("words"):
        return ",".join(o["words"][-2:])
    if o["name"] == "shard":
        return "1/2"
    if o["name"] == "device":
        return "cpu"
    if o["name"] == "baseline":
        return "blur"
    if o["name"] == "scale":
        return "-0.5:0.5"
    if o["name"] in ("eps", "step"):
        return "4/255"
    if o["name"] == "neuron":
        return "3,4"
    if o["name"] == "workers":
        return "2"
    if o["name"] == "target" and o["kind"] == "custom":
        return "segment:1"
    if o["name"] == "methods":
        return "saliency,integrated-gradients:steps=2"
    if o["name"] == "models":
        return f"{tmp / 'old.pt'},{tmp / 'new.pt'}"
    if o["name"] == "method":
        return "integrated-gradients:steps=2"
    return str(tmp / "x")


@pytest.mark.parametrize("name", ["integrated-gradients"] if SANITIZED else
                         ["integrated-gradients", "fool", "eval"] if QUICK else sorted(COMMANDS))
def test_every_option_help_shows_is_accepted(name, tmp_path):
    """Each option with a valid value, then --help: parsing got past it."""
    for o in COMMANDS[name]["options"]:
        args = [f"--{o['name']}"] + ([good_value(o, tmp_path)] if o["takes_value"] else [])
        p = run(name, *args, "--help", cwd=tmp_path)
        assert p.returncode == 0, f"{args}: {p.stderr}"
        assert p.stdout.startswith("usage: attrib ")


@pytest.mark.parametrize("args,message", [
    (["integrated-gradients", "--stpes", "3"], "unknown option --stpes (did you mean --steps?)"),
    (["saliency", "--clas", "3"], "did you mean --class, --class-file or --class-from-folder?"),
    (["gradcam", "--varaint", "x"], "did you mean --variant?"),
    (["integrated-gradients", "--steps"], "--steps needs a value"),
    (["saliency", "--class", "1", "--class", "2"], "--class takes no more than one value"),
    (["saliency", "-c", "1", "-c2"], "-c (--class) takes no more than one value"),
    (["saliency", "--json=yes"], "--json takes no value"),
    (["occlusion", "--layer", "features.18"], "--layer is not an option of occlusion"),
    (["saliency", "-z"], "unknown option -z"),
    (["smoothgrad", "--variant", "vargard"], "(did you mean vargrad?)"),
    (["gradcam", "--variant", "plusplus"], "(did you mean gradcam++?)"),  # its symbols spelled
    (["integrated-gradients", "--steps", "0"],
     "--steps must be an integer from 1 to 10000, got 0"),
    (["saliency", "--alpha", "2"], "--alpha must be a number from 0 to 1, got 2"),
])
def test_common_mistakes_get_a_message_that_says_what_to_do(args, message, tmp_path):
    p = run(args[0], IMAGES / "cat.bmp", "--model", V2, "-o", tmp_path, *args[1:])
    assert_one_line_error(p, USAGE, message)


def test_a_misspelt_command_is_suggested():
    assert_one_line_error(run("salency", "x.jpg"), USAGE, "did you mean saliency?")


def test_options_bundle_and_take_attached_values_like_getopt(tmp_path):
    p = ok("saliency", IMAGES / "cat.bmp", "--model", V2, f"-o{tmp_path}", "-c285", "-q",
           "--alpha=0.25")
    assert p.stdout == ""
    assert json.loads((tmp_path / "cat.saliency.json").read_text())["target"]["index"] == 285


def test_a_dash_dash_ends_the_options(tmp_path):
    odd = tmp_path / "-odd.bmp"
    shutil.copy(IMAGES / "cat.bmp", odd)
    ok("saliency", "--model", V2, "-o", tmp_path / "o", "-q", "--", odd)
    assert (tmp_path / "o" / "-odd.saliency.png").exists()


# --- completion scripts -------------------------------------------------------

def bash_complete(script, *words):
    """COMPREPLY of the generated bash function for the words typed so far."""
    line = " ".join(f"'{w}'" for w in words)
    prog = (f"source {script}\nCOMP_WORDS=({line})\nCOMP_CWORD=$((${{#COMP_WORDS[@]}} - 1))\n"
            "_attrib\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n")
    p = subprocess.run(["bash", "-c", prog], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=30)
    assert p.returncode == 0 and p.stderr == "", p.stderr
    return [w for w in p.stdout.splitlines() if w]


@pytest.fixture(scope="module")
def bash_script(tmp_path_factory):
    path = tmp_path_factory.mktemp("completion") / "attrib.bash"
    path.write_text(ok("completion", "bash").stdout)
    return path


def test_bash_completes_commands_options_and_their_words(bash_script):
    assert bash_complete(bash_script, "attrib", "sal") == ["saliency"]
    assert bash_complete(bash_script, "attrib", "gradcam", "--var") == ["--variant"]
    assert bash_complete(bash_script, "attrib", "gradcam", "--variant", "") == [
        "gradcam", "gradcam++", "scorecam", "eigencam", "hirescam", "layercam", "xgradcam",
        "eigengradcam", "ablationcam", "fem", "kpcacam"]
    assert bash_complete(bash_script, "attrib", "saliency", "--cmap", "v") == ["viridis"]
    assert bash_complete(bash_script, "attrib", "golden", "") == ["update", "check"]
    assert bash_complete(bash_script, "attrib", "completion", "z") == ["zsh"]
    assert "--steps" in bash_complete(bash_script, "attrib", "integrated-gradients", "--s")


def test_bash_completes_files_where_a_path_goes(bash_script, tmp_path):
    (tmp_path / "cat.jpg").write_bytes(b"")
    prefix = str(tmp_path / "ca")
    assert bash_complete(bash_script, "attrib", "saliency", prefix) == [str(tmp_path / "cat.jpg")]
    assert bash_complete(bash_script, "attrib", "saliency", "--model", prefix) == [
        str(tmp_path / "cat.jpg")]


def test_bash_registers_the_completion(bash_script):
    p = subprocess.run(["bash", "-c", f"source {bash_script}; complete -p attrib"],
                       stdout=subprocess.PIPE, text=True, timeout=30)
    assert "-F _attrib" in p.stdout


def installed(shell):
    if not shutil.which(shell):
        pytest.skip(f"{shell} is not installed (scripts/install-deps.sh installs it)")


def test_the_zsh_script_parses(tmp_path):
    installed("zsh")
    path = tmp_path / "_attrib"
    text = ok("completion", "zsh").stdout
    path.write_text(text)
    p = subprocess.run(["zsh", "-n", str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=30)
    assert p.returncode == 0 and p.stderr == "", p.stderr
    assert text.startswith("#compdef attrib")
    assert "'--variant[the CAM to compute ]:WORD:(gradcam gradcam++ scorecam eigencam hirescam layercam xgradcam eigengradcam ablationcam fem kpcacam)'" in text


def fish_complete(script, line):
    p = subprocess.run(["fish", "-c", f"source {script}; complete -C '{line}'"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
    assert p.returncode == 0 and p.stderr == "", p.stderr
    return [w.split("\t")[0] for w in p.stdout.splitlines()]


def test_fish_completes_commands_options_and_their_words(tmp_path):
    installed("fish")
    script = tmp_path / "attrib.fish"
    script.write_text(ok("completion", "fish").stdout)
    p = subprocess.run(["fish", "-n", str(script)], stderr=subprocess.PIPE, text=True, timeout=30)
    assert p.returncode == 0 and p.stderr == "", p.stderr
    assert fish_complete(script, "attrib sal") == ["saliency"]
    assert fish_complete(script, "attrib gradcam --var") == ["--variant"]
    assert sorted(fish_complete(script, "attrib gradcam --variant ")) == [
        "ablationcam", "eigencam", "eigengradcam", "fem", "gradcam", "gradcam++", "hirescam",
        "kpcacam", "layercam", "scorecam", "xgradcam"]
    assert "blur" in fish_complete(script, "attrib occlusion --baseline ")


def test_an_unknown_shell_is_refused():
    assert_one_line_error(run("completion", "tcsh"), USAGE, "bash, zsh or fish")


# --- the manual page ------------------------------------------------------------

def test_the_manual_page_renders_without_warnings(tmp_path):
    page = tmp_path / "attrib.1"
    page.write_text(ok("help", "--man").stdout)
    p = subprocess.run(["groff", "-man", "-Tutf8", "-ww", str(page)], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=60)
    assert p.returncode == 0 and p.stderr == "", p.stderr
    text = re.sub(r".\x08", "", p.stdout)  # overstrike (bold, underline) off
    for name, c in COMMANDS.items():
        assert name in text
        for o in c["options"]:
            assert f"--{o['name']}" in text.replace("\u2010", "-"), (name, o["name"])
    if shutil.which("man"):
        m = subprocess.run(["man", "-P", "cat", "-l", str(page)], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=60,
                           env={**os.environ, "MANWIDTH": "80"})
        assert m.returncode == 0 and "integrated-gradients" in m.stdout, m.stderr


def test_the_build_makes_and_installs_the_manual_and_completions(tmp_path):
    build = pathlib.Path(BIN).parent
    assert (build / "attrib.1").read_text() == ok("help", "--man").stdout
    cmake = "/usr/bin/cmake" if os.path.exists("/usr/bin/cmake") else "cmake"
    p = subprocess.run([cmake, "--install", str(build), "--prefix", str(tmp_path)],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    for rel in ("bin/attrib", "share/man/man1/attrib.1", "share/bash-completion/completions/attrib",
                "share/zsh/site-functions/_attrib", "share/fish/vendor_completions.d/attrib.fish"):
        assert (tmp_path / rel).is_file(), rel


def test_an_option_of_other_commands_names_them_all_in_whole_words(tmp_path):
    # golden takes no --threads: the message lists every command that does,
    # not a list cut mid-word at a fixed buffer's end
    p = run("golden", "check", tmp_path, "--threads", "1")
    assert_one_line_error(p, USAGE, "--threads is not an option of golden (it is one of: ")
    listed = p.stderr.split("(it is one of: ")[1].strip().rstrip(")").split(", ")
    commands = json.loads(ok("help", "--json").stdout)["commands"]
    want = [c["name"] for c in commands if any(o["name"] == "threads" for o in c["options"])]
    assert listed == want
