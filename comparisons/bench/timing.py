"""Timing one full training step of manual_bp and of torch_ref, against NumPy's own GEMM peak.

A training step is forward, δ (or autograd's backward), gradients and the update, on the same
network from the same weights, the same data, dtype and thread count:
- manual_bp: ``TrainStep(net, SGD(eta))`` called on data checked once beforehand;
- torch_ref: ``zero_grad``, ``TorchMLP.forward``, ½ Σ (t − a)² by ``F.mse_loss``,
  ``backward``, ``torch.optim.SGD.step`` (from ``TorchMLP.optimizer``).
Flops per step are counted as 6·K·Σ_l n_l·n_{l-1}: three matrix products of 2·K·n_l·n_{l-1}
each per layer (forward, δ^{l-1}, ∂C/∂W^l).  δ^1 is never formed, so the true count is lower
by 2·K·n_2·n_1: the share of peak is slightly flattering, by that layer's part.
Targets: manual/torch ≤ ``target_ratio(sizes)`` for every dtype and activation, manual_bp at
≥ SHARE_TARGET of the GEMM peak at width 1024 in float64, and memory within ``step_memory``'s bound.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import os
import time
import tracemalloc
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

import manual_bp
from torch_ref import TorchMLP

# (sizes, K): the lecture's network, then the ladder of the issue
LADDER = [((12, 3, 2), 64), ((784, 100, 10), 64), ((784, 512, 512, 10), 256), ((1024, 1024, 1024, 1024), 512)]
QUICK_LADDER = LADDER  # --quick runs the whole ladder with fewer repeats (tests swap in a smaller one)
DTYPES = ("float64", "float32")
ACTIVATIONS = ("sigmoid", "relu")
COST = "squared_error"
ETA = 1e-3  # divided by K: small enough that repeated steps leave the weights where they were
PYTHON_SLACK = 64 * 2**10  # bytes of Python objects (dicts, the Buffers object) allowed in the memory bound
NOISY_IQR = 0.2  # a case is noisy when either side's IQR exceeds this share of its median,
NOISY_MIN = 2.0  # or its median exceeds this multiple of its fastest run


@dataclass(frozen=True)
class Settings:
    """How long to measure: warm-up runs, then ``rounds`` alternating blocks of each side.

    Each block runs at least min_reps/rounds times and, while its time stays under
    max_time/rounds, until it has both min_time/rounds seconds and target_reps/rounds runs:
    a cheap step gets many runs, a costly one only min_reps.  The GEMM peak is the best of
    ``peak_reps`` products at each n."""

    warmup: int
    min_reps: int
    min_time: float  # seconds per side and case
    peak_sizes: tuple  # square GEMM sizes n for the peak (n×n times n×n)
    rounds: int = 4
    target_reps: int = 0  # runs per side and case wanted when they fit in max_time
    max_time: float = 0.0  # seconds per side and case beyond which only min_reps is kept
    peak_reps: int = 6


FULL = Settings(
    warmup=3,
    min_reps=12,
    min_time=1.0,
    peak_sizes=(512, 1024, 2048),
    rounds=4,
    target_reps=40,
    max_time=3.0,
    peak_reps=6,
)
QUICK = Settings(
    warmup=1, min_reps=4, min_time=0.15, peak_sizes=(512, 1024), rounds=2, target_reps=20, max_time=0.4, peak_reps=6
)


def flops(sizes, K):
    """6·K·Σ_l n_l·n_{l-1}: the three matrix products per layer of one training step."""
    return 6 * K * sum(n_prev * n_l for n_prev, n_l in zip(sizes[:-1], sizes[1:]))


def median_times(fns, settings):
    """Timings in seconds of each fn() after warm-up: a dict of median, q25, q75 (the
    interquartile range, IQR), min and n, the number of timed runs.

    The functions take turns in blocks (``settings.rounds`` per function), so that a stretch of
    load from other processes falls on both sides alike rather than on whichever ran then.
    """
    for fn in fns:
        for _ in range(settings.warmup):
            fn()
    times = [[] for _ in fns]
    reps = -(-settings.min_reps // settings.rounds)
    want = -(-settings.target_reps // settings.rounds)
    t_min, t_max = settings.min_time / settings.rounds, max(settings.max_time, settings.min_time) / settings.rounds
    for _ in range(settings.rounds):
        for fn, ts in zip(fns, times):
            time.sleep(0.02)  # let the other side's idle threads stop spinning first
            start, n = time.perf_counter(), 0
            while n < reps or (n < 2000 and _more(time.perf_counter() - start, n, want, t_min, t_max)):
                ts.append(_timed(fn))
                n += 1
    return [
        dict(zip(("median", "q25", "q75"), map(float, np.percentile(ts, [50, 25, 75]))), min=min(ts), n=len(ts))
        for ts in times
    ]


def is_noisy(t):
    """Whether timings ``t`` (from median_times) are too spread to quote: an IQR over NOISY_IQR of the
    median, or a median over NOISY_MIN times the fastest run (a slow stretch that filled the IQR too)."""
    return (t["q75"] - t["q25"]) > NOISY_IQR * t["median"] or t["median"] > NOISY_MIN * t["min"]


def _more(elapsed, n, want, t_min, t_max):
    """Whether a block goes on: short of its time or of its wanted runs, and within its time cap."""
    return elapsed < t_min or (n < want and elapsed < t_max)


def gemm_peak(dtype, settings):
    """NumPy's best rate over square products A @ B (n×n each): (GFLOP/s, n at which it was reached).

    The peak is a limit, so the best run counts; ``run_bench`` measures it before and after the
    cases and keeps the higher, so that a burst of load from other processes does not lower it."""
    rng = np.random.default_rng(0)
    best = (0.0, 0)
    for n in settings.peak_sizes:
        A, B = (rng.standard_normal((n, n)).astype(dtype) for _ in range(2))
        C = np.empty((n, n), dtype)
        matmul = functools.partial(np.matmul, A, B, out=C)
        for _ in range(settings.warmup):
            matmul()
        t = min(_timed(matmul) for _ in range(max(settings.peak_reps, 1)))
        best = max(best, (2 * n**3 / t / 1e9, n))
    return best


def _timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def problem(sizes, K, dtype, activation, seed=0):
    """The shared start: manual_bp.MLP, TorchMLP from the same arrays, and X (K, n_1), T (K, n_L)."""
    net = manual_bp.MLP.init(list(sizes), activation, COST, seed=seed, dtype=dtype)
    ref = TorchMLP(net.W, net.b, net.activations, COST)
    rng = np.random.default_rng(seed + 1)
    X = rng.random((K, sizes[0])).astype(dtype)  # (K, n_1)
    T = rng.random((K, sizes[-1])).astype(dtype)  # (K, n_L)
    X, T = net.check_data(X, T)  # checked once, outside the timed step
    return net, ref, X, T


def manual_step(net, X, T):
    """manual_bp's training step as a closure: TrainStep with SGD(η/K)."""
    step = manual_bp.TrainStep(net, manual_bp.SGD(ETA / len(X)))
    return lambda: step(X, T)


