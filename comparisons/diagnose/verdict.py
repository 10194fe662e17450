"""Run the user's code on every case and turn the findings into one verdict.

The verdict rests on the first network that fails by its numbers (a crash elsewhere is
reported beside it), then says what the failing networks share: only K > 1, only deep ones,
only unequal widths.  Code that returns nothing (it hangs, ends the process, runs out of
memory) gets NO RESULT, exit code 2, unless a network it did return already failed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from comparisons.common.errors import UsageError
from comparisons.common.tolerances import GRAD_F32
from comparisons.diagnose.compare import SYMBOL, Finding, largest, lowest_precision, reference, scan
from comparisons.diagnose.crash import crash_finding, no_result_of, trace_lines
from comparisons.diagnose.hints import crash_hint, hint
from comparisons.diagnose.isolation import NoResult
from comparisons.diagnose.wire import Raised

REL_ERR = "rel err = max|yours − autograd's| / max|autograd's| over the whole tensor, not entry by entry"
SYMBOL_ORDER = ["delta", "dW", "db"]  # at each layer, the order backprop computes them
EXIT = {"pass": 0, "fail": 1, "error": 2}
NAMED = re.compile(r"(?<![\w∂])(dW|db|W|b|δ)\^(\d+)(?![\d}]|\)ᵀ)")  # not inside (W^3)ᵀ
FLOAT32 = (
    "note: your code computes in float32: judged against the float32 bound (|yours − autograd's| ≤ "
    f"{GRAD_F32.atol:g}·max(1, max|autograd's|) + {GRAD_F32.rtol:g}·|autograd's|), autograd in float64 the oracle"
)


@dataclass
class CaseResult:
    """One network: its finding (None when it passes), the exception if any, the hint."""

    case: object
    finding: Finding = None
    crash: Raised = None
    hint: str = ""
    largest: tuple = (0.0, 0.0, "")  # (rel err, multiple of the tolerance, tensor) when it passes
    has_delta: bool = False
    mutated: list = field(default_factory=list)
    nonfinite: list = field(default_factory=list)  # ('dW^2', 'NaN in 6 of 6 entries'), in backprop's order
    float32: bool = False


@dataclass
class Verdict:
    """The diagnosis: pass, fail (a wrong result) or error (no result); the equation and layer named."""

    status: str  # pass, fail or error
    eq: str  # "" when it passes or nothing can be named
    layer: int
    headline: str
    hint: str
    notes: list
    results: list
    output: str = ""  # what the user's code printed, trimmed
    header: str = ""  # the command and the settings it ran with
    settings: object = None
    loaded: object = None
    session: object = None  # the (closed) session: its convention and names, to judge a subset again

    @property
    def passed(self):
        """True when every network agrees with autograd."""
        return self.status == "pass"

    @property
    def exit_code(self):
        """0 pass, 1 a wrong result, 2 no result."""
        return EXIT[self.status]

    def message(self):
        """The headline and its hint: what assert_backprop raises."""
        return "\n".join([self.headline] + ([f"hint: {self.hint}"] if self.hint else []))

    def text(self):
        """The report printed by `deltacheck diagnose`."""
        lines = [self.message()] + self.notes
        rows = [f"  {r.case.label():<26} {_case_line(r)}" for r in self.results]
        legend = f"; {REL_ERR}" if any("rel err" in ln for ln in lines + rows) else ""
        if rows:
            lines.append(f"networks (the reference is torch_ref, PyTorch autograd{legend}):")
        return "\n".join(lines + rows + ([self.output] if self.output else []))


def annotate(text, names):
    """``text`` with the user's name beside the first mention of each lecture symbol: dW^2 (nabla_w[-2])."""
    seen = set()

    def sub(m):
        key = ("delta" if m.group(1) == "δ" else m.group(1), int(m.group(2)))
        if key in names and key not in seen:
            seen.add(key)
            return f"{m.group(0)} ({names[key]})"
        return m.group(0)

    return NAMED.sub(sub, text) if names else text


def run_case(session, case, settings):
    """The user's code on one case, compared with torch_ref."""
    ref = reference(case)
    reply = session.call(ref.W, ref.b, ref.X, ref.T)
    mutated = list(getattr(reply, "mutated", []))
    if isinstance(reply, Raised) and not reply.trace:  # raised outside the user's frames: deltacheck's side
        raise UsageError(
            f"{session.what}: deltacheck could not run it as the {session.convention.NAME} convention: {reply.error}"
        )
    if isinstance(reply, Raised):
        none = no_result_of(reply, session)
        if none:
            raise none
        f = crash_finding(reply, ref, session)
        return CaseResult(case, f, reply, crash_hint(f, reply, ref, session.convention.NAME))
    float32 = lowest_precision(reply.raw) is np.float32
    ref.tol = GRAD_F32 if float32 else ref.tol
    dW, db, delta, shape_notes = session.convert(reply, case.spec.sizes, settings.scale(case.K))
    finding, checks = scan((dW, db, delta), ref, shape_notes)
    res = CaseResult(
        case,
        finding,
        has_delta=delta is not None,
        mutated=mutated,
        float32=float32,
        nonfinite=[
            (f"{SYMBOL[n]}^{l}", c.bad)
            for (n, l), c in sorted(checks.items(), key=lambda nc: (-nc[0][1], SYMBOL_ORDER.index(nc[0][0])))
            if c.status == "nonfinite"
        ],
    )
    if finding:
        res.hint = hint(finding, case, ref, (dW, db, delta), session, settings, reply)
    else:
        res.largest = largest(checks)
    return res


