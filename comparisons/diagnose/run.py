"""One diagnosis from start to end: load the code in a child, settle its settings, plan the networks, judge.

Shared by the `deltacheck diagnose` command, the gallery and the Python API.
"""

from __future__ import annotations

from comparisons.diagnose.cases import parse_sizes, plan
from comparisons.diagnose.limits import DEFAULT_ARCHS, DEFAULT_MAX_MEMORY, DEFAULT_TIMEOUT, refuse_past_limits
from comparisons.diagnose.session import Session
from comparisons.diagnose.settings import resolve


def check(
    target,
    convention=None,
    activation=None,
    cost=None,
    archs=DEFAULT_ARCHS,
    seed=0,
    sizes=(),
    timeout=DEFAULT_TIMEOUT,
    max_memory=DEFAULT_MAX_MEMORY,
    flag="--sizes",
    output=None,
):
    """The Verdict on ``target`` (a session.Target); UsageError when the code cannot be diagnosed at all.

    ``output``: the output layer's σ where it differs from ``activation``.  ``sizes`` are tuples already parsed;
    their depth is checked here against a class that fixes it.
    The verdict carries ``header`` (the command and settings), ``settings`` and ``loaded``.
    """
    dashes = "--" if flag.startswith("--") else ""
    networks = 3 * len(sizes) if sizes else archs + 2
    refuse_past_limits(networks, timeout, f"{dashes}sizes" if sizes else f"{dashes}archs {archs}", f"{dashes}timeout")
    with Session(target, convention, timeout, max_memory) as session:
        from comparisons.diagnose.verdict import diagnose  # torch: imported while the child loads the user's code

        loaded = session.loaded  # UsageError here closes the child on the way out
        if sizes and loaded.depth:
            parse_sizes(["-".join(map(str, s)) for s in sizes], loaded.depth, loaded.signature, flag)
        settings = resolve(session, activation, cost, output)
        cases = plan(archs, seed, settings.activation, settings.cost, sizes, loaded.depth, settings.output,
                     settings.n_out)  # fmt: skip
        verdict = diagnose(session, cases, settings)
    verdict.output = session.output  # after the child has ended: its output is complete
    if session.child.output.too_much:  # how much arrived before the stop varies: none of it is shown
        verdict.output = ""
    verdict.notes += [f"note: {target.shown}: {n}" for n in loaded.names.get("notebook", [])]
    if loaded.depth and not sizes:
        used = ", ".join(dict.fromkeys("-".join(map(str, c.spec.sizes)) for c in cases))
        verdict.notes.append(f"note: {loaded.signature} fixes the depth at L = {loaded.depth}: diagnosed on {used}")
    verdict.header = (
        f"deltacheck diagnose {target.shown}:{loaded.name} ({session.convention.NAME} convention; {settings.text()})"
    )
    verdict.settings, verdict.loaded, verdict.session = settings, loaded, session
    return verdict
