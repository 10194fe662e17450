"""What a check or a sweep needs, memory and time, estimated from its arguments before any work.

The harness keeps, for each spec, its parameters after every step, (steps, P), and one row
per step; a sweep streams those rows to disk and keeps, per spec, the spec and its verdict until
the report is written, so that its memory is flat in --archs.  The constants were
measured on small networks (tracemalloc, RSS, wall time on 2 cores) and rounded so that
the estimate errs low: a refusal means the run would certainly not fit.
"""

from __future__ import annotations

import os

from comparisons.common.limits import refuse_if_over
from comparisons.common.spec import MAX_DEPTH, MAX_K, MAX_WIDTH

PROCESS_BYTES = 250 * 2**20  # one process with torch, NumPy and pandas imported (RSS 253 MB measured)
ROW_BYTES = 2000  # one step row held by the run: a dict of 16 numbers and strings, its DataFrame row
SPEC_BYTES = 5000  # one sampled spec and its gradient rows, at most 3 × 6 of them (700 B + 18 × 250 B)
# One architecture of a sweep until its report is written: its spec (585 B) and what the report keeps of
# it, its verdicts and its labels in the verdict table (1.3 KB; tracemalloc, 20 against 200 architectures
# of 100 steps in tests/test_sweep_stream.py; the peak RSS of a whole sweep, 300 against 3000
# architectures of 20 steps, grew by 3.2 KB per architecture).
ARCH_BYTES = 2000
# Rows on their way to disk, flat in --archs: the report reads CHUNK_ROWS rows (of whole architectures)
# into one DataFrame at a time; a pool runs POOL_WINDOW chunks of at most POOL_CHUNK architectures per
# process ahead of the report, enough that no worker waits; a cluster CLUSTER_WINDOW architectures.
CHUNK_ROWS = 5000
POOL_WINDOW = 4
POOL_CHUNK = 8
CLUSTER_WINDOW = 256
PARAM_COPIES = 10  # copies of W, b alive at once in training (NumPy's 11 measured, torch's besides)
ACTIVATION_COPIES = 6  # (K, n_l) arrays per layer alive at once: z, a, δ (NumPy's 6 measured, torch's besides)
# (steps, P) parameter histories the harness keeps: torch's trajectory, train()'s snapshots and TrainStep's
# run over the same schedule (each as a list and as an array), the drift (tracemalloc: 5.2 KB a step of a
# 47-parameter network, rows included, in tests/test_limits.py).
HISTORY_COPIES = 6
# Seconds of one process (CPU time, AMD EPYC), measured with the checks as they are now — every step judged from
# torch's state under the rounding model, train()'s own run and C_T history — and rounded down, so that the estimate
# errs low (`python -c` over check_spec / check_family on 40 and 200 sampled specs, seed 3, 0 and 50–100 steps).
STEP_SECONDS = 7e-4  # one step of both sides with its checks, one architecture alone (`check`: 750 µs measured)
SAMPLED_STEP_SECONDS = 1.1e-3  # the same, averaged over sampled specs checked one by one (1.13 ms measured)
SPEC_SECONDS = 4e-3  # building one sampled spec alone and its start checks (4.1 ms measured)
# A family's architecture: its share of the stacked training and of the per-member checks (families of 10:
# 1.4 ms (float64) and 2.2 ms (float32) at the start, 0.40–0.45 ms a step measured).
FAMILY_SPEC_SECONDS = 1.4e-3
FAMILY_STEP_SECONDS = 4e-4
ROW_WRITE_SECONDS = 8e-6  # one trajectory row written to the report, in the parent
SAMPLE_SECONDS = 3e-5  # sampling one spec (59 µs measured)
FLOP_RATE = 5e10  # flop/s of both sides' GEMMs, above what 2 cores reach, so that time errs low


