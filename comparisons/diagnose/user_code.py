"""The user's backprop: loaded from a file, called on copies, never trusted.

Anything that makes the function unusable (no file, no import, no such function, a result
that is not ``(dW, db)`` or ``(dW, db, delta)`` of dicts) raises UsageError in one line.
An exception raised inside the function is a finding, returned as a ``Crash``.
"""

from __future__ import annotations

import importlib.util
import inspect
import linecache
import sys
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from comparisons.common.errors import UsageError

DEFAULT_FUNCTION = "backprop"


@dataclass
class UserFunction:
    """The callable, its module's settings, and the path it is shown by."""

    fn: object
    name: str
    path: Path  # resolved, to recognise the user's frames in a traceback
    shown: str  # as the user wrote it (or relative to the gallery): used in every message
    module: object


@dataclass
class Crash:
    """An exception raised inside the user's code."""

    error: str  # "ValueError: matmul: ..."
    trace: str  # the traceback, trimmed to the user's own file
    line: str  # the source of the innermost line in the user's file
    lineno: int
    frames: list  # frame objects in the user's file, outermost first (for their locals)


def split_target(target):
    """'FILE.py[:FUNCTION]' -> (FILE.py, FUNCTION)."""
    path, sep, name = str(target).rpartition(":")
    if sep and name.isidentifier() and path:
        return path, name
    return str(target), DEFAULT_FUNCTION


def _where(tb, path):
    """'line N' of the innermost frame of ``tb`` in ``path``, or ''."""
    last = [f for f in traceback.extract_tb(tb) if Path(f.filename).resolve() == path]
    return f"line {last[-1].lineno}: " if last else ""


def load(target, shown=None):
    """Import FILE and return its FUNCTION as a UserFunction; UsageError otherwise."""
    file, name = split_target(target)
    shown = shown or file
    path = Path(file)
    if not path.is_file():
        raise UsageError(f"{shown}: no such file" if not path.exists() else f"{shown}: not a file")
    path = path.resolve()
    mod_name = f"deltacheck_user_{abs(hash(str(path)))}"
    spec = importlib.util.spec_from_file_location(mod_name, path)
    if spec is None or spec.loader is None:
        raise UsageError(f"{shown}: cannot be imported as Python source")
    module = importlib.util.module_from_spec(spec)
    sys.modules[mod_name] = module
    sys.path.insert(0, str(path.parent))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            spec.loader.exec_module(module)
    except SyntaxError as e:
        raise UsageError(f"{shown} does not import: line {e.lineno}: SyntaxError: {e.msg}") from None
    except BaseException as e:
        if isinstance(e, KeyboardInterrupt):
            raise
        raise UsageError(f"{shown} does not import: {_where(e.__traceback__, path)}{_one_line(e)}") from None
    finally:
        sys.modules.pop(mod_name, None)
        sys.path.remove(str(path.parent))
    fn = getattr(module, name, None)
    if fn is None:
        found = sorted(k for k, v in vars(module).items() if inspect.isfunction(v) and v.__module__ == mod_name)
        raise UsageError(
            f"{shown} has no function {name!r}"
            + (f" (functions: {', '.join(found)}; pick one with {shown}:NAME)" if found else "")
        )
    if not callable(fn):
        raise UsageError(f"{shown}: {name} is not a function")
    try:
        inspect.signature(fn).bind(None, None, None, None)
    except TypeError:
        raise UsageError(f"{shown}: {name} must take four arguments (W, b, X, T)") from None
    except ValueError:
        pass  # no signature to inspect (a builtin): the call will tell
    return UserFunction(fn=fn, name=name, path=path, shown=shown, module=module)


def setting(user, key):
    """A module-level setting such as COST or ACTIVATION, or None."""
    v = getattr(user.module, key, None)
    if v is not None and not isinstance(v, str):
        raise UsageError(f"{user.shown}: {key} must be a string, got {v!r}")
    return v


def _one_line(e):
    msg = " ".join(str(e).split())
    return f"{type(e).__name__}: {msg}" if msg else type(e).__name__


