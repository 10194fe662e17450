"""Nielsen's convention (network.py, network2.py): ``Network(sizes)`` with lists ``weights``, ``biases``.

weights[i] is W^{i+2} (n_l, n_{l-1}) and biases[i] is b^{i+2}, a column (n_l, 1);
``backprop(x, y)`` takes one example as columns x (n_1, 1), y (n_L, 1) and returns
(nabla_b, nabla_w) of C_x alone, lists like biases and weights.  The adapter writes W^l and
b^l into the user's own arrays before every call, runs the K examples one by one and sums:
∂C_T/∂W^l = Σ_k nabla_w[l − 2].  A cost object (network2's ``cost`` with ``fn`` and
``delta``) tells the cost.
"""

from __future__ import annotations

import inspect

import numpy as np

from comparisons.common.errors import UsageError
from comparisons.diagnose.conventions.base import Unusable, changed, returned_names
from comparisons.diagnose.conventions.lecture import as_array
from comparisons.diagnose.wire import Called, Opaque, plain

NAME = "nielsen"
DEFAULT_ACTIVATION = "sigmoid"
MEAN = False  # backprop(x, y) is of one example
DEFAULT_COST = "squared_error"  # network.py's cost_derivative: a − y, the quadratic cost


def accepts(obj):
    """A class with a ``backprop`` method."""
    return inspect.isclass(obj) and callable(getattr(obj, "backprop", None))


class Runner:
    """Child side: builds Network(sizes), writes the parameters in, calls backprop once per example."""

    depth = 0  # any depth

    def __init__(self, cls, name):
        if not accepts(cls):
            raise Unusable(f"{name} is not a class with a backprop(x, y) method")
        try:
            inspect.signature(cls).bind([2, 2])
        except TypeError:
            raise Unusable(f"{name} must be built as {name}(sizes), as Nielsen's Network") from None
        except ValueError:
            pass
        try:
            inspect.signature(cls.backprop).bind(None, None, None)
        except TypeError:
            raise Unusable(f"{name}.backprop must take one example (x, y), as Nielsen's") from None
        except ValueError:
            pass
        self.cls, self.name = cls, name
        self.signature = f"{name}(sizes)"
        self.names = {"returns": (returned_names(cls.backprop) + ["nabla_b", "nabla_w"])[:2]}

    def build(self, sizes):
        """The user's network for ``sizes``, its weights and biases checked against the convention."""
        net = self.cls([int(n) for n in sizes])
        self.check(net, sizes)
        self.names["bias_shape"] = "column" if np.ndim(net.biases[0]) == 2 else "flat"
        return net

    def check(self, net, sizes):
        """Unusable unless net.weights and net.biases are lists of arrays of the convention's shapes."""
        label = f"{self.name}({list(sizes)})"
        for attr, want in (
            ("weights", [(n, m) for m, n in zip(sizes[:-1], sizes[1:])]),
            ("biases", [(n, 1) for n in sizes[1:]]),
        ):
            got = getattr(net, attr, None)
            if not isinstance(got, (list, tuple)) or len(got) != len(want):
                raise Unusable(
                    f"{label}.{attr} must be a list of {len(want)} arrays, one per layer l = 2 … {len(sizes)}, "
                    f"got {type(got).__name__}" + (f" of {len(got)}" if isinstance(got, (list, tuple)) else "")
                )
            for i, (arr, shape) in enumerate(zip(got, want)):
                ok = isinstance(arr, np.ndarray) and (
                    arr.shape == shape or (attr == "biases" and arr.shape == shape[:1])
                )
                if not ok:
                    raise Unusable(
                        f"{label}.{attr}[{i}] has shape {np.shape(arr)}; Nielsen's convention has "
                        f"{'(n_l, n_{l-1})' if attr == 'weights' else '(n_l, 1)'} = {shape}"
                    )

    def write(self, net, W, b):
        """W^l and b^l into the user's own arrays (whatever refers to them sees the new values)."""
        self.check(net, [W[2].shape[1]] + [W[l].shape[0] for l in sorted(W)])
        for i, l in enumerate(sorted(W)):
            net.weights[i][...] = W[l]
            net.biases[i][...] = b[l].reshape(net.biases[i].shape)

    def call(self, net, W, b, X, T):
        """One backprop(x, y) per example k, as returned; the parameters it changed."""
        L, K = max(W), X.shape[0]
        raw, mutated, post = [], set(), {}
        for k in range(K):
            self.k = k
            self.write(net, W, b)
            raw.append(plain(net.backprop(X[k][:, None].copy(), T[k][:, None].copy())))
            for i, l in enumerate(range(2, L + 1)):
                if changed(W[l], net.weights[i]):
                    mutated.add(f"self.weights[{i - (L - 1)}]")
                    post.setdefault(l, np.array(net.weights[i], dtype=np.float64))
                if changed(b[l], np.ravel(net.biases[i])):
                    mutated.add(f"self.biases[{i - (L - 1)}]")
        return Called(raw, sorted(mutated), post)

    def probe(self, net, W, b, X, T):
        """feedforward(x) of every example, and cost.fn(a, y) at a = σ(X-shaped numbers), where the class has them."""
        self.write(net, W, b)
        out = {}
        if callable(getattr(net, "feedforward", None)):
            out["forward"] = [plain(net.feedforward(x[:, None].copy())) for x in X]
        cost = getattr(net, "cost", None)
        if cost is not None and callable(getattr(cost, "fn", None)):
            out["cost_name"] = getattr(cost, "__name__", type(cost).__name__)
            A = 1.0 / (1.0 + np.exp(-X[:, : T.shape[1]]))  # (K, n_L) in (0, 1)
            out["cost_fn"] = [plain(cost.fn(a[:, None], t[:, None])) for a, t in zip(A, T)]
            out["cost_at"] = A
        return out


