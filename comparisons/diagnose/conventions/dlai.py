"""deeplearning.ai's convention (Course 1, "Building your Deep Neural Network: Step by Step").

``L_model_forward(X, parameters)`` -> (AL, caches), ``L_model_backward(AL, Y, caches)`` -> grads, the
examples as columns.  The course counts layers from the first hidden one: its parameters['W{i}'] is the
lecture's W^{i+1} (n_l, n_{l−1}) as it is, 'b{i}' a column (n_l, 1).  Relu hidden layers, a sigmoid
output, the binary cross-entropy averaged over m: grads['dW{i}'] = ∂C_T/∂W^{i+1} / m.
"""

from __future__ import annotations

import inspect

import numpy as np

from comparisons.common.errors import UsageError
from comparisons.diagnose.conventions.base import Unusable, changed
from comparisons.diagnose.conventions.lecture import as_array
from comparisons.diagnose.wire import Called, Opaque, plain

NAME = "dlai"
DEFAULT_ACTIVATION = "relu"
DEFAULT_COST = "binary_cross_entropy"  # compute_cost: −(1/m) Σ (Y log AL + (1 − Y) log(1 − AL)), sigmoid output
MEAN = True
OUTPUTS = 1  # the course's L_model_forward asserts AL.shape == (1, m): one sigmoid output unit
FUNCTIONS = ("L_model_forward", "L_model_backward")


def accepts(obj):
    """A module with L_model_forward and L_model_backward."""
    return inspect.ismodule(obj) and all(callable(getattr(obj, f, None)) for f in FUNCTIONS)


class Runner:
    """Child side: parameters as the course's dict, X and Y as columns, forward then backward."""

    depth, signature = 0, ""

    def __init__(self, module, name):
        if not accepts(module):
            raise Unusable(f"{name}: needs both L_model_forward(X, parameters) and L_model_backward(AL, Y, caches)")
        given = {n: f for n, f in GIVEN.items() if not callable(getattr(module, n, None))}
        vars(module).update(given)  # the course's dnn_utils, where the folder handed in lacks it
        self.m, self.name = module, name
        what = f"dnn_utils's {', '.join(given)} are not in your files: the course's own stand in"
        self.names = {"built": what} if given else {}

    def call(self, net, W, b, X, T):
        """grads of L_model_backward as returned; the parameters either function changed."""
        params = _parameters(W, b)
        AL, caches = self.m.L_model_forward(X.T.copy(), params)  # (n_L, m)
        grads = self.m.L_model_backward(AL, T.T.copy(), caches)
        mutated = [f"parameters['W{l - 1}']" for l in W if changed(W[l], params[f"W{l - 1}"])]
        return Called(plain(grads), mutated)

    def probe(self, net, W, b, X, T):
        """AL of L_model_forward, one row per example, to detect σ."""
        AL, _ = self.m.L_model_forward(X.T.copy(), _parameters(W, b))
        return {"forward": plain(np.asarray(AL).T)}


GIVEN = {  # dnn_utils.py, which the course hands out: (A, cache = Z) forward, dZ = dA ⊙ g'(Z) backward
    "sigmoid": lambda Z: (1 / (1 + np.exp(-Z)), Z),
    "relu": lambda Z: (np.maximum(0, Z), Z),
    "sigmoid_backward": lambda dA, Z: dA * np.exp(-np.logaddexp(0, -Z)) * np.exp(-np.logaddexp(0, Z)),  # s (1 − s)
    "relu_backward": lambda dA, Z: dA * (Z > 0),
}


def _parameters(W, b):
    """The course's dict: W1 = W^2 (n_2, n_1), b1 = b^2 as a column (n_2, 1), …"""
    out = {}
    for l in sorted(W):
        out[f"W{l - 1}"], out[f"b{l - 1}"] = W[l].copy(), b[l].reshape(-1, 1).copy()
    return out


def convert(raw, sizes, what, loaded, scale):
    """(dW, db, None, notes): m · grads['dW{l−1}'] and m · grads['db{l−1}'] flattened, keyed by l = 2 … L."""
    if not isinstance(raw, dict) or not any(f"dW{i}" in raw for i in range(1, len(sizes))):
        got = raw.type if isinstance(raw, Opaque) else type(raw).__name__
        got = f"a dict keyed {sorted(map(str, raw))}" if isinstance(raw, dict) else got
        raise UsageError(f"{what} returned {got}; it must return grads with dW1, db1, …, as in the course")
    dW, db, notes = {}, {}, {}
    for l in range(2, len(sizes) + 1):
        for sym, acc, want in (("dW", dW, (sizes[l - 1], sizes[l - 2])), ("db", db, (sizes[l - 1], 1))):
            key = f"{sym}{l - 1}"
            if raw.get(key) is None:
                continue
            arr = as_array(raw[key], lambda got, key=key: f"{what} returned grads[{key!r}] as {got}")
            if arr.shape != want:
                notes[sym, l] = f"grads[{key!r}] has shape {arr.shape}, expected {want}"
            acc[l] = (arr.reshape(-1) if sym == "db" and arr.size == want[0] else arr) * scale
    return dW, db, None, notes


def mutation_notes(loaded, mutated):
    """The note for parameters changed while the passes ran."""
    if not mutated:
        return []
    return [f"note: L_model_forward or L_model_backward changes {', '.join(mutated)} while it runs"]


def callee(loaded):
    """How the user's code is named in a verdict."""
    return "L_model_backward"


def names(loaded, L):
    """The user's names: grads['dW1'] beside dW^2, parameters['W1'] beside W^2, dZ of layer l − 1 beside δ^l."""
    out = {}
    for l in range(2, L + 1):
        out["dW", l], out["db", l] = f"grads['dW{l - 1}']", f"grads['db{l - 1}']"
        out["W", l], out["b", l] = f"parameters['W{l - 1}']", f"parameters['b{l - 1}']"
        out["delta", l] = f"dZ of layer {l - 1} in linear_activation_backward"
    return out
