"""Costs C_k of one example k, as small objects (Nielsen's network2 style).

``fn(a, t, z)`` gives C_k for every example, shape (K,); the network sums them into
C_T = Σ_k C_k (or averages them, on request).  ``grad_a(a, t)`` is ∂C_k/∂a^L, the
first factor of eq (4).  A cost whose ``link`` names the output activation it is
built for (sigmoid for binary cross-entropy, softmax for cross-entropy) also gives
``linked_delta(a, t)``: eq (4) with σ' cancelled analytically, which stays finite when
a^L saturates to exactly 0 or 1, where ∂C/∂a^L alone is infinite.
"""

from __future__ import annotations

import numpy as np


class Cost:
    """A per-example cost C_k(a^L, t)."""

    name = ""
    link = None  # the output activation this cost requires, if any

    def fn(self, a, t, z):
        """C_k for each example k: shape (K,)."""
        raise NotImplementedError

    def grad_a(self, a, t):
        """∂C_k/∂a^L: shape (K, n_L)."""
        raise NotImplementedError

    def __repr__(self):
        return self.name


class SquaredError(Cost):
    r"""The lecture's 2乗誤差.

    .. math:: C_k = \tfrac12 \sum_j (t_j - a_j^L)^2, \qquad \partial C_k/\partial a_j^L = a_j^L - t_j
    """

    name = "squared_error"

    def fn(self, a, t, z):
        """½ Σ_j (t_j − a_j)²."""
        return 0.5 * np.sum((t - a) ** 2, axis=-1)

    def grad_a(self, a, t):
        """a − t."""
        return a - t


class BinaryCrossEntropy(Cost):
    r"""Binary cross-entropy over independent sigmoid outputs, computed from z^L.

    .. math:: C_k = -\sum_j [t_j \log a_j + (1-t_j)\log(1-a_j)] = \sum_j [\mathrm{softplus}(z_j) - t_j z_j]
    """

    name = "binary_cross_entropy"
    link = "sigmoid"

    def fn(self, a, t, z):
        """Σ_j softplus(z_j) − t_j z_j: the same value without log(0) when σ(z) saturates."""
        return np.sum(np.logaddexp(0, z) - t * z, axis=-1)

    def grad_a(self, a, t):
        """(a − t) / (a(1 − a)); infinite where a is exactly 0 or 1."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return (a - t) / (a * (1.0 - a))

    def linked_delta(self, a, t):
        """(a − t)/(a(1 − a)) · a(1 − a) = a − t."""
        return a - t


class CrossEntropy(Cost):
    r"""Categorical cross-entropy over a softmax output, computed from z^L.

    .. math:: C_k = -\sum_j t_j \log a_j = (\textstyle\sum_j t_j)\,\mathrm{logsumexp}(z) - \sum_j t_j z_j

    Targets may be any rows (one-hot or probabilities), as torch's cross_entropy allows.
    """

    name = "cross_entropy"
    link = "softmax"

    def fn(self, a, t, z):
        """Σ_j t_j (logsumexp(z) − z_j), from z so that log(0) never appears."""
        m = z.max(axis=-1, keepdims=True)  # (K, 1)
        lse = m[..., 0] + np.log(np.sum(np.exp(z - m), axis=-1))  # (K,)
        return lse * t.sum(axis=-1) - np.sum(t * z, axis=-1)

    def grad_a(self, a, t):
        """−t / a; infinite where a_j underflows to 0."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return -t / a

    def linked_delta(self, a, t):
        """J_softmaxᵀ(−t/a) = a Σ_m t_m − t, which is a − t for rows of t summing to 1."""
        return a * t.sum(axis=-1, keepdims=True) - t


COSTS = {c.name: c for c in (SquaredError(), BinaryCrossEntropy(), CrossEntropy())}


def get_cost(name):
    """The cost called ``name``; ValueError naming the choices otherwise."""
    try:
        return COSTS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown cost {name!r}; choose one of {', '.join(COSTS)}") from None