def spec_needs(sizes, K, batch, steps, itemsize, one_hot=False):
    """(bytes by cause, seconds) to check one spec: its parameters, its examples, its steps.

    P = Σ_l n_l (n_{l-1} + 1) parameters; a step costs about 12·batch·P flop on the two
    sides together (forward, two backward GEMMs, 2 flop per multiply-add).
    """
    P = sum(n * (m + 1) for m, n in zip(sizes[:-1], sizes[1:]))
    N = sum(sizes)
    sgd = batch < K
    parts = {
        "sizes": PARAM_COPIES * P * 8 + (sizes[-1] ** 2 * 8 if one_hot else 0),  # + the one-hot table np.eye(n_L)
        "K": ACTIVATION_COPIES * K * N * 8,
        "steps": steps * (HISTORY_COPIES * P * itemsize + ROW_BYTES + (8 * batch + 112 if sgd else 8)),
    }
    flop = 12 * batch * P + (4 * K * P if sgd else 0)  # sgd also evaluates C_T on all of X after each step
    seconds = SPEC_SECONDS + 12 * K * P / FLOP_RATE + steps * (STEP_SECONDS + flop / FLOP_RATE)
    return parts, seconds


def check_spec_fits(spec, max_memory, max_time):
    """Refuse `check --spec` past the limits, naming the field that makes it large."""
    import numpy as np

    parts, seconds = spec_needs(
        spec.sizes, spec.K, spec.batch, spec.steps, np.dtype(spec.dtype).itemsize, spec.cost == "cross_entropy"
    )
    P = sum(n * (m + 1) for m, n in zip(spec.sizes[:-1], spec.sizes[1:]))
    cause = max(parts, key=parts.get)
    causes = {
        "sizes": f"sizes {list(spec.sizes)} ({P} parameters)",
        "K": f"K ({spec.K} examples)",
        "steps": f"steps ({spec.steps} × {P} parameters kept)",
    }
    what = f"--spec: its {causes[cause]}"
    need = PROCESS_BYTES + sum(parts.values())
    refuse_if_over(what, need, seconds, max_memory, max_time)
    return need, seconds


def sweep_needs(archs, steps, jobs, cluster=False, family=1):
    """(bytes, seconds) of a sweep: the sampler's largest spec (G of them at once in a family), every spec's
    verdict, the rows in flight."""
    worst, _ = spec_needs([MAX_WIDTH] * (MAX_DEPTH + 1), MAX_K, MAX_K, steps, 8)
    if family > 1:
        spec_s = FAMILY_SPEC_SECONDS + steps * FAMILY_STEP_SECONDS
    else:
        spec_s = SPEC_SECONDS + steps * SAMPLED_STEP_SECONDS
    workers = jobs if jobs > 1 else 0
    need = PROCESS_BYTES * (1 + workers) + max(1, workers) * family * sum(worst.values())
    unit = max(POOL_CHUNK, family)  # architectures a pool round trip carries: a chunk of specs, or a family
    ahead = max(CLUSTER_WINDOW, family) if cluster else (POOL_WINDOW * workers + 1) * unit if workers else family
    need += archs * ARCH_BYTES + min(archs, ahead) * (SPEC_BYTES + steps * ROW_BYTES)
    seconds = archs * (SAMPLE_SECONDS + steps * ROW_WRITE_SECONDS) + archs * spec_s / max(
        1, min(jobs, os.cpu_count() or 1)
    )
    return need, seconds


def check_sweep_fits(args):
    """Refuse `sweep` past the limits, naming --archs, --steps and --jobs."""
    family = min(args.family or 1, args.archs)
    need, seconds = sweep_needs(args.archs, args.steps, args.jobs, args.scheduler is not None, family)
    what = f"--archs {args.archs} with --steps {args.steps}" + (f" and --jobs {args.jobs}" if args.jobs > 1 else "")
    what += f" in families of {family}" if family > 1 else ""
    refuse_if_over(what, need, seconds, args.max_memory, args.max_time)
    return need


SELFTEST_FAMILY = 4  # selftest's families: this many grown from each sampled spec
PLANTED = 30  # selftest's planted bugs (comparisons/sweep/mutations.py; a test holds the two together)


def check_selftest_fits(archs, steps, max_memory, max_time):
    """Refuse `selftest` past the limits: the unmutated run and each planted bug are a sweep of 2 × --archs specs
    (both dtypes) in families of SELFTEST_FAMILY."""
    need, seconds = sweep_needs(2 * archs, steps, 1, False, SELFTEST_FAMILY)
    refuse_if_over(f"--archs {archs} with --steps {steps}", need, (1 + PLANTED) * seconds, max_memory, max_time)
