"""The Python API: ``check_backprop`` returns the verdict, ``assert_backprop`` raises it, for the user's own tests.

    from comparisons import assert_backprop
    from network import Network

    def test_backprop():
        assert_backprop(Network)  # AssertionError: FAIL: eq (5) fails at layer l = 2 … / hint: …

``code`` is a function or class defined at the top level of a module (the child process imports
that module again), or a path 'FILE.py[:NAME]'.  Bad arguments raise ValueError with one
sentence naming the parameter; code that cannot be run gives a verdict with status 'error'.
"""

from __future__ import annotations

import argparse
import inspect
import os
import sys
from pathlib import Path

from comparisons.common.errors import UsageError
from comparisons.diagnose.cases import check_settings, parse_sizes
from comparisons.diagnose.conventions import CONVENTIONS
from comparisons.diagnose.limits import DEFAULT_ARCHS, DEFAULT_MAX_MEMORY, DEFAULT_TIMEOUT, memory_limit
from comparisons.diagnose.run import check
from comparisons.diagnose.session import Target, parse_target


def _target(code):
    """The Target for a function, a class or a 'FILE.py[:NAME]' path; ValueError otherwise."""
    if isinstance(code, (str, os.PathLike)):
        try:
            return parse_target(os.fspath(code))
        except UsageError as e:
            raise ValueError(f"code: {e}") from None
    if not (inspect.isfunction(code) or inspect.isclass(code)):
        raise ValueError(f"code must be a function, a class or a path 'FILE.py[:NAME]', got {type(code).__name__}")
    if "<locals>" in code.__qualname__:
        raise ValueError(
            f"code: {code.__qualname__} is defined inside a function; deltacheck imports it again in a "
            "separate process, so define it at the top level of a module"
        )
    try:
        file = inspect.getsourcefile(code)
    except TypeError:
        file = None
    if not file and inspect.isclass(code):  # a module not in sys.modules: its methods still know their file
        methods = [v for v in vars(code).values() if inspect.isfunction(v)]
        file = methods[0].__code__.co_filename if methods else None
    if not file or not Path(file).is_file():
        raise ValueError(f"code: {code.__qualname__} has no source file that deltacheck could import again")
    module = "" if code.__module__ == "__main__" else code.__module__
    extra = tuple(p for p in sys.path if isinstance(p, str) and p)
    return Target(Path(file).resolve(), code.__qualname__, Path(file).name, module, extra)


def _memory(max_memory):
    """Bytes from a size such as '2G' or a number of bytes, at least MIN_MEMORY; ValueError otherwise."""
    try:
        if isinstance(max_memory, bool) or not isinstance(max_memory, (int, str)):
            raise argparse.ArgumentTypeError(f"must be a number of bytes or a size such as '2G', got {max_memory!r}")
        return memory_limit(str(max_memory))
    except argparse.ArgumentTypeError as e:
        raise ValueError(f"max_memory {e}") from None


def _check_args(convention, sizes, archs, seed, activation, cost, timeout):
    if convention is not None and convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {', '.join(CONVENTIONS)} or None, got {convention!r}")
    for name, v in (("archs", archs), ("seed", seed)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise ValueError(f"{name} must be an integer >= 0, got {v!r}")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout < float("inf"):
        raise ValueError(f"timeout must be a finite number of seconds > 0, got {timeout!r}")
    for name, v in (("activation", activation), ("cost", cost)):
        if v is not None:
            try:
                check_settings(v if name == "activation" else "sigmoid", v if name == "cost" else "squared_error")
            except UsageError as e:
                raise ValueError(f"{name}: {e}") from None
    if sizes is None:
        return ()
    items = [sizes] if isinstance(sizes, str) else list(sizes)
    texts = [s if isinstance(s, str) else "-".join(map(str, s)) for s in items]
    try:
        return parse_sizes(texts, flag="sizes")
    except (UsageError, TypeError) as e:
        raise ValueError(str(e)) from None


def check_backprop(
    code,
    *,
    convention=None,
    sizes=None,
    archs=DEFAULT_ARCHS,
    seed=0,
    activation=None,
    cost=None,
    timeout=DEFAULT_TIMEOUT,
    max_memory=DEFAULT_MAX_MEMORY,
):
    """The Verdict on ``code``: .passed, .status (pass, fail, error), .eq, .layer, .message(), .text().

    ``sizes``: widths such as '12-3-2' or (12, 3, 2), or a list of them; the other arguments are
    those of `deltacheck diagnose`.
    """
    parsed = _check_args(convention, sizes, archs, seed, activation, cost, timeout)
    target = _target(code)
    memory = _memory(max_memory)
    try:
        return check(target, convention, activation, cost, archs, seed, parsed, float(timeout), memory, "sizes")
    except UsageError as e:
        if str(e).startswith("sizes "):
            raise ValueError(str(e)) from None
        from comparisons.diagnose.verdict import Verdict

        return Verdict("error", "", 0, f"UNUSABLE: {e}", "", [], [])


def assert_backprop(code, **kwargs):
    """``check_backprop(code, **kwargs)``, raising AssertionError with the verdict and its hint unless it passes."""
    verdict = check_backprop(code, **kwargs)
    if not verdict.passed:
        raise AssertionError(verdict.message())
    return verdict
