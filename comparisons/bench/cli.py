"""`deltacheck bench`: one training step of manual_bp and of torch_ref timed, against NumPy's GEMM peak."""

from __future__ import annotations

import shlex
import sys

from comparisons.common.argtypes import int_at_least
from comparisons.common.errors import UsageError


def register(sub):
    p = sub.add_parser(
        "bench", help="time a training step of manual_bp against torch and the GEMM peak", description=__doc__
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="shorter timing for a first look, under a minute: at least 4 timed runs per side and "
        "case, and up to 20 where a step is cheap (the full bench: at least 12, up to 40), "
        "and a GEMM peak searched at n = 512 and 1024 only",
    )
    p.add_argument(
        "--threads",
        type=int_at_least(1),
        default=None,
        metavar="N",
        help="BLAS and torch threads for both sides (needs threadpoolctl); "
        "default: NumPy's BLAS default, which torch is then set to",
    )
    p.add_argument(
        "--out",
        default="reports",
        metavar="DIR",
        help="directory to write bench.csv and bench.md into, replacing those files (default: reports)",
    )
    p.set_defaults(run=run)


def command_line(args):
    """The canonical command that reproduces this run."""
    return (
        "deltacheck bench"
        + (" --quick" if args.quick else "")
        + (f" --threads {args.threads}" if args.threads else "")
        + f" --out {shlex.quote(str(args.out))}"
    )


def _progress(row):
    print(
        f"  {row['sizes']} K={row['K']} {row['dtype']} {row['activation']}: manual {row['manual_ms']:.3g} ms "
        f"(IQR {row['manual_q25_ms']:.3g}–{row['manual_q75_ms']:.3g}), torch {row['torch_ms']:.3g} ms "
        f"(IQR {row['torch_q25_ms']:.3g}–{row['torch_q75_ms']:.3g}), ratio {row['ratio']:.2f}"
        + (" [noisy]" if row["noisy"] else ""),
        file=sys.stderr,
    )


def run(args):
    from comparisons.bench import timing as bench
    from comparisons.bench.report import write_bench
    from comparisons.common.reportio import atomic_dir, check_out_dir

    out = check_out_dir(args.out)
    if args.threads is not None:
        try:
            import threadpoolctl  # noqa: F401
        except ImportError:
            raise UsageError(
                "--threads needs threadpoolctl (pip install threadpoolctl) to set NumPy's threads"
            ) from None
    settings = bench.QUICK if args.quick else bench.FULL
    rows, peaks, threads, source, load = bench.run_bench(
        settings, bench.QUICK_LADDER if args.quick else bench.LADDER, threads=args.threads, progress=_progress
    )
    with atomic_dir(out) as stage:
        df, goals = write_bench(
            stage, command_line(args), "quick" if args.quick else "full", rows, peaks, threads, source, load
        )
    unmet = [g for g in goals if g["status"] != "met"]
    print(
        f"targets met: {len(goals) - len(unmet)} of {len(goals)}"
        + "".join(f"\n  {g['status']}: {g['target']}" for g in unmet)
        + f"\n{int(df['noisy'].sum())} of {len(df)} cases noisy; report in {out}/bench.md",
        file=sys.stderr,
    )
    return 0