def _case_line(r):
    if r.crash is not None:
        return f"raises {r.crash.error.split(':')[0]}"
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


def diagnose(session, cases, settings):
    """The verdict on the session's code over ``cases`` (UsageError propagates: the code is unusable)."""
    results, stopped = [], None
    for i, case in enumerate(cases):
        try:
            results.append(run_case(session, case, settings))  # the isolation stops a flood before any reply
        except NoResult as e:
            stopped = (e, i, case)
            break
    return judge(session, results, stopped, len(cases))


def judge(session, results, stopped=None, n_cases=None):
    """The verdict from the CaseResults of the networks run, and (NoResult, index, case) where it stopped."""
    n_cases = n_cases or len(results)
    notes = session.convention.mutation_notes(session.loaded, sorted({m for r in results for m in r.mutated}))
    notes += [FLOAT32] if any(r.float32 for r in results) else []
    built = session.loaded.names.get("built")
    notes += [f"note: {built}"] if built else []
    failing = [r for r in results if r.finding]
    if stopped and not [r for r in failing if r.crash is None]:
        return _no_result(session, stopped, n_cases, results, notes)
    if stopped:
        e, i, case = stopped
        notes.append(f"then on network {i + 1} of {n_cases}, {case.label()}, {e.why}; the rest were not run")
    if not failing:
        return _pass(results, notes)
    primary = next((r for r in failing if r.crash is None), failing[0])
    f = primary.finding
    names = session.convention.names(session.loaded, primary.case.L)
    headline = annotate(f"FAIL: {f.text} [on {primary.case.label()}]", names)
    unnamed = [f"{sym} ({bad})" for sym, bad in primary.nonfinite if f"{sym} contains" not in headline]
    if unnamed:
        notes.insert(0, f"note: on {primary.case.label()} the result also contains NaN or inf: {', '.join(unnamed)}")
    notes = _qualifiers(results, failing) + _crash_notes(primary, failing, results, session) + notes
    return Verdict("fail", f.eq, f.layer, headline, annotate(primary.hint, names), notes, results)


NO_RESULT_HINTS = {  # by NoResult.reason; the conv diagnosis gives the same
    "timeout": "it never returned: an endless loop, a sleep or a wait for input? If it is only slow, raise --timeout",
    "memory": "a loop that keeps allocating, or arrays far larger than the network's? If it really "
    "needs more, raise --max-memory",
    "exit": "os._exit, sys.exit or exit() ends the process before anything is returned: return the gradients",
    "signal": "nothing was returned; the lines printed before it ended may tell where",
    "output": "print less, or nothing, inside backprop",
    "recursion": "a function that calls itself (directly or through another) without end: the traceback "
    "shows the cycle",
}


def _no_result(session, stopped, n_cases, results, notes):
    e, i, case = stopped
    what = session.what
    head = f"NO RESULT: {what} {e.why}, on network {i + 1} of {n_cases}, {case.label()}"
    hint = NO_RESULT_HINTS.get(e.reason, "")
    if i and all(not r.finding for r in results):
        notes.append(f"the {i} network(s) before it agree with autograd")
    notes += [f"  {ln}" for ln in getattr(e, "trace", [])]
    return Verdict("error", "", 0, head, hint, notes, results)


def _pass(results, notes):
    err, used, where, label = max(
        ((r.largest[0], r.largest[1], r.largest[2], r.case.label()) for r in results), key=lambda t: t[1]
    )
    Ls = sorted({r.case.L for r in results})
    Ks = sorted({r.case.K for r in results})
    what = "dW, db and δ" if all(r.has_delta for r in results) else "dW and db (no δ returned)"
    head = (
        f"PASS: {what} agree with PyTorch autograd on all {len(results)} networks (L = {_span(Ls)}, "
        f"K = {_span(Ks)}); closest to its tolerance: rel err {err:.1e}, {used:.1e} of the tolerance, "
        f"at {where} on {label}"
    )
    return Verdict("pass", "", 0, head, "", notes, results)


def _span(values):
    return f"{values[0]}" if values[0] == values[-1] else f"{values[0]} … {values[-1]}"


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


def _crash_notes(primary, failing, results, session):
    """The exceptions: the user's traceback, and what the networks that raise have in common."""
    crashes = [r for r in failing if r.crash is not None]
    if not crashes:
        return []
    trace = ["  " + ln for ln in trace_lines(crashes[0].crash, session)]
    if primary.crash is not None:
        return ["traceback (your code only):"] + trace
    labels = ", ".join(r.case.label() for r in crashes)
    why = ""
    if all(not r.case.square for r in crashes) and any(r.case.square and r.crash is None for r in results):
        why = (
            " — all have unequal widths, and the networks with equal widths run: shapes that fit only when "
            "n_l = n_{l+1} are the usual sign of a transposed matrix or a wrong layer index"
        )
    return [f"On {len(crashes)} network(s) it raises instead ({labels}){why}:"] + trace


__all__ = ["CaseResult", "Verdict", "annotate", "diagnose", "judge", "run_case"]