def convert(raw, sizes, what, loaded, scale=1.0):
    """(dW, db, None, notes): nabla_w and nabla_b summed over the K calls, keyed by l = 2 … L."""
    L, bias_shape = len(sizes), loaded.names.get("bias_shape", "column")
    dW, db, notes = {}, {}, {}
    for k, out in enumerate(raw):
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            got = out.type if isinstance(out, Opaque) else type(out).__name__
            got += f" of {len(out)}" if isinstance(out, (tuple, list)) else ""
            raise UsageError(f"{what} returned {got}; it must return (nabla_b, nabla_w), as Nielsen's")
        if k == 0 and _swapped(out, sizes):
            raise UsageError(
                f"{what} returned (nabla_w, nabla_b); Nielsen's convention returns (nabla_b, nabla_w), biases first"
            )
        for name, part, acc in (("nabla_b", out[0], db), ("nabla_w", out[1], dW)):
            if not isinstance(part, (list, tuple)):
                raise UsageError(f"{what} returned {name} as {_type(part)}; it must be a list, one array per layer")
            for i, v in enumerate(part[: L - 1]):
                l = i + 2
                if v is None:
                    continue
                arr = as_array(v, lambda got, n=name, i=i: f"{what} returned {n}[{i}] as {got}")
                want = (sizes[i + 1], sizes[i]) if name == "nabla_w" else (sizes[i + 1],)
                user = (sizes[i + 1], sizes[i]) if name == "nabla_w" else _bias(sizes[i + 1], bias_shape)
                if arr.shape == user:
                    arr = arr.reshape(want)
                elif k == 0:
                    notes["dW" if name == "nabla_w" else "db", l] = (
                        f"{name}[{i - (L - 1)}] has shape {arr.shape}, expected {user}"
                    )
                if l in acc and acc[l] is not None and acc[l].shape == arr.shape:
                    acc[l] = acc[l] + arr
                elif l not in acc:
                    acc[l] = arr
    return dW, db, None, notes


def _swapped(out, sizes):
    """True when the first list has the weights' shapes and the second the biases'."""
    try:
        first = [np.shape(v) for v in out[0]]
        second = [np.shape(v)[:1] for v in out[1]]
    except TypeError:
        return False
    weights = [(n, m) for m, n in zip(sizes[:-1], sizes[1:])]
    return first == weights and second == [(n,) for n in sizes[1:]] and first != [(n, 1) for n in sizes[1:]]


def _bias(n, bias_shape):
    return (n, 1) if bias_shape == "column" else (n,)


def _type(x):
    return x.type if isinstance(x, Opaque) else type(x).__name__


def mutation_notes(loaded, mutated):
    """The note for parameters backprop changed while it ran."""
    if not mutated:
        return []
    return [
        f"note: {loaded.name}.backprop changes {', '.join(mutated)} while it runs; deltacheck writes the parameters "
        "again before every call, but update_mini_batch would see them changed"
    ]


def callee(loaded):
    """How the user's code is named in a verdict."""
    return f"{loaded.name}.backprop"


def names(loaded, L):
    """The user's names of the lecture's symbols: nabla_w[-1] beside dW^L, self.weights[-1] beside W^L."""
    nb, nw = loaded.names.get("returns", ["nabla_b", "nabla_w"])
    out = {}
    for l in range(2, L + 1):
        i = l - L - 1  # the negative index Nielsen's loop uses: W^L is weights[-1]
        out["dW", l], out["db", l] = f"{nw}[{i}]", f"{nb}[{i}]"
        out["W", l], out["b", l] = f"self.weights[{i}]", f"self.biases[{i}]"
    return out
