"""`deltacheck sweep`: random architectures, gradients, δ and trajectories, written as a report."""
from __future__ import annotations

import shlex
import sys

from .argtypes import int_at_least
from .errors import UsageError
from .reportio import atomic_dir, check_out_dir
from .spec import DTYPES, sample_specs
from .sweep import run_specs, set_device
from .sweep_report import write_report


def register(sub):
    p = sub.add_parser("sweep", help="compare manual_bp with torch on random architectures and write a report",
                       description=__doc__)
    p.add_argument("--archs", type=int_at_least(1), default=200, help="number of random architectures (default 200)")
    p.add_argument("--seed", type=int_at_least(0), default=0, help="seed of the architecture sampler (default 0)")
    p.add_argument("--steps", type=int_at_least(0), default=100, help="training steps per architecture (default 100)")
    p.add_argument("--dtype", choices=DTYPES, default="float64", help="precision of both sides (default float64)")
    p.add_argument("--jobs", type=int_at_least(1), default=1, help="processes; results are identical to --jobs 1")
    p.add_argument("--out", default="reports", help="output directory (default reports/)")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu", help="device of the torch side")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(run=run)


def command_line(args):
    """The canonical command that reproduces this run."""
    return ("deltacheck sweep " + f"--archs {args.archs} --seed {args.seed} --steps {args.steps} "
            f"--dtype {args.dtype} --jobs {args.jobs} --device {args.device} --out {shlex.quote(str(args.out))}")


def run(args):
    problem = set_device(args.device)
    if problem:
        raise UsageError(problem)
    out = check_out_dir(args.out)
    specs = sample_specs(args.archs, args.seed, args.dtype, args.steps)
    grads, traj = run_specs(specs, args.jobs, args.device, progress=not args.no_progress)
    with atomic_dir(out) as stage:
        verdicts = write_report(stage, command_line(args), args, specs, grads, traj)
    n_fail = int((~verdicts["passed"]).sum())
    print(f"{len(verdicts) - n_fail} of {len(verdicts)} architectures pass; report in {out}/summary.md", file=sys.stderr)
    return 1 if n_fail else 0
