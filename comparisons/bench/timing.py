"""Interleaved timing with stall detection, and the GEMM peaks of NumPy and torch.

Every function of a case runs in each of ``rounds`` rounds, one block of runs each, in an order that
rotates from round to round, so that a stretch of load from other processes falls on all of them alike.
A block whose median exceeds STALL × the best block median of the same function — in this measurement
or in a reference one, the same step at another thread count — is a stall (a BLAS that stalls for tens
of ms at 2 threads on a loaded machine stalls whole blocks, or all of them): every round holding one is
measured again, up to ``remeasure`` times while the measurement stays within ``remeasure_within`` seconds
(a machine that stalls all the time would otherwise make it endless), and whatever stall remains is
counted and reported.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass

import numpy as np
import torch

STALL = 1.5  # a block is a stall when its median exceeds this multiple of the function's best block median
NOISY_IQR = 0.2  # timings are noisy when their IQR exceeds this share of their median, or a stall remains


@dataclass(frozen=True)
class Settings:
    """How long to measure: warm-up runs, then ``rounds`` blocks per function.

    A block runs at least ceil(min_reps/rounds) times and, while it stays under max_time/rounds
    seconds, until it has both min_time/rounds seconds and ceil(target_reps/rounds) runs: a cheap
    step gets many runs, a costly one only min_reps.  The GEMM peak is the best of ``peak_reps``
    products at each n of ``peak_sizes``."""

    warmup: int
    min_reps: int
    min_time: float  # seconds per function and case
    peak_sizes: tuple  # square GEMM sizes n for the peak (n×n times n×n)
    rounds: int = 4
    target_reps: int = 0
    max_time: float = 0.0  # seconds per function and case beyond which only min_reps is kept
    peak_reps: int = 6
    remeasure: int = 2  # passes that measure the rounds holding a stall again,
    remeasure_within: float = 60.0  # while the measurement has taken less than this many seconds
    pause: float = 0.02  # seconds before each block: the previous function's idle threads (OpenMP spins) stop


FULL = Settings(
    warmup=3,
    min_reps=12,
    min_time=0.4,
    peak_sizes=(512, 1024, 2048),
    rounds=4,
    target_reps=40,
    max_time=1.0,
    peak_reps=4,
)
QUICK = Settings(
    warmup=1,
    min_reps=4,
    min_time=0.1,
    peak_sizes=(512, 1024),
    rounds=2,
    target_reps=20,
    max_time=0.3,
    remeasure=1,
    remeasure_within=10.0,
)


@dataclass
class Timing:
    """One function's runs: all times in seconds, pooled."""

    times: list
    best_block: float  # the lowest block median, the reference a later measurement's stalls are judged by
    stalls: int  # blocks still a stall after re-measuring
    remeasured: int  # rounds measured again (for any function of the case)

    def stats(self):
        """median, q25, q75 (the interquartile range, IQR), min and n of the pooled runs."""
        q25, med, q75 = map(float, np.percentile(self.times, [25, 50, 75]))
        return dict(median=med, q25=q25, q75=q75, min=min(self.times), n=len(self.times))

    @property
    def noisy(self):
        s = self.stats()
        return bool(self.stalls) or (s["q75"] - s["q25"]) > NOISY_IQR * s["median"]


def measure(fns, settings, reference=None):
    """{name: Timing} for a dict of functions, interleaved in rounds with stalled rounds measured again.

    ``reference``: {name: seconds}, best block medians of the same functions measured before (at another
    thread count); a block over STALL × the lower of its own best and the reference is a stall."""
    names, reference, start = list(fns), reference or {}, time.perf_counter()
    for name in names:
        for _ in range(settings.warmup):
            fns[name]()
    blocks = {name: [None] * settings.rounds for name in names}

    def run_round(r):
        k = r % len(names)
        for name in names[k:] + names[:k]:  # rotated: no function always runs first, or after the same one
            blocks[name][r] = _block(fns[name], settings)

    for r in range(settings.rounds):
        run_round(r)
    remeasured = 0
    for _ in range(settings.remeasure):
        if time.perf_counter() - start > settings.remeasure_within:
            break
        stalled = sorted({r for name in names for r in stalled_blocks(blocks[name], reference.get(name))})
        for r in stalled:
            run_round(r)
        remeasured += len(stalled)
        if not stalled:
            break
    return {
        name: Timing(
            times=[t for b in blocks[name] for t in b],
            best_block=min(float(np.median(b)) for b in blocks[name]),
            stalls=len(stalled_blocks(blocks[name], reference.get(name))),
            remeasured=remeasured,
        )
        for name in names
    }


def stalled_blocks(blocks, reference=None):
    """Indices of the blocks whose median exceeds STALL × the best block median (or ``reference``, if lower)."""
    medians = [float(np.median(b)) for b in blocks]
    best = min(medians + ([reference] if reference else []))
    return [r for r, m in enumerate(medians) if m > STALL * best]


def best_ratio(a, b):
    """a's fastest run over b's fastest run, over all rounds: each side's cost with the least interference.

    Python's ``timeit`` takes the same view: the higher runs are other processes' doing, not the code's.  On this
    project's shared VM a 40 µs step runs at two speeds (about 0.035 and 0.06 ms) and the medians take whichever
    held more of the runs; the fastest runs of thousands agree to a few per cent from run to run."""
    return min(a.times) / min(b.times)


def _block(fn, settings):
    """One block of runs of fn: its times in seconds."""
    reps = -(-settings.min_reps // settings.rounds)
    want = -(-settings.target_reps // settings.rounds)
    t_min = settings.min_time / settings.rounds
    t_max = max(settings.max_time, settings.min_time) / settings.rounds
    time.sleep(settings.pause)
    times, start = [], time.perf_counter()
    while len(times) < reps or (
        len(times) < 5000 and _more(time.perf_counter() - start, len(times), want, t_min, t_max)
    ):
        times.append(_timed(fn))
    return times


def _more(elapsed, n, want, t_min, t_max):
    """Whether a block goes on: short of its time or of its wanted runs, and within its time cap."""
    return elapsed < t_min or (n < want and elapsed < t_max)


def _timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def gemm_peak(dtype, settings, library="numpy"):
    """The best rate of square products A @ B (n×n each) by NumPy or torch: (GFLOP/s, n where reached).

    The peak is a limit, so the best run counts; the bench measures it before and after the cases
    and keeps the higher, so that a burst of load from other processes does not lower it."""
    rng = np.random.default_rng(0)
    best = (0.0, 0)
    for n in settings.peak_sizes:
        A, B = (rng.standard_normal((n, n)).astype(dtype) for _ in range(2))
        C = np.empty((n, n), dtype)
        if library == "numpy":
            matmul = functools.partial(np.matmul, A, B, out=C)
        else:
            matmul = functools.partial(torch.mm, *map(torch.from_numpy, (A, B)), out=torch.from_numpy(C))
        for _ in range(settings.warmup):
            matmul()
        t = min(_timed(matmul) for _ in range(max(settings.peak_reps, 1)))
        best = max(best, (2 * n**3 / t / 1e9, n))
    return best