def torch_step(ref, X, T):
    """torch_ref's training step as a closure: autograd's backward and torch.optim.SGD(η/K)."""
    Xt, Tt = torch.from_numpy(X), torch.from_numpy(T)  # the same memory, no copy
    opt = ref.optimizer(ETA / len(X))

    def step():
        opt.zero_grad(set_to_none=True)
        _, a = ref.forward(Xt, retain=False)
        C = 0.5 * F.mse_loss(a[ref.L], Tt, reduction="sum")  # C_T = Σ_k ½ Σ_j (t_j − a_j^L)²
        C.backward()
        opt.step()

    return step


def step_memory(net, X, T):
    """tracemalloc peak of one manual step from fresh buffers, and what eqs (1)–(5) need at once.

    Peak: the most bytes allocated at one time during TrainStep's first call, which makes its
    buffers; W, b, X and T exist beforehand and count in neither figure.
    Needed: z^l, a^l (K, n_l) of every layer, kept from the forward pass for δ; ∂C/∂W^l, ∂C/∂b^l
    of every layer, since no update may start before δ^2 is formed (it needs W^3); and the
    larger of two adjacent δ's (δ^l is a product of δ^{l+1}, which lives until it is formed)
    and η·∂C/∂W for the largest W (the update's product).  Only one or two δ's exist at a time,
    never δ^l of every layer.  Allowed on top: one activation-sized temporary per layer
    (σ'(z^l) and the like), Σ_l K·n_l elements, and PYTHON_SLACK for Python's own objects
    (which dominate only at the lecture's size).  Returns (peak, needed, allowed) in bytes.
    """
    sizes, item = net.sizes, net.dtype.itemsize
    K = len(X)
    widths = list(sizes[1:])  # n_2 … n_L: layers with z, a and δ
    act = sum(K * n for n in widths) * item
    params = sum(W.size + net.b[l].size for l, W in net.W.items()) * item
    two_deltas = max([K * (m + n) for m, n in zip(widths[:-1], widths[1:])] + [K * widths[-1]]) * item
    update = max(W.size for W in net.W.values()) * item
    needed = 2 * act + params + max(two_deltas, update)
    step = manual_bp.TrainStep(net, manual_bp.SGD(ETA / K))
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        step(X, T)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    return peak, needed, act + PYTHON_SLACK


