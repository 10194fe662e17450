"""Run a user's backprop on every case and turn the findings into one verdict.

The verdict rests on the first network that fails by its numbers (a crash elsewhere is
reported beside it), then says what the failing networks share: only K > 1, only deep ones,
only unequal widths.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from comparisons.diagnose.compare import SYMBOL, Finding, largest, reference, scan
from comparisons.diagnose.crash import crash_finding
from comparisons.diagnose.hints import GENERIC, hint
from comparisons.diagnose.user_code import Crash, call, unpack

REL_ERR = "rel err = max|yours − autograd's| / max|autograd's| over the whole tensor, not entry by entry"
SYMBOL_ORDER = ["delta", "dW", "db"]  # at each layer, the order backprop computes them


@dataclass
class CaseResult:
    """One network: its finding (None when it passes), the crash if any, the hint."""

    case: object
    finding: Finding = None
    crash: Crash = None
    hint: str = ""
    largest: tuple = (0.0, 0.0, "")  # (rel err, multiple of the tolerance, tensor) when it passes
    has_delta: bool = False
    mutated: list = field(default_factory=list)
    nonfinite: list = field(
        default_factory=list
    )  # ('dW^2', 'NaN in 6 of 6 entries') in the order backprop computes them


@dataclass
class Verdict:
    """The diagnosis: passed, the equation and layer named, and the lines to print."""

    passed: bool
    eq: str  # "" when it passes or nothing can be named
    layer: int
    headline: str
    hint: str
    notes: list
    results: list

    def text(self):
        """The report printed by `deltacheck diagnose`."""
        lines = [self.headline] + ([f"hint: {self.hint}"] if self.hint else []) + self.notes
        rows = [f"  {r.case.label():<26} {_case_line(r)}" for r in self.results]
        legend = f"; {REL_ERR}" if any("rel err" in ln for ln in lines + rows) else ""
        lines.append(f"networks (the reference is torch_ref, PyTorch autograd{legend}):")
        return "\n".join(lines + rows)


def run_case(user, case):
    """The user's function on one case, compared with torch_ref."""
    ref = reference(case)
    out, mutated = call(user, ref.W, ref.b, ref.X, ref.T)
    if isinstance(out, Crash):
        f = crash_finding(out, ref)
        return CaseResult(case, f, out, GENERIC[f.eq] if f.eq in GENERIC else GENERIC[""], mutated=mutated)
    out = unpack(user, out, ref.L)
    finding, checks = scan(out, ref)
    res = CaseResult(
        case,
        finding,
        has_delta=out[2] is not None,
        mutated=mutated,
        nonfinite=[
            (f"{SYMBOL[n]}^{l}", c.bad)
            for (n, l), c in sorted(checks.items(), key=lambda nc: (-nc[0][1], SYMBOL_ORDER.index(nc[0][0])))
            if c.status == "nonfinite"
        ],
    )
    if finding:
        res.hint = hint(finding, case, ref, out)
    else:
        res.largest = largest(checks)
    return res


def _case_line(r):
    if r.crash is not None:
        named = f" in eq ({r.finding.eq}) at l = {r.finding.layer}" if r.finding.eq in "2345" and r.finding.eq else ""
        return f"raises {r.crash.error.split(':')[0]}{named}"
    if r.finding is None:
        return f"ok (rel err {r.largest[0]:.1e})"
    c = r.finding.check
    err = (
        ""
        if c is None
        else {
            "value": f" (rel err {c.err:.2g})",
            "factor": f" (rel err {c.err:.2g})",
            "nonfinite": f" (contains {c.bad.split(' in ')[0]})",
        }.get(c.status, f" ({c.status})")
    )
    return f"FAIL: eq ({r.finding.eq}) at l = {r.finding.layer}{err}"


def diagnose(user, cases):
    """The verdict on ``user`` over ``cases`` (UsageError propagates: the function is unusable)."""
    results = [run_case(user, c) for c in cases]
    mutated = sorted({m for r in results for m in r.mutated})
    notes = (
        [
            f"note: backprop modifies its argument(s) {', '.join(mutated)} in place; deltacheck passes copies, "
            "but a training loop calling it would see them change"
        ]
        if mutated
        else []
    )
    failing = [r for r in results if r.finding]
    if not failing:
        return _pass(results, notes)
    primary = next((r for r in failing if r.crash is None), failing[0])
    f = primary.finding
    headline = f"FAIL: {f.text} [on {primary.case.label()}]"
    unnamed = [f"{sym} ({bad})" for sym, bad in primary.nonfinite if f"{sym} contains" not in headline]
    if unnamed:
        notes.insert(0, f"note: on {primary.case.label()} the result also contains NaN or inf: {', '.join(unnamed)}")
    notes = _qualifiers(results, failing) + _crash_notes(primary, failing, results) + notes
    return Verdict(False, f.eq, f.layer, headline, primary.hint, notes, results)


def _pass(results, notes):
    err, used, where, label = max(
        ((r.largest[0], r.largest[1], r.largest[2], r.case.label()) for r in results), key=lambda t: t[1]
    )
    Ls = sorted({r.case.L for r in results})
    Ks = sorted({r.case.K for r in results})
    what = "dW, db and δ" if all(r.has_delta for r in results) else "dW and db (no δ returned)"
    head = (
        f"PASS: {what} agree with PyTorch autograd on all {len(results)} networks (L = {Ls[0]} … {Ls[-1]}, "
        f"K = {Ks[0]} … {Ks[-1]}); largest error: rel err {err:.1e}, {used:.1e} of the tolerance, "
        f"at {where} on {label}"
    )
    return Verdict(True, "", 0, head, "", notes, results)


def _qualifiers(results, failing):
    """What the failing networks share that the passing ones do not."""
    out = []
    passing = [r for r in results if not r.finding]
    if passing and all(r.case.K > 1 for r in failing) and any(r.case.K == 1 for r in passing):
        out.append(
            "It fails only with several examples (K > 1); every network with K = 1 passes: "
            "look at how the examples k are summed (C_T = Σ_k C_k)."
        )
    dmin = min(r.case.L for r in failing)
    if dmin >= 4 and any(dmin > r.case.L for r in passing) and all(dmin <= r.case.L for r in failing):
        out.append(
            f"It fails only for depth L ≥ {dmin}, where eq (5) is applied more than once; every network "
            f"with L < {dmin} passes."
        )
    return out


def _crash_notes(primary, failing, results):
    """The exceptions: the user's traceback, and what the networks that raise have in common."""
    crashes = [r for r in failing if r.crash is not None]
    if not crashes:
        return []
    first = crashes[0]
    if primary.crash is not None:
        return ["traceback (your file only):"] + ["  " + ln for ln in first.crash.trace.splitlines()]
    labels = ", ".join(r.case.label() for r in crashes)
    why = ""
    if all(not r.case.square for r in crashes) and any(r.case.square and r.crash is None for r in results):
        why = (
            " — all have unequal widths, and the networks with equal widths run: shapes that fit only when "
            "n_l = n_{l+1} are the usual sign of a transposed matrix or a wrong layer index"
        )
    return [f"On {len(crashes)} network(s) it raises instead ({labels}){why}:"] + [
        "  " + ln for ln in first.crash.trace.splitlines()
    ]
