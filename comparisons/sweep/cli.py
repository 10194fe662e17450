"""`deltacheck sweep`, `check` and `sweep-bench`: random architectures through the harness.

Heavy modules (torch, pandas, the harness) are imported inside each ``run_*``, so that
``--help`` and argument errors answer at once.
"""

from __future__ import annotations

import argparse
import shlex
import sys

from comparisons.common.argtypes import int_at_least
from comparisons.common.errors import UsageError
from comparisons.common.spec import DTYPES

SWEEP_DOC = """`deltacheck sweep`: random architectures, gradients, δ and trajectories, written as a report."""
CHECK_DOC = """`deltacheck check --spec JSON`: one architecture, every check printed (the reproducer)."""


def register(sub):
    register_sweep(sub)
    register_check(sub)
    register_sweep_bench(sub)


def register_sweep(sub):
    p = sub.add_parser(
        "sweep", help="compare manual_bp with torch on random architectures and write a report", description=SWEEP_DOC
    )
    p.add_argument("--archs", type=int_at_least(1), default=200, help="number of random architectures (default 200)")
    p.add_argument("--seed", type=int_at_least(0), default=0, help="seed of the architecture sampler (default 0)")
    p.add_argument("--steps", type=int_at_least(0), default=100, help="training steps per architecture (default 100)")
    p.add_argument("--dtype", choices=DTYPES, default="float64", help="precision of both sides (default float64)")
    p.add_argument("--jobs", type=int_at_least(1), default=1, help="processes; results are identical to --jobs 1")
    p.add_argument(
        "--scheduler",
        type=scheduler_address,
        default=None,
        metavar="ADDRESS",
        help="run the architectures on the Dask cluster at ADDRESS (tcp://host:8786; its workers need deltacheck), "
        "or on a LocalCluster of 2 processes with 1 thread each for 'local'; results identical to --jobs 1; "
        "needs dask.distributed (pip install 'deltacheck[cluster]')",
    )
    p.add_argument("--out", default="reports", help="output directory (default reports/)")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu", help="device of the torch side")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(run=run_sweep)


def scheduler_address(text):
    """An argparse type: 'local' or a scheduler address such as tcp://10.0.0.5:8786 (host:port alone allowed)."""
    if not text.strip() or any(c.isspace() for c in text):
        raise argparse.ArgumentTypeError(f"expected 'local' or an address like tcp://host:8786, got {text!r}")
    return text


def command_line(args):
    """The canonical command that reproduces this run."""
    where = f"--scheduler {shlex.quote(args.scheduler)}" if args.scheduler else f"--jobs {args.jobs}"
    return (
        "deltacheck sweep " + f"--archs {args.archs} --seed {args.seed} --steps {args.steps} "
        f"--dtype {args.dtype} {where} --device {args.device} --out {shlex.quote(str(args.out))}"
    )


def cpu_only_torch():
    """torch's version when the installed torch is a CPU-only build, read from torch/version.py without
    importing torch (which takes seconds); None when it may have CUDA, or cannot be read."""
    import ast
    import importlib.util
    import pathlib

    spec = importlib.util.find_spec("torch")
    try:
        tree = ast.parse((pathlib.Path(spec.origin).parent / "version.py").read_text())
    except (AttributeError, TypeError, OSError, SyntaxError):
        return None
    values = {}
    for node in tree.body:
        target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
        if isinstance(target, ast.Name) and isinstance(getattr(node, "value", None), ast.Constant):
            values[target.id] = node.value.value
    return values.get("__version__") if "cuda" in values and values["cuda"] is None else None


def check_device(device):
    """``device`` usable (CUDA's TF32 off), else UsageError; a CPU-only torch is refused before torch is imported."""
    version = cpu_only_torch() if device == "cuda" else None
    if version:
        raise UsageError(f"--device cuda: CUDA is not available here (torch {version}, built for CPU only)")
    from comparisons.sweep.runner import set_device

    problem = set_device(device)
    if problem:
        raise UsageError(problem)