def _crash(e, user):
    """The exception as a Crash, its traceback trimmed to the user's file."""
    tb = e.__traceback__
    frames, summary = [], []
    while tb is not None:
        if Path(tb.tb_frame.f_code.co_filename).resolve() == user.path:
            frames.append(tb.tb_frame)
            summary.append(
                traceback.FrameSummary(
                    user.shown,
                    tb.tb_lineno,
                    tb.tb_frame.f_code.co_name,
                    line=linecache.getline(str(user.path), tb.tb_lineno).strip(),
                )
            )
            last = tb.tb_lineno
        tb = tb.tb_next
    trace = "".join(traceback.format_list(summary)) + _one_line(e)
    lineno = last if frames else 0
    line = linecache.getline(str(user.path), lineno).strip() if frames else ""
    return Crash(error=_one_line(e), trace=trace, line=line, lineno=lineno, frames=frames)


def call(user, W, b, X, T):
    """user.fn on copies of (W, b, X, T): (result, mutated names) or (Crash, mutated names)."""
    args = ({l: w.copy() for l, w in W.items()}, {l: v.copy() for l, v in b.items()}, X.copy(), T.copy())
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            out = user.fn(*args)
    except BaseException as e:
        if isinstance(e, KeyboardInterrupt):
            raise
        out = _crash(e, user)
    mutated = [n for n, orig, got in zip("WbXT", (W, b, X, T), args) if not _same(orig, got)]
    return out, mutated


def _same(orig, got):
    if isinstance(orig, dict):
        return (
            isinstance(got, dict)
            and sorted(got) == sorted(orig)
            and all(np.shape(got[l]) == orig[l].shape and np.array_equal(got[l], orig[l]) for l in orig)
        )
    return np.shape(got) == orig.shape and np.array_equal(got, orig)


def unpack(user, out, L):
    """The result as (dW, db, delta or None) of {l: float64 array}; UsageError if it is not one."""
    what = f"{user.shown}: {user.name}"
    if not isinstance(out, (tuple, list)) or len(out) not in (2, 3):
        got = type(out).__name__ if not isinstance(out, (tuple, list)) else f"{type(out).__name__} of {len(out)}"
        raise UsageError(f"{what} returned {got}; it must return (dW, db) or (dW, db, delta)")
    names = ("dW", "db", "delta")
    return tuple(_layers(user, names[i], d, L) for i, d in enumerate(out)) + ((None,) if len(out) == 2 else ())


def _layers(user, name, d, L):
    """One returned dict as {l: float64 array}, keys checked against l = 2 … L."""
    what = f"{user.shown}: {user.name}"
    if not isinstance(d, dict):
        raise UsageError(
            f"{what} returned {name} as {type(d).__name__}; it must be a dict keyed by the layer l = 2 … L"
        )
    if not all(isinstance(k, (int, np.integer)) and not isinstance(k, bool) for k in d):
        raise UsageError(
            f"{what} returned {name} with keys {sorted(map(repr, d))}; keys must be the layer numbers l = 2 … {L}"
        )
    if not d:
        if name == "delta":
            return None  # an empty δ is no δ: the diagnosis uses dW and db
        raise UsageError(f"{what} returned an empty {name}; it must hold one entry per layer l = 2 … {L}")
    if not set(d) & set(range(2, L + 1)):
        raise UsageError(
            f"{what} returned {name} keyed {sorted(d)}; the lecture keys layers l = 2 … {L} (l = 1 is the input)"
        )
    out = {}
    for l in range(2, L + 1):
        if l not in d:
            continue
        try:
            arr = np.asarray(d[l])
            if arr.dtype.kind not in "biuf":
                raise TypeError
            out[l] = arr.astype(np.float64)
        except (TypeError, ValueError, RuntimeError):
            raise UsageError(
                f"{what} returned {name}[{l}] as {type(d[l]).__name__}; it must be an array of real numbers"
            ) from None
    return out
