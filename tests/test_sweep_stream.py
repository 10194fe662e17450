"""The sweep streams: rows go to disk as they come, memory stays flat in the number of architectures."""

import argparse
import pathlib
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest

from comparisons.common.spec import sample_specs
from comparisons.sweep import budget, report, runner
from comparisons.sweep.start import row

STEPS = 100
TENSORS = [(t, l) for l in (1, 2, 3) for t in ("W", "b", "delta")] + [("C_k", 0), ("C_T", 0), ("X", 0), ("T", 0)]


def synthetic(n):
    """n architectures' (gradient rows, trajectory rows) as the harness gives them: 13 and STEPS of each."""
    rng = np.random.default_rng(0)
    for arch in range(n):
        e, c = rng.random(len(TENSORS)), rng.random(STEPS)
        grads = [row(arch, t, l, "4x3", max_abs_err=x * 1e-16, max_rel_err=x * 1e-15, ref_norm=1 + x, tol_used=x / 100)
                 for (t, l), x in zip(TENSORS, e)]  # fmt: skip
        traj = [dict(arch=arch, step=s, cost_manual=x, cost_torch=x, max_param_diff=x * 1e-16, shadow_drift=np.nan,
                     tol_used=x / 100, cost_tol_used=x / 1000, status="pass", detail="", passed=True)
                for s, x in enumerate(c, 1)]  # fmt: skip
        yield grads, traj


def peak(consume, n):
    """tracemalloc's peak, in bytes, while ``consume`` takes n architectures' rows."""
    tracemalloc.start()
    try:
        consume(n)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def peaks(streamed, out, small=20, big=200):
    """(peak for ``small``, peak for ``big`` architectures) of write_report (or of collecting the rows)."""
    report.CHUNK_ROWS = 2000  # 20 architectures already fill one chunk
    specs = sample_specs(big, 0, steps=STEPS)
    args = argparse.Namespace(archs=big, seed=0, steps=STEPS, dtype="float64", device="cpu", jobs=1)

    def write(n):
        report.write_report(out, "cmd", args, specs[:n], synthetic(n))

    def collect(n):
        return list(synthetic(n))

    consume = write if streamed else collect
    consume(5)  # first-call allocations (matplotlib's fonts, pandas' caches) out of the way
    return peak(consume, small), peak(consume, big)


@pytest.mark.parametrize("streamed", [True, False], ids=["write_report", "rows collected (the control)"])
def test_memory_is_flat_in_the_number_of_architectures(streamed, tmp_path):
    """10× the architectures: the streamed report's peak within 10 %, and what grows per architecture within
    budget.ARCH_BYTES; collecting the same rows first (what the sweep did before) grows 10×.

    Measured in a fresh process, as a sweep's own: in the suite's, what earlier tests left behind (caches,
    Python's full collections put off by a large heap) moved the peak by megabytes, either way.  Chunks of
    2000 rows instead of CHUNK_ROWS, so that 20 architectures already fill one: the 10 000 against 1000
    of the issue, at 100 steps, would take minutes under tracemalloc."""
    code = (f"import sys, pathlib; sys.path.insert(0, {str(pathlib.Path(__file__).parent)!r}); "
            f"import test_sweep_stream as t; print(*t.peaks({streamed}, pathlib.Path({str(tmp_path)!r})))")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    p_small, p_big = map(int, done.stdout.split())
    small, big = 20, 200
    flat = p_big <= 1.1 * p_small and (p_big - p_small) / (big - small) <= budget.ARCH_BYTES
    assert flat is streamed, (p_small, p_big)


class CountingPool(runner.ProcessPoolExecutor):
    """A ProcessPoolExecutor that counts the work items submitted to it."""

    items = 0

    def submit(self, fn, chunk):
        CountingPool.items += len(chunk)
        return super().submit(fn, chunk)


def test_the_pool_stays_a_bounded_window_ahead_and_gives_the_rows_of_jobs_1(monkeypatch):
    specs = sample_specs(40, 1, steps=2)
    monkeypatch.setattr(runner, "ProcessPoolExecutor", CountingPool)
    monkeypatch.setattr(runner, "POOL_WINDOW", 1)
    monkeypatch.setattr(CountingPool, "items", 0)
    jobs, chunk = 2, 5  # 40 items // (4 × 2 processes) per chunk
    one = list(runner.iter_results(specs, 1, progress=False))
    two = []
    for pair in runner.iter_results(specs, jobs, progress=False):  # a slow consumer: the pool must wait for it
        two.append(pair)
        assert CountingPool.items - len(two) < (runner.POOL_WINDOW * jobs + 1) * chunk  # + the chunk being read
    assert repr(two) == repr(one) and CountingPool.items == len(specs)  # repr: every digit, NaN equal to NaN
