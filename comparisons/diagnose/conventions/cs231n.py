"""CS231n's convention: a class with ``params`` and ``loss(X, y=None)``, or the layer functions of layers.py.

The class (TwoLayerNet, FullyConnectedNet), built by keyword with reg = 0: params['W{i}'] is (W^{i+1})ᵀ,
the course's (D, H), params['b{i}'] is b^{i+1}; ``loss(X, y)`` with integer labels returns (loss, grads)
of the softmax cross-entropy averaged over the N rows, ``loss(X)`` the scores z^L.  The layer functions
(affine_/relu_forward and _backward, softmax_loss if the file has it) are chained into the network by
deltacheck, so the dout each backward receives, δ^l / N, is seen at every layer.
"""

from __future__ import annotations

import inspect

import numpy as np

from comparisons.diagnose.conventions import dlfs
from comparisons.diagnose.wire import Called, plain

NAME = "cs231n"
DEFAULT_ACTIVATION = "relu"
DEFAULT_COST = "cross_entropy"  # softmax_loss: softmax output, cross-entropy averaged over N
MEAN = True
LAYERS = ("affine_forward", "affine_backward", "relu_forward", "relu_backward")
FUSED = ("affine_relu_forward", "affine_relu_backward")  # layer_utils.py's


def accepts(obj):
    """A class with ``loss`` and no ``gradient`` / ``backprop``, or a module with the layer functions."""
    if inspect.ismodule(obj):
        return all(callable(getattr(obj, f, None)) for f in LAYERS)
    return inspect.isclass(obj) and callable(getattr(obj, "loss", None)) and not _other(obj)


def _other(cls):
    return any(callable(getattr(cls, m, None)) for m in ("gradient", "backprop"))


def Runner(obj, name):
    """The class runner or the layer-function runner."""
    return LayerRunner(obj, name) if inspect.ismodule(obj) else ClassRunner(obj, name)


class ClassRunner(dlfs.Runner):
    """Child side: built by keyword with reg = 0, (W^l)ᵀ and b^l written into params, loss(X, y) called once."""

    METHOD, FIXED = "loss", {"reg": 0.0}

    def gradients(self, net, X, T):
        """The grads of loss(X, y), with the integer labels of T."""
        out = net.loss(X, T.argmax(axis=1))
        return out[1] if isinstance(out, tuple) and len(out) == 2 else out

    def probe(self, net, W, b, X, T):
        """loss(X): the scores; loss(X, y)'s loss."""
        self.write(net, W, b)
        out = {"forward": plain(net.loss(X.copy()))}
        res = net.loss(X.copy(), T.argmax(axis=1))
        if isinstance(res, tuple) and len(res) == 2:
            out["loss"] = plain(res[0])
        return out


