"""The process that runs the user's code: limits first, then the file, then one network per request.

Started by the keeper (``isolation.Child``) as ``python -m comparisons.diagnose.child REQ REPLY MAX_MEMORY CPU``.
It imports numpy and the conventions, never torch.  Everything the user's code raises,
SystemExit and MemoryError included, becomes a ``Raised`` reply; a process that dies instead
is noticed by the parent.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import linecache
import os
import resource
import sys
import warnings
from pathlib import Path

import numpy as np

from comparisons.common.lifeline import tie_to_parent
from comparisons.diagnose import conventions, notebook
from comparisons.diagnose.wire import MAX_LOCAL, Closed, Corrupt, Failed, Frame, Loaded, Raised, plain, recv, send

PACKAGE = Path(__file__).resolve().parents[1]  # comparisons/: never the user's code
SYSTEM = tuple({str(Path(p).resolve()) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)})
FRAMES_WITH_LOCALS = 1  # the innermost frame's numbers are kept: the shapes on the line that raised


def set_limits(max_memory, cpu_seconds):
    """Address space, CPU time (a backstop behind the parent's wall clock) and no core file, each within the hard
    limit this process was given (a soft limit above it would be refused)."""
    for what, soft, extra in ((resource.RLIMIT_AS, max_memory, 0), (resource.RLIMIT_CPU, cpu_seconds, 5)):
        hard = resource.getrlimit(what)[1]
        if soft > 0:
            room = hard == resource.RLIM_INFINITY
            resource.setrlimit(what, (soft if room else min(soft, hard), soft + extra if room else hard))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def is_user_file(filename):
    """True for a frame of the user's code: not the standard library, an installed library, Cython or deltacheck."""
    if filename.startswith("<") or filename.endswith((".pyx", ".pxd", ".pxi")):
        return False
    path = Path(filename).resolve()
    p = str(path)
    library = {"site-packages", "dist-packages"} & set(path.parts)
    return not library and not p.startswith(SYSTEM) and not p.startswith(str(PACKAGE))


class State:
    """What one child keeps between requests."""

    def __init__(self):
        self.runner = None
        self.stage = "load"
        self.net = None


def _one_line(e):
    msg = " ".join(str(e).split())
    return f"{type(e).__name__}: {msg}" if msg else type(e).__name__


def _locals(frame):
    """A frame's locals that are numbers (and self's), as plain values: the shapes a crash is named by."""
    out = {}
    for name, v in list(frame.f_locals.items())[:60]:
        if name == "self":
            for attr, a in list(getattr(v, "__dict__", {}).items())[:60]:
                if isinstance(a, (np.ndarray, list, dict, tuple, int)):
                    out[f"self.{attr}"] = plain(a, limit=MAX_LOCAL)
        elif isinstance(v, (np.ndarray, list, dict, tuple, int, float, np.number)):
            out[name] = plain(v, limit=MAX_LOCAL)
    return out


COMPOUND = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.For, ast.While, ast.If, ast.With, ast.Try)


def _statement(filename, lineno):
    """The source of the innermost simple statement that spans line ``lineno`` ('' if it cannot be read)."""
    source = "".join(linecache.getlines(filename))
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return ""
    spans = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.stmt) and not isinstance(n, COMPOUND) and n.lineno <= lineno <= (n.end_lineno or 0)
    ]
    best = min(spans, key=lambda n: n.end_lineno - n.lineno, default=None)
    return (ast.get_source_segment(source, best) or "") if best is not None else ""


def raised(e, state):
    """The exception as a Raised: the user's frames, the innermost with their numbers."""
    tb, entries = e.__traceback__, []
    while tb is not None:
        f = tb.tb_frame
        if is_user_file(f.f_code.co_filename):
            entries.append((f, tb.tb_lineno))
        tb = tb.tb_next
    frames, trace = [], []
    for i, (f, lineno) in enumerate(entries):
        file = str(Path(f.f_code.co_filename).resolve())
        line = linecache.getline(f.f_code.co_filename, lineno).strip()
        trace.append((file, lineno, f.f_code.co_name, line))
        if i >= len(entries) - FRAMES_WITH_LOCALS:
            stmt = _statement(f.f_code.co_filename, lineno)
            frames.append(Frame(file, f.f_code.co_name, lineno, line, f.f_code.co_firstlineno, _locals(f), {}, stmt))
    k = getattr(state.runner, "k", -1)
    return Raised(_one_line(e), type(e).__name__, frames, trace, k, state.stage)


