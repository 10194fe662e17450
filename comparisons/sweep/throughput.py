"""`deltacheck sweep-bench`: architecture-checks per second, families against one architecture at a time.

On the same specs (sampled in families of --family), in one run, it times:
(a) the bare stacked trainings alone — manual_bp.Family's TrainStep and torch_ref.TorchFamily's
    torch.optim steps, no checks — the floor the checks are added to;
(b) the sweep's full checks on families (shared start, gradients, δ, costs, inputs, training
    paths, every trajectory step), at --jobs 1 and --jobs 2;
(c) the same checks one architecture at a time (the path `--family 1` takes), on the first
    --single of the specs, at --jobs 1.
Rounds are interleaved, so that a slow spell of the machine hits every row alike; the fastest of
each is kept.  Every architecture of every (b) run must pass, or the bench says so and exits 1.
"""

from __future__ import annotations

import os
import time

import numpy as np
import torch

import manual_bp
from comparisons.common.spec import sample_specs
from comparisons.sweep.harness import build
from comparisons.sweep.runner import family_groups, init_worker, iter_results


def bare_training(specs, family):
    """Seconds for both stacked trainings of every family: build, then plain optimizer loops."""
    t0 = time.perf_counter()
    for group in family_groups(specs, family):
        members, net, ref, X, T = build(0, group)
        spec, batches = group[0], members[0].batches
        step = manual_bp.TrainStep(net, manual_bp.SGD(spec.eta, spec.momentum))
        with np.errstate(all="ignore"):  # a diverging run overflows: timed, not warned about (the sweep judges it)
            for idx in batches:
                step(X[..., idx, :], T[..., idx, :])
        topt = ref.optimizer(spec.eta, spec.momentum)
        Xt, Tt = ref.tensor(X), ref.tensor(T)
        for idx in batches:
            i = torch.from_numpy(idx)
            ref.step(topt, Xt[:, i], Tt[:, i])
    return time.perf_counter() - t0


def timed_sweep(specs, jobs, family):
    """(seconds, failing architectures) of the full checks."""
    t0 = time.perf_counter()
    failing = sum(
        not (all(r["passed"] for r in g) and all(r["passed"] for r in t))
        for g, t in iter_results(specs, jobs, "cpu", False, family=family)
    )
    return time.perf_counter() - t0, failing


def measure(archs, seed, steps, repeat, family, single):
    """One row per way of checking: seconds (fastest round), architectures, checks per second, ratio to (a)."""
    specs = sample_specs(archs, seed, "float64", steps, family)
    init_worker()
    bare_training(specs[: 2 * family], family)  # warm-up: torch's first calls are slow
    runs = {"(a) bare stacked trainings": [], "(b) families, --jobs 1": [], "(b) families, --jobs 2": []}
    runs["(c) one at a time, --jobs 1"] = []
    failing = 0
    for _ in range(repeat):
        runs["(a) bare stacked trainings"].append(bare_training(specs, family))
        for jobs in (1, 2):
            seconds, bad = timed_sweep(specs, jobs, family)
            runs[f"(b) families, --jobs {jobs}"].append(seconds)
            failing = max(failing, bad)
        runs["(c) one at a time, --jobs 1"].append(timed_sweep(specs[:single], 1, 1)[0])
    bare = min(runs["(a) bare stacked trainings"])
    rows = []
    for name, times in runs.items():
        n = single if name.startswith("(c)") else archs
        s = min(times)
        rows.append(dict(run=name, archs=n, seconds=s, arch_checks_per_s=n / s, over_bare=(s / n) / (bare / archs)))
    return rows, failing


def load():
    """The 1-minute load average, or NaN where the system does not give one."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")
