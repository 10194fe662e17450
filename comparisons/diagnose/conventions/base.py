"""What the conventions share: the child's one-line refusal, names read from the user's source, how a class is built."""

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


def role(name):
    """'input', 'output', 'hidden', 'hidden_list', 'dtype' or None: what a constructor parameter sets, by its name."""
    n = name.lower()
    if "input" in n or n in ("d", "n_x", "n_in"):
        return "input"
    if "class" in n or "output" in n or n in ("c", "n_y", "n_out"):
        return "output"
    if "hidden" in n:
        return "hidden_list" if n.endswith("s") or "list" in n or "dims" in n else "hidden"
    return "dtype" if n == "dtype" else None


def build_roles(cls, name, **fixed):
    """(kwargs(sizes), depth, signature, note): how to build ``cls`` for widths n_1 … n_L, by keyword.

    Roles come from the parameters' names (input_dim, hidden_dims, num_classes, …), else, for
    required parameters named otherwise, from their order: input first, output last, hidden
    layers between.  ``fixed`` sets parameters by name where the constructor has them (reg=0.0);
    a dtype parameter gets np.float64.  Unusable when the roles cannot be told.
    """
    try:
        params = [
            p for p in inspect.signature(cls).parameters.values() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        ]
    except (TypeError, ValueError):
        params = []
    roles = {p.name: role(p.name) for p in params}
    required = [p.name for p in params if p.default is p.empty and p.name not in fixed]
    if len(required) >= 2 and any(roles[n] is None for n in required):  # by order, as ゼロから作る's book has them
        roles.update(
            {n: "hidden_list" if role("hidden" + n[-1:]) == "hidden_list" else "hidden" for n in required[1:-1]}
        )
        roles[required[0]], roles[required[-1]] = "input", "output"
    kinds = [roles[n] for n in roles if roles[n] in ("input", "output", "hidden", "hidden_list")]
    if kinds.count("input") != 1 or kinds.count("output") != 1 or kinds.count("hidden_list") > 1:
        raise Unusable(
            f"cannot tell how to build {name}({', '.join(p.name for p in params)}): deltacheck builds it by keyword "
            f"as {name}(input_dim=…, hidden_dim=… or hidden_dims=[…], num_classes=…), or by the order (input, "
            "hidden…, output) of its required arguments"
        )

    def kwargs(sizes):
        hidden, out = iter(sizes[1:-1]), {k: v for k, v in fixed.items() if k in roles}
        for k, r in roles.items():
            if r == "hidden":
                out[k] = int(next(hidden))
            elif r in ("input", "output", "hidden_list", "dtype"):
                out[k] = {"input": int(sizes[0]), "output": int(sizes[-1]), "dtype": np.float64}.get(r) or [
                    int(n) for n in sizes[1:-1]
                ]
        return out

    depth = 0 if "hidden_list" in kinds else len(kinds)
    shown = ", ".join(n for n in roles if roles[n] in ("input", "output", "hidden", "hidden_list"))
    note = f"built with dtype=np.float64, which {name} takes" if "dtype" in roles.values() else ""
    return kwargs, depth, f"{name}({shown})", note
