"""A family: G networks of one shape stacked on a leading axis, trained at once by the same equations.

W[l] is (G, n_l, n_{l-1}), b[l] (G, n_l), X (G, K, n_1), T (G, K, n_L).  Nothing here is new
arithmetic: ``MLP``'s methods, ``TrainStep`` and ``SGD`` run ``backprop``'s equations on the
stack (a matmul of stacks multiplies each member's own matrices, SGD's update is elementwise),
so member g follows the steps of the MLP it was made from, G at a time.
"""

from __future__ import annotations

import numpy as np

from . import backprop, validate
from .network import MLP


class Family(MLP):
    """G ``MLP``s of the same sizes, activations, cost, reduction and dtype, as one stacked network (of copies)."""

    def __init__(self, members):
        shared = ("sizes", "activations", "cost", "reduction", "dtype")
        members = validate.check_members(members, MLP, Family, shared, "manual_bp.MLP")
        first = members[0]
        self.G = len(members)
        self.W = {l: np.stack([m.W[l] for m in members]) for l in first.W}  # (G, n_l, n_{l-1})
        self.b = {l: np.stack([m.b[l] for m in members]) for l in first.b}  # (G, n_l)
        self.L, self.act, self.cost = first.L, first.act, first.cost
        self.reduction, self.dtype = first.reduction, first.dtype

    def check_data(self, X, T=validate.NO_T):
        """X (G, K, n_1) and T (G, K, n_L), each member's checked as ``MLP.check_data`` checks it.

        Arrays already of the network's dtype are returned as they are (a read-only X stays read-only).
        """
        n_1, n_L = self.sizes[0], self.sizes[-1]
        X = validate.as_array(X, "X")
        T = validate.NO_T if T is validate.NO_T else validate.as_array(T, "T")
        if X.ndim != 3 or X.shape[0] != self.G or X.shape[2] != n_1 or X.shape[1] < 1:
            raise ValueError(f"X must have shape (G, K, {n_1}) with G = {self.G}, K >= 1, got {X.shape}")
        if T is not validate.NO_T and T.shape != (self.G, X.shape[1], n_L):
            raise ValueError(f"T must have shape ({self.G}, {X.shape[1]}, {n_L}) to match X, got {T.shape}")
        checked = []
        for g in range(self.G):
            try:
                checked.append(validate.check_data(X[g], T if T is validate.NO_T else T[g], n_1, n_L, self.dtype))
            except ValueError as e:
                raise ValueError(f"member {g}: {e}") from None
        if X.dtype != self.dtype:
            X = np.stack([x for x, _ in checked])
        if T is validate.NO_T:
            return X, None
        if T.dtype != self.dtype:
            T = np.stack([t for _, t in checked])
        return X, T

    def total_cost(self, X, T, check=True):
        """C_T of every member, shape (G,)."""
        if validate.check_bool("check", check):
            X, T = self.check_data(X, T)
        fwd = backprop.forward(self.W, self.b, self.act, X)
        c = self.cost.fn(fwd.a[self.L], T, fwd.z[self.L])  # (G, K)
        return c.sum(axis=-1) * self.scale(X.shape[-2])  # (G,)

    def repeat(self, n):
        """A Family of this one's members repeated n times, member (r, g) at r·G + g: copies, one stack."""
        out = object.__new__(Family)
        out.__dict__.update(self.__dict__)
        out.G = n * self.G
        out.W = {l: np.tile(w, (n, 1, 1)) for l, w in self.W.items()}  # (n·G, n_l, n_{l-1})
        out.b = {l: np.tile(v, (n, 1)) for l, v in self.b.items()}  # (n·G, n_l)
        return out

    def member(self, g):
        """Member g (0-based, as in the list the family was made from) as an MLP of its own, from copies."""
        g = validate.check_member(g, self.G)
        W = {l: w[g] for l, w in self.W.items()}
        b = {l: v[g] for l, v in self.b.items()}
        return MLP(W, b, self.activations, self.cost.name, self.reduction)

    def __repr__(self):
        return f"Family(G={self.G}, sizes={self.sizes}, activations={self.activations}, cost={self.cost.name!r})"
