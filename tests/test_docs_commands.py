"""Every command in a ```sh block of README.md and docs/*.md works when pasted after `make test`.

Each command runs from the checkout in a fresh shell (the virtual environment not activated),
with long runs shrunk (SHRINK) and `--out` sent to a temporary folder, so that committed reports
are never touched.  A trailing `# exit N` says the exit code the docs promise (default 0).
`make` lines are dry-run (`make -n`): the target must exist; `make test` is CI's own run.
"""

import os
import pathlib
import re
import shlex
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# Upper bounds per subcommand: the command's shape is tested, not its size.  selftest runs as
# written: fewer architectures would leave planted bugs uncaught, which is its exit 1.
SHRINK = {
    "sweep": {"--archs": 3, "--steps": 5},
    "sweep-bench": {"--archs": 3, "--steps": 5, "--repeat": 1, "--single": 2},
    "power": {"--archs": 10},
}
pytestmark = pytest.mark.spread  # each command its own subprocess and --out folder: any worker may run it
FENCE = re.compile(r"^```(sh|bash|shell)\n(.*?)^```", re.M | re.S)


def sh_commands(text):
    """(command, expected exit code) for every command line of the text's sh blocks."""
    out = []
    for block in FENCE.findall(text):
        for line in block[1].replace("\\\n", " ").splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            expect = re.search(r"#\s*exit\s+(\d+)\s*$", line)
            command = re.sub(r"\s+#.*$", "", line) if " #" in line else line
            out.append((command, int(expect.group(1)) if expect else 0))
    return out


def shrunk(command, tmp):
    """The command with SHRINK applied and --out inside ``tmp``; make and pytest made dry."""
    words = shlex.split(command)
    if words[0] == "make":
        return ["make", "-n", *words[1:]]
    shrink = next((SHRINK[w] for w in words if w in SHRINK), {})
    for i, w in enumerate(words[:-1]):
        if w in shrink and words[i + 1].isdigit():
            words[i + 1] = str(min(int(words[i + 1]), shrink[w]))
        if w == "--out":
            words[i + 1] = str(tmp / "out")
    if any(w.endswith("pytest") for w in words):
        words += ["--collect-only", "-q"]
    return words


def all_commands():
    """Each distinct (command, exit code) once, named by the first doc that shows it.  Commands that differ only in
    their --out folder are one: the test sends --out to a folder of its own anyway."""
    seen = {}
    for p in DOCS:
        for c, e in sh_commands(p.read_text()):
            key = (shlex.join(shrunk(c, pathlib.Path("OUT"))), e)
            seen.setdefault(key, (c, e, p.name))
    return [pytest.param(c, e, id=f"{name}:{c[:60]}") for c, e, name in seen.values()]


def fresh_shell_env():
    """The environment of a fresh shell: no virtual environment on PATH."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "CI")}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if ".venv" not in p)
    return env


@pytest.mark.slow
@pytest.mark.parametrize("command, expected", all_commands())
def test_documented_command_works(command, expected, tmp_path):
    words = shrunk(command, tmp_path)
    env_words = [w for w in words if re.fullmatch(r"[A-Z_]+=.*", w)]
    env = {**fresh_shell_env(), **dict(w.split("=", 1) for w in env_words)}
    r = subprocess.run(words[len(env_words) :], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == expected, f"{shlex.join(words)}\nstdout:\n{r.stdout[-2000:]}\nstderr:\n{r.stderr[-2000:]}"
    assert "Warning" not in r.stderr, r.stderr[-2000:]


def test_docs_hold_commands():
    commands = [p.values[0] for p in all_commands()]
    assert any("deltacheck sweep" in c for c in commands)
    assert len(commands) >= 8


def test_links_between_docs_resolve():
    for p in DOCS:
        for target in re.findall(r"\]\(([^)#:]+)\)", p.read_text()):
            assert (p.parent / target).exists(), f"{p.name} links to {target}, which does not exist"


def test_readme_is_short():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 120


def test_command_extraction_can_fail():
    text = "```sh\n.venv/bin/deltacheck nosuchcommand  # exit 0\n```\n"
    ((command, expected),) = sh_commands(text)
    r = subprocess.run(shrunk(command, pathlib.Path("/tmp")), cwd=ROOT, capture_output=True, env=fresh_shell_env())
    assert r.returncode != expected


PYTHON_FENCE = re.compile(r"^```python\n(.*?)^```", re.M | re.S)
# Docs whose ```python blocks are a user's session, one block after another; docs/diagnose.md's are students' files.
SESSIONS = ["README.md", "docs/api.md", "docs/conv.md"]


@pytest.mark.parametrize("doc", SESSIONS)
def test_documented_python_runs_as_one_session(doc, tmp_path):
    code = "\n".join(PYTHON_FENCE.findall((ROOT / doc).read_text(encoding="utf-8")))
    assert code.strip(), f"{doc} holds no ```python block"
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