def _softmax_loss(x, y):
    """The course's softmax_loss, for a file that does not define its own: (loss, dx), averaged over N."""
    p = np.exp(x - x.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    N = x.shape[0]
    loss = -np.log(p[np.arange(N), y]).sum() / N
    p[np.arange(N), y] -= 1
    return loss, p / N


class LayerRunner:
    """Child side: the file's layer functions chained into the network, forward then backward."""

    depth, signature = 0, ""

    def __init__(self, module, name):
        self.m, self.name = module, name
        own = getattr(module, "softmax_loss", None)
        self.loss = own if callable(own) else _softmax_loss
        # layer_utils.py: its affine_relu_forward/backward carry the hidden layers, δ^l inside them unseen
        self.fused = all(getattr(getattr(module, f, None), "__module__", "") == module.__name__ for f in FUSED)
        self.names = {"softmax_loss": callable(own), "fused": self.fused}

    def call(self, net, W, b, X, T):
        """{'dw': {l: …}, 'db': …, 'dx': {l: the dout affine_backward receives}} as the functions return them."""
        m, L = self.m, max(W)
        a, caches = X.copy(), {}
        for l in range(2, L + 1):  # (1), examples as rows: a^{l−1} (W^l)ᵀ + b^l
            if self.fused and l < L:
                a, caches[l] = m.affine_relu_forward(a, W[l].T.copy(), b[l].copy())
                continue
            a, caches[l] = m.affine_forward(a, W[l].T.copy(), b[l].copy())
            if l < L:
                a, caches[l, "relu"] = m.relu_forward(a)
        _, dout = self.loss(a, T.argmax(axis=1))  # (4) / N
        dw, db, dx = {}, {}, {}
        for l in range(L, 1, -1):
            if self.fused and l < L:
                dout, dw[l], db[l] = m.affine_relu_backward(dout, caches[l])
                continue
            if l < L:
                dout = m.relu_backward(dout, caches[l, "relu"])  # (5) / N: ⊙ σ'(z^l)
            dx[l] = dout
            dout, dw[l], db[l] = m.affine_backward(dout, caches[l])  # (2), (3) / N, and (W^l)ᵀ δ^l for (5)
        return Called(plain({"dw": dw, "db": db, "dx": dx if len(dx) == L - 1 else {}}))

    def probe(self, net, W, b, X, T):
        """Nothing to detect: the layers are relu and the loss softmax_loss."""
        return {}


def convert(raw, sizes, what, loaded, scale):
    """(dW, db, δ or None, notes): the class's grads as ゼロから作る's; the layers' dw, db, dout each × N."""
    if not (isinstance(raw, dict) and set(raw) == {"dw", "db", "dx"}):
        return dlfs.convert(raw, sizes, what, loaded, scale)
    L, notes, out = len(sizes), {}, []
    for key, sym in (("dw", "dW"), ("db", "db"), ("dx", "delta")):
        d = {}
        for l, v in raw[key].items():
            arr = dlfs.as_array(v, lambda got, l=l, key=key: f"{what}: {key} at layer {l} is {got}")
            want = {"dW": (sizes[l - 2], sizes[l - 1]), "db": (sizes[l - 1],), "delta": None}[sym]
            if sym == "dW" and arr.shape in (want, want[::-1]):
                arr = arr.T  # dw is (D, M) = (n_{l−1}, n_l): the lecture's (n_l, n_{l−1}) transposed
            elif sym == "db" and arr.shape == (1, want[0]):
                arr = arr.reshape(-1)
            elif want and arr.shape != want:
                notes[sym, l] = f"{names(loaded, L)[sym, l]} has shape {arr.shape}, expected {want}"
            d[l] = arr * scale
        out.append(d)
    return out[0], out[1], out[2] or None, notes


def mutation_notes(loaded, mutated):
    """The note for parameters loss changed while it ran."""
    if not mutated:
        return []
    return [
        f"note: {loaded.name}.loss changes {', '.join(mutated)} while it runs; deltacheck writes the parameters "
        "again before every call, but the Solver would see them changed"
    ]


def callee(loaded):
    """How the user's code is named in a verdict."""
    return "the layer functions" if loaded.name in LAYERS else f"{loaded.name}.loss"


def names(loaded, L):
    """The user's names: grads['W1'] beside dW^2; for the layers, which function returned which."""
    if loaded.name not in LAYERS:
        return dlfs.names(loaded, L)
    out = {}
    for l in range(2, L + 1):
        out["dW", l], out["db", l] = f"affine_backward's dw for W{l - 1}", f"affine_backward's db for b{l - 1}"
        out["delta", l] = f"relu_backward's dx at layer {l - 1}"
    out["delta", L] = "softmax_loss's dx" if loaded.names.get("softmax_loss") else f"the dout of affine {L - 1}"
    if loaded.names.get("fused"):
        out.update({("dW", l): f"affine_relu_backward's dw for W{l - 1}" for l in range(2, L)})
        out.update({("db", l): f"affine_relu_backward's db for b{l - 1}" for l in range(2, L)})
        out.update({("delta", l): f"the relu_backward in affine_relu_backward for W{l - 1}" for l in range(2, L)})
    return out
