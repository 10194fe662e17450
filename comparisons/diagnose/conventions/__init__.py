"""How user code is called: the lecture's backprop(W, b, X, T), Nielsen's Network, ゼロから作る's TwoLayerNet,
CS231n's TwoLayerNet / FullyConnectedNet / layer functions, deeplearning.ai's L_model_backward.

Each convention has a child side (``Runner``: build, write the parameters in, call) and a
parent side (``convert`` to the lecture's dW, db keyed by l; ``names`` of the lecture's
symbols in the user's code).  ``find`` picks the target and its convention from what the
file defines; a file that fits none is told which came closest and what did not fit.
"""

from __future__ import annotations

import inspect
import re

from comparisons.diagnose.conventions import cs231n, dlai, dlfs, lecture, nielsen
from comparisons.diagnose.conventions.base import Unusable

CONVENTIONS = {m.NAME: m for m in (lecture, nielsen, dlfs, cs231n, dlai)}
DEFAULT_FUNCTION = "backprop"
ADAPTERS = "docs/diagnose.md#adapters"
WHAT = {
    "lecture": "a function backprop(W, b, X, T)",
    "nielsen": "a class with backprop(x, y)",
    "dlfs": "a class with gradient(x, t)",
    "cs231n": "a class with params and loss(X, y=None), or affine_/relu_forward and _backward",
    "dlai": "L_model_forward(X, parameters) and L_model_backward(AL, Y, caches)",
}
MODULE_TARGETS = {"L_model_backward": "dlai", "L_model_forward": "dlai"} | dict.fromkeys(cs231n.LAYERS, "cs231n")


def get(name):
    """The convention module called ``name``."""
    return CONVENTIONS[name]


def _defined_here(module):
    """Functions and classes defined in ``module`` itself (not imported into it), in source order."""
    return [
        (name, obj)
        for name, obj in vars(module).items()
        if (inspect.isfunction(obj) or inspect.isclass(obj)) and getattr(obj, "__module__", None) == module.__name__
    ]


def _class_conventions(obj):
    return [c for c in ("nielsen", "dlfs", "cs231n") if CONVENTIONS[c].accepts(obj)]


def _convention_of(obj, forced):
    """The convention ``obj`` is written in (``forced`` if it fits that one), else None."""
    if forced:
        return forced if CONVENTIONS[forced].accepts(obj) else None
    if not inspect.isclass(obj):
        return "lecture" if lecture.runnable(obj) else None
    fits = _class_conventions(obj)
    return fits[0] if len(fits) == 1 else None


def _module_convention(module, forced):
    """dlai or cs231n when the module defines (at least one of) their functions, else None."""
    own = {n for n, _ in _defined_here(module)}
    for conv, funcs in (("dlai", dlai.FUNCTIONS), ("cs231n", cs231n.LAYERS + cs231n.FUSED)):
        if forced in (None, conv) and CONVENTIONS[conv].accepts(module) and own & set(funcs):
            return conv
    return None


def candidates(module, shown):
    """'FILE:NAME' of what in ``module`` one convention can run: classes, and functions of (W, b, X, T) named so."""
    out = [
        f"{shown}:{n}"
        for n, o in _defined_here(module)
        if _convention_of(o, None) and (inspect.isclass(o) or re.search("back|grad|bp", n, re.I))
    ]
    conv = _module_convention(module, None)
    if conv:
        out.append(f"{shown}:{'L_model_backward' if conv == 'dlai' else 'affine_backward'}")
    return out


def closest(module):
    """'closest: …': the convention the file comes closest to, and what does not fit it ('' if none is close)."""
    own = dict(_defined_here(module))
    for conv, funcs in (("dlai", dlai.FUNCTIONS), ("cs231n's layer functions", cs231n.LAYERS)):
        missing = [f for f in funcs if not callable(getattr(module, f, None))]
        if set(own) & set(funcs) and missing:
            return f"closest: {conv}, but {', '.join(missing)} is missing"
    for n, o in own.items():
        if inspect.isclass(o) and (callable(getattr(o, "loss", None)) or hasattr(o, "params")):
            if cs231n.accepts(o):
                return f"closest: cs231n, which {n} fits"
            has = callable(getattr(o, "loss", None))
            return f"closest: cs231n, but {n}{'.loss does not take (X, y=None)' if has else ' has no loss method'}"
    bad = [n for n, o in own.items() if inspect.isfunction(o) and re.search("back|grad", n, re.I)]
    if not bad:
        return ""
    why = lecture.why_not(own[bad[0]])
    return f"closest: lecture, but {bad[0]} {why}" if why else f"closest: lecture, which {bad[0]} fits"


def refuse(module, shown, lead):
    """Unusable: ``lead``, the conventions, which came closest, what can run, and where the adapters are."""
    near = closest(module)
    runnable = candidates(module, shown)
    parts = [
        lead,
        "deltacheck reads " + "; ".join(f"{c} ({w})" for c, w in WHAT.items()),
        near,
        f"it could run {', '.join(runnable)}" if runnable else "",
        f"for other code, a 10-line adapter: {ADAPTERS}",
    ]
    raise Unusable("; ".join(p for p in parts if p))


def find(module, name, forced, shown):
    """(convention name, target object, its name) in ``module``; Unusable with what there is otherwise."""
    if name:
        if name in MODULE_TARGETS and forced in (None, MODULE_TARGETS[name]):
            conv = MODULE_TARGETS[name]
            if CONVENTIONS[conv].accepts(module):
                return conv, module, name
        obj = getattr(module, name, None)
        if obj is None:
            refuse(module, shown, f"{shown} has no function or class {name!r}")
        conv = _convention_of(obj, forced)
        if conv is None and forced:
            refuse(module, shown, f"{shown}: {name} is not {WHAT[forced]}, as --convention {forced} expects")
        if conv is None and inspect.isclass(obj) and len(_class_conventions(obj)) > 1:
            raise Unusable(f"{shown}: {name} fits {' and '.join(_class_conventions(obj))}; say which with --convention")
        if conv is None:
            what = "a class" if inspect.isclass(obj) else "a function" if callable(obj) else "not a function"
            why = lecture.why_not(obj) if callable(obj) and not inspect.isclass(obj) else "fits no convention"
            refuse(module, shown, f"{shown}: {name} is {what} that {why}")
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
    if classes:
        raise Unusable(
            f"{shown} defines {len(classes)} networks ({', '.join(n for n, _, _ in classes)}); "
            f"pick one with {shown}:NAME"
        )
    conv = _module_convention(module, forced)
    if conv:
        return conv, module, "L_model_backward" if conv == "dlai" else "affine_backward"
    if forced:
        refuse(module, shown, f"{shown} has nothing that --convention {forced} runs ({WHAT[forced]})")
    refuse(module, shown, f"{shown} has no code deltacheck can run as it is")


__all__ = ["CONVENTIONS", "DEFAULT_FUNCTION", "Unusable", "find", "get"]
