"""The multilayer perceptron of the lecture, trained by its own δ-backpropagation."""

from __future__ import annotations

import numpy as np

from . import backprop, validate


class MLP:
    """A fully connected network whose gradients come from eqs (1)–(5) alone.

    ``weights`` and ``biases`` are dicts keyed by the lecture's layer number l = 2 … L:
    W[l] has shape (n_l, n_{l-1}) (w_ji^l from unit i of layer l-1 to unit j of layer l)
    and b[l] has shape (n_l,).  The arrays are copied; float32 or float64.
    """

    def __init__(self, weights, biases, activations, cost, reduction="sum"):
        self.W, self.b, self.dtype = validate.check_params(weights, biases)
        self.W = {l: w.copy() for l, w in self.W.items()}
        self.b = {l: v.copy() for l, v in self.b.items()}
        self.L = max(self.W)
        self.act = validate.check_activations(activations, self.L)
        self.cost = validate.check_cost(cost, self.act[self.L])
        self.reduction = validate.check_reduction(reduction)

    @classmethod
    def init(cls, sizes, activations, cost, seed=0, dtype=np.float64, reduction="sum"):
        """Weights w_ji^l ~ N(0, 1/n_{l-1}) and biases ~ N(0, 0.1²) from numpy's Generator(seed)."""
        W, b = init_params(sizes, seed, dtype)
        return cls(W, b, activations, cost, reduction)

    @property
    def sizes(self):
        """[n_1, …, n_L]."""
        return [self.W[2].shape[-1]] + [self.W[l].shape[-2] for l in range(2, self.L + 1)]

    @property
    def activations(self):
        """The activation names of layers 2 … L."""
        return [self.act[l].name for l in range(2, self.L + 1)]

    def check_data(self, X, T=validate.NO_T):
        """X (K, n_1) and T (K, n_L) checked and in the network's dtype; ValueError otherwise (T left out: X alone)."""
        return validate.check_data(X, T, self.sizes[0], self.sizes[-1], self.dtype)

    def scale(self, K):
        """1 for C_T = Σ_k C_k (the lecture's), 1/K for the mean."""
        return 1.0 if self.reduction == "sum" else 1.0 / K

    def forward(self, X):
        """z[l] and a[l] for every layer (a[1] = X)."""
        X, _ = self.check_data(X)
        return backprop.forward(self.W, self.b, self.act, X)

    def costs(self, X, T):
        """C_k for every example: shape (K,)."""
        X, T = self.check_data(X, T)
        fwd = backprop.forward(self.W, self.b, self.act, X)
        return self.cost.fn(fwd.a[self.L], T, fwd.z[self.L])

    def costs_from_z(self, l, z_l, T):
        """C_k for every example, as a function of z^l (K, n_l) given for layer l."""
        l = validate.check_int("l", l, 2)
        if l > self.L:
            raise ValueError(f"l must be a layer 2 … {self.L} of this network, got {l}")
        _, T = self.check_data(np.zeros((len(validate.as_array(T, "T")), self.sizes[0]), self.dtype), T)
        z_L, a_L = backprop.forward_from(self.W, self.b, self.act, l, z_l)
        return self.cost.fn(a_L, T, z_L)

    def total_cost(self, X, T, check=True):
        """C_T = Σ_k C_k (or its mean over k with reduction='mean'); ``check=False`` for data already checked."""
        if validate.check_bool("check", check):
            X, T = self.check_data(X, T)
        fwd = backprop.forward(self.W, self.b, self.act, X)
        c = self.cost.fn(fwd.a[self.L], T, fwd.z[self.L])  # (K,)
        return float(c.sum() * self.scale(len(c)))

    def deltas(self, X, T):
        """δ[l] = ∂C_k/∂z^l[k] for l = 2 … L, each (K, n_l): eq (4), then eq (5) downwards."""
        X, T = self.check_data(X, T)
        fwd = backprop.forward(self.W, self.b, self.act, X)
        return backprop.deltas(self.W, self.act, self.cost, fwd, T)

    def gradients(self, X, T, per_example=False):
        """∂C_T/∂W^l and ∂C_T/∂b^l by eqs (2) and (3), summed over k (or the K terms).

        With ``per_example`` the lecture's [k] quantities ∂C_k/∂W^l (K, n_l, n_{l-1}) and
        ∂C_k/∂b^l (K, n_l) are returned; the reduction does not apply to them.
        """
        X, T = self.check_data(X, T)
        per_example = validate.check_bool("per_example", per_example)
        fwd = backprop.forward(self.W, self.b, self.act, X)
        delta = backprop.deltas(self.W, self.act, self.cost, fwd, T)
        s = 1.0 if per_example else self.scale(X.shape[-2])  # K: rows of X
        gW = {l: backprop.weight_gradient(delta[l], fwd.a[l - 1], per_example) for l in delta}  # (2)
        gb = {l: backprop.bias_gradient(delta[l], per_example) for l in delta}  # (3)
        if s != 1.0:
            gW = {l: g * s for l, g in gW.items()}
            gb = {l: g * s for l, g in gb.items()}
        return gW, gb

    def per_example_gradients(self, X, T):
        """The lecture's [k] gradients: ∂C_k/∂W^l (K, n_l, n_{l-1}) and ∂C_k/∂b^l (K, n_l)."""
        return self.gradients(X, T, per_example=True)

    def params(self):
        """Copies of (W, b)."""
        return {l: w.copy() for l, w in self.W.items()}, {l: v.copy() for l, v in self.b.items()}

    def __repr__(self):
        return f"MLP(sizes={self.sizes}, activations={self.activations}, cost={self.cost.name!r}, dtype={self.dtype})"


def init_params(sizes, seed=0, dtype=np.float64):
    """W[l] ~ N(0, 1/n_{l-1}) (n_l, n_{l-1}) and b[l] ~ N(0, 0.1²) (n_l,), drawn in float64 then cast."""
    sizes = validate.check_sizes(sizes)
    dtype = validate.check_dtype(dtype)
    rng = np.random.default_rng(validate.check_seed(seed))
    W, b = {}, {}
    for l in range(2, len(sizes) + 1):
        n_l, n_prev = sizes[l - 1], sizes[l - 2]  # sizes is 0-indexed: sizes[l-1] is n_l
        W[l] = (rng.standard_normal((n_l, n_prev)) / np.sqrt(n_prev)).astype(dtype)  # (n_l, n_{l-1})
        b[l] = (0.1 * rng.standard_normal(n_l)).astype(dtype)  # (n_l,)
    return W, b
