"""Results on stdout, diagnostics and progress on stderr; progress bars only on a terminal (or with --progress),
so that a log keeps one line per event; `deltacheck --version` from the package metadata, without torch."""

import json
import shlex
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from comparisons import cli
from comparisons.common import progress

ROOT = Path(__file__).resolve().parents[1]
SWEEP = ["sweep", "--archs", "4", "--steps", "3", "--seed", "2"]
DELTACHECK = Path(sys.executable).with_name("deltacheck")


@pytest.fixture
def slow(monkeypatch):
    """As if every part of a run took longer than the bars' delay: a bar that may appear, appears."""
    monkeypatch.setattr(progress, "DELAY", 0.0)


def test_no_bar_into_a_log_but_one_on_a_terminal_or_with_progress(tmp_path, capsys, monkeypatch, slow):
    assert cli.main([*SWEEP, "--out", str(tmp_path / "log")]) == 0
    out, err = capsys.readouterr()  # capsys's stderr is no terminal, as a file or a pipe is not
    assert err == "" and out == f"4 of 4 architectures pass; report in {tmp_path / 'log'}/summary.md\n"
    assert cli.main([*SWEEP, "--progress", "--out", str(tmp_path / "forced")]) == 0
    forced = capsys.readouterr()
    assert (
        "sampling" in forced.err
        and "architectures: 100%" in forced.err
        and forced.out.startswith("4 of 4 architectures pass")
    )
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)  # a terminal: bars without asking
    assert cli.main([*SWEEP, "--out", str(tmp_path / "tty")]) == 0
    assert "architectures: 100%" in capsys.readouterr().err


@pytest.mark.parametrize("show, isatty, drawn", [(None, False, False), (None, True, True), (True, False, True),
                                                 (False, True, False)])  # fmt: skip
def test_a_bar_is_drawn_only_where_someone_watches(show, isatty, drawn, capsys, monkeypatch, slow):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: isatty, raising=False)
    with progress.Bar(total=3, desc="parts", show=show) as bar:
        for _ in range(3):
            bar.update()
    assert ("parts: 100%" in capsys.readouterr().err) is drawn


def test_progress_and_no_progress_exclude_each_other(capsys):
    for command in (["sweep"], ["check", "--spec", "{}"], ["selftest"], ["lecture"]):
        assert cli.main([*command, "--progress", "--no-progress"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "not allowed with argument" in err, err


def test_a_sweep_with_stderr_in_a_file_leaves_a_short_log_and_its_verdict_last_on_stdout(tmp_path):
    log = tmp_path / "sweep.log"
    command = f"{shlex.quote(str(DELTACHECK))} {shlex.join(SWEEP)} --out {shlex.quote(str(tmp_path / 'r'))}"
    r = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {command} 2> {shlex.quote(str(log))} | tail -1"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr + log.read_text()
    assert r.stdout == f"4 of 4 architectures pass; report in {tmp_path / 'r'}/summary.md\n"
    assert len(log.read_text().splitlines()) <= 3 and "\r" not in log.read_text(), log.read_text()


def test_version_from_the_metadata_without_importing_torch():
    code = (
        "import sys, json, contextlib, io, comparisons.cli\n"
        "buf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf):\n"
        "    try:\n"
        "        comparisons.cli.main(['--version'])\n"
        "    except SystemExit as e:\n"
        "        rc = e.code\n"
        "print(json.dumps([rc, buf.getvalue(), [m for m in ('torch', 'pandas') if m in sys.modules]]))"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    rc, out, heavy = json.loads(r.stdout.strip().splitlines()[-1])
    assert (rc, out, heavy) == (0, f"deltacheck {metadata.version('deltacheck')}\n", []), r.stderr
    assert metadata.version("deltacheck")[0].isdigit()


def test_check_prints_its_rows_and_verdict_on_stdout_and_nothing_on_stderr(capsys):
    spec = dict(sizes=[3, 2], activations=["sigmoid"], cost="squared_error", K=4, steps=2)
    assert cli.main(["check", "--spec", json.dumps(spec)]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[-1] == "PASS" and err == ""


def test_sweep_bench_times_a_diverging_family_without_a_warning():
    """The bench's bare trainings time a run that overflows; they judge nothing, so they warn nothing either."""
    import dataclasses
    import warnings

    from comparisons.common.spec import sample_specs
    from comparisons.sweep import throughput

    spec = dataclasses.replace(sample_specs(1, 0, "float64", 30)[0], eta=1e100)  # overflows at its second step
    family = [spec, dataclasses.replace(spec, seed=spec.seed + 1)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert throughput.bare_training(family, 2) > 0


def test_check_prints_a_table_a_student_can_read(capsys):
    """Each row names its equation, a quantity of the whole network has no layer, nothing reads NaN, and a legend
    says what tol_used is; the spec with every default applied heads it."""
    spec = {"sizes": [4, 3, 2], "activations": ["tanh", "sigmoid"], "cost": "squared_error", "K": 5, "steps": 2}
    assert cli.main(["check", "--no-progress", "--spec", json.dumps(spec)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert '"eta":0.01' in lines[0] and lines[1].split()[:2] == ["eq", "tensor"]
    rows = {line.split()[0] + " " + line.split()[1]: line for line in lines[2:8]}
    assert {"(2) W", "(3) b", "(4) delta", "(5) delta"} <= set(rows)
    assert "NaN" not in out
    import pandas as pd

    from comparisons.common.spec import ArchSpec
    from comparisons.sweep.cli import readable

    rows = pd.DataFrame({"arch": [0, 0], "tensor": ["C_T", "delta"], "layer": [0, 3], "tol_used": [0.5, float("nan")]})
    shown = readable(rows, ArchSpec.from_json(json.dumps(spec)))
    assert shown["layer"].tolist() == ["", "3"] and shown["eq"].tolist() == ["C_T", "(4)"]
    assert shown["tol_used"].tolist() == ["0.5", ""]
    assert any(line.startswith("max_abs_err: the largest |manual_bp − torch|; tol_used:") for line in lines)
    assert lines[-1] == "PASS"
