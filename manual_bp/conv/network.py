"""A convolutional network whose gradients come from δ alone: conv and pooling layers, then the lecture's MLP."""

from __future__ import annotations

import numpy as np

from manual_bp import validate

from . import backprop
from .layers import Conv, Dense, Pool, param_shapes, shapes


class CNN:
    """Conv/pool layers then dense layers, numbered l = 2 … L; W[l], b[l] for the conv and dense ones.

    ``image`` is (C, H, W); ``layers`` a list of ``Conv``, ``Pool`` and ``Dense``, the last one dense.
    W[l] of a conv layer has shape (F, C, k, k) (w^F_{c,uv}), b[l] (F,); a dense layer's are the
    lecture's (n_l, n_{l-1}) and (n_l,).  The arrays are copied; float32 or float64.
    """

    def __init__(self, image, layers, weights, biases, cost, reduction="sum"):
        self.image, self.layers = tuple(int(n) for n in image), list(layers)
        if not self.layers or not isinstance(self.layers[-1], Dense):
            raise ValueError("the last layer must be Dense: eq (4) starts δ at a dense output layer")
        self.L = len(self.layers) + 1
        expect = param_shapes(self.image, self.layers)  # ValueError where a window does not fit
        if sorted(weights) != sorted(expect) or sorted(biases) != sorted(expect):
            raise ValueError(f"weights and biases must be keyed by the conv and dense layers {sorted(expect)}")
        self.dtype = np.asarray(weights[min(expect)]).dtype
        if self.dtype not in validate.FLOAT_DTYPES:
            raise ValueError(f"weights must be float32 or float64, got dtype {self.dtype}")
        self.W, self.b = {}, {}
        for l, (ws, bs) in expect.items():
            self.W[l] = validate._as_float_array(weights[l], f"W[{l}]", self.dtype).copy()
            self.b[l] = validate._as_float_array(biases[l], f"b[{l}]", self.dtype).copy()
            if self.W[l].shape != ws or self.b[l].shape != bs:
                raise ValueError(
                    f"W[{l}], b[{l}] must have shapes {ws}, {bs}, got {self.W[l].shape}, {self.b[l].shape}"
                )
        names = {l: layer.activation for l, layer in enumerate(self.layers, start=2) if not isinstance(layer, Pool)}
        acts = validate.check_activations([names.get(l, "identity") for l in range(2, self.L + 1)], self.L)
        self.act = acts  # pooling layers: identity (z^l = a^l)
        self.cost = validate.check_cost(cost, self.act[self.L])
        self.reduction = validate.check_reduction(reduction)

    @classmethod
    def init(cls, image, layers, cost, seed=0, dtype=np.float64, reduction="sum"):
        """w ~ N(0, 1/fan_in) (fan_in = C·k·k or n_{l-1}) and b ~ N(0, 0.1²), from numpy's Generator(seed)."""
        rng = np.random.default_rng(validate.check_seed(seed))
        dtype = validate.check_dtype(dtype)
        W, b = {}, {}
        for l, (ws, bs) in param_shapes(image, layers).items():
            fan_in = int(np.prod(ws[1:]))
            W[l] = (rng.standard_normal(ws) / np.sqrt(fan_in)).astype(dtype)
            b[l] = (0.1 * rng.standard_normal(bs)).astype(dtype)
        return cls(image, layers, W, b, cost, reduction)

    @property
    def shapes(self):
        """{l: shape of a^l for one example}."""
        return shapes(self.image, self.layers)

    def check_data(self, X, T=None):
        """X (K, C, H, W) and T (K, n_L) checked and in the network's dtype; ValueError otherwise."""
        X = validate._as_float_array(X, "X", self.dtype)
        if X.ndim != 4 or X.shape[1:] != self.image or len(X) < 1:
            raise ValueError(f"X must have shape (K, {', '.join(map(str, self.image))}) with K >= 1, got {X.shape}")
        if T is None:
            return X, None
        T = validate._as_float_array(T, "T", self.dtype)
        if T.shape != (len(X), self.W[self.L].shape[0]):
            raise ValueError(f"T must have shape ({len(X)}, {self.W[self.L].shape[0]}) to match X, got {T.shape}")
        return X, T

    def scale(self, K):
        """1 for C_T = Σ_k C_k (the lecture's), 1/K for the mean."""
        return 1.0 if self.reduction == "sum" else 1.0 / K

    def forward(self, X):
        """(z, a, winners): z[l] and a[l] for every layer (a[1] = X), max pooling's winners."""
        return backprop.forward(self.layers, self.W, self.b, self.act, self.check_data(X)[0])

    def costs(self, X, T):
        """C_k for every example: shape (K,)."""
        X, T = self.check_data(X, T)
        z, a, _ = backprop.forward(self.layers, self.W, self.b, self.act, X)
        return self.cost.fn(a[self.L], T, z[self.L])

    def total_cost(self, X, T, check=True):
        """C_T = Σ_k C_k (or its mean); ``check=False`` for data already checked."""
        if check:
            X, T = self.check_data(X, T)
        z, a, _ = backprop.forward(self.layers, self.W, self.b, self.act, X)
        c = self.cost.fn(a[self.L], T, z[self.L])  # (K,)
        return float(c.sum() * self.scale(len(c)))

    def deltas(self, X, T):
        """δ[l] = ∂C_k/∂z^l for l = 2 … L: (K, F, H', W') for maps, (K, n_l) for dense layers."""
        X, T = self.check_data(X, T)
        z, a, extra = backprop.forward(self.layers, self.W, self.b, self.act, X)
        return backprop.deltas(self.layers, self.W, self.act, self.cost, z, a, extra, T)

    def gradients(self, X, T):
        """∂C_T/∂W^l and ∂C_T/∂b^l of every conv and dense layer (× 1/K for the mean)."""
        X, T = self.check_data(X, T)
        z, a, extra = backprop.forward(self.layers, self.W, self.b, self.act, X)
        delta = backprop.deltas(self.layers, self.W, self.act, self.cost, z, a, extra, T)
        gW, gb = backprop.gradients(self.layers, delta, a)
        s = self.scale(X.shape[-4])  # K: axis −4 of X, also in a CNNFamily's (G, K, C, H, W)
        if s != 1.0:
            gW = {l: g * s for l, g in gW.items()}
            gb = {l: g * s for l, g in gb.items()}
        return gW, gb

    def params(self):
        """Copies of (W, b)."""
        return {l: w.copy() for l, w in self.W.items()}, {l: v.copy() for l, v in self.b.items()}

    def __repr__(self):
        kinds = ", ".join(type(x).__name__ for x in self.layers)
        return f"CNN(image={self.image}, layers=[{kinds}], cost={self.cost.name!r}, dtype={self.dtype})"


__all__ = ["CNN", "Conv", "Dense", "Pool"]
