"""docs/diagnose.md: every command of its ```sh blocks runs as written, from the repository root, and exits 0."""

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "diagnose.md"


def commands():
    blocks = re.findall(r"```sh\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    return [ln for b in blocks for ln in b.splitlines() if ln.strip()]


def test_the_doc_has_commands():
    assert len(commands()) >= 3 and all(c.startswith(".venv/bin/") for c in commands())


@pytest.mark.parametrize("command", commands())
def test_doc_command_runs(command):
    r = subprocess.run(["bash", "-c", command], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "PASS" in r.stdout, r.stdout
