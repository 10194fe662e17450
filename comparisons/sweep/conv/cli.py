"""`deltacheck sweep --conv` and `deltacheck selftest --conv`: the sweep's commands on convolutional networks."""

from __future__ import annotations

import os
import shlex
from dataclasses import replace

from comparisons.common.errors import UsageError
from comparisons.common.limits import refuse_if_over
from comparisons.common.progress import chosen

# One architecture's step with its checks at 1 thread, rounded down so that an estimate errs low: alone (float32
# 0.014 s, float64 0.012 s measured) and in a family of 8 (float32 0.0061 s, float64 0.0043 s).
SECONDS_PER_STEP = 0.012
FAMILY_SECONDS_PER_STEP = 0.004
MAX_JOBS = 8  # as the sweep's own default
CONV_FAMILY = 8  # members per family by default: one architecture's G networks as one stack; 125 shapes per 1000
ROWS_PER_STEP = 10  # rows of one architecture's step: W, b (and velocities) of its layers, C_T (10 to 25 sampled)
SELFTEST_FAMILY = 4  # selftest --conv trains the sampled architectures as the sweep does: in families, both dtypes
CONV_HELP = "convolutional architectures (conv, max/avg pooling, dense layers) instead of dense ones"


def conv_needs(archs, steps, jobs, family=1, specs_per_arch=1):
    """(bytes, seconds) of a conv sweep, erring low: a process per job, each architecture's verdict, the rows in flight
    (``specs_per_arch``: how many times each architecture is checked, as selftest checks it once per planted bug)."""
    from comparisons.sweep.budget import ARCH_BYTES, POOL_CHUNK, PROCESS_BYTES, ROW_BYTES

    workers = jobs if jobs > 1 else 0
    in_flight = (1 + 2 * workers) * max(POOL_CHUNK, family) * ROWS_PER_STEP * (steps + 2) * ROW_BYTES
    need = PROCESS_BYTES * (1 + workers) + archs * ARCH_BYTES + in_flight
    per = FAMILY_SECONDS_PER_STEP if family > 1 else SECONDS_PER_STEP
    seconds = specs_per_arch * archs * (steps + 2) * per / max(1, min(jobs, os.cpu_count() or 1))
    return need, seconds


def run_conv_sweep(args):
    """Sample conv specs, check each, write conv_summary.md, conv_archs.csv and conv_failures.csv."""
    from comparisons.common.reportio import atomic_dir, check_out_dir, write_csv, write_text

    out = check_out_dir(args.out)
    for flag, given, why in (("--scheduler", bool(args.scheduler), "conv sweeps run in local processes"),
                             ("--device cuda", args.device != "cpu", "conv architectures run on the CPU")):  # fmt: skip
        if given:
            raise UsageError(f"{flag} with --conv: {why}; drop {flag}")
    args.family = min(args.family or CONV_FAMILY, args.archs)
    args.jobs = args.jobs or min(os.cpu_count() or 1, MAX_JOBS)  # the sweep's default: a process per core
    need, seconds = conv_needs(args.archs, args.steps, args.jobs, args.family)
    refuse_if_over(f"--archs {args.archs} with --steps {args.steps} and --conv", need, seconds, args.max_memory,
                   args.max_time)  # fmt: skip

    from comparisons.common.convnet import sample_conv_specs
    from comparisons.common.interrupts import terminate_on_signals
    from comparisons.sweep.conv.run import iter_rows, markdown, verdicts

    command = (f"deltacheck sweep --conv --archs {args.archs} --seed {args.seed} --steps {args.steps} "
               f"--dtype {args.dtype} --family {args.family} --jobs {args.jobs} "
               f"--out {shlex.quote(str(args.out))}")  # fmt: skip
    with terminate_on_signals():
        specs = sample_conv_specs(args.archs, args.seed, args.dtype, args.steps, args.family)
        archs, failing = verdicts(specs, iter_rows(specs, args.jobs, chosen(args), args.family), args.family)
        with atomic_dir(out) as stage:
            write_text(stage / "conv_summary.md", markdown(command, archs, failing, args.family))
            write_csv(archs, stage / "conv_archs.csv")
            write_csv(failing, stage / "conv_failures.csv")
    n_fail = int((~archs["passed"]).sum())
    edge = int((archs["not_compared"] > 0).sum())
    print(f"{len(archs) - n_fail} of {len(archs)} conv architectures pass"
          + (f" ({edge} with steps not compared: the run overflowed)" if edge else "")
          + f"; report in {out}/conv_summary.md")  # fmt: skip
    return 1 if n_fail else 0


