"""A Jupyter notebook as a module: its code cells run in order in the child, as a kernel would run them.

Magics (``%matplotlib``, ``%%time`` cells) and shell escapes (``!pip``) are skipped; a cell
that raises is named by its number and the cells after it still run, so the definitions they
make can be judged.  Each cell is compiled under the name ``NOTEBOOK#cellN``, so tracebacks
name the cell and its line.
"""

from __future__ import annotations

import json
import linecache
import sys
import types


def cells(path):
    """[(number, source)] of the notebook's code cells, numbered from 1 among all its cells."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for i, cell in enumerate(nb.get("cells", []), 1):
        if cell.get("cell_type") == "code":
            src = cell.get("source", "")
            out.append((i, "".join(src) if isinstance(src, list) else str(src)))
    return out


def python_of(source):
    """The cell's source with magics and shell escapes blanked (line numbers kept); '' for a %% cell magic."""
    if source.lstrip().startswith("%%"):
        return ""
    return "\n".join("" if ln.lstrip().startswith(("%", "!")) else ln for ln in source.split("\n"))


def run(path, shown, name, describe):
    """(module, notes) after running every code cell; (message, []) when the file is not a notebook."""
    try:
        code_cells = cells(path)
    except (OSError, ValueError, AttributeError) as e:
        return f"{shown} is not a notebook that can be read: {type(e).__name__}: {e}", []
    module = types.ModuleType(name)
    module.__file__ = str(path)
    sys.modules[name] = module
    notes = []
    last = code_cells[-1][0] if code_cells else None
    for number, source in code_cells:
        filename = f"{path}#cell{number}"
        text = python_of(source)
        linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
        try:
            exec(compile(text, filename, "exec"), module.__dict__)
        except SyntaxError as e:
            notes.append(f"cell {number} does not compile: line {e.lineno}: SyntaxError: {e.msg}{after(number, last)}")
        except BaseException as e:  # a failing cell is reported, and the cells after it still run
            notes.append(f"cell {number} raises {describe(e)}{after(number, last)}")
    return module, notes


def after(number, last):
    """What ran after a failing cell: the cells after it, or nothing (the last code cell)."""
    return "; the cells after it ran" if number != last else "; it is the last code cell"
