"""docs/diagnose.md: every command of its ```sh blocks runs as written, from the repository root, and exits 0.

`.venv/bin/deltacheck ARGS` runs in process (cli.main(ARGS), torch already loaded); anything else
in a shell.
"""

import re
import shlex
import subprocess
from pathlib import Path

import pytest

from comparisons import cli

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "diagnose.md"


def commands():
    blocks = re.findall(r"```sh\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    return [ln for b in blocks for ln in b.splitlines() if ln.strip()]


def test_the_doc_has_commands():
    assert len(commands()) >= 3 and all(c.startswith(".venv/bin/") for c in commands())


@pytest.mark.parametrize("command", commands())
def test_doc_command_runs(command, capsys, monkeypatch):
    argv = shlex.split(command)
    if argv[0] == ".venv/bin/deltacheck":
        monkeypatch.chdir(ROOT)
        rc = cli.main(argv[1:])
        out, err = capsys.readouterr()
    else:
        r = subprocess.run(["bash", "-c", command], cwd=ROOT, capture_output=True, text=True, timeout=300)
        rc, out, err = r.returncode, r.stdout, r.stderr
    assert rc == 0, out + err
    assert "PASS" in out, out
