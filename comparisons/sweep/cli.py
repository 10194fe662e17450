"""`deltacheck sweep`, `check` and `sweep-bench`: random architectures through the harness.

Heavy modules (torch, pandas, the harness) are imported inside each ``run_*``, so that
``--help`` and argument errors answer at once.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import shlex

from comparisons.common.argtypes import int_at_least
from comparisons.common.errors import UsageError
from comparisons.common.limits import DEFAULT_MAX_TIME, duration, memory_size
from comparisons.common.progress import add_progress_flags, chosen
from comparisons.common.spec import DTYPES
from comparisons.sweep.conv.cli import CONV_HELP
from comparisons.sweep.device import check_device

SWEEP_DOC = """`deltacheck sweep`: random architectures, gradients, δ and trajectories, written as a report."""
CUDA_FAMILY = 64  # --family's default with --device cuda: a stack big enough that the GPU's launches pay
MAX_AUTO_JOBS = 8  # --jobs's default: a process per core up to this (each holds torch, ~250 MB)
CPU_FAMILY = 10  # --family's default on the CPU: 100 distinct shapes per 1,000 architectures, 10 times the speed
CHECK_DOC = """`deltacheck check --spec JSON`: one architecture, every check printed (the reproducer)."""


def register(sub):
    register_sweep(sub)
    register_check(sub)
    register_sweep_bench(sub)
    register_selftest(sub)
    register_power(sub)


def register_sweep(sub):
    p = sub.add_parser(
        "sweep", help="compare manual_bp with torch on random architectures and write a report", description=SWEEP_DOC
    )
    p.add_argument("--archs", type=int_at_least(1), default=200, help="number of random architectures (default 200)")
    p.add_argument("--seed", type=int_at_least(0), default=0, help="seed of the architecture sampler (default 0)")
    p.add_argument("--steps", type=int_at_least(0), default=100, help="training steps per architecture (default 100)")
    p.add_argument("--dtype", choices=DTYPES, default="float64", help="precision of both sides (default float64)")
    p.add_argument("--jobs", type=int_at_least(1), default=None,
                   help="processes (default: one per core, up to 8, for a run of more than one family; "
                   "results are identical to --jobs 1)")  # fmt: skip
    p.add_argument(
        "--scheduler",
        type=scheduler_address,
        default=None,
        metavar="ADDRESS",
        help="run the architectures on the Dask cluster at ADDRESS (tcp://host:8786; its workers need deltacheck), "
        "or on a LocalCluster of 2 processes with 1 thread each for 'local'; results identical to --jobs 1; "
        "needs dask.distributed (pip install 'deltacheck[cluster]')",
    )
    p.add_argument(
        "--family",
        type=int_at_least(1),
        default=None,
        metavar="G",
        help="sample families of G architectures that differ only in their seed and train each family as one "
        f"stack on both sides: many times faster, G times fewer shapes (default {CPU_FAMILY} on the CPU, "
        f"{CUDA_FAMILY} with --device cuda, 8 with --conv; 1 checks each architecture alone)",
    )
    p.add_argument("--out", default="reports", help="output directory (default reports/)")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu", help="device of the torch side")
    add_progress_flags(p)
    p.add_argument("--conv", action="store_true", help=CONV_HELP)
    add_limits(p)
    p.set_defaults(run=run_sweep)


def default_jobs(args):
    """One process per core (at most MAX_AUTO_JOBS), but one for a single family or a cluster run."""
    if args.scheduler or args.archs <= args.family:
        return 1
    return max(1, min(os.cpu_count() or 1, MAX_AUTO_JOBS, -(-args.archs // args.family)))


def family_size(args):
    """--family as given, else CPU_FAMILY on the CPU and CUDA_FAMILY on a GPU (where one network is too small)."""
    return args.family or (CUDA_FAMILY if args.device == "cuda" else CPU_FAMILY)


def add_limits(p):
    """--max-memory and --max-time: the estimate of a run is checked against them before it starts."""
    p.add_argument(
        "--max-memory",
        type=memory_size,
        default=None,
        metavar="SIZE",
        help="refuse a run estimated to need more memory than SIZE, e.g. 64G (default: the memory available now)",
    )
    p.add_argument(
        "--max-time",
        type=duration,
        default=DEFAULT_MAX_TIME,
        metavar="DURATION",
        help="refuse a run estimated to take longer than DURATION, e.g. 90m or 12h (default: 1h)",
    )


def scheduler_address(text):
    """An argparse type: 'local' or a scheduler address such as tcp://10.0.0.5:8786 (host:port alone allowed)."""
    if not text.strip() or any(c.isspace() for c in text):
        raise argparse.ArgumentTypeError(f"expected 'local' or an address like tcp://host:8786, got {text!r}")
    scheme, sep, _ = text.partition("://")
    if sep and scheme != "tcp":  # ucx:// and tls:// need a configuration (security, UCX) that deltacheck does not pass
        raise argparse.ArgumentTypeError(f"only tcp:// addresses or 'local' are supported, got {text!r}")
    return text


