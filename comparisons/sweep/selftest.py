"""The harness proves its teeth: every planted bug of ``mutations``, run against every architecture.

The unmutated manual_bp runs first over the architectures (float64 and float32 families of
SELFTEST_FAMILY, trained as stacks as the sweep trains them; one architecture is a family of one, the
same code) and must pass every check.  Then each mutation runs over every architecture it can show
on (``Mutation.applies``): the report gives the share that catch it, the checks that did, and every
architecture that let it through, with the reason where one is known.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from comparisons.common.progress import Bar
from comparisons.common.spec import family_of, sample_spec, sample_specs
from comparisons.sweep.budget import SELFTEST_FAMILY
from comparisons.sweep.harness import check_family
from comparisons.sweep.mutations import MUTATIONS
from comparisons.sweep.runner import init_worker

MAX_DRAWS = 1000  # specs drawn at most to find one a planted bug can show on (the rarest corner: ~1 in 60)


@dataclass
class Outcome:
    """One mutation's result over the architectures it can show on."""

    name: str
    what: str
    expected: str
    archs: int  # architectures where the bug is present
    caught: int  # of those, how many failed a check
    caught_by: str  # the checks that failed, over all of them
    missed: list = field(default_factory=list)  # (arch, spec JSON, reason) of each that let it through

    @property
    def share(self):
        return self.caught / self.archs if self.archs else 0.0


def failing_checks(grads, traj):
    """The names of the checks that failed in one architecture's rows."""
    found = {g["caught_by"] for g in grads if not g["passed"]}
    found |= {f"step ({c})" for t in traj if not t["passed"] for c in t["caught_by"].split(",")}
    return sorted(found)