def run_sweep(args):
    from comparisons.common.reportio import atomic_dir, check_out_dir

    out = check_out_dir(args.out)  # the arguments first: a bad one answers before torch is imported
    if args.scheduler and args.jobs != 1:
        raise UsageError("--jobs with --scheduler: the cluster's workers take the place of local processes; give one")
    check_device(args.device)
    from comparisons.common.spec import sample_specs
    from comparisons.sweep.report import write_report
    from comparisons.sweep.runner import run_specs

    specs = sample_specs(args.archs, args.seed, args.dtype, args.steps)
    grads, traj = run_specs(specs, args.jobs, args.device, progress=not args.no_progress, scheduler=args.scheduler)
    with atomic_dir(out) as stage:
        verdicts = write_report(stage, command_line(args), args, specs, grads, traj)
    n_fail = int((~verdicts["passed"]).sum())
    print(
        f"{len(verdicts) - n_fail} of {len(verdicts)} architectures pass; report in {out}/summary.md", file=sys.stderr
    )
    return 1 if n_fail else 0


def register_check(sub):
    p = sub.add_parser("check", help="run one architecture given as JSON and print every check", description=CHECK_DOC)
    p.add_argument("--spec", required=True, help="one line of JSON, as in a report's spec column")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu", help="device of the torch side")
    p.set_defaults(run=run_check)


def run_check(args):
    from comparisons.common.spec import ArchSpec

    try:
        spec = ArchSpec.from_json(args.spec)
    except ValueError as e:
        raise UsageError(f"--spec: {e}") from None
    check_device(args.device)
    import pandas as pd

    from comparisons.sweep.runner import run_specs

    grads, traj = run_specs([spec], 1, args.device, progress=False)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(spec.label())
        print(grads.drop(columns=["arch"]).to_string(index=False))
        if len(traj):
            bad = traj[~traj["passed"]]
            chaos = traj[~traj["comparable"]]
            print(
                f"trajectory: {len(traj)} steps, {len(bad)} failing"
                + (f" (first at step {int(bad['step'].min())})" if len(bad) else "")
                + (
                    f", {len(chaos)} not comparable (chaotic from step {int(chaos['step'].min())}: "
                    "rounding alone moves the parameters as far)"
                    if len(chaos)
                    else ""
                )
                + f", final C_T manual {traj['cost_manual'].iloc[-1]:.10g} torch {traj['cost_torch'].iloc[-1]:.10g}"
            )
    ok = bool(grads["passed"].all() and traj["passed"].all())
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def register_sweep_bench(sub):
    p = sub.add_parser(
        "sweep-bench", help="time the sweep against the bare cost of its two trainings", description=throughput_doc()
    )
    p.add_argument("--archs", type=int_at_least(1), default=100, help="random architectures (default 100)")
    p.add_argument("--seed", type=int_at_least(0), default=0, help="seed of the architecture sampler (default 0)")
    p.add_argument("--steps", type=int_at_least(1), default=100, help="training steps per architecture (default 100)")
    p.add_argument(
        "--repeat",
        type=int_at_least(1),
        default=3,
        help="rounds of (a), (b) --jobs 1, (b) --jobs 2, interleaved; the fastest of each is kept (default 3)",
    )
    p.set_defaults(run=run_sweep_bench)


def throughput_doc():
    """sweep-bench's description, from its module's docstring (read without importing torch)."""
    import ast
    import pathlib

    return ast.get_docstring(ast.parse((pathlib.Path(__file__).parent / "throughput.py").read_text()))


def run_sweep_bench(args):
    import pandas as pd

    from comparisons.sweep.throughput import measure

    rows = measure(args.archs, args.seed, args.steps, args.repeat)
    print(
        f"{args.archs} architectures × {args.steps} steps, float64, 1 torch thread per process; "
        f"(a) = bare trainings in one process, (b) = full checks; fastest of {args.repeat} interleaved rounds"
    )
    print(pd.DataFrame(rows).to_markdown(index=False, floatfmt=".3g"))
    print(f"--jobs 2 speed-up over --jobs 1: {rows[0]['sweep_s'] / rows[1]['sweep_s']:.2f}×")
    return 0
