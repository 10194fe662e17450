"""A CNN family: G convolutional networks of one architecture stacked on a leading axis, trained at once.

W[l] is (G, F, C, k, k) for a conv layer and (G, n_l, n_{l-1}) for a dense one, b[l] (G, F) or (G, n_l),
X (G, K, C, H, W), T (G, K, n_L).  Nothing here is new arithmetic: ``CNN``'s methods, ``ConvTrainStep``
and ``SGD`` run ``backprop``'s equations on the stack (each matmul multiplies member g's rows by member
g's own weights, pooling and σ are elementwise, SGD's update too), so member g follows the steps of the
CNN it was made from, G at a time.
"""

from __future__ import annotations

import numpy as np

from manual_bp import validate

from . import backprop
from .network import CNN


class CNNFamily(CNN):
    """G ``CNN``s of the same image, layers, cost, reduction and dtype, as one stacked network (of copies)."""

    def __init__(self, members):
        shared = ("image", "layers", "cost", "reduction", "dtype")
        members = validate.check_members(members, CNN, CNNFamily, shared, "manual_bp.conv.CNN", "CNN family")
        first = members[0]
        self.G = len(members)
        self.image, self.layers, self.L = first.image, list(first.layers), first.L
        self.W = {l: np.stack([m.W[l] for m in members]) for l in first.W}  # (G, F, C, k, k) or (G, n_l, n_{l-1})
        self.b = {l: np.stack([m.b[l] for m in members]) for l in first.b}  # (G, F) or (G, n_l)
        self.act, self.cost = dict(first.act), first.cost
        self.reduction, self.dtype = first.reduction, first.dtype

    def check_data(self, X, T=None):
        """X (G, K, C, H, W) and T (G, K, n_L), each member's checked as ``CNN.check_data`` checks it.

        Arrays already of the network's dtype are returned as they are.
        """
        n_L = self.W[self.L].shape[-2]
        X = validate.as_array(X, "X")
        T = None if T is None else validate.as_array(T, "T")
        if X.ndim != 5 or X.shape[0] != self.G or X.shape[2:] != self.image or X.shape[1] < 1:
            raise ValueError(f"X must have shape (G, K, {', '.join(map(str, self.image))}) with G = {self.G}, "
                             f"K >= 1, got {X.shape}")  # fmt: skip
        if T is not None and T.shape != (self.G, X.shape[1], n_L):
            raise ValueError(f"T must have shape ({self.G}, {X.shape[1]}, {n_L}) to match X, got {T.shape}")
        X = self._checked(X, "X")
        return X, (None if T is None else self._checked(T, "T"))

    def _checked(self, arr, name):
        """arr (G, …) of real, finite numbers in the network's dtype, checked member by member ("member g: …")."""
        checked = []
        for g, x in enumerate(arr):
            try:
                checked.append(validate._as_float_array(x, name, self.dtype))
            except ValueError as e:
                raise ValueError(f"member {g}: {e}") from None
        return arr if arr.dtype == self.dtype else np.stack(checked)

    def total_cost(self, X, T, check=True):
        """C_T of every member (Σ_k C_k, or its mean), shape (G,); ``check=False`` for data already checked."""
        if validate.check_bool("check", check):
            X, T = self.check_data(X, T)
        z, a, _ = backprop.forward(self.layers, self.W, self.b, self.act, X)
        c = self.cost.fn(a[self.L], T, z[self.L])  # (G, K)
        return c.sum(axis=-1) * self.scale(X.shape[-4])  # (G,)

    def member(self, g):
        """Member g (0-based, as in the list the family was made from) as a CNN of its own, from copies."""
        g = validate.check_member(g, self.G)
        W = {l: w[g] for l, w in self.W.items()}
        b = {l: v[g] for l, v in self.b.items()}
        return CNN(self.image, self.layers, W, b, self.cost.name, self.reduction)  # CNN copies the arrays

    def __repr__(self):
        kinds = ", ".join(type(x).__name__ for x in self.layers)
        cost = self.cost.name
        return f"CNNFamily(G={self.G}, image={self.image}, layers=[{kinds}], cost={cost!r}, dtype={self.dtype})"
