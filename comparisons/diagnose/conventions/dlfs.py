"""ゼロから作るDeep Learning's convention: a class with ``params`` W1, b1, … and ``gradient(x, t)``.

params['W{i}'] is (W^{i+1})ᵀ, shape (n_{l-1}, n_l), and params['b{i}'] is b^{i+1} (n_l,);
``gradient(x, t)`` takes X (K, n_1) and one-hot T (K, n_L) and returns a dict of the same
keys for the loss averaged over the batch, C_T / K.  The adapter writes the parameters into
the user's own arrays (the Affine layers hold references to them), calls gradient once,
transposes back and multiplies the mean by K.  The constructor says the depth:
TwoLayerNet(input_size, hidden_size, output_size) fixes L = 3; a hidden_size_list allows any.
"""

from __future__ import annotations

import inspect

import numpy as np

from comparisons.common.errors import UsageError
from comparisons.diagnose.conventions.base import Unusable, build_roles, changed, returned_names
from comparisons.diagnose.conventions.lecture import as_array
from comparisons.diagnose.wire import Called, Opaque, plain

NAME = "dlfs"
MEAN = True  # gradient(x, t) is of the loss averaged over the batch
DEFAULT_ACTIVATION = "relu"  # chapter 5's TwoLayerNet: Affine, Relu, Affine, SoftmaxWithLoss
DEFAULT_COST = "cross_entropy"


def accepts(obj):
    """A class with a ``gradient`` method."""
    return inspect.isclass(obj) and callable(getattr(obj, "gradient", None))


class Runner:
    """Child side: builds the class for the sizes, writes (W^l)ᵀ and b^l into params, asks for its gradients once."""

    METHOD, FIXED = "gradient", {}

    def __init__(self, cls, name):
        if not callable(getattr(cls, self.METHOD, None)):
            raise Unusable(f"{name} is not a class with a {self.METHOD} method")
        self.cls, self.name = cls, name
        self.kwargs, self.depth, self.signature, built = build_roles(cls, name, **self.FIXED)  # TwoLayerNet: L = 3
        returned = returned_names(getattr(cls, self.METHOD))
        self.names = {"returns": [returned[-1] if returned else "grads"], "built": built}

    def build(self, sizes):
        """The user's network for ``sizes``, its params checked against the convention."""
        net = self.cls(**self.kwargs(sizes))
        self.check(net, sizes)
        return net

    def check(self, net, sizes):
        """Unusable unless net.params holds W1, b1, … of the convention's shapes."""
        shown = ", ".join(f"{k}={v!r}" for k, v in self.kwargs(sizes).items() if k != "dtype")
        check_params(net, sizes, f"{self.name}({shown})", NAME)

    def write(self, net, W, b):
        """(W^l)ᵀ and b^l into the user's own arrays: the layers that refer to them see the new values."""
        L = max(W)
        self.check(net, [W[2].shape[1]] + [W[l].shape[0] for l in range(2, L + 1)])
        for l in range(2, L + 1):
            net.params[f"W{l - 1}"][...] = W[l].T
            net.params[f"b{l - 1}"][...] = b[l].reshape(net.params[f"b{l - 1}"].shape)

    def gradients(self, net, X, T):
        """gradient(X, T) with one-hot T."""
        return net.gradient(X, T)

    def call(self, net, W, b, X, T):
        """The gradients as returned; the parameters the call changed."""
        self.write(net, W, b)
        grads = plain(self.gradients(net, X.copy(), T.copy()))
        mutated, post = [], {}
        for l in range(2, max(W) + 1):
            w, v = net.params[f"W{l - 1}"], net.params[f"b{l - 1}"]
            if changed(W[l].T.astype(w.dtype), w):  # in the user's dtype: float32 params are not changed by rounding
                mutated.append(f"params['W{l - 1}']")
                post[l] = np.array(w, dtype=np.float64).T
            if changed(b[l].astype(v.dtype), np.ravel(v)):
                mutated.append(f"params['b{l - 1}']")
        return Called(grads, mutated, post)

    def probe(self, net, W, b, X, T):
        """predict(X) and loss(X, T), where the class has them."""
        self.write(net, W, b)
        out = {}
        if callable(getattr(net, "predict", None)):
            out["forward"] = plain(net.predict(X.copy()))
        if callable(getattr(net, "loss", None)):
            out["loss"] = plain(net.loss(X.copy(), T.copy()))
        return out


