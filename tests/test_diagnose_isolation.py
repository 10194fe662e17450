"""User code runs in a child process: hangs, exits, crashes, recursion, memory and print floods end in one line.

Each case is a tiny file run by `deltacheck diagnose --archs 0 --timeout T` in process (the child is
the only other process); the exit code is 2 when no result came back, 1 for a wrong one.
"""

import contextlib
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from comparisons import cli

ROOT = Path(__file__).resolve().parents[1]
CORRECT = (ROOT / "examples" / "correct.py").read_text(encoding="utf-8")
TIMEOUT = 4.0  # seconds of the whole run, for code that hangs: starting torch and the child fit on a loaded machine
ROOMY = 60.0  # seconds, for code that returns: the limit must not be what decides
DEF = "def backprop(W, b, X, T):\n"


def run(capsys, tmp_path, source, *flags, timeout=TIMEOUT):
    """(exit code, stdout, stderr, seconds) of `deltacheck diagnose` on ``source``."""
    p = tmp_path / "mine.py"
    p.write_text(textwrap.dedent(source), encoding="utf-8")
    start = time.monotonic()
    rc = cli.main(["diagnose", str(p), "--archs", "0", "--timeout", f"{timeout:g}", *map(str, flags)])
    seconds = time.monotonic() - start
    out, err = capsys.readouterr()
    return rc, out, err, seconds


def verdict_line(out):
    """The line after the command's header: the verdict."""
    return out.splitlines()[1]


NO_RESULT = {
    "endless loop": (DEF + "    while True:\n        pass\n", "ran past --timeout 4 s"),
    "sleep": ("import time\n" + DEF + "    time.sleep(10**6)\n", "ran past --timeout 4 s"),
    "os._exit in backprop": ("import os\n" + DEF + "    os._exit(0)\n", "ended the process (exit status 0"),
    "sys.exit in backprop": ("import sys\n" + DEF + "    sys.exit(0)\n", "called sys.exit at line 3"),
    "killed": ("import os, signal\n" + DEF + "    os.kill(os.getpid(), signal.SIGKILL)\n", "was killed by SIGKILL"),
    "crashed (segfault)": ("import ctypes\n" + DEF + "    ctypes.string_at(0)\n", "was killed by SIGSEGV"),
    "infinite recursion": (DEF + "    return backprop(W, b, X, T)\n", "recursed without end at line 2"),
    "memory blow-up": (
        DEF + "    x = []\n    while True:\n        x.append(bytearray(10**7))\n",
        "ran out of memory at line 4 (`x.append(bytearray(10**7))`): MemoryError (under --max-memory 512 MiB)",
    ),
    "huge array": (
        "import numpy as np\n" + DEF + "    return np.ones((10**6, 10**6)), {}\n",
        "ran out of memory at line 3",
    ),
    "megabytes of prints": (DEF + "    while True:\n        print('x' * 1000)\n", "printed more than 1 MiB"),
    "2.3 MiB printed, then a return": (
        CORRECT.replace("    L = max(W)", "    print('x' * 2_300_000)\n    L = max(W)"),
        "printed more than 1 MiB",
    ),
    "garbage in the reply pipe": (
        "import os, sys\n" + DEF + "    os.write(int(sys.argv[2]), b'garbage' * 10)\n    return {}, {}\n",
        "garbled deltacheck's reply",
    ),
    "np.save replaced": (
        "import numpy as np\nnp.save = np.lib.format.write_array = lambda *a, **k: None\n" + CORRECT,
        "garbled deltacheck's reply",
    ),
    "a crafted pickle in the reply pipe": (
        "import os, pickle, struct, sys\n"
        + DEF
        + "    p = pickle.dumps(os.system)\n    os.write(int(sys.argv[2]), struct.pack('<Q', len(p)) + p)\n"
        + "    return {}, {}\n",
        "garbled deltacheck's reply",
    ),
}


@pytest.mark.parametrize("kind", sorted(NO_RESULT))
def test_code_that_returns_nothing_gets_no_result_and_exit_2(capsys, tmp_path, kind):
    source, says = NO_RESULT[kind]
    hangs = "--timeout" in says
    rc, out, err, seconds = run(capsys, tmp_path, source, "--max-memory", "512M", timeout=TIMEOUT if hangs else ROOMY)
    assert rc == 2 and err == "", (out, err)
    line = verdict_line(out)
    assert line.startswith("NO RESULT: ") and says in line, line
    assert "12-3-2 (L = 3, K = 64)" in line  # the network it stopped on
    assert seconds < (TIMEOUT if hangs else ROOMY) + 15, seconds  # the limit holds


