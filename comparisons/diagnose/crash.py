"""An exception inside the user's code: where it was raised and the shapes on that line, never a guessed equation.

The equation comes from values: the networks that run (every other one has equal widths, so
a transposed W or a wrong layer index runs there and fails by its numbers) name it.  A crash
alone is named by its traceback and the shapes of the arrays on the line that raised.
"""

from __future__ import annotations

import re
import traceback
from pathlib import Path

import numpy as np

from comparisons.common.limits import fmt_bytes
from comparisons.diagnose.compare import Finding
from comparisons.diagnose.isolation import NoResult

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
    file, lineno, fn, line = raised.trace[-1]
    code = line.split("  #")[0].strip()
    other = session is not None and Path(file) != session.target.path
    callee = getattr(session, "callee", "")
    inside = f" in {fn}" if fn and fn != "<module>" and not callee.endswith(fn) else ""  # the frame it raised in
    return f" at {_shown(file, session) + ' ' if other else ''}line {lineno}{inside} (`{code}`)"


def no_result_of(raised, session):
    """NoResult for an exception that means no result at all (memory, sys.exit, interrupt), else None."""
    at = _at(raised, session)
    if raised.type in MEMORY_ERRORS:
        cap = session.child.max_memory if session is not None else 0
        e = NoResult("memory", f"ran out of memory{at}: {raised.error} (under --max-memory {fmt_bytes(cap)})")
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


OPERAND = re.compile(r"(?<![\w.])((?:self\.)?[A-Za-z_]\w*)(?:\[([\w\s+*'\"-]+)\])?")


INDEX = re.compile(r"\s*(-?)\s*(\d+|\w+|'\w*'|\"\w*\")\s*(?:([+-])\s*(\d+))?\s*")


def _index(text, ints):
    """The value of an index such as l + 1, -l, 'W1' or 2, from the frame's ints; None otherwise."""
    m = INDEX.fullmatch(text)
    sign, atom, op, k = m.groups() if m else ("", "", "", "")
    v = atom.strip("'\"") if atom[:1] in "'\"" and atom else int(atom) if atom.isdigit() else ints.get(atom)
    if not isinstance(v, int):
        return v if m and not (sign or op) else None
    return (-v if sign else v) + (int(k) if op == "+" else -int(k) if op else 0)


def shapes(raised):
    """'delta[l + 1] (64, 2), W[3] (2, 3)': the arrays on the innermost line of the user's code that raised."""
    if not raised.frames:
        return ""
    frame = raised.frames[-1]
    ints = {k: v for k, v in frame.locals.items() if isinstance(v, int)}
    out = {}
    for m in OPERAND.finditer(frame.statement or frame.line):
        v = frame.locals.get(m.group(1))
        if m.group(2) and isinstance(v, (dict, list)):
            try:
                v = v[_index(m.group(2), ints)]
            except (KeyError, IndexError, TypeError):
                v = None
        if isinstance(v, np.ndarray) and v.ndim:
            out.setdefault(m.group(0), f"{m.group(0)} {tuple(v.shape)}")
    return ", ".join(list(out.values())[:4])


def crash_finding(raised, ref, session):
    """The Finding for an exception: no equation, the line and the shapes on it."""
    callee = session.callee if session is not None else "backprop"
    on = shapes(raised)
    text = f"{callee} raises {raised.error.split(':')[0]}{_at(raised, session)}" + (f", with {on}" * bool(on))
    return Finding("", 0, text, "")


__all__ = ["MEMORY_ERRORS", "crash_finding", "no_result_of", "trace_lines"]