def check_params(net, sizes, label, conv):
    """Unusable unless net.params holds W1, b1, … as (n_{l−1}, n_l) and (n_l,): ゼロから作る's and CS231n's layout."""
    params = getattr(net, "params", None)
    if not isinstance(params, dict):
        raise Unusable(f"{label}.params must be a dict of W1, b1, …, got {type(params).__name__}")
    for i in range(1, len(sizes)):
        for key, want in ((f"W{i}", (sizes[i - 1], sizes[i])), (f"b{i}", (sizes[i],))):
            arr = params.get(key)
            if not isinstance(arr, np.ndarray) or arr.size != int(np.prod(want)) or arr.ndim > 2:
                raise Unusable(
                    f"{label}.params[{key!r}] has shape {np.shape(arr) if arr is not None else 'none (missing)'}"
                    f"; the {conv} convention has {'(n_{l-1}, n_l)' if key[0] == 'W' else '(n_l,)'} = {want}"
                )
            if key[0] == "W" and arr.shape != want:
                raise Unusable(f"{label}.params[{key!r}] has shape {arr.shape}; the {conv} convention has {want}")


def convert(raw, sizes, what, loaded, scale):
    """(dW, db, None, notes): scale · grads['W{l−1}']ᵀ and scale · grads['b{l−1}'], keyed by l = 2 … L."""
    if not isinstance(raw, dict):
        got = raw.type if isinstance(raw, Opaque) else type(raw).__name__
        raise UsageError(f"{what} returned {got}; it must return a dict of W1, b1, …, as in ゼロから作るDeep Learning")
    if not any(f"W{i}" in raw for i in range(1, len(sizes))):
        raise UsageError(f"{what} returned a dict keyed {sorted(map(str, raw))}; it must hold W1, b1, …")
    g = loaded.names.get("returns", ["grads"])[0]
    dW, db, notes = {}, {}, {}
    for l in range(2, len(sizes) + 1):
        for key, acc, sym in ((f"W{l - 1}", dW, "dW"), (f"b{l - 1}", db, "db")):
            if raw.get(key) is None:
                continue
            arr = as_array(raw[key], lambda got, key=key: f"{what} returned {key} as {got}")
            want = (sizes[l - 2], sizes[l - 1]) if sym == "dW" else (sizes[l - 1],)
            if sym == "dW" and arr.shape in (want, want[::-1]):
                arr = arr.T  # (n_{l-1}, n_l) -> the lecture's (n_l, n_{l-1}); a transposed one stays transposed
            elif sym == "db" and arr.shape == (1, want[0]):
                arr = arr.reshape(-1)
            elif arr.shape != want or sym == "dW":
                notes[sym, l] = f"{g}[{key!r}] has shape {arr.shape}, expected {want}"
            acc[l] = arr * scale
    return dW, db, None, notes


def mutation_notes(loaded, mutated):
    """The note for parameters gradient changed while it ran."""
    if not mutated:
        return []
    return [
        f"note: {loaded.name}.gradient changes {', '.join(mutated)} while it runs; deltacheck writes the "
        "parameters again before every call, but a training loop would see them changed"
    ]


def callee(loaded):
    """How the user's code is named in a verdict."""
    return f"{loaded.name}.gradient"


def names(loaded, L):
    """The user's names of the lecture's symbols: grads['W1'] beside dW^2, params['W1'] beside W^2."""
    g = loaded.names.get("returns", ["grads"])[0]
    out = {}
    for l in range(2, L + 1):
        out["dW", l], out["db", l] = f"{g}['W{l - 1}']", f"{g}['b{l - 1}']"
        out["W", l], out["b", l] = f"params['W{l - 1}']", f"params['b{l - 1}']"
    return out