def run_conv_selftest(args):
    """Plant each conv mutation over the same float64 and float32 specs; write selftest_conv.md and .csv."""
    from comparisons.common.convnet import featured_spec, sample_conv_specs
    from comparisons.common.reportio import atomic_dir, check_out_dir, write_csv, write_text
    from comparisons.sweep.conv.mutations import CONV_MUTATIONS
    from comparisons.sweep.conv.run import teeth, teeth_markdown

    out = check_out_dir(args.out)
    n = 2 * args.archs + 3  # both dtypes, and the three hand-built specs
    need, seconds = conv_needs(n, args.steps, 1, 1, 1 + len(CONV_MUTATIONS))  # the unmutated run, then each bug
    refuse_if_over(f"--archs {args.archs} with --steps {args.steps} and --conv", need, seconds, args.max_memory,
                   args.max_time)  # fmt: skip
    command = (f"deltacheck selftest --conv --archs {args.archs} --seed {args.seed} --steps {args.steps} "
               f"--out {shlex.quote(str(args.out))}")  # fmt: skip
    featured = [featured_spec(d, args.steps) for d in ("float64", "float32")]  # every bug can show on these
    featured.append(replace(featured[0], optimizer="sgd", batch_size=2, momentum=0.0, steps=max(args.steps, 2)))
    G = SELFTEST_FAMILY
    sampled = [sample_conv_specs(args.archs, args.seed, d, args.steps, G) for d in ("float64", "float32")]
    groups = [[s] for s in featured] + [f[i : i + G] for i in range(0, args.archs, G) for f in sampled]
    clean, table, through = teeth(CONV_MUTATIONS, groups, progress=chosen(args))
    with atomic_dir(out) as stage:
        n = sum(map(len, groups))
        write_text(stage / "selftest_conv.md", teeth_markdown(command, clean, table, n, through))
        write_csv(table, stage / "selftest_conv.csv")
    caught = int((table["caught"] > 0).sum())
    print(f"{caught} of {len(table)} planted conv bugs caught; unmutated run {'passes' if not clean else 'FAILS'}; "
          f"report in {out}/selftest_conv.md")  # fmt: skip
    return 0 if caught == len(table) and not clean else 1


def run_conv_check(args):
    """`deltacheck check --spec` on a conv architecture (as conv_archs.csv writes it): every row, then the verdict."""
    from comparisons.common.convnet import ConvSpec

    try:
        spec = ConvSpec.from_json(args.spec)
    except ValueError as e:
        raise UsageError(f"--spec: {e}") from None
    if args.device != "cpu":
        raise UsageError("--device cuda with a conv spec: conv architectures run on the CPU; drop --device")
    need, seconds = conv_needs(1, spec.steps, 1)
    refuse_if_over("--spec", need, seconds, args.max_memory, args.max_time)

    import pandas as pd

    from comparisons.sweep.console import quiet
    from comparisons.sweep.conv.check import COLUMNS
    from comparisons.sweep.conv.harness import check_conv_spec
    from comparisons.sweep.runner import init_worker

    init_worker()
    with quiet():
        rows = pd.DataFrame(check_conv_spec(0, spec), columns=COLUMNS).drop(columns=["arch"])
    bad = rows[~rows["passed"].astype(bool)]
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.max_colwidth", 80):
        print(spec.label())
        print(rows.drop(columns=["passed"]).to_string(index=False))
        first = f" (first: {bad['caught_by'].iloc[0]} at step {int(bad['step'].iloc[0])})" if len(bad) else ""
        print(f"{len(rows)} checks, {len(bad)} failing{first}")
    print("FAIL" if len(bad) else "PASS")
    return 1 if len(bad) else 0
