"""The Python API: ``check_backprop`` returns the verdict, ``assert_backprop`` raises it, for the user's own tests.

    from comparisons import assert_backprop
    from network import Network

    def test_backprop():
        assert_backprop(Network)  # AssertionError: FAIL: eq (5) fails at layer l = 2 … / hint: …

``code`` is a function or class defined at the top level of a module (the child process imports
that module again), or a path 'FILE.py[:NAME]'.  Code that cannot be run (a missing file, one that
does not import, a function defined inside another) gives a verdict with status 'error', as does
code that fails at run time; ``code`` of a wrong type raises TypeError, and the other arguments
raise ValueError with one sentence naming the parameter.
"""

from __future__ import annotations

import inspect
import os
import sys
from pathlib import Path

from comparisons.common.errors import UsageError
from comparisons.diagnose.cases import check_output_name, check_settings, parse_sizes
from comparisons.diagnose.conventions import CONVENTIONS
from comparisons.diagnose.limits import (
    DEFAULT_ARCHS,
    DEFAULT_MAX_MEMORY,
    DEFAULT_TIMEOUT,
    memory_limit,
    refuse_past_limits,
)
from comparisons.diagnose.run import check
from comparisons.diagnose.session import Target, parse_target
from manual_bp import validate
from manual_bp.validate import WrongType


def _target(code):
    """The Target for a function, a class or a 'FILE.py[:NAME]' path; UsageError when it cannot be run."""
    if isinstance(code, (str, os.PathLike)):
        return parse_target(os.fspath(code))
    if not (inspect.isfunction(code) or inspect.isclass(code)):
        raise WrongType(f"code must be a function, a class or a path 'FILE.py[:NAME]', got {type(code).__name__}")
    if "<locals>" in code.__qualname__:
        raise UsageError(
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
        raise UsageError(f"code: {code.__qualname__} has no source file that deltacheck could import again")
    module = "" if code.__module__ == "__main__" else code.__module__
    extra = tuple(p for p in sys.path if isinstance(p, str) and p)
    return Target(Path(file).resolve(), code.__qualname__, Path(file).name, module, extra)


def _memory(max_memory):
    """Bytes from a size such as '2G' or a number of bytes, MIN_MEMORY to MAX_MEMORY; TypeError or ValueError."""
    if isinstance(max_memory, bool) or not isinstance(max_memory, (int, str)):
        raise WrongType(f"max_memory must be a number of bytes or a size such as '2G', got {type(max_memory).__name__}")
    try:
        return memory_limit(str(max_memory))
    except ValueError as e:
        raise ValueError(f"max_memory {e}") from None


def _check_args(convention, sizes, archs, seed, activation, cost, timeout, output_activation=None):
    if convention is not None and not isinstance(convention, str):
        raise WrongType(f"convention must be one of {', '.join(CONVENTIONS)} or None, got {type(convention).__name__}")
    if convention is not None and convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {', '.join(CONVENTIONS)} or None, got {convention!r}")
    for name, v in (("archs", archs), ("seed", seed)):
        validate.check_int(name, v, 0)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise WrongType(f"timeout must be a finite number of seconds > 0, got {type(timeout).__name__}")
    if not 0 < timeout < float("inf"):
        raise ValueError(f"timeout must be a finite number of seconds > 0, got {timeout!r}")
    for name, v in (("activation", activation), ("cost", cost), ("output_activation", output_activation)):
        if v is not None and not isinstance(v, str):
            raise WrongType(f"{name} must be a name such as 'sigmoid' or 'squared_error', or None, got "
                            f"{type(v).__name__}")  # fmt: skip
        if v is not None:
            try:
                if name == "output_activation":
                    check_output_name(v)
                else:
                    check_settings(v if name == "activation" else "sigmoid", v if name == "cost" else "squared_error")
            except UsageError as e:
                raise ValueError(f"{name}: {e}") from None
    parsed = ()
    if sizes is not None:
        if not isinstance(sizes, (str, list, tuple)):
            raise WrongType(f"sizes must be a string such as '12-3-2', a tuple of widths or a list of them, got "
                            f"{type(sizes).__name__}")  # fmt: skip
        one = isinstance(sizes, str) or not any(isinstance(s, (str, list, tuple)) for s in sizes)
        items = [sizes] if one else sizes
        texts = [s if isinstance(s, str) else "-".join(map(str, s)) for s in items]
        try:
            parsed = parse_sizes(texts, flag="sizes")
        except (UsageError, TypeError) as e:
            raise ValueError(str(e)) from None
    try:
        refuse_past_limits(3 * len(parsed) if parsed else archs + 2, timeout, "sizes" if parsed else "archs", "timeout")
    except UsageError as e:
        raise ValueError(str(e)) from None
    return parsed


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
    output_activation=None,
):
    """The Verdict on ``code``: .passed, .status (pass, fail, error), .eq, .layer, .message(), .text().

    ``sizes``: widths such as '12-3-2' or (12, 3, 2), or a list of them; the other arguments are
    those of `deltacheck diagnose` (``output_activation``: its --output-activation).
    """
    parsed = _check_args(convention, sizes, archs, seed, activation, cost, timeout, output_activation)
    memory = _memory(max_memory)
    try:
        target = _target(code)  # a missing file is a verdict too, as a file that does not import is
        return check(target, convention, activation, cost, archs, seed, parsed, float(timeout), memory, "sizes",
                     output_activation)  # fmt: skip
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
