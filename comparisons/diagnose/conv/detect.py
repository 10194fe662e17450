"""Which conv style a file is written in, read from its source alone (nothing of it runs in the parent)."""

from __future__ import annotations

import ast
from pathlib import Path

from comparisons.diagnose import notebook

CS231N = ("conv_backward_naive", "max_pool_backward_naive")
DLFS = ("Convolution", "Pooling")
STYLES = {"cs231n-conv": "CS231n's conv_backward_naive / max_pool_backward_naive",
          "dlfs-conv": "ゼロから作るDeep Learning's Convolution / Pooling layers"}  # fmt: skip
# FILE:NAME: the names that select one layer of a style (a forward function selects the layer it belongs to)
LAYERS = {
    "cs231n-conv": {"conv_forward_naive": "conv", "conv_backward_naive": "conv",
                    "max_pool_forward_naive": "pool", "max_pool_backward_naive": "pool"},
    "dlfs-conv": {"Convolution": "conv", "Pooling": "pool"},
}  # fmt: skip


def sources(path):
    """The Python source of ``path``: the file's text, or each code cell of a .ipynb notebook, magics blanked."""
    path = Path(path)
    if path.suffix != ".ipynb":
        return [path.read_text(encoding="utf-8")]
    return [notebook.python_of(source) for _, source in notebook.cells(path)]


def defined(path, stubs=True):
    """The names of the functions and classes the file (or notebook) defines at its top level ({} if none can be read;
    a notebook cell that does not parse adds none); ``stubs`` False leaves out functions that compute nothing."""
    try:
        texts = sources(path)
    except (OSError, ValueError, UnicodeDecodeError, AttributeError, TypeError):
        return set()
    names = set()
    for text in texts:
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            continue
        names |= {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))
                  and (stubs or not is_stub(n))}  # fmt: skip
    return names


COMPUTING = (ast.Call, ast.BinOp, ast.For, ast.While, ast.comprehension, ast.Subscript)


def is_stub(node):
    """A function that computes nothing: no call, arithmetic, loop or indexing in it — an assignment's unfinished
    template (CS231n's ``out = None; pass; return out, cache``), never a layer."""
    return isinstance(node, ast.FunctionDef) and not any(isinstance(n, COMPUTING) for n in ast.walk(node))


def conv_style(path):
    """'cs231n-conv', 'dlfs-conv' or None: the style of the conv layers ``path`` defines (a CS231n template whose conv
    functions are still stubs defines none: its dense layers are diagnosed)."""
    names = defined(path, stubs=False)
    if names & set(CS231N):
        return "cs231n-conv"
    if names & set(DLFS):
        return "dlfs-conv"
    return None


def style_of_name(name):
    """The style whose layer ``name`` selects ('Pooling': 'dlfs-conv'), or None."""
    return next((style for style, names in LAYERS.items() if name in names), None)
