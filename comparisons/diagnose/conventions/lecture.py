"""The lecture's convention: ``backprop(W, b, X, T)`` returns (dW, db) or (dW, db, delta), dicts keyed by l.

W[l] (n_l, n_{l-1}), b[l] (n_l,), X (K, n_1), T (K, n_L), one row per example k; the sums over
k are the user's (C_T = Σ_k C_k).  The user's names are the lecture's, so nothing is translated.
"""

from __future__ import annotations

import inspect

import numpy as np

from comparisons.common.errors import UsageError
from comparisons.diagnose.conventions.base import Unusable, changed
from comparisons.diagnose.wire import Called, Opaque, plain

NAME = "lecture"
DEFAULT_ACTIVATION = "sigmoid"
DEFAULT_COST = "squared_error"
MEAN = False  # the user's sums are C_T's


def accepts(obj):
    """A function (or any callable that is not a class) that takes (W, b, X, T)."""
    return callable(obj) and not inspect.isclass(obj) and runnable(obj)


# Parameter names that say which of (W, b, X, T) a parameter is, or that it is none of them: a function whose names
# put X, y or a cache where the lecture puts W is code of another convention, whose call as (W, b, X, T) would fail
# for reasons that are no bug.  Names not listed say nothing (any name may hold the lecture's arguments).
ROLES = (
    ("the weights W", {"w", "ws", "weight", "weights"}),
    ("the biases b", {"b", "bs", "bias", "biases"}),
    ("the inputs X", {"x", "xs", "input", "inputs", "data", "images", "features"}),
    ("the targets T", {"t", "ts", "y", "ys", "target", "targets", "label", "labels", "y_true"}),
)
ORDINAL = ("first", "second", "third", "fourth")
NONE_OF_THEM = {"cache", "caches", "params", "parameters", "grads", "gradients", "model", "net", "network", "yhat",
                "y_hat", "y_pred", "al", "dout", "dz", "da", "lr", "learning_rate", "eta", "reg"}  # fmt: skip


def misplaced(names):
    """Why the first four parameter ``names`` are not (W, b, X, T), from what they say: '' when they may be."""
    for i, name in enumerate(names[:4]):
        key = name.lower()
        if key in NONE_OF_THEM:
            return f"its {ORDINAL[i]} parameter, {name}, is none of W, b, X, T"
        role = next((r for r, known in ROLES if key in known), None)
        if role is not None and role != ROLES[i][0]:
            return f"its {ORDINAL[i]} parameter, {name}, names {role}, not {ROLES[i][0]}"
    return ""


def why_not(fn):
    """Why ``fn`` cannot be called as backprop(W, b, X, T): '' when it can."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return ""  # no signature to inspect (a builtin): the call will tell
    if any(p.kind == p.VAR_POSITIONAL for p in params):
        return ""
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = [p for p in params if p.default is p.empty and p.kind != p.VAR_KEYWORD]
    if len(positional) < 4 or any(p.default is not p.empty for p in positional[:4]):
        return f"does not take four arguments (W, b, X, T): its parameters are ({', '.join(p.name for p in params)})"
    if len(required) > 4:
        return f"needs {len(required)} arguments ({', '.join(p.name for p in required)}), not (W, b, X, T)"
    wrong = misplaced([p.name for p in positional])
    if wrong:
        return f"takes ({', '.join(p.name for p in positional[:4])}), not the lecture's (W, b, X, T): {wrong}"
    return ""


def runnable(fn):
    """True when ``fn`` takes (W, b, X, T) without a default standing in for one of them."""
    return not why_not(fn)


class Runner:
    """Child side: calls the function on copies and notes what it changed."""

    depth = 0  # any depth
    signature = ""

    def __init__(self, fn, name):
        if not callable(fn) or inspect.isclass(fn):
            raise Unusable(f"{name} is not a function")
        if why_not(fn):
            raise Unusable(f"{name} {why_not(fn)}")
        self.fn = fn
        self.names = {}

    def call(self, net, W, b, X, T):
        """(dW, db[, delta]) as the user returned it, and the arguments it changed in place."""
        args = ({l: w.copy() for l, w in W.items()}, {l: v.copy() for l, v in b.items()}, X.copy(), T.copy())
        out = self.fn(*args)
        mutated = [n for n, orig, got in zip("WbXT", (W, b, X, T), args) if not _same(orig, got)]
        post = {l: np.array(args[0][l], dtype=np.float64) for l in W if "W" in mutated and _changed(W, args[0], l)}
        return Called(plain(out), mutated, post)

    def probe(self, net, W, b, X, T):
        """Nothing to detect: the lecture's function says its settings by ACTIVATION and COST."""
        return {}


def _changed(W, got, l):
    return isinstance(got, dict) and l in got and changed(W[l], got[l])


def _same(orig, got):
    if isinstance(orig, dict):
        return (
            isinstance(got, dict)
            and sorted(got) == sorted(orig)
            and all(np.shape(got[l]) == orig[l].shape and np.array_equal(got[l], orig[l]) for l in orig)
        )
    return np.shape(got) == orig.shape and np.array_equal(got, orig)


def convert(raw, sizes, what, loaded=None, scale=1.0):
    """(dW, db, delta or None, notes) of {l: float64 array}; UsageError if the result is not one."""
    L = len(sizes)
    if not isinstance(raw, (tuple, list)) or len(raw) not in (2, 3):
        got = _type(raw) if not isinstance(raw, (tuple, list)) else f"{type(raw).__name__} of {len(raw)}"
        raise UsageError(f"{what} returned {got}; it must return (dW, db) or (dW, db, delta)")
    names = ("dW", "db", "delta")
    out = tuple(_layers(what, names[i], d, L) for i, d in enumerate(raw)) + ((None,) if len(raw) == 2 else ())
    return out + ({},)


def _type(x):
    return x.type if isinstance(x, Opaque) else type(x).__name__


def _layers(what, name, d, L):
    """One returned dict as {l: float64 array}, keys checked against l = 2 … L."""
    if not isinstance(d, dict):
        raise UsageError(f"{what} returned {name} as {_type(d)}; it must be a dict keyed by the layer l = 2 … L")
    if not all(isinstance(k, int) and not isinstance(k, bool) for k in d):
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
        if l in d:
            out[l] = as_array(d[l], lambda got, l=l: f"{what} returned {name}[{l}] as {got}")
    return out


def as_array(x, message):
    """``x`` as a float64 array; UsageError(message(type name)) when it holds no numbers."""
    if isinstance(x, np.ndarray) and x.dtype.kind in "biuf":
        return x.astype(np.float64)
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return np.asarray(x, dtype=np.float64)
    if isinstance(x, list) and all(isinstance(v, (int, float, list)) for v in x):
        try:
            return np.asarray(x, dtype=np.float64)
        except ValueError:
            pass
    raise UsageError(message(_type(x)) + "; it must be an array of real numbers")


def mutation_notes(loaded, mutated):
    """The note for arguments the function changed in place."""
    if not mutated:
        return []
    return [
        f"note: {loaded.name} modifies its argument(s) {', '.join(mutated)} in place; deltacheck passes copies, "
        "but a training loop calling it would see them change"
    ]


def callee(loaded):
    """How the user's code is named in a verdict."""
    return loaded.name


def names(loaded, L):
    """The lecture's symbols are the user's own: nothing to add."""
    return {}
