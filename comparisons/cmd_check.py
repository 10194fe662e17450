"""`deltacheck check --spec JSON`: one architecture, every check printed (the reproducer)."""
from __future__ import annotations

import pandas as pd

from .errors import UsageError
from .spec import ArchSpec
from .sweep import run_specs, set_device


def register(sub):
    p = sub.add_parser("check", help="run one architecture given as JSON and print every check", description=__doc__)
    p.add_argument("--spec", required=True, help="one line of JSON, as in a report's spec column")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu", help="device of the torch side")
    p.set_defaults(run=run)


def run(args):
    try:
        spec = ArchSpec.from_json(args.spec)
    except ValueError as e:
        raise UsageError(f"--spec: {e}") from None
    problem = set_device(args.device)
    if problem:
        raise UsageError(problem)
    grads, traj = run_specs([spec], 1, args.device, progress=False)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(spec.label())
        print(grads.drop(columns=["arch"]).to_string(index=False))
        if len(traj):
            bad = traj[~traj["passed"]]
            chaos = traj[~traj["comparable"]]
            print(f"trajectory: {len(traj)} steps, {len(bad)} failing"
                  + (f" (first at step {int(bad['step'].min())})" if len(bad) else "")
                  + (f", {len(chaos)} not comparable (chaotic from step {int(chaos['step'].min())}: "
                     "rounding alone moves the parameters as far)" if len(chaos) else "")
                  + f", final C_T manual {traj['cost_manual'].iloc[-1]:.10g} torch {traj['cost_torch'].iloc[-1]:.10g}")
    ok = bool(grads["passed"].all() and traj["passed"].all())
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1
