"""How user code is called: the lecture's backprop(W, b, X, T), Nielsen's Network, ゼロから作る's TwoLayerNet.

Each convention has a child side (``Runner``: build, write the parameters in, call) and a
parent side (``convert`` to the lecture's dW, db keyed by l; ``names`` of the lecture's
symbols in the user's code).  ``find`` picks the target and its convention from what the
file defines.
"""

from __future__ import annotations

import inspect

from comparisons.diagnose.conventions import dlfs, lecture, nielsen
from comparisons.diagnose.conventions.base import Unusable

CONVENTIONS = {m.NAME: m for m in (lecture, nielsen, dlfs)}
DEFAULT_FUNCTION = "backprop"
WHAT = {
    "lecture": "a function backprop(W, b, X, T)",
    "nielsen": "a class with backprop(x, y)",
    "dlfs": "a class with gradient(x, t)",
}


def get(name):
    """The convention module called ``name``."""
    return CONVENTIONS[name]


def _defined_here(module):
    """Functions and classes defined in ``module`` itself (not imported into it), in source order."""
    own = [
        (name, obj)
        for name, obj in vars(module).items()
        if (inspect.isfunction(obj) or inspect.isclass(obj)) and getattr(obj, "__module__", None) == module.__name__
    ]
    return own


def _convention_of(obj, forced):
    """The convention ``obj`` is written in (``forced`` if it fits that one), else None."""
    if forced:
        return forced if CONVENTIONS[forced].accepts(obj) else None
    if not inspect.isclass(obj):
        return "lecture"
    if nielsen.accepts(obj) and not dlfs.accepts(obj):
        return "nielsen"
    if dlfs.accepts(obj) and not nielsen.accepts(obj):
        return "dlfs"
    return None


def find(module, name, forced, shown):
    """(convention name, target object, its name) in ``module``; Unusable with what there is otherwise."""
    if name:
        obj = getattr(module, name, None)
        if obj is None:
            found = [n for n, o in _defined_here(module) if inspect.isfunction(o) or _convention_of(o, None)]
            raise Unusable(
                f"{shown} has no function {name!r}"
                + (f" (it defines: {', '.join(found)}; pick one with {shown}:NAME)" if found else "")
            )
        conv = _convention_of(obj, forced)
        if conv is None and forced:
            raise Unusable(f"{shown}: {name} is not {WHAT[forced]}, as --convention {forced} expects")
        if conv is None:
            if inspect.isclass(obj) and not (nielsen.accepts(obj) or dlfs.accepts(obj)):
                raise Unusable(
                    f"{shown}: {name} is a class with neither backprop(x, y) (Nielsen's) nor gradient(x, t) "
                    "(ゼロから作るDeep Learning's)"
                )
            raise Unusable(f"{shown}: {name} has both backprop and gradient; say which with --convention nielsen|dlfs")
        if conv == "lecture" and not callable(obj):
            raise Unusable(f"{shown}: {name} is not a function")
        return conv, obj, name
    if forced in (None, "lecture") and callable(getattr(module, DEFAULT_FUNCTION, None)):
        return "lecture", getattr(module, DEFAULT_FUNCTION), DEFAULT_FUNCTION
    if forced is None and DEFAULT_FUNCTION in vars(module):
        raise Unusable(f"{shown}: {DEFAULT_FUNCTION} is not a function")
    classes = [
        (n, o, c)
        for n, o in _defined_here(module)
        if inspect.isclass(o)
        and (c := _convention_of(o, forced if forced != "lecture" else None))
        and (forced in (None, c))
    ]
    if len(classes) == 1:
        n, o, c = classes[0]
        return c, o, n
    functions = [n for n, o in _defined_here(module) if inspect.isfunction(o)]
    if classes:
        raise Unusable(
            f"{shown} defines {len(classes)} networks ({', '.join(n for n, _, _ in classes)}); "
            f"pick one with {shown}:NAME"
        )
    raise Unusable(
        f"{shown} has no function {DEFAULT_FUNCTION!r}"
        + (f" (functions: {', '.join(functions)}; pick one with {shown}:NAME)" if functions else "")
        + " and no class with backprop(x, y) (Nielsen's) or gradient(x, t) (ゼロから作るDeep Learning's)"
    )


__all__ = ["CONVENTIONS", "DEFAULT_FUNCTION", "Unusable", "find", "get"]
