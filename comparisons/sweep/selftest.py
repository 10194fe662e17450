"""The harness proves its teeth: every planted bug of ``mutations`` must be caught by a short sweep.

The unmutated manual_bp runs first over the same architectures and must pass every check;
then each mutation runs over them in order until one architecture fails, and the report
says which checks failed there and how many architectures it took.  Both ways of checking
run: one architecture at a time (``check_spec``) and families trained as stacks
(``check_family``), each over architectures of its own sampler.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np
import pandas as pd
from tqdm import tqdm

from comparisons.common.spec import family_of, sample_specs
from comparisons.sweep.budget import SELFTEST_FAMILY
from comparisons.sweep.family import check_family
from comparisons.sweep.harness import check_spec
from comparisons.sweep.mutations import MUTATIONS
from comparisons.sweep.runner import init_worker

PATHS = {"one architecture": 1, "family": SELFTEST_FAMILY}


@dataclass
class Outcome:
    """One mutation's result on one path."""

    path: str
    name: str
    what: str
    expected: str
    caught: bool
    caught_by: str  # the checks that failed on the first architecture that caught it
    archs: int  # architectures run until it was caught (all of them when it was not)
    where: str  # that architecture's spec


def failing_checks(grads, traj):
    """The names of the checks that failed in one architecture's rows."""
    found = {g["caught_by"] for g in grads if not g["passed"]}
    found |= {"trajectory" if t["detail"] == "parameters differ" else f"trajectory ({t['detail']})"
              for t in traj if not t["passed"]}  # fmt: skip
    return sorted(found)


def spec_pool(n, seed, steps, family=1):
    """float64 and float32 units, interleaved: (dtype, specs) pairs, a spec alone or its family of ``family``.

    The families grow from the very specs the one-architecture path checks, so both paths meet the same shapes.
    """
    rng = np.random.default_rng([seed, 5])
    units = {}
    for dtype in ("float64", "float32"):
        specs = sample_specs(n, seed, dtype, steps)
        units[dtype] = [family_of(s, family, rng) if family > 1 else [s] for s in specs]
    return [(d, u) for pair in zip(units["float64"], units["float32"]) for d, u in zip(("float64", "float32"), pair)]


def check_unit(i, specs):
    """[(grads, traj)] of a unit: one spec alone, or a family at once."""
    return [check_spec(i, specs[0])] if len(specs) == 1 else check_family(i, specs)


def first_catch(units):
    """(architectures run, failing checks) up to the first unit with a failing check, or (all, [])."""
    archs = 0
    for specs in units:
        for grads, traj in check_unit(archs, specs):
            archs += 1
            found = failing_checks(grads, traj)
            if found:
                return archs, found, specs[0]
    return archs, [], None


def run_selftest(n, seed, steps, progress=True):
    """(clean failures, Outcomes): the unmutated runs' failing architectures, then every mutation's result per path."""
    init_worker()
    pools = {path: spec_pool(n, seed, steps, family) for path, family in PATHS.items()}
    bar = tqdm(total=(len(MUTATIONS) + 1) * len(PATHS), desc="selftest", unit="run", file=sys.stderr, delay=2.0,
               disable=not progress)  # fmt: skip
    clean, outcomes = [], []
    for path, pool in pools.items():
        archs = 0
        for _, specs in pool:
            for spec, (grads, traj) in zip(specs, check_unit(archs, specs)):
                archs += 1
                if failing_checks(grads, traj):
                    clean.append((path, spec, failing_checks(grads, traj)))
        bar.update()
        for m in MUTATIONS:
            units = [u for d, u in pool if m.dtype in ("any", d)]
            with m.applied():
                archs, found, where = first_catch(units)
            outcomes.append(Outcome(path, m.name, m.what, ", ".join(m.expected), bool(found), ", ".join(found),
                                    archs, where.to_json() if found else ""))  # fmt: skip
            bar.update()
    bar.close()
    return clean, outcomes


def markdown(command, clean, outcomes, n_specs):
    """selftest.md: the verdict, the unmutated runs, one row per mutation and path."""
    caught = sum(o.caught for o in outcomes)
    ok = caught == len(outcomes) and not clean
    table = pd.DataFrame([dict(mutation=o.name, path=o.path, planted=o.what, caught="yes" if o.caught else "NO",
                               caught_by=o.caught_by or "—", archs_needed=o.archs, expected=o.expected)
                          for o in outcomes])  # fmt: skip
    lines = [
        "# deltacheck selftest: does the harness catch planted bugs?",
        "",
        f"**{'PASS' if ok else 'FAIL'}** — {caught} of {len(outcomes)} planted bugs caught "
        f"({len(outcomes) // len(PATHS)} bugs × {len(PATHS)} paths); the unmutated manual_bp "
        f"{'passes every check' if not clean else f'FAILS on {len(clean)} architecture(s)'} on the same "
        f"{n_specs} architectures ({n_specs // 2} float64 and {n_specs // 2} float32, from --archs each), "
        f"and on the families of {SELFTEST_FAMILY} grown from each of them.",
        "",
        f"Command: `{command}`",
        "",
        "Each bug replaces one function of manual_bp for the run (nothing on disk changes); the sweep's "
        "architectures (float64 and float32, interleaved) are checked in order until one fails. `caught_by` "
        "lists the checks that failed on that architecture — value (the gradient tolerance), oracle "
        "(float32 against float64), dtype, input (X or T changed), path (train() or MLP.gradients + "
        "SGD.step off TrainStep's trajectory), shape, crash, trajectory (parameters or C_T after a step) — "
        "and `archs_needed` how many architectures it took. `expected` names the checks meant to see it. "
        f"Path `one architecture` checks each spec alone; path `family` trains families of {SELFTEST_FAMILY} "
        "specs that differ only in their seed as stacks on both sides (`deltacheck sweep --family`), grown from "
        f"the same specs, so its `archs_needed` counts members: up to {SELFTEST_FAMILY} per spec.",
        "",
        table.to_markdown(index=False),
        "",
    ]
    for path, spec, found in clean:
        lines.append(f"- unmutated run failed on path {path} ({', '.join(found)}): `{spec.to_json()}`")
    return "\n".join(lines) + "\n"


def table(outcomes):
    """selftest.csv: one row per mutation."""
    return pd.DataFrame([o.__dict__ for o in outcomes])