def command_line(args):
    """The canonical command that reproduces this run."""
    where = f"--scheduler {shlex.quote(args.scheduler)}" if args.scheduler else f"--jobs {args.jobs}"
    family = f" --family {family_size(args)}"
    return (
        "deltacheck sweep " + f"--archs {args.archs} --seed {args.seed} --steps {args.steps} "
        f"--dtype {args.dtype}{family} {where} --device {args.device} --out {shlex.quote(str(args.out))}"
    )


def run_sweep(args):
    if args.conv:
        from comparisons.sweep.conv.cli import run_conv_sweep

        return run_conv_sweep(args)
    from comparisons.common.reportio import check_out_dir
    from comparisons.sweep.budget import check_sweep_fits

    out = check_out_dir(args.out)  # the arguments first: a bad one answers before torch is imported
    if args.scheduler and args.jobs not in (None, 1):
        raise UsageError("--jobs with --scheduler: the cluster's workers take the place of local processes; give one")
    args.family = min(family_size(args), args.archs)  # the device's default made explicit, for the report too
    args.jobs = args.jobs or default_jobs(args)
    need = check_sweep_fits(args)  # before anything is sampled, imported or written
    check_device(args.device)

    from comparisons.common.interrupts import terminate_on_signals
    from comparisons.common.limits import resource_errors
    from comparisons.common.reportio import atomic_dir
    from comparisons.sweep.console import quiet
    from comparisons.sweep.report import write_report
    from comparisons.sweep.runner import iter_results

    with terminate_on_signals(), resource_errors(f"--archs {args.archs} with --steps {args.steps}", need), quiet():
        specs = sample_with_progress(args)
        results = iter_results(specs, args.jobs, args.device, chosen(args), args.scheduler, family_size(args))
        with contextlib.closing(results):  # an error, a signal: the workers end here
            first = next(results)  # the workers or the cluster reached, one architecture checked: then the report
            with atomic_dir(out) as stage:
                verdicts = write_report(stage, command_line(args), args, specs, itertools.chain([first], results))
    n_fail = int((~verdicts["passed"]).sum())
    print(f"{len(verdicts) - n_fail} of {len(verdicts)} architectures pass; report in {out}/summary.md")
    return 1 if n_fail else 0


def sample_with_progress(args):
    """``sample_specs(args.archs, args.seed, args.dtype, args.steps, G)``, with a bar: a million specs take a minute."""
    from comparisons.common.progress import Bar
    from comparisons.common.spec import sample_specs

    with Bar(total=args.archs, desc="sampling", unit="arch", show=chosen(args)) as bar:
        return sample_specs(args.archs, args.seed, args.dtype, args.steps, family_size(args), bar.update)


