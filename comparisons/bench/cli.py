"""`deltacheck bench`: one training step of manual_bp timed against the fastest plain torch step (eager and
torch.compile), torch_ref's TorchMLP.step and a naive NumPy floor, at 1 and 2 threads, and against the GEMM peak."""

from __future__ import annotations

import argparse
import os
import shlex
import sys

from comparisons.common.argtypes import int_at_least
from comparisons.common.errors import UsageError
from comparisons.common.limits import DEFAULT_MAX_TIME, duration, memory_size

DEFAULT_THREADS = "1,2"


def thread_list(text):
    """An argparse type: thread counts like '1,2', each an integer ≥ 1, no repeats."""
    try:
        n = [int(s, 10) for s in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected thread counts like 1,2, got {text!r}") from None
    if min(n) < 1 or len(set(n)) != len(n):
        raise argparse.ArgumentTypeError(f"expected distinct thread counts >= 1, got {text!r}")
    most = 4 * max(2, os.cpu_count() or 1)  # oversubscribed 4 times over at most: beyond, a BLAS pool is no benchmark
    if max(n) > most:
        cores = os.cpu_count()
        raise argparse.ArgumentTypeError(f"at most {most} threads on this machine's {cores} cores, got {text!r}")
    return tuple(n)


def case(text):
    """An argparse type: one step size as SIZES:K, like 784-100-10:64."""
    sizes, _, K = text.partition(":")
    try:
        parsed = (tuple(int(s, 10) for s in sizes.split("-")), int_at_least(1)(K))
    except (ValueError, argparse.ArgumentTypeError):
        raise argparse.ArgumentTypeError(f"expected SIZES:K like 784-100-10:64, got {text!r}") from None
    if len(parsed[0]) < 2 or min(parsed[0]) < 1:
        raise argparse.ArgumentTypeError(f"expected at least two layer sizes >= 1, got {text!r}")
    return parsed


def register(sub):
    p = sub.add_parser(
        "bench", help="time a training step of manual_bp against three baselines and the GEMM peak", description=__doc__
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="shorter timing for a first look: 2 rounds, at least 4 timed runs per side and case (the full "
        "bench: 4 rounds, at least 12), GEMM peaks at n = 512 and 1024 only, no torch.compile",
    )
    p.add_argument(
        "--threads",
        type=thread_list,
        default=thread_list(DEFAULT_THREADS),
        metavar="N[,N…]",
        help=f"thread counts, each set for NumPy's BLAS (threadpoolctl) and torch alike (default {DEFAULT_THREADS}); "
        "the targets are judged at 1",
    )
    p.add_argument(
        "--case",
        type=case,
        action="append",
        metavar="SIZES:K",
        help="a step size to time, like 784-100-10:64 (repeatable; default: the ladder 12-3-2:64, 784-100-10:64, "
        "784-512-512-10:256, 1024-1024-1024-1024:512)",
    )
    p.add_argument("--conv", action="store_true", help="instead: a CNN step of manual_bp.conv against plain torch")
    p.add_argument(
        "--no-compile",
        action="store_true",
        help="leave out the torch.compile baseline (it compiles once per case and thread count, seconds each)",
    )
    p.add_argument(
        "--out",
        default="reports",
        metavar="DIR",
        help="directory to write bench.csv and bench.md into, replacing those files (default: reports)",
    )
    p.add_argument(
        "--max-memory",
        type=memory_size,
        default=None,
        metavar="SIZE",
        help="refuse cases estimated to need more memory than SIZE (default: the memory available now)",
    )
    p.add_argument("--max-time", type=duration, default=DEFAULT_MAX_TIME, metavar="DURATION",
                   help="refuse a bench estimated to take longer than DURATION (default: 1h)")  # fmt: skip
    p.set_defaults(run=run)


# What a bench needs, from its cases alone, erring low: per case every side (manual, three torch baselines, the
# NumPy floor) holds its parameters a few times and its (K, n_l) activations, and runs at least warm-up + min_reps
# steps of 6·K·P flop for each dtype, activation and thread count.
PROCESS_BYTES = 250 * 2**20  # torch, NumPy and pandas imported
SIDES, PARAM_COPIES, ACTIVATION_COPIES, FLOP_RATE = 5, 4, 3, 5e10
RUNS = {"quick": 1 + 4, "full": 3 + 12}  # warm-up + min_reps of timing.QUICK and timing.FULL


def check_bench_fits(args, default_ladder):
    """Refuse cases that would not fit the memory or --max-time, before torch is imported."""
    from comparisons.common.limits import refuse_if_over

    need, seconds = PROCESS_BYTES, 0.0
    for sizes, K in args.case or default_ladder:
        P = sum(n * (m + 1) for m, n in zip(sizes[:-1], sizes[1:]))
        need = max(need, PROCESS_BYTES + SIDES * 8 * (PARAM_COPIES * P + ACTIVATION_COPIES * K * sum(sizes)))
        runs = 2 * 2 * len(args.threads) * SIDES * RUNS["quick" if args.quick else "full"]  # dtypes × activations
        seconds += runs * 6 * K * P / FLOP_RATE
    refuse_if_over("--case: its sizes and K", need, seconds, args.max_memory, args.max_time)


def command_line(args):
    """The canonical command that reproduces this run."""
    return (
        "deltacheck bench"
        + (" --quick" if args.quick else "")
        + f" --threads {','.join(map(str, args.threads))}"
        + "".join(f" --case {'-'.join(map(str, s))}:{K}" for s, K in args.case or [])
        + (" --no-compile" if args.no_compile else "")
        + f" --out {shlex.quote(str(args.out))}"
    )


def _progress(rows):
    for r in rows:
        if r["side"] == "manual":
            print(
                f"  {r['sizes']} K={r['K']} {r['dtype']} {r['activation']} {r['threads']} thread(s): "
                f"manual {r['median_ms']:.3g} ms, ÷ fastest plain torch {r['manual_over_fastest_torch']:.3g}",
                file=sys.stderr,
            )


def run(args):
    from comparisons.common.reportio import atomic_dir, check_out_dir

    out = check_out_dir(args.out)  # before torch is imported: a bad --out answers at once
    if args.conv:
        return run_conv(args, out)
    from comparisons.bench.ladder import LADDER

    check_bench_fits(args, LADDER)
    try:
        import threadpoolctl  # noqa: F401
    except ImportError:
        raise UsageError("bench: needs threadpoolctl (pip install threadpoolctl) to set NumPy's threads") from None
    from comparisons.bench import run as bench
    from comparisons.bench import timing
    from comparisons.bench.report import write_bench

    rows, peaks, load = bench.run_bench(
        timing.QUICK if args.quick else timing.FULL,
        args.case or bench.LADDER,
        args.threads,
        skip_compile="--no-compile" if args.no_compile else "--quick" if args.quick else None,
        progress=_progress,
    )
    with atomic_dir(out) as stage:
        df, goals = write_bench(stage, command_line(args), "quick" if args.quick else "full", rows, peaks, load)
    unmet = [g for g in goals if g["status"] != "met"]
    measured = [g for g in goals if g["status"] != "not measured"]
    print(
        f"targets met: {len(goals) - len(unmet)} of the {len(measured)} measured ({len(goals)} in all)"
        + "".join(f"\n  {g['status']}: {g['target']}" for g in unmet)
        + f"\nreport in {out}/bench.md"
    )
    return 0


def run_conv(args, out):
    """`bench --conv`: the table on stdout, bench_conv.md in --out."""
    from comparisons.bench import conv, timing
    from comparisons.common.reportio import atomic_dir, write_text

    command = "deltacheck bench --conv" + (" --quick" if args.quick else "") + f" --out {shlex.quote(str(args.out))}"
    rows = conv.run_conv_bench(timing.QUICK if args.quick else timing.FULL)
    text = conv.markdown(command, rows)
    with atomic_dir(out) as stage:
        write_text(stage / "bench_conv.md", text)
    print(text)
    return 0
