"""`deltacheck sweep --conv` and `deltacheck selftest --conv`: the sweep's commands on convolutional networks."""

from __future__ import annotations

import os
import shlex
from dataclasses import replace

from comparisons.common.errors import UsageError
from comparisons.common.limits import fmt_seconds
from comparisons.common.progress import chosen

SECONDS_PER_STEP = 0.015  # measured at 1 thread, float32, each architecture alone (0.014 s); a family takes less
MAX_JOBS = 8  # as the sweep's own default
CONV_FAMILY = 8  # members per family by default: one architecture's G networks as one stack; 125 shapes per 1000
CONV_HELP = "convolutional architectures (conv, max/avg pooling, dense layers) instead of dense ones"


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
    seconds = args.archs * (args.steps + 2) * SECONDS_PER_STEP / args.jobs
    if seconds > args.max_time:
        raise UsageError(f"--archs {args.archs} with --steps {args.steps} and --conv would take about "
                         f"{fmt_seconds(seconds)}, over --max-time {fmt_seconds(args.max_time)}")  # fmt: skip

    from comparisons.common.convnet import sample_conv_specs
    from comparisons.common.interrupts import terminate_on_signals
    from comparisons.sweep.conv.run import iter_rows, markdown, verdicts

    command = (f"deltacheck sweep --conv --archs {args.archs} --seed {args.seed} --steps {args.steps} "
               f"--dtype {args.dtype} --family {args.family} --jobs {args.jobs} "
               f"--out {shlex.quote(str(args.out))}")  # fmt: skip
    with terminate_on_signals():
        specs = sample_conv_specs(args.archs, args.seed, args.dtype, args.steps, args.family)
        archs, failing = verdicts(specs, iter_rows(specs, args.jobs, chosen(args), args.family))
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
    command = (f"deltacheck selftest --conv --archs {args.archs} --seed {args.seed} --steps {args.steps} "
               f"--out {shlex.quote(str(args.out))}")  # fmt: skip
    pairs = zip(*(sample_conv_specs(args.archs, args.seed, d, args.steps) for d in ("float64", "float32")))
    featured = [featured_spec(d, args.steps) for d in ("float64", "float32")]  # every bug can show on these
    featured.append(replace(featured[0], optimizer="sgd", batch_size=2, momentum=0.0, steps=max(args.steps, 2)))
    specs = featured + [s for pair in pairs for s in pair]
    clean, table = teeth(CONV_MUTATIONS, specs, progress=chosen(args))
    with atomic_dir(out) as stage:
        write_text(stage / "selftest_conv.md", teeth_markdown(command, clean, table, len(specs)))
        write_csv(table, stage / "selftest_conv.csv")
    caught = int((table["caught"] > 0).sum())
    print(f"{caught} of {len(table)} planted conv bugs caught; unmutated run {'passes' if not clean else 'FAILS'}; "
          f"report in {out}/selftest_conv.md")  # fmt: skip
    return 0 if caught == len(table) and not clean else 1