def register_check(sub):
    p = sub.add_parser("check", help="run one architecture given as JSON and print every check", description=CHECK_DOC)
    p.add_argument("--spec", required=True, help="one line of JSON, as in a report's spec column")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu", help="device of the torch side")
    add_progress_flags(p)
    add_limits(p)
    p.set_defaults(run=run_check)


CHECK_LEGEND = (
    "max_abs_err: the largest |manual_bp − torch|; tol_used: that difference as a share of the rounding model's "
    "allowed difference (≤ 1 passes; docs/tolerances.md); oracle_used: the same for float32 against a float64 "
    "oracle; eq: the lecture's equation the tensor comes from; train(): train() against TrainStep over the "
    "schedule, bit for bit; train() C_T: its C_T history against torch's at the same parameters; X, T: the "
    "inputs, unchanged after the run"
)


def readable(grads, spec):
    """The check's rows for a reader: the equation of each tensor, no layer where there is none, blanks for NaN."""
    L = len(spec.sizes)
    eq = {"W": "(2)", "b": "(3)", "C_k": "C_k", "C_T": "C_T"}
    out = grads.drop(columns=["arch"]).copy()
    out.insert(0, "eq", [("(4)" if l == L else "(5)") if t == "delta" else eq.get(t, "")
                         for t, l in zip(out["tensor"], out["layer"])])  # fmt: skip
    out["layer"] = [str(l) if l else "" for l in out["layer"]]
    for c in out.select_dtypes("float").columns:
        out[c] = ["" if v != v else f"{v:.6g}" for v in out[c]]
    return out


def run_check(args):
    from comparisons.common.spec import ArchSpec
    from comparisons.sweep.budget import check_spec_fits

    if '"layers"' in args.spec:  # a conv architecture, as conv_archs.csv writes it
        from comparisons.sweep.conv.cli import run_conv_check

        return run_conv_check(args)
    try:
        spec = ArchSpec.from_json(args.spec)
    except ValueError as e:
        raise UsageError(f"--spec: {e}") from None
    need, seconds = check_spec_fits(spec, args.max_memory, args.max_time)  # before any work
    check_device(args.device)

    import pandas as pd

    from comparisons.common.limits import fmt_seconds, resource_errors
    from comparisons.common.progress import Bar
    from comparisons.sweep.console import quiet
    from comparisons.sweep.runner import run_specs

    elapsed = Bar(desc=f"check: about {fmt_seconds(seconds)} estimated", bar_format="{desc}, {elapsed} elapsed",
                  show=chosen(args))  # fmt: skip
    with resource_errors("--spec", need), quiet(), elapsed:
        grads, traj = run_specs([spec], 1, args.device, progress=False)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(f"{spec.label()} ({spec.to_json()})")
        print(readable(grads, spec).to_string(index=False))
        print(CHECK_LEGEND)
        if len(traj):
            bad = traj[~traj["passed"]]
            kinks = traj[traj["detail"].str.startswith("kink", na=False)]
            skipped = traj[traj["status"] == "not compared"]
            print(
                f"steps: {len(traj)}, each from torch's state, {len(bad)} failing"
                + (f" (first at step {int(bad['step'].min())}: {bad['caught_by'].iloc[0]})" if len(bad) else "")
                + (f", {len(kinks)} kinks recomputed with torch's branch" if len(kinks) else "")
                + (f", {len(skipped)} not compared (torch's state overflowed)" if len(skipped) else "")
                + f"; the worst step compared uses {traj.loc[traj['status'] != 'not compared', 'tol_used'].max():.3g} "
                "of its bound" + f"; free runs' drift after the last step {traj['drift'].iloc[-1]:.3g}"
            )
    ok = bool(grads["passed"].all() and traj["passed"].all())
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def register_sweep_bench(sub):
    p = sub.add_parser(
        "sweep-bench", help="time the sweep's checks, in families and one at a time", description=throughput_doc()
    )
    p.add_argument("--archs", type=int_at_least(1), default=1000, help="random architectures (default 1000)")
    p.add_argument("--seed", type=int_at_least(0), default=0, help="seed of the architecture sampler (default 0)")
    p.add_argument("--steps", type=int_at_least(1), default=100, help="training steps per architecture (default 100)")
    p.add_argument("--family", type=int_at_least(2), default=32,
                   help="architectures per family, at least 2 (default 32; G times fewer shapes)")  # fmt: skip
    p.add_argument("--single", type=int_at_least(1), default=100,
                   help="architectures checked one at a time for (c), the first specs (default 100)")  # fmt: skip
    p.add_argument("--repeat", type=int_at_least(1), default=3,
                   help="interleaved rounds of (a), (b) and (c); the fastest of each is kept (default 3)")  # fmt: skip
    add_limits(p)
    p.set_defaults(run=run_sweep_bench)


