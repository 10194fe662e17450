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
