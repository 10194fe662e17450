"""The harness proves its teeth: every planted bug of ``mutations`` must be caught by a short sweep.

The unmutated manual_bp runs first over the same architectures and must pass every check;
then each mutation runs over them in order until one architecture fails, and the report
says which checks failed there and how many architectures it took.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import pandas as pd
from tqdm import tqdm

from comparisons.common.spec import sample_specs
from comparisons.sweep.harness import check_spec
from comparisons.sweep.mutations import MUTATIONS
from comparisons.sweep.runner import init_worker


@dataclass
class Outcome:
    """One mutation's result."""

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


def spec_pool(n, seed, steps):
    """float64 and float32 architectures, interleaved: (dtype, spec) pairs."""
    f64, f32 = sample_specs(n, seed, "float64", steps), sample_specs(n, seed, "float32", steps)
    return [pair for pairs in zip(f64, f32) for pair in (("float64", pairs[0]), ("float32", pairs[1]))]


def first_catch(specs):
    """(index, failing checks) of the first spec whose check fails, or (len(specs), []) if none does."""
    for i, spec in enumerate(specs):
        grads, traj = check_spec(i, spec)
        found = failing_checks(grads, traj)
        if found:
            return i, found
    return len(specs), []


def run_selftest(n, seed, steps, progress=True):
    """(clean failures, Outcomes): the unmutated run's failing architectures, then every mutation's result."""
    init_worker()
    pool = spec_pool(n, seed, steps)
    bar = tqdm(total=len(MUTATIONS) + 1, desc="selftest", unit="run", file=sys.stderr, delay=2.0, disable=not progress)
    clean = []
    for i, (_, spec) in enumerate(pool):
        grads, traj = check_spec(i, spec)
        if failing_checks(grads, traj):
            clean.append((spec, failing_checks(grads, traj)))
    bar.update()
    outcomes = []
    for m in MUTATIONS:
        specs = [s for d, s in pool if m.dtype in ("any", d)]
        with m.applied():
            i, found = first_catch(specs)
        outcomes.append(Outcome(m.name, m.what, ", ".join(m.expected), bool(found), ", ".join(found),
                                min(i + 1, len(specs)), specs[i].to_json() if found else ""))  # fmt: skip
        bar.update()
    bar.close()
    return clean, outcomes


def markdown(command, clean, outcomes, n_specs):
    """selftest.md: the verdict, the unmutated run, one row per mutation."""
    caught = sum(o.caught for o in outcomes)
    ok = caught == len(outcomes) and not clean
    table = pd.DataFrame([dict(mutation=o.name, planted=o.what, caught="yes" if o.caught else "NO",
                               caught_by=o.caught_by or "—", archs_needed=o.archs, expected=o.expected)
                          for o in outcomes])  # fmt: skip
    lines = [
        "# deltacheck selftest: does the harness catch planted bugs?",
        "",
        f"**{'PASS' if ok else 'FAIL'}** — {caught} of {len(outcomes)} planted bugs caught; the unmutated "
        f"manual_bp {'passes every check' if not clean else f'FAILS on {len(clean)} architecture(s)'} on the same "
        f"{n_specs} architectures ({n_specs // 2} float64 and {n_specs // 2} float32, from --archs each).",
        "",
        f"Command: `{command}`",
        "",
        "Each bug replaces one function of manual_bp for the run (nothing on disk changes); the sweep's "
        "architectures (float64 and float32, interleaved) are checked in order until one fails. `caught_by` "
        "lists the checks that failed on that architecture — value (the gradient tolerance), oracle "
        "(float32 against float64), dtype, input (X or T changed), path (train() or MLP.gradients + "
        "SGD.step off TrainStep's trajectory), shape, crash, trajectory (parameters or C_T after a step) — "
        "and `archs_needed` how many architectures it took. `expected` names the checks meant to see it.",
        "",
        table.to_markdown(index=False),
        "",
    ]
    for spec, found in clean:
        lines.append(f"- unmutated run failed ({', '.join(found)}): `{spec.to_json()}`")
    return "\n".join(lines) + "\n"


def table(outcomes):
    """selftest.csv: one row per mutation."""
    return pd.DataFrame([o.__dict__ for o in outcomes])
