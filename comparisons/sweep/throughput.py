"""`deltacheck sweep-bench`: where a sweep's time goes — bare training against the full checks.

On the same specs, in one run, it times (a) the two trainings alone (a plain loop of
torch.optim steps and of manual_bp steps, no checks) and (b) the sweep's harness (shared
start, gradient and δ checks, both trajectories with per-step comparison), for --jobs 1
and --jobs 2, and prints architecture-checks per second and the ratio (b)/(a).
"""

from __future__ import annotations

import time

import torch

import manual_bp
from comparisons.common.spec import sample_specs
from comparisons.sweep.harness import build
from comparisons.sweep.runner import init_worker, run_specs


def bare_training(specs):
    """Seconds for both trainings of every spec: build, then plain optimizer loops."""
    t0 = time.perf_counter()
    for spec in specs:
        net, ref, X, T, batches = build(spec)
        X, T = net.check_data(X, T)
        step = manual_bp.TrainStep(net, manual_bp.SGD(spec.eta, spec.momentum))
        for idx in batches:
            step(X[idx], T[idx])
        topt = ref.optimizer(spec.eta, spec.momentum)
        Xt, Tt = ref.tensor(X), ref.tensor(T)
        for idx in batches:
            i = torch.from_numpy(idx)
            ref.step(topt, Xt[i], Tt[i])
    return time.perf_counter() - t0


def _timed(f, *args):
    t0 = time.perf_counter()
    f(*args)
    return time.perf_counter() - t0


def measure(archs, seed, steps, repeat):
    """Rows for --jobs 1 and 2: bare seconds (a), sweep seconds (b), checks per second, (b)/(a)."""
    specs = sample_specs(archs, seed, "float64", steps)
    init_worker()
    bare_training(specs[:5])  # warm-up: torch's first calls are slow
    a, b = [], {1: [], 2: []}
    for _ in range(repeat):  # interleaved, so that a slow spell of the machine hits all three alike
        a.append(_timed(bare_training, specs))
        for jobs in (1, 2):
            b[jobs].append(_timed(run_specs, specs, jobs, "cpu", False))
    a_s = min(a)
    return [
        dict(
            jobs=jobs,
            bare_s=a_s,
            sweep_s=min(b[jobs]),
            arch_checks_per_s=len(specs) / min(b[jobs]),
            ratio_b_over_a=min(b[jobs]) / a_s,
        )
        for jobs in (1, 2)
    ]
