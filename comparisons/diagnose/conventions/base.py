"""What the three conventions share: the child's one-line refusal, and reading names from the user's source."""

from __future__ import annotations

import ast
import inspect
import textwrap

import numpy as np


class Unusable(Exception):
    """The user's file cannot be diagnosed as it is: the message says why, in one line."""


def returned_names(fn):
    """The names in the user's ``return a, b`` (or ``return grads``), else []."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        return []
    for node in ast.walk(tree):
        if isinstance(node, ast.Return) and node.value is not None:
            v = node.value
            items = v.elts if isinstance(v, (ast.Tuple, ast.List)) else [v]
            if all(isinstance(e, ast.Name) for e in items):
                return [e.id for e in items]
    return []


def changed(before, after):
    """True when ``after`` is not the same numbers, in the same shape, as ``before``."""
    try:
        a = np.asarray(after)
    except Exception:
        return True
    return a.shape != before.shape or not np.array_equal(a, before)


def ordinal(k):
    """1 -> '1st', 2 -> '2nd', 11 -> '11th'."""
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


def role(param):
    """'input', 'output', 'hidden', 'hidden_list', 'dtype' or None: what a constructor parameter sets, by its name."""
    n = param.name.lower()
    if "input" in n or n in ("d", "n_x", "n_in"):
        return "input"
    if "class" in n or "output" in n or n in ("c", "n_y", "n_out"):
        return "output"
    if "hidden" in n:
        return "hidden_list" if n.endswith("s") or "list" in n or "dims" in n else "hidden"
    return "dtype" if n == "dtype" else None


def keyword_build(cls, name, **fixed):
    """(kwargs(sizes), depth, signature, note) for a constructor called by keyword: input_dim=, hidden_dim(s)=, …

    ``fixed`` sets parameters by name where the constructor has them (reg=0.0); a dtype
    parameter gets np.float64.  Unusable when a required parameter has no role.
    """
    try:
        params = [
            p for p in inspect.signature(cls).parameters.values() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]
    except (TypeError, ValueError):
        params = []
    roles = {p.name: role(p) for p in params}
    kinds = set(roles.values())
    unknown = [p.name for p in params if roles[p.name] is None and p.name not in fixed and p.default is p.empty]
    if unknown or not {"input", "output"} <= kinds or not kinds & {"hidden", "hidden_list"}:
        sig = ", ".join(p.name for p in params)
        raise Unusable(
            f"cannot tell how to build {name}({sig}): it is built by keyword as {name}(input_dim=…, "
            "hidden_dim=… or hidden_dims=[…], num_classes=…)"
            + (f"; {', '.join(unknown)} has no default" * bool(unknown))
        )

    def kwargs(sizes):
        out = {k: v for k, v in fixed.items() if k in roles}
        for k, r in roles.items():
            value = {
                "input": int(sizes[0]),
                "output": int(sizes[-1]),
                "hidden": int(sizes[1]) if len(sizes) == 3 else None,
                "hidden_list": [int(n) for n in sizes[1:-1]],
                "dtype": np.float64,
            }.get(r)
            if value is not None:
                out[k] = value
        return out

    depth = 0 if "hidden_list" in kinds else 3
    shown = ", ".join(f"{k}=…" for k, r in roles.items() if r in ("input", "output", "hidden", "hidden_list"))
    note = f"built with dtype=np.float64, which {name} takes" if "dtype" in kinds else ""
    return kwargs, depth, f"{name}({shown})", note
