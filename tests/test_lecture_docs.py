"""Every command in a ```sh block of docs/lecture.md runs, as written, from the repository root."""

import pathlib
import re
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "lecture.md"


def sh_commands(text):
    """The lines of every ```sh block."""
    blocks = re.findall(r"```sh\n(.*?)```", text, flags=re.S)
    return [line for b in blocks for line in b.splitlines() if line.strip() and not line.startswith("#")]


def test_the_doc_has_commands_and_the_scan_finds_them():
    assert len(sh_commands(DOC.read_text(encoding="utf-8"))) >= 2
    assert sh_commands("x\n```sh\na\n# note\nb\n```\n```text\nc\n```\n") == ["a", "b"]


@pytest.mark.slow
@pytest.mark.parametrize("command", sh_commands(DOC.read_text(encoding="utf-8")))
def test_each_command_runs(command):
    r = subprocess.run(["bash", "-c", command], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "Warning" not in r.stderr
