"""`deltacheck bench`: one training step of manual_bp and of torch_ref timed, against NumPy's GEMM peak."""
from __future__ import annotations

import shlex
import sys

from . import bench
from .argtypes import int_at_least
from .bench_report import write_bench
from .errors import UsageError
from .reportio import atomic_dir, check_out_dir


def register(sub):
    p = sub.add_parser("bench", help="time a training step of manual_bp against torch and the GEMM peak",
                       description=__doc__)
    p.add_argument("--quick", action="store_true", help="fewer repeats and a smaller peak search: under a minute")
    p.add_argument("--threads", type=int_at_least(1), default=None,
                   help="threads for both sides (needs threadpoolctl); default: NumPy's BLAS default")
    p.add_argument("--out", default="reports", help="output directory (default reports/)")
    p.set_defaults(run=run)


def command_line(args):
    """The canonical command that reproduces this run."""
    return ("deltacheck bench" + (" --quick" if args.quick else "")
            + (f" --threads {args.threads}" if args.threads else "") + f" --out {shlex.quote(str(args.out))}")


def _progress(row):
    print(f"  {row['sizes']} K={row['K']} {row['dtype']} {row['activation']}: manual {row['manual_ms']:.3g} ms, "
          f"torch {row['torch_ms']:.3g} ms, ratio {row['ratio']:.2f}", file=sys.stderr)


def run(args):
    out = check_out_dir(args.out)
    if args.threads is not None:
        try:
            import threadpoolctl  # noqa: F401
        except ImportError:
            raise UsageError("--threads needs threadpoolctl (pip install threadpoolctl) "
                             "to set NumPy's threads") from None
    settings = bench.QUICK if args.quick else bench.FULL
    rows, peaks, threads, source = bench.run_bench(settings, bench.QUICK_LADDER if args.quick else bench.LADDER,
                                                   threads=args.threads, progress=_progress)
    with atomic_dir(out) as stage:
        df = write_bench(stage, command_line(args), "quick" if args.quick else "full", rows, peaks, threads, source)
    print(f"ratio within target in {int(df['meets_ratio'].sum())} of {len(df)} cases; report in {out}/bench.md",
          file=sys.stderr)
    return 0