def throughput_doc():
    """sweep-bench's description, from its module's docstring (read without importing torch)."""
    import ast
    import pathlib

    return ast.get_docstring(ast.parse((pathlib.Path(__file__).parent / "throughput.py").read_text()))


def run_sweep_bench(args):
    import pandas as pd

    from comparisons.common.limits import refuse_if_over
    from comparisons.sweep.budget import sweep_needs

    args.family, single = min(args.family, args.archs), min(args.single, args.archs)
    runs = [sweep_needs(args.archs, args.steps, jobs, False, args.family) for jobs in (1, 2, 2)]  # (a) as a run
    runs.append(sweep_needs(single, args.steps, 1))
    need = max(b for b, _ in runs)
    seconds = args.repeat * sum(t for _, t in runs)
    what = f"--archs {args.archs} with --steps {args.steps}, --repeat {args.repeat} and --single {single}"
    refuse_if_over(what, need, seconds, args.max_memory, args.max_time)

    from comparisons.sweep.throughput import load, measure

    before = load()
    rows, failing = measure(args.archs, args.seed, args.steps, args.repeat, args.family, single)
    print(
        f"{args.archs} architectures × {args.steps} steps, float64, families of {args.family}, 1 torch thread per "
        f"process, {os.cpu_count()} cores, load average {before:.2f} before and {load():.2f} after; "
        f"fastest of {args.repeat} interleaved rounds"
    )
    print(pd.DataFrame(rows).to_markdown(index=False, floatfmt=".3g"))
    print(f"--jobs 2 speed-up over --jobs 1: {rows[1]['seconds'] / rows[2]['seconds']:.2f}×; families over one at a "
          f"time (--jobs 1): {rows[1]['arch_checks_per_s'] / rows[3]['arch_checks_per_s']:.1f}×")  # fmt: skip
    if failing:
        print(f"FAIL: {failing} architecture(s) failed a check in a timed run (deltacheck sweep --family shows which)")
        return 1
    print("every architecture of every (b) run passed every check")
    return 0


SELFTEST_DOC = """`deltacheck selftest`: plant bugs into manual_bp, one at a time, and show which checks catch each.

Each bug runs against every architecture it can show on (float64 and float32 families of 4, trained as
stacks as the sweep trains them); the report gives the share of architectures that catch it and lists
every one that let it through, with the reason where one is known.

Exit 0 only when every planted bug is caught and the unmutated manual_bp passes every check on
the same architectures; 1 otherwise.  Writes selftest.md and selftest.csv into --out.
"""


def register_selftest(sub):
    p = sub.add_parser("selftest", help="plant bugs into manual_bp and show that the harness catches each",
                       description=SELFTEST_DOC)  # fmt: skip
    p.add_argument("--archs", type=int_at_least(1), default=40,
                   help="architectures per dtype, families of 4, every planted bug meets (default 40)")  # fmt: skip
    p.add_argument("--seed", type=int_at_least(0), default=0, help="seed of the architecture sampler (default 0)")
    p.add_argument("--steps", type=int_at_least(1), default=10, help="training steps per architecture (default 10)")
    p.add_argument("--out", default="reports", help="output directory (default reports/)")
    add_progress_flags(p)
    add_limits(p)
    p.add_argument("--conv", action="store_true",
                   help="plant the classic conv and pooling bugs instead (writes selftest_conv.md, .csv)")  # fmt: skip
    p.set_defaults(run=run_selftest)


