"""The bench's cases: every size of the ladder × dtype × activation × thread count, each side timed in
the same interleaved rounds, and manual_bp's step split into GEMM, elementwise and update."""

from __future__ import annotations

import contextlib
import os

import numpy as np
import torch

from comparisons.bench import sides
from comparisons.bench.ladder import LADDER  # (sizes, K): the lecture's network, then the ladder of the issue
from comparisons.bench.memory import step_memory
from comparisons.bench.split import gemm_flops, gemm_step, update_step
from comparisons.bench.timing import best_ratio, gemm_peak, measure

DTYPES = ("float64", "float32")
ACTIVATIONS = ("sigmoid", "relu")
THREADS = (1, 2)  # 1 is the headline: stable; 2 is this machine's core count
ETA = 1e-3  # divided by K: small enough that repeated steps leave the weights where they were
SIDES = ("manual", *sides.BASELINES)
PLAIN_TORCH = ("torch_plain", "torch_compiled")  # (a): the faster of the two is the baseline of the targets
FLOOR_TARGET = 1.1  # manual / the NumPy floor at 1 thread, every size: manual_bp's own overhead at most 10 %
GEMM_SHARE_TARGET = 80.0  # % of NumPy's GEMM peak (a best run) wanted of the step's GEMMs' best run at 1 thread,
GEMM_SHARE_SIZES = ("784-512-512-10", "1024-1024-1024-1024")  # at the sizes where GEMMs are most of the step


@contextlib.contextmanager
def thread_count(n):
    """NumPy's BLAS (threadpoolctl) and torch (``torch.set_num_threads``) both at n threads; restored after."""
    from threadpoolctl import threadpool_info, threadpool_limits

    before = torch.get_num_threads()
    try:
        with threadpool_limits(limits=n, user_api="blas"):
            torch.set_num_threads(n)
            blas = [p["num_threads"] for p in threadpool_info() if p.get("user_api") == "blas"]
            yield blas[0] if blas else None
    finally:
        torch.set_num_threads(before)


def target_ratio(sizes):
    """The issue's targets for manual / the fastest plain torch step at 1 thread: 0.25 at the lecture's 12-3-2,
    1.0 at every larger size."""
    return 0.25 if tuple(sizes) == (12, 3, 2) else 1.0


def _best(row):
    return row["manual_ratio_best"]


def load_average():
    """os.getloadavg()'s 1-, 5- and 15-minute load averages, or None where the platform has none."""
    try:
        return tuple(os.getloadavg())
    except (AttributeError, OSError):
        return None


def run_case(sizes, K, dtype, activation, settings, threads, skip_compile=None):
    """One row per thread count and side: its timings, manual's ratio to it, and manual's split and memory."""
    net, X, T = sides.problem(sizes, K, dtype, activation)
    eta = ETA / K
    mem_peak, mem_needed, mem_allowed = step_memory(sides.copy_net(net), X, T)
    rows, best = [], {}
    for n in threads:
        with thread_count(n) as blas_threads:
            base, errors = sides.baselines(net, X, T, eta, skip_compile)
            fns = {"manual": sides.manual(net, X, T, eta).step, **{name: s.step for name, s in base.items()}}
            fns["gemm"], fns["update"] = gemm_step(net, X, T), update_step(net, X, T, eta)
            t = measure(fns, settings, reference=best)
        best = {name: min(x.best_block, best.get(name, np.inf)) for name, x in t.items()}
        m = t["manual"].stats()
        case = dict(sizes="-".join(map(str, sizes)), K=K, dtype=dtype, activation=activation, threads=n)
        for side in SIDES:
            row = dict(case, side=side, blas_threads=blas_threads, error=errors.get(side, ""))
            if side in t:
                s = t[side].stats()
                row.update(
                    median_ms=s["median"] * 1e3,
                    q25_ms=s["q25"] * 1e3,
                    q75_ms=s["q75"] * 1e3,
                    min_ms=s["min"] * 1e3,
                    runs=s["n"],
                    stalls=t[side].stalls,
                    remeasured=t[side].remeasured,
                    noisy=t["manual"].noisy or t[side].noisy,
                    manual_ratio=m["median"] / s["median"],
                    manual_ratio_best=best_ratio(t["manual"], t[side]),
                )
            rows.append(row)
        (gemm, gemm_best), update = (t["gemm"].stats()[k] for k in ("median", "min")), t["update"].stats()["median"]
        plain = [r for r in rows[-len(SIDES) :] if r["side"] in PLAIN_TORCH and "median_ms" in r]
        fastest = max(plain, key=_best)  # the plain torch side manual_bp compares worst against
        rows[-len(SIDES)].update(
            fastest_torch=fastest["side"],
            manual_over_fastest_torch=fastest["manual_ratio"],
            manual_over_fastest_torch_best=fastest["manual_ratio_best"],
            target_ratio=target_ratio(sizes),
            gemm_ms=gemm * 1e3,
            update_ms=update * 1e3,
            elementwise_ms=(m["median"] - gemm - update) * 1e3,
            gemm_flops=gemm_flops(sizes, K),
            gemm_gflops=gemm_flops(sizes, K) / gemm / 1e9,
            gemm_best_gflops=gemm_flops(sizes, K) / gemm_best / 1e9,
            split_noisy=t["gemm"].noisy or t["update"].noisy,
            mem_peak_mib=mem_peak / 2**20,
            mem_needed_mib=mem_needed / 2**20,
            mem_bound_mib=(mem_needed + mem_allowed) / 2**20,
            mem_ok=bool(mem_peak <= mem_needed + mem_allowed),
        )
    return rows


def gemm_peaks(settings, threads):
    """{(library, dtype, threads): (GFLOP/s, n)} for NumPy and torch at every thread count."""
    peaks = {}
    for n in threads:
        with thread_count(n):
            for library in ("numpy", "torch"):
                for dt in DTYPES:
                    peaks[library, dt, n] = gemm_peak(dt, settings, library)
    return peaks


def run_bench(settings, ladder=LADDER, threads=THREADS, skip_compile=None, progress=None):
    """Every case of ladder × DTYPES × ACTIVATIONS × threads, and the GEMM peaks (the best of start and end).

    Returns (rows, peaks, load): load is {"start": ..., "end": ...}, each ``load_average()``."""
    load = {"start": load_average()}
    peaks = gemm_peaks(settings, threads)
    rows = []
    for dt in DTYPES:
        for act in ACTIVATIONS:
            for sizes, K in ladder:
                case = run_case(sizes, K, dt, act, settings, threads, skip_compile)
                rows += case
                if progress:
                    progress(case)
    peaks = {k: max(v, p) for (k, v), p in zip(peaks.items(), gemm_peaks(settings, threads).values())}
    load["end"] = load_average()
    for r in rows:
        if r["side"] == "manual":
            r["gemm_peak_gflops"] = peaks["numpy", r["dtype"], r["threads"]][0]
            r["gemm_share_pct"] = 100 * r["gemm_best_gflops"] / r["gemm_peak_gflops"]  # best against best
            r["gemm_share_median_pct"] = 100 * r["gemm_gflops"] / r["gemm_peak_gflops"]
    return rows, peaks, load