def blas_threads():
    """NumPy's BLAS thread count and how it is known (threadpoolctl if installed, else the environment)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
            if os.environ.get(var, "").isdigit():
                return int(os.environ[var]), f"${var} (threadpoolctl not installed)"
        return os.cpu_count() or 1, "OpenBLAS's default, the CPU count (threadpoolctl not installed)"
    blas = [p for p in threadpool_info() if p.get("user_api") == "blas" and "numpy" in p.get("filepath", "")]
    blas = blas or [p for p in threadpool_info() if p.get("user_api") == "blas"]
    if not blas:
        return os.cpu_count() or 1, "unknown (threadpoolctl found no BLAS)"
    return blas[0]["num_threads"], f"threadpoolctl ({blas[0]['internal_api']})"


def limit_threads(n):
    """A context manager that sets NumPy's BLAS threads to n (needs threadpoolctl); no change if n is None."""
    if n is None:
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=n, user_api="blas")


def run_case(sizes, K, dtype, activation, settings, threads):
    """One row: median step times of both sides with their IQR, their ratio, manual's GFLOP/s, memory."""
    net, ref, X, T = problem(sizes, K, dtype, activation)
    mem_peak, mem_needed, mem_allowed = step_memory(net, X, T)
    m, t = median_times([manual_step(net, X, T), torch_step(ref, X, T)], settings)
    fl = flops(sizes, K)
    return dict(
        sizes="-".join(map(str, sizes)),
        K=K,
        dtype=dtype,
        activation=activation,
        threads=threads,
        manual_ms=m["median"] * 1e3,
        torch_ms=t["median"] * 1e3,
        ratio=m["median"] / t["median"],
        manual_q25_ms=m["q25"] * 1e3,
        manual_q75_ms=m["q75"] * 1e3,
        torch_q25_ms=t["q25"] * 1e3,
        torch_q75_ms=t["q75"] * 1e3,
        manual_min_ms=m["min"] * 1e3,
        torch_min_ms=t["min"] * 1e3,
        noisy=is_noisy(m) or is_noisy(t),
        flops=fl,
        manual_gflops=fl / m["median"] / 1e9,
        torch_gflops=fl / t["median"] / 1e9,
        reps_manual=m["n"],
        reps_torch=t["n"],
        mem_peak_mib=mem_peak / 2**20,
        mem_needed_mib=mem_needed / 2**20,
        mem_allowed_extra_mib=mem_allowed / 2**20,
        mem_bound_mib=(mem_needed + mem_allowed) / 2**20,
    )


SHARE_TARGET = 75.0  # % of the GEMM peak wanted of manual_bp at 1024-1024-1024-1024, float64
SHARE_SIZES, SHARE_DTYPE = "1024-1024-1024-1024", "float64"


def target_ratio(sizes):
    """The issue's targets for manual/torch: 0.25 at the lecture size, 0.6 at 784-100-10, else 1.0."""
    return {(12, 3, 2): 0.25, (784, 100, 10): 0.6}.get(tuple(sizes), 1.0)


def load_average():
    """os.getloadavg()'s 1-, 5- and 15-minute load averages, or None where the platform has none."""
    try:
        return tuple(os.getloadavg())
    except (AttributeError, OSError):
        return None


def run_bench(settings, ladder=LADDER, threads=None, progress=None):
    """Every case of the ladder × dtypes × activations, and the GEMM peaks.

    Returns (rows, peaks, threads, source, load): load is {"start": ..., "end": ...}, each
    ``load_average()`` when the bench began and ended."""
    load = {"start": load_average()}
    torch_threads = torch.get_num_threads()
    try:
        with limit_threads(threads):
            n, source = blas_threads()
            torch.set_num_threads(n)
            peaks = {dt: gemm_peak(dt, settings) for dt in DTYPES}
            rows = []
            for dt in DTYPES:
                for act in ACTIVATIONS:
                    for sizes, K in ladder:
                        rows.append(run_case(sizes, K, dt, act, settings, n))
                        if progress:
                            progress(rows[-1])
            peaks = {dt: max(peaks[dt], gemm_peak(dt, settings)) for dt in DTYPES}  # the best of the start and the end
    finally:
        torch.set_num_threads(torch_threads)
    load["end"] = load_average()
    for r in rows:
        peak, _ = peaks[r["dtype"]]
        r["peak_gflops"] = peak
        r["share_of_peak_pct"] = 100 * r["manual_gflops"] / peak
        r["target_ratio"] = target_ratio(tuple(int(s) for s in r["sizes"].split("-")))
        r["meets_ratio"] = bool(r["ratio"] <= r["target_ratio"])
        r["mem_ok"] = bool(r["mem_peak_mib"] <= r["mem_bound_mib"])
    return rows, peaks, n, source, load
