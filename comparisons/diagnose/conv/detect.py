"""Which conv style a file is written in, read from its source alone (nothing of it runs in the parent)."""

from __future__ import annotations

import ast
from pathlib import Path

CS231N = ("conv_backward_naive", "max_pool_backward_naive")
DLFS = ("Convolution", "Pooling")
STYLES = {"cs231n-conv": "CS231n's conv_backward_naive / max_pool_backward_naive",
          "dlfs-conv": "ゼロから作るDeep Learning's Convolution / Pooling layers"}  # fmt: skip


def defined(path):
    """The names of the functions and classes the file defines at its top level ({} if it does not parse)."""
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError, UnicodeDecodeError):
        return set()
    return {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}


def conv_style(path):
    """'cs231n-conv', 'dlfs-conv' or None: the style of the conv layers ``path`` defines."""
    names = defined(path)
    if names & set(CS231N):
        return "cs231n-conv"
    if names & set(DLFS):
        return "dlfs-conv"
    return None
