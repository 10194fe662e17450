"""Resource limits, running out of memory, progress and a quiet stderr in `sweep` and `check`."""

import argparse
import json
import resource
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from comparisons import cli
from comparisons.common import limits
from comparisons.common.spec import ArchSpec, sample_specs
from comparisons.sweep import budget, console

ROOT = Path(__file__).resolve().parents[1]
SMALL = ["sweep", "--archs", "4", "--steps", "3", "--seed", "2", "--no-progress"]
DIVERGING = dict(sizes=[4, 8, 2], activations=["relu", "identity"], cost="squared_error", K=8, eta=1000, steps=50)


def files(d):
    return {p.name: p.read_bytes() for p in sorted(Path(d).iterdir())}


@pytest.mark.parametrize(
    "text, value",
    [("512M", 512 * 2**20), ("16G", 16 * 2**30), ("1.5TiB", int(1.5 * 2**40)), ("2gb", 2 * 2**30), ("4096", 4096)],
)
def test_memory_sizes_are_read_in_units_of_1024(text, value):
    assert limits.memory_size(text) == value


@pytest.mark.parametrize("text, value", [("90s", 90), ("30m", 1800), ("2h", 7200), ("1d", 86400), ("45", 45)])
def test_durations_are_read_in_seconds(text, value):
    assert limits.duration(text) == value


@pytest.mark.parametrize("text", ["", "G", "-1G", "0", "1e9", "12GG", "3X"])
def test_a_malformed_size_is_refused(text):
    with pytest.raises(argparse.ArgumentTypeError, match="size > 0"):
        limits.memory_size(text)


@pytest.mark.parametrize("n, text", [(7.3 * 2**40, "7.3 TiB"), (22 * 2**30, "22 GiB"), (800 * 2**40, "800 TiB")])
def test_sizes_are_said_with_two_digits(n, text):
    assert limits.fmt_bytes(n) == text


def test_the_memory_available_is_read_from_the_system():
    avail = limits.available_memory()
    assert avail is not None and 0 < avail <= _mem_total()