def test_prints_are_shown_trimmed_below_the_verdict(capsys, tmp_path):
    flood = DEF + "    for i in range(3000):\n        print('line', i)\n    raise ValueError('boom')\n"
    rc, out, _, _ = run(capsys, tmp_path, flood, timeout=ROOMY)
    assert rc == 1 and verdict_line(out).startswith("FAIL: backprop raises ValueError at line 4")
    printed = out.split("your code printed ")[1]
    assert printed.startswith("6000 line(s)")  # 3000 for each of the two networks
    assert "│ line 0" in printed and "│ line 2999" in printed and "… 5980 more line(s) …" in printed
    assert out.count("\n") < 60  # trimmed: the verdict stays readable
    assert out.splitlines()[-1] == verdict_line(out)  # and it is the last line too


def test_printed_control_characters_cannot_rewrite_the_verdict(capsys, tmp_path):
    wrong = CORRECT.replace("    L = max(W)", "    W = {l: 2 * w for l, w in W.items()}\n    L = max(W)")
    fake = "    print('\\x1b[2J\\x1b[H\\x1b[32mPASS: all agree\\r\\u202e\\x9b2J')\n"
    rc, out, err, _ = run(capsys, tmp_path, wrong.replace("    L = max(W)", fake + "    L = max(W)", 1), timeout=ROOMY)
    assert rc == 1 and out.splitlines()[-1].startswith("FAIL: eq (")
    assert not any(ch in out for ch in "\x1b\r\u202e\x9b"), out  # shown escaped, fenced
    assert "  │ \\x1b[2J\\x1b[H\\x1b[32mPASS: all agree\\r\\u202e\\x9b2J" in out.splitlines()


@pytest.mark.parametrize("where", ["import", "backprop"])
def test_control_characters_in_an_exception_message_are_shown_inert(capsys, tmp_path, where):
    boom = "raise ValueError('\\x1b[2J\\x1b[HPASS: all agree\\rPASS\\u202e\\nPASS')\n"
    source = boom + CORRECT if where == "import" else DEF + "    " + boom
    rc, out, err, _ = run(capsys, tmp_path, source, timeout=ROOMY)
    assert rc == (2 if where == "import" else 1), (out, err)
    assert not any(ch in out + err for ch in "\x1b\r\u202e"), (out, err)
    assert "\\x1b[2J\\x1b[HPASS" in out + err  # shown escaped
    if where == "import":
        assert err.count("\n") == 1 and out == "", err
    else:
        assert out.splitlines()[-1].startswith("FAIL: backprop raises ValueError"), out


def test_printing_past_1_mib_at_import_is_one_line_exit_2(capsys, tmp_path):
    rc, out, err, _ = run(capsys, tmp_path, "print('x' * 2_300_000)\n" + CORRECT, timeout=ROOMY)
    assert rc == 2 and out == "" and err.count("\n") == 1 and "importing it printed more than 1 MiB" in err, err


def test_closed_stdout_and_stderr_cannot_hide_the_verdict(capsys, tmp_path):
    # issue 13 (7): a file that closes its streams used to end in a raw "lost sys.stderr" dump
    closes = "import os, sys\nsys.stdout.close()\nsys.stderr.close()\nos.close(1)\nos.close(2)\n"
    rc, out, err, _ = run(capsys, tmp_path, closes + CORRECT, timeout=ROOMY)
    assert rc == 0 and err == "" and verdict_line(out).startswith("PASS")
    wrong = closes + CORRECT.replace("return dW, db, delta", "print('done')\n    return dW, db, delta")
    rc, out, err, _ = run(capsys, tmp_path, wrong, timeout=ROOMY)  # print on a closed stream raises: a crash in eq ''
    assert rc == 1 and err == "" and "raises ValueError at line" in verdict_line(out), out


@pytest.mark.parametrize(
    "source, says",
    [
        ("while True:\n    pass\n" + DEF + "    pass\n", "mine.py: importing it ran past --timeout 4 s"),
        ("import os\nos._exit(3)\n" + DEF + "    pass\n", "mine.py: importing it ended the process (exit status 3"),
        ("import sys\nsys.exit(1)\n" + DEF + "    pass\n", "mine.py does not import: line 2: calls sys.exit"),
    ],
    ids=["hang", "os._exit", "sys.exit"],
)
def test_import_that_never_finishes_is_one_line_exit_2(capsys, tmp_path, source, says):
    rc, out, err, _ = run(capsys, tmp_path, source)
    assert rc == 2 and out == "" and err.count("\n") == 1 and says in err, err


def test_a_wrong_result_before_a_hang_is_still_a_fail(capsys, tmp_path):
    # the K = 64 network returns a wrong gradient, the K = 1 network hangs: exit 1, the hang named as a note
    source = CORRECT.replace(
        "    L = max(W)",
        "    import time\n    if X.shape[0] == 1:\n        time.sleep(10**6)\n"
        "    W = {l: 2 * w for l, w in W.items()}\n    L = max(W)",
    )
    rc, out, _, _ = run(capsys, tmp_path, source)
    assert rc == 1 and verdict_line(out).startswith("FAIL: eq (")
    assert "then on network 2 of 2, 12-3-2 (L = 3, K = 1), ran past --timeout 4 s; the rest were not run" in out


