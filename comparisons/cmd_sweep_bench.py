"""`deltacheck sweep-bench`: where a sweep's time goes — bare training against the full checks.

On the same specs, in one run, it times (a) the two trainings alone (a plain loop of
torch.optim steps and of manual_bp steps, no checks) and (b) the sweep's harness (shared
start, gradient and δ checks, both trajectories with per-step comparison), for --jobs 1
and --jobs 2, and prints architecture-checks per second and the ratio (b)/(a).
"""
from __future__ import annotations

import time

import pandas as pd
import torch

import manual_bp

from .argtypes import int_at_least
from .harness import build
from .spec import sample_specs
from .sweep import _init_worker, run_specs


def register(sub):
    p = sub.add_parser("sweep-bench", help="time the sweep against the bare cost of its two trainings",
                       description=__doc__)
    p.add_argument("--archs", type=int_at_least(1), default=100, help="random architectures (default 100)")
    p.add_argument("--seed", type=int_at_least(0), default=0, help="seed of the architecture sampler (default 0)")
    p.add_argument("--steps", type=int_at_least(1), default=100, help="training steps per architecture (default 100)")
    p.add_argument("--repeat", type=int_at_least(1), default=3,
                   help="rounds of (a), (b) --jobs 1, (b) --jobs 2, interleaved; the fastest of each is kept (default 3)")
    p.set_defaults(run=run)


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
        Xt, Tt = ref._tensor(X), ref._tensor(T)
        for idx in batches:
            i = torch.from_numpy(idx)
            topt.zero_grad(set_to_none=True)
            ref.loss(Xt[i], Tt[i])[0].backward()
            topt.step()
    return time.perf_counter() - t0


def _timed(f, *args):
    t0 = time.perf_counter()
    f(*args)
    return time.perf_counter() - t0


def run(args):
    specs = sample_specs(args.archs, args.seed, "float64", args.steps)
    _init_worker()
    bare_training(specs[:5])  # warm-up: torch's first calls are slow
    a, b = [], {1: [], 2: []}
    for _ in range(args.repeat):  # interleaved, so that a slow spell of the machine hits all three alike
        a.append(_timed(bare_training, specs))
        for jobs in (1, 2):
            b[jobs].append(_timed(run_specs, specs, jobs, "cpu", False))
    a_s = min(a)
    rows = [dict(jobs=jobs, bare_s=a_s, sweep_s=min(b[jobs]), arch_checks_per_s=len(specs) / min(b[jobs]),
                 ratio_b_over_a=min(b[jobs]) / a_s) for jobs in (1, 2)]
    print(f"{len(specs)} architectures × {args.steps} steps, float64, 1 torch thread per process; "
          f"(a) = bare trainings in one process, (b) = full checks; fastest of {args.repeat} interleaved rounds")
    print(pd.DataFrame(rows).to_markdown(index=False, floatfmt=".3g"))
    print(f"--jobs 2 speed-up over --jobs 1: {rows[0]['sweep_s'] / rows[1]['sweep_s']:.2f}×")
    return 0