def _mem_total():
    line = next(x for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal:"))
    return int(line.split()[1]) * 1024


def _peak(spec):
    from comparisons.sweep.runner import run_specs

    tracemalloc.start()
    run_specs([spec], progress=False)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


@pytest.mark.parametrize("optimizer, batch_size", [("gd", 0), ("sgd", 3)])
def test_the_memory_estimate_per_step_is_close_to_what_a_step_takes(optimizer, batch_size):
    """The estimate errs low, but not by much: what 400 more steps add, against tracemalloc's peaks."""
    specs = [
        ArchSpec(sizes=(6, 5, 2), activations=("tanh", "sigmoid"), cost="squared_error", K=8, steps=steps,
                 optimizer=optimizer, batch_size=batch_size)
        for steps in (100, 500)
    ]  # fmt: skip
    from comparisons.sweep.runner import run_specs

    run_specs(specs[:1], progress=False)  # torch's and NumPy's first-call allocations out of the way
    measured = _peak(specs[1]) - _peak(specs[0])
    est = [sum(budget.spec_needs(s.sizes, s.K, s.batch, s.steps, 8)[0].values()) for s in specs]
    assert 0.6 * measured <= est[1] - est[0] <= 1.2 * measured, (measured, est[1] - est[0])


def test_a_memory_error_in_a_run_is_a_resource_problem_not_a_disagreement(tmp_path, monkeypatch, capsys):
    assert cli.main([*SMALL, "--out", str(tmp_path)]) == 0
    before = files(tmp_path)
    capsys.readouterr()

    def no_memory(*a, **k):
        raise MemoryError()

    monkeypatch.setattr("comparisons.sweep.harness.LocalSteps.run", no_memory)
    for jobs in ("1", "2"):  # in a worker, the MemoryError comes back through the pool
        assert cli.main([*SMALL, "--seed", "3", "--jobs", jobs, "--out", str(tmp_path)]) == 2
        cap = capsys.readouterr()
        assert cap.err.count("\n") == 1 and "ran out of memory" in cap.err and "--archs 4" in cap.err, cap.err
        assert files(tmp_path) == before
    assert cli.main(["check", "--spec", json.dumps(DIVERGING)]) == 2
    cap = capsys.readouterr()
    assert cap.out == "" and cap.err.startswith("error: --spec: ran out of memory")


def test_other_crashes_stay_findings_in_the_report(tmp_path, monkeypatch):
    """The MemoryError exception is the only one let through: the harness's teeth stay."""

    def boom(*a, **k):
        raise RuntimeError("planted")

    monkeypatch.setattr("comparisons.sweep.harness.LocalSteps.run", boom)
    assert cli.main([*SMALL, "--out", str(tmp_path)]) == 1


@pytest.mark.slow
def test_a_real_out_of_memory_under_a_limit_is_one_line_exit_2():
    """--max-memory raised past what the process may take (RLIMIT_AS): NumPy's MemoryError, reported as such."""
    lim = 3 * 2**30

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (lim, lim))

    spec = {**DIVERGING, "eta": 0.01, "steps": 50_000_000}  # (steps, P) history: 50e6 × 42 × 8 B = 16 GiB
    r = subprocess.run(
        [sys.executable, "-m", "comparisons", "check", "--max-memory", "1000G", "--max-time", "1d"]
        + ["--spec", json.dumps(spec)],
        cwd=ROOT,
        preexec_fn=limit,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2 and r.stdout == "", r.stderr
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("error: --spec: ran out of memory"), r.stderr


def test_no_runtime_warning_reaches_stderr_from_a_diverging_check():
    r = subprocess.run(
        [sys.executable, "-m", "comparisons", "check", "--spec", json.dumps(DIVERGING)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0 and "not compared (torch's state overflowed)" in r.stdout  # said so, never a pass
    assert r.stderr == ""


@pytest.mark.parametrize("quiet", [True, False], ids=["quiet", "without quiet (the control)"])
def test_the_overflow_of_a_diverging_run_is_silenced_by_quiet(quiet, capsys, monkeypatch):
    """Teeth for the test above: without ``console.quiet`` the overflow warns (pytest makes it an error,
    which the harness then reports as a crash row)."""
    import contextlib

    from comparisons.sweep import harness

    orig = harness.start_rows

    def overflowing(*a, **k):  # an overflow outside the harness's own errstate blocks
        np.float64(1e308) * 10
        return orig(*a, **k)

    monkeypatch.setattr(harness, "start_rows", overflowing)
    if not quiet:
        monkeypatch.setattr("comparisons.sweep.console.quiet", contextlib.nullcontext)
        monkeypatch.setattr("comparisons.sweep.runner.quiet", contextlib.nullcontext)
    code = cli.main(["check", "--no-progress", "--spec", json.dumps(DIVERGING)])
    cap = capsys.readouterr()
    assert ("RuntimeWarning" in cap.out) is not quiet and cap.err == ""
    assert code == (0 if quiet else 1)  # unsilenced, the warning is an error: a crash row


def test_sampling_with_progress_gives_exactly_sample_specs():
    from comparisons.sweep.cli import sample_with_progress

    args = argparse.Namespace(archs=50, seed=7, dtype="float32", steps=3, no_progress=True, family=None, device="cpu")
    args.family = 1
    assert sample_with_progress(args) == sample_specs(50, 7, "float32", 3)
    args.family = 8  # families too, the last one cut short
    assert sample_with_progress(args) == sample_specs(50, 7, "float32", 3, family=8)


def test_a_short_sweep_says_one_line_on_stderr(tmp_path, capsys):
    assert cli.main([a for a in SMALL if a != "--no-progress"] + ["--out", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "architectures pass" in err


def test_a_slow_sweep_shows_sampling_and_architectures(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(console, "DELAY", 0.0)  # as if each part took longer than the delay
    assert cli.main([a for a in SMALL if a != "--no-progress"] + ["--out", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert "sampling" in err and "architectures" in err and "4/4" in err


def test_a_slow_check_shows_its_estimate_and_the_elapsed_time(capsys, monkeypatch):
    monkeypatch.setattr(console, "DELAY", 0.0)
    spec = {**DIVERGING, "eta": 0.01, "steps": 5}
    assert cli.main(["check", "--spec", json.dumps(spec)]) == 0
    err = capsys.readouterr().err
    assert "check: about" in err and "estimated" in err and "elapsed" in err


def test_the_ticker_redraws_a_bar_that_does_not_move(capsys, monkeypatch):
    """While one long architecture runs, the elapsed time still moves."""
    import time

    monkeypatch.setattr(console, "DELAY", 0.0)
    with console.Bar(total=1, desc="architectures") as bar:
        time.sleep(1.5)
        bar.update()
    err = capsys.readouterr().err
    assert "0/1 [00:01" in err