def units(n, seed, steps):
    """float64 and float32 families, interleaved: n // SELFTEST_FAMILY families per dtype (at least one), then,
    for each planted bug that none of them can show, the next family of the sampler's stream that can."""
    rng = np.random.default_rng([seed, 5])
    per = {d: [family_of(s, SELFTEST_FAMILY, rng) for s in sample_specs(max(1, n // SELFTEST_FAMILY), seed, d, steps)]
           for d in ("float64", "float32")}  # fmt: skip
    pool = [u for pair in zip(per["float64"], per["float32"]) for u in pair]
    stream = np.random.default_rng([seed, 6])
    for m in MUTATIONS:
        if any(m.applies(u[0]) for u in pool):
            continue
        dtype = m.dtype if m.dtype != "any" else "float64"
        for _ in range(MAX_DRAWS):  # the specs drawn on the way are skipped: only the one that can show m is added
            spec = sample_spec(stream, dtype, steps)
            if m.applies(spec):
                pool.append(family_of(spec, SELFTEST_FAMILY, rng))
                break
    return pool


def facts(grads, traj):
    """Why a bug could pass this architecture: what its clean run shows."""
    found = []
    W = [g for g in grads if g["tensor"] == "W" and isinstance(g["layer"], int | np.integer)]
    top = max(W, key=lambda g: g["layer"], default=None)
    if top is not None and top["ref_norm"] == 0:
        found.append(f"every entry of ∂C_T/∂W^{top['layer']} is exactly 0 at the start")
    moved = max((t["torch_moved"] for t in traj if np.isfinite(t["torch_moved"])), default=0.0)
    if traj and moved <= 1.0:
        found.append(f"torch's own updates never rose above the rounding bound (at most {moved:.2g} of it)")
    return "; ".join(found) or "not explained"


def clean_run(pool, bar=None):
    """(first arch of each family, failing architectures (spec, checks), why each could let a bug through, the worst
    share of a start bound) of the unmutated manual_bp over the families of ``pool``."""
    starts, clean, why, worst, first = [], [], {}, 0.0, 0
    for specs in pool:
        starts.append(first)
        for spec, (grads, traj) in zip(specs, check_family(first, specs)):
            found = failing_checks(grads, traj)
            if found:
                clean.append((spec, found))
            why[first] = facts(grads, traj)
            worst = max([worst, *(r["tol_used"] for r in grads if r["tol_used"] == r["tol_used"])])
            first += 1
        if bar is not None:
            bar.update(len(specs))
    return starts, clean, why, worst


def planted(mutation, pool, starts, why, bar=None):
    """(architectures it can show on, how many caught it, the checks that did, missed (arch, spec, why)) of one
    planted bug over the families of ``pool``, first archs ``starts``."""
    archs, caught, by, missed = 0, 0, set(), []
    with mutation.applied():
        for start, specs in zip(starts, pool):
            if mutation.applies(specs[0]):
                for i, (spec, (grads, traj)) in enumerate(zip(specs, check_family(start, specs))):
                    found = failing_checks(grads, traj)
                    archs, caught = archs + 1, caught + bool(found)
                    by.update(found)
                    if not found:
                        missed.append((start + i, spec, why[start + i]))
            if bar is not None:
                bar.update(len(specs))
    return archs, caught, by, missed


def run_selftest(n, seed, steps, progress=None):
    """(clean failures, Outcomes): the unmutated run's failing architectures, then every mutation's result."""
    init_worker()
    pool = units(n, seed, steps)
    with Bar(total=len(MUTATIONS) + 1, desc="selftest", unit="run", show=progress) as bar:
        starts, clean, why, _ = clean_run(pool)
        bar.update()
        outcomes = []
        for m in MUTATIONS:
            archs, caught, by, missed = planted(m, pool, starts, why)
            missed = [(a, spec.to_json(), reason) for a, spec, reason in missed]
            by = ", ".join(sorted(by))
            outcomes.append(Outcome(m.name, m.what, ", ".join(m.expected), archs, caught, by, missed))
            bar.update()
    return clean, outcomes


def passed(clean, outcomes):
    """The selftest's verdict: the clean run passes and every bug is caught on at least one architecture."""
    return not clean and all(o.caught for o in outcomes)


def markdown(command, clean, outcomes, n_archs):
    """selftest.md: the verdict, the clean run, one row per mutation with its share, the architectures missed."""
    ok = passed(clean, outcomes)
    caught = sum(bool(o.caught) for o in outcomes)
    table = pd.DataFrame([dict(mutation=o.name, planted=o.what, archs=o.archs, caught=o.caught,
                               share=f"{o.share:.0%}" if o.archs else "not present", caught_by=o.caught_by or "—",
                               expected=o.expected) for o in outcomes])  # fmt: skip
    lines = [
        "# deltacheck selftest: does the harness catch planted bugs?",
        "",
        f"**{'PASS' if ok else 'FAIL'}** — {caught} of {len(outcomes)} planted bugs caught; the unmutated manual_bp "
        f"{'passes every check' if not clean else f'FAILS on {len(clean)} architecture(s)'} on the same "
        f"{n_archs} architectures (float64 and float32 families of {SELFTEST_FAMILY}).",
        "",
        f"Command: `{command}`",
        "",
        "Each bug replaces one piece of manual_bp for the run (nothing on disk changes) and is run against every "
        "architecture it can show on (`archs`: one without a sigmoid cannot show a wrong sigmoid derivative); "
        "`caught` counts those that failed a check and `share` is their part. `caught_by` lists the checks that "
        "failed — value (a start tensor against autograd), oracle (float32 against float64), dtype, shape, input "
        "(X or T changed), path (train() against TrainStep, or its C_T history against torch), crash, and "
        "step (…) for a training step judged from torch's state: its gradient, parameters, velocity or cost. "
        "`expected` names the checks meant to see it.",
        "",
        table.to_markdown(index=False),
        "",
        "## Architectures that let a bug through",
        "",
    ]
    misses = [(o, a, s, r) for o in outcomes for a, s, r in o.missed]
    lines += [f"- {o.name}: arch {a} — {r}; `{s}`" for o, a, s, r in misses] or ["None."]
    lines += [""]
    for spec, found in clean:
        lines.append(f"- unmutated run failed ({', '.join(found)}): `{spec.to_json()}`")
    return "\n".join(lines) + "\n"


def table(outcomes):
    """selftest.csv: one row per mutation."""
    rows = [dict(name=o.name, what=o.what, expected=o.expected, archs=o.archs, caught=o.caught, share=o.share,
                 caught_by=o.caught_by, missed=len(o.missed)) for o in outcomes]  # fmt: skip
    return pd.DataFrame(rows)