SLEEPER = "[sys.executable, '-c', 'import time; time.sleep(600)', MARK]"
ESCAPES = {  # what the user's code does to outlive the run: each leaves a sleeper whose argv holds MARK
    "a plain child": f"subprocess.Popen({SLEEPER})",
    "a new session": f"subprocess.Popen({SLEEPER}, start_new_session=True)",
    "a double fork": "subprocess.Popen([sys.executable, '-c', INNER, MARK]).wait()",  # the middle one exits at once
    "killing its parent": f"subprocess.Popen({SLEEPER}, start_new_session=True); os.kill(os.getppid(), 9)",
}


INNER = (
    "import subprocess, sys; subprocess.Popen(" + SLEEPER.replace("MARK", "sys.argv[1]") + ", start_new_session=True)"
)
THEN = {"hangs": "time.sleep(10**6)", "returns": "return _correct(W, b, X, T)", "os._exit": "os._exit(0)"}


def escaping(mark, escape, end):
    """A correct backprop that first starts a sleeper as ``escape`` says, then ``end``s."""
    source = CORRECT.replace("def backprop(W, b, X, T):", "def _correct(W, b, X, T):")
    head = f"\nimport os, subprocess, sys, time\nMARK = {mark!r}\nINNER = {INNER!r}\n\n\n"
    return source + head + f"{DEF}    {ESCAPES[escape]}\n    {THEN[end]}\n"


@pytest.mark.parametrize(
    "escape, end", [(e, end) for e in sorted(ESCAPES) for end in ("returns", "os._exit")] + [("a new session", "hangs")]
)
def test_no_process_is_left_behind(capsys, tmp_path, escape, end):
    mark = f"deltacheck-test-{tmp_path.name}"
    rc, out, err, _ = run(capsys, tmp_path, escaping(mark, escape, end), timeout=ROOMY if end != "hangs" else TIMEOUT)
    assert rc == (0 if end == "returns" and escape != "killing its parent" else 2), (out, err)
    assert left_behind(mark, tmp_path) == []


def test_the_escapes_do_escape_a_plain_process(tmp_path):
    """The control: the same code run by a plain Python process (no keeper) leaves its sleeper running."""
    mark = f"deltacheck-test-{tmp_path.name}"
    (tmp_path / "mine.py").write_text(escaping(mark, "a double fork", "returns"), encoding="utf-8")
    subprocess.run([sys.executable, "-c", "import mine; mine.backprop(*[None] * 4)"], cwd=tmp_path, check=False)
    found = left_behind(mark, "/nonexistent")
    for p in found:
        p.kill()
    assert len(found) == 1


def left_behind(mark, cwd):
    """Processes still running whose argv holds ``mark`` or whose working directory is ``cwd`` (the child's)."""
    found = []
    for p in psutil.process_iter(["cmdline", "cwd", "status"]):
        with contextlib.suppress(psutil.Error):
            if p.info["status"] != psutil.STATUS_ZOMBIE and (
                mark in " ".join(p.info["cmdline"] or []) or p.info["cwd"] == str(cwd)
            ):
                found.append(p)
    return found


@pytest.mark.parametrize(
    "target, message",
    [
        ("{file}:", "mine.py: nothing after ':'; write"),
        ("{file}:1x", "'1x' after ':' is not a Python name"),
        ("{file}:nope", "mine.py has no function or class 'nope'"),
    ],
)
def test_bad_target_names_the_part_that_is_wrong(capsys, tmp_path, target, message):
    p = tmp_path / "mine.py"
    p.write_text(CORRECT, encoding="utf-8")
    rc = cli.main(["diagnose", target.format(file=p)])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and message in err, err


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--timeout", "0"], "--timeout: must be a finite number > 0"),
        (["--max-memory", "10M"], "--max-memory: must be at least 256M"),
        (["--max-memory", "lots"], "--max-memory: must be a size > 0 such as 512M"),
        (["--sizes", "12-x-2"], "--sizes '12-x-2': write the widths n_1-…-n_L as integers"),
        (["--sizes", "5"], "--sizes 5: needs at least 2 layers"),
        (["--sizes", "4000-4000-4000"], "parameters, more than the 10,000,000 diagnose runs"),
        (["--convention", "keras"], "--convention: invalid choice: 'keras'"),
    ],
)
def test_bad_limits_and_sizes_exit_2_with_one_line(capsys, flags, message):
    rc = cli.main(["diagnose", str(ROOT / "examples" / "correct.py"), *flags])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and message in err, err
