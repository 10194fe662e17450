"""An exception inside the user's code, placed in an equation only on evidence.

Two kinds of evidence: values the user's code had already written when it raised (δ^l rows,
nabla_b entries, grads entries, a layer's dout), compared with autograd; and the line that
raised, read for what it computes — its target's name, or the parameters it uses, resolved
to a layer only through containers whose indexing is known (the lecture's dicts keyed by l,
Nielsen's lists, ゼロから作る's 'W1' keys and the layers that hold params).  A layer that
cannot be resolved is named by its tensors' shapes instead.
"""

from __future__ import annotations

import traceback
from pathlib import Path

from comparisons.diagnose.compare import Finding
from comparisons.diagnose.evidence import evidence
from comparisons.diagnose.isolation import NoResult
from comparisons.diagnose.placement import place
from comparisons.diagnose.wording import delta_eq, delta_lead, lead, recurrence_wrong

MEMORY_ERRORS = ("MemoryError", "_ArrayMemoryError")


def trace_lines(raised, session):
    """The traceback of the user's frames (repeats collapsed), then the exception."""
    summary = traceback.StackSummary.from_list(
        [traceback.FrameSummary(_shown(f, session), n, fn, line=ln) for f, n, fn, ln in raised.trace]
    )
    return "".join(summary.format()).rstrip("\n").splitlines() + [raised.error]


def _shown(file, session):
    p = Path(file)
    if session is not None and p == session.target.path:
        return session.target.shown
    try:
        return str(p.relative_to(Path.cwd()))
    except ValueError:
        return str(p)


def _at(raised, session):
    """'at line 12 (`code`)' of the innermost user frame, shown with its file when it is not the target."""
    if not raised.trace:
        return ""
    file, lineno, _, line = raised.trace[-1]
    code = line.split("  #")[0].strip()
    other = session is not None and Path(file) != session.target.path
    return f" at {_shown(file, session) + ' ' if other else ''}line {lineno} (`{code}`)"


def no_result_of(raised, session):
    """NoResult for an exception that means no result at all (memory, sys.exit, interrupt), else None."""
    at = _at(raised, session)
    if raised.type in MEMORY_ERRORS:
        cap = session.child.max_memory if session is not None else 0
        e = NoResult("memory", f"ran out of memory{at}: {raised.error} (under --max-memory {size_text(cap)})")
    elif raised.type == "RecursionError":
        e = NoResult("recursion", f"recursed without end{at}: {raised.error}")
    elif raised.type == "SystemExit":
        e = NoResult("exit", f"called sys.exit{at} instead of returning")
    elif raised.type in ("KeyboardInterrupt", "GeneratorExit"):
        e = NoResult("exit", f"was interrupted ({raised.type}){at}")
    else:
        return None
    e.trace = trace_lines(raised, session)
    return e


def size_text(n):
    """2147483648 -> '2 GiB', 536870912 -> '512 MiB'."""
    for unit, shift in (("GiB", 30), ("MiB", 20)):
        if n >= 1 << shift:
            return f"{n / (1 << shift):g} {unit}"
    return f"{n} bytes"


def crash_finding(raised, ref, session, settings=None):
    """The Finding for an exception: equation and layer where the evidence tells, else eq ''."""
    L = ref.L
    callee = session.callee if session is not None else "backprop"
    how = f"{callee} raises {raised.error.split(':')[0]}{_at(raised, session)}"
    ev = evidence(raised, ref, session, settings)
    # 1. a value already written for layer l that differs from autograd, every layer above it agreeing
    for m in range(L, 1, -1):
        state = ev.get(("delta", m))
        if state is None:
            break
        ok, where = state
        if not ok:
            return Finding(
                delta_eq(m, L),
                m,
                f"{delta_lead(m, L)}δ^{m}{where} already differs from ∂C/∂z^{m} when {how}{_above(m, L, ev)}",
                "delta",
            )
    # 2. what the line that raised computes
    kind, l, shapes = place(raised, ref, session)
    if kind in ("dW", "db") and l:
        eq = "2" if kind == "dW" else "3"
        if ev.get(("delta", l), (False,))[0]:
            tail = f"; δ^{l} agrees"
        else:
            tail = ""
        return Finding(eq, l, lead(eq, l) + f"{how} computing {kind}^{l}{tail}", kind)
    if kind == "delta" and l:
        return Finding(delta_eq(l, L), l, f"{delta_lead(l, L)}{how} computing δ^{l}{_above(l, L, ev)}", "delta")
    if kind == "delta" and ev.get(("delta", L), (False,))[0]:
        with_shapes = f", with {shapes}" if shapes else ""
        return Finding(
            "5",
            0,
            f"eq (5) fails at a hidden layer: {how} computing δ{with_shapes}, while δ^{L} agrees",
            "delta",
        )
    if kind == "forward":
        where = f" at layer l = {l}" if l else ""
        return Finding("forward", l, f"the forward pass fails{where}: {how}", "forward")
    with_shapes = f" ({shapes})" if shapes and kind else ""
    what = {"delta": " computing δ", "dW": " computing dW", "db": " computing db"}.get(kind, "")
    return Finding("", l or 0, f"{how}{what}{with_shapes}", "")


def _above(l, L, ev):
    if l < L and ev.get(("delta", l + 1), (False,))[0]:
        return recurrence_wrong(l)
    return ""


__all__ = ["MEMORY_ERRORS", "crash_finding", "no_result_of", "size_text", "trace_lines"]