def run_selftest(args):
    if args.conv:
        from comparisons.sweep.conv.cli import run_conv_selftest

        return run_conv_selftest(args)
    from comparisons.common.reportio import atomic_dir, check_out_dir, write_csv, write_text
    from comparisons.sweep.budget import check_selftest_fits

    out = check_out_dir(args.out)
    check_selftest_fits(args.archs, args.steps, args.max_memory, args.max_time)  # before torch is imported
    from comparisons.sweep import selftest

    command = (f"deltacheck selftest --archs {args.archs} --seed {args.seed} --steps {args.steps} "
               f"--out {shlex.quote(str(args.out))}")  # fmt: skip
    clean, outcomes = selftest.run_selftest(args.archs, args.seed, args.steps, progress=chosen(args))
    n_archs = max((o.archs for o in outcomes), default=0)  # a bug every architecture shows: all of them
    with atomic_dir(out) as stage:
        write_text(stage / "selftest.md", selftest.markdown(command, clean, outcomes, n_archs))
        write_csv(selftest.table(outcomes), stage / "selftest.csv")
    caught = sum(bool(o.caught) for o in outcomes)
    print(f"{caught} of {len(outcomes)} planted bugs caught; unmutated run "
          f"{'passes' if not clean else 'FAILS'}; report in {out}/selftest.md")  # fmt: skip
    return 0 if selftest.passed(clean, outcomes) else 1


POWER_DOC = """`deltacheck power`: how often one planted bug is caught, over sampled architectures' checks.

The architectures are the sweep's (families of 10; --steps training steps, none by default), checked clean
and with the bug of `deltacheck selftest` named by --bug planted.  Prints the share that catches it, the clean
run's failures (false alarms) and its worst share of a bound, then every architecture the bug passed with what
the clean run shows.  Exit 0 when the clean run passes, 1 when it fails anywhere.
"""


def register_power(sub):
    p = sub.add_parser("power", help="the share of sampled architectures whose checks catch one planted bug",
                       description=POWER_DOC)  # fmt: skip
    p.add_argument("--bug", default="1e-5 in one entry (float32)",
                   help="a planted bug of deltacheck selftest, by name (default: %(default)s)")  # fmt: skip
    p.add_argument("--archs", type=int_at_least(1), default=400, help="architectures (default 400)")
    p.add_argument("--seed", type=int_at_least(0), default=4, help="seed of the architecture sampler (default 4)")
    p.add_argument("--steps", type=int_at_least(0), default=0,
                   help="training steps per architecture (default 0: the start checks alone)")  # fmt: skip
    p.add_argument("--dtype", choices=DTYPES, default=None, help="the bug's own dtype unless given")
    add_progress_flags(p)
    p.set_defaults(run=run_power)


def run_power(args):
    from comparisons.sweep.mutations import MUTATIONS

    names = [m.name for m in MUTATIONS]
    if args.bug not in names:
        raise UsageError(f"--bug {args.bug!r}: no such planted bug; one of: " + "; ".join(names))
    mutation = MUTATIONS[names.index(args.bug)]
    dtype = args.dtype or (mutation.dtype if mutation.dtype != "any" else "float64")
    if mutation.dtype not in ("any", dtype):
        raise UsageError(f"--bug {args.bug!r} is planted in {mutation.dtype} architectures, not {dtype}")
    from comparisons.sweep.power import measure

    found = measure(mutation, args.archs, args.seed, dtype, args.steps, progress=chosen(args))
    for arch, label, why in found.missed:
        print(f"  passed arch {arch} ({label}): {why}")
    print(found.line(args.bug, dtype, args.seed))  # the verdict, last: `| tail -1`
    return 1 if found.clean_failures else 0
