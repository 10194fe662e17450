"""An exception inside the user's backprop, placed in an equation from what it had computed.

The frames of the user's file are still there when the exception arrives: the δ dict they
hold says how far the recurrence got (and whether it was right so far), the line that raised
says which quantity was being computed, and the local ``l`` says at which layer.
"""

from __future__ import annotations

import re

import numpy as np

from comparisons.diagnose.compare import Finding, check

KIND = [  # (quantity, pattern for the name assigned on the line that raised), first match wins
    ("dW", re.compile(r"(d|g|grad_?|nabla_?|delta_?)w", re.I)),
    ("db", re.compile(r"(d|g|grad_?|nabla_?|delta_?)b", re.I)),
    ("delta", re.compile(r"(delta|deltas|err\w*|d|dz\w*|e)$", re.I)),
    ("forward", re.compile(r"(z|a|zs|as_|acts?|activations?|h|out)$", re.I)),
]
ASSIGNED = re.compile(r"^\s*([A-Za-z_]\w*)\s*(\[[^\]]*\])?\s*([-+*/@]?=)(?!=)")


def assigned_kind(line):
    """delta, dW, db, forward or None: what the line that raised was computing."""
    m = ASSIGNED.match(line)
    if not m:
        return None
    return next((kind for kind, pat in KIND if pat.match(m.group(1))), None)


def _layer(frames, L):
    """The local ``l`` of the innermost user frame, if it is a layer number."""
    for f in reversed(frames):
        l = f.f_locals.get("l")
        if isinstance(l, (int, np.integer)) and not isinstance(l, bool) and 2 <= l <= L:
            return int(l)
    return None


def _delta_dict(frames, ref):
    """The dict of δ^l the user's frames hold, found by name, else by value; None if none."""
    by_value = None
    for f in reversed(frames):
        for name, v in f.f_locals.items():
            if not isinstance(v, dict) or not any(isinstance(k, int) and 2 <= k <= ref.L for k in v):
                continue
            if KIND[2][1].match(name):
                return v
            for l in range(2, ref.L + 1):
                if by_value is None and l in v and check(_array(v[l]), ref.delta[l]).status == "ok":
                    by_value = v
    return by_value


def _array(x):
    try:
        return np.asarray(x, dtype=np.float64)
    except Exception:
        return None


def crash_finding(crash, ref):
    """The Finding for an exception: equation and layer where they can be told, else eq ''."""
    L = ref.L
    code = crash.line.split("  #")[0].strip()  # the line without its comment
    raised = f"{crash.error.split(':')[0]} at line {crash.lineno} (`{code}`)" if crash.lineno else crash.error
    kind = assigned_kind(crash.line)
    l = _layer(crash.frames, L)
    if kind in ("dW", "db") and l:
        eq = "2" if kind == "dW" else "3"
        return Finding(eq, l, f"eq ({eq}) fails at layer l = {l}: backprop raises {raised} computing {kind}^{l}", kind)
    if kind == "forward":
        where = f" at layer l = {l}" if l else ""
        return Finding("forward", l or 0, f"the forward pass fails{where}: backprop raises {raised}", "forward")
    deltas = _delta_dict(crash.frames, ref)
    if deltas is not None and kind in ("delta", None):
        for m in range(L, 1, -1):
            lead = f"eq (4) fails at the output layer l = {L}: " if m == L else f"eq (5) fails at layer l = {m}: "
            above = f" while δ^{m + 1} agrees — the recurrence from layer {m + 1} to {m} is wrong" if m < L else ""
            if m not in deltas:
                return Finding(
                    "4" if m == L else "5", m, f"{lead}backprop raises {raised} computing δ^{m}{above}", "delta"
                )
            c = check(_array(deltas[m]), ref.delta[m])
            if c.status != "ok":
                return Finding(
                    "4" if m == L else "5",
                    m,
                    f"{lead}δ^{m} already differs from ∂C/∂z^{m} when backprop raises {raised}{above}",
                    "delta",
                    c,
                )
    if kind == "delta" and l:
        eq = "4" if l == L else "5"
        lead = f"eq (4) fails at the output layer l = {L}" if l == L else f"eq (5) fails at layer l = {l}"
        return Finding(eq, l, f"{lead}: backprop raises {raised} computing δ^{l}", "delta")
    return Finding("", l or 0, f"backprop raises {raised}", "")