def import_user(state, path, shown, module_name="", extra_path=()):
    """The user's file (a .py, a .ipynb notebook, or an importable module) as module ``deltacheck_user``:
    (module, notes about notebook cells that failed), or Failed in one line."""
    path = Path(path)
    root, dotted = path.parent, path.stem
    while (root / "__init__.py").is_file():  # a module of a package (common/layers.py): import it as one
        root, dotted = root.parent, f"{root.name}.{dotted}"
    for _ in range(relative_level(path) if root == path.parent else 0):  # a namespace package: its own relative
        root, dotted = root.parent, f"{root.name}.{dotted}"  # imports say how deep it sits (from ..layers: 2)
    sys.path[:0] = [str(path.parent)] + ([str(root)] if root != path.parent else [])
    sys.path += [p for p in extra_path if p not in sys.path]
    # Last of all, every folder above the file: a project whose packages have no __init__.py (``from common.util
    # import im2col`` beside common/) imports as it does from its root; anything installed is found first.
    sys.path += [str(p) for p in path.resolve().parents[1:] if p.parent != p and str(p) not in sys.path]
    module_name = module_name or (dotted if root != path.parent else "")
    module, notes = None, []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        by_name = ""  # why importing it by its package's name failed, where it did
        if module_name:
            try:
                module = importlib.import_module(module_name)
            except BaseException as e:
                module = None  # not importable by name here (a test module, say): load the file instead
                by_name = raised(e, state).error
            if module is not None and Path(getattr(module, "__file__", "") or "").resolve() != path.resolve():
                module = None  # another module of that name: the file is the one meant
        if module is None and path.suffix == ".ipynb":
            module, notes = notebook.run(path, shown, "deltacheck_user", lambda e: raised(e, state).error)
            if isinstance(module, str):
                return Failed(module)
        if module is None:
            spec = importlib.util.spec_from_file_location("deltacheck_user", path)
            if spec is None or spec.loader is None:
                return Failed(f"{shown}: cannot be imported as Python source")
            module = importlib.util.module_from_spec(spec)
            sys.modules["deltacheck_user"] = module
            try:
                spec.loader.exec_module(module)
            except SyntaxError as e:
                py2 = " (Python 2 code: deltacheck runs Python 3; a Python 3 port of it runs as it is)" * (
                    "Missing parentheses in call to 'print'" in str(e.msg)
                )
                return Failed(f"{shown} does not import: line {e.lineno}: SyntaxError: {e.msg}{py2}")
            except BaseException as e:
                r = raised(e, state)
                if by_name and "relative import" in r.error:  # the package's own error, not the fallback's
                    return Failed(f"{shown} does not import as {module_name}: {by_name}")
                where = next((f"line {ln}: " for f, ln, _, _ in reversed(r.trace) if Path(f) == path.resolve()), "")
                what = "calls sys.exit" if isinstance(e, SystemExit) else ""
                return Failed(f"{shown} does not import: {where}{what or r.error}")
    return module, notes


def relative_level(path):
    """The deepest relative import of a .py file (``from ..layers import *``: 2), 0 for none or one unreadable."""
    if path.suffix != ".py":
        return 0
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError, UnicodeDecodeError):
        return 0
    return max((n.level for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)), default=0)


def load(state, path, name, forced, shown, module_name, extra_path):
    """Import the user's file (or module) and pick the target; a Loaded, or Failed in one line."""
    imported = import_user(state, path, shown, module_name, extra_path)
    if isinstance(imported, Failed):
        return imported
    module, notes = imported
    conv, obj, target = conventions.find(module, name, forced, shown)
    state.runner = conventions.get(conv).Runner(obj, target)
    consts = {}
    for key in ("ACTIVATION", "OUTPUT_ACTIVATION", "COST", "EXPECTED_EQUATION"):
        v = getattr(module, key, None)
        consts[key] = v if v is None or isinstance(v, str) else plain(v)
    r = state.runner
    names = dict(r.names, notebook=notes) if notes else r.names
    return Loaded(conv, target, consts, module.__doc__ or "", r.depth, r.signature, names)


def call(state, op, W, b, X, T):
    """Build the user's network for W's sizes, then run ``op`` (call or probe) on it."""
    state.stage, state.net = "build", None
    r = state.runner
    sizes = [W[min(W)].shape[1]] + [W[l].shape[0] for l in sorted(W)]
    if hasattr(r, "build"):
        state.net = r.build(sizes)
    state.stage = "call"
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return getattr(r, op)(state.net, W, b, X, T)


def serve(req, rep):
    """Answer requests until the parent closes the pipe; each reply carries its request's number."""
    state = State()
    while True:
        try:
            seq, (op, args) = recv(req)
        except (Closed, Corrupt, ValueError, TypeError):
            os._exit(0)
        try:
            reply = load(state, *args) if op == "load" else call(state, op, *args)
        except conventions.Unusable as e:
            reply = Failed(str(e))
        except BaseException as e:
            reply = raised(e, state)
        try:
            send(rep, reply, seq)
        except BaseException:
            os._exit(71)  # the reply cannot be sent (no memory left, say): the parent reports no result


def main():
    req, rep, max_memory, cpu = map(int, sys.argv[1:5])
    tie_to_parent(os.getppid())  # the keeper: where prctl is missing, the child still ends with it
    set_limits(max_memory, cpu)
    serve(req, rep)


if __name__ == "__main__":
    main()
