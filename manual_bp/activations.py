"""Activation functions σ, each with its derivative beside it.

Every activation maps z^l (K, n_l) to a^l (K, n_l) by ``fn(z)``.  ``prime(z, a)`` is the
elementwise derivative σ'(z) used by eqs (4) and (5); it receives a = σ(z) too,
because for the sigmoid σ'(z) = a(1 − a) is both cheaper and exactly what the
lecture writes.  Softmax is not elementwise: it has no ``prime`` and offers
``vjp`` (its full Jacobian, transposed, times a vector) instead.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

LEAKY_SLOPE = 0.01  # torch.nn.LeakyReLU's default negative_slope


class Activation:
    """An elementwise activation a = σ(z) with its derivative σ'(z)."""

    name = ""
    elementwise = True

    def fn(self, z):
        """a = σ(z), (K, n_l)."""
        raise NotImplementedError

    def prime(self, z, a):
        """σ'(z), given z and a = σ(z)."""
        raise NotImplementedError

    def vjp(self, z, a, g):
        """(∂a/∂z)ᵀ g; for an elementwise σ this is g ⊙ σ'(z)."""
        p = self.prime(z, a)  # (K, n): a fresh array, so the product can be taken in place
        p *= g  # σ'(z) ⊙ g, the same rounding as g ⊙ σ'(z)
        return p

    def __repr__(self):
        return self.name


class Sigmoid(Activation):
    """The lecture's σ(z) = 1 / (1 + e^{−z}); stable for any |z|."""

    name = "sigmoid"

    def fn(self, z):
        """σ(z) = 1 / (1 + e^{−z}) by scipy.special.expit, one ufunc in z's dtype, within 2 ulp of the exact value.

        For z → −∞, e^{−z} → ∞ and σ → 0 without an overflow warning or a NaN (expit handles the
        overflow itself); for z → +∞, σ → 1.
        """
        return expit(z)  # (K, n)

    def prime(self, z, a):
        """σ'(z) = σ(z)(1 − σ(z))."""
        p = 1.0 - a  # (K, n): one temporary, multiplied in place
        p *= a  # a(1 − a)
        return p


class Tanh(Activation):
    """tanh(z)."""

    name = "tanh"

    def fn(self, z):
        """tanh(z)."""
        return np.tanh(z)

    def prime(self, z, a):
        """1 − tanh²(z)."""
        return 1.0 - a * a


class ReLU(Activation):
    """max(0, z).  Its derivative at exactly z = 0 is taken as 0, PyTorch's convention."""

    name = "relu"

    def fn(self, z):
        """max(0, z)."""
        return np.maximum(z, 0)

    def prime(self, z, a):
        """1 where z > 0, else 0 (0 at z = 0, as torch.relu's backward): the sign of a = max(0, z)."""
        return np.sign(a)  # (K, n): a = max(0, z) is > 0 exactly where z > 0: 1.0 there, else 0.0, in z's dtype


class LeakyReLU(Activation):
    """z for z > 0, 0.01·z otherwise; slope 0.01 at z = 0, as torch's leaky_relu backward."""

    name = "leaky_relu"

    def fn(self, z):
        """z if z > 0 else 0.01·z."""
        return np.where(z > 0, z, LEAKY_SLOPE * z).astype(z.dtype, copy=False)

    def prime(self, z, a):
        """1 where z > 0, else 0.01."""
        return np.where(z > 0, 1.0, LEAKY_SLOPE).astype(z.dtype, copy=False)


class Identity(Activation):
    """a = z."""

    name = "identity"

    def fn(self, z):
        """z itself."""
        return z

    def prime(self, z, a):
        """1."""
        return np.ones_like(z)


class Softplus(Activation):
    """log(1 + e^z), computed as logaddexp(0, z) so that no exponent overflows.

    This is the exact function.  torch's default (threshold=20) returns z itself for
    z > 20, an approximation off by up to e^{−20} ≈ 2e−9; torch_ref sets the threshold
    where that error falls below float64 rounding instead.
    """

    name = "softplus"

    def fn(self, z):
        """log(1 + e^z)."""
        return np.logaddexp(0, z).astype(z.dtype, copy=False)

    def prime(self, z, a):
        """σ(z), the logistic sigmoid."""
        return SIGMOID.fn(z)


class Softmax(Activation):
    """a_j = e^{z_j} / Σ_m e^{z_m} over the units of one example; output layer only.

    Softmax is not elementwise: a_j depends on every z_m, so eq (4)'s product with an
    elementwise σ'(z_j) does not apply.  Its Jacobian is ∂a_j/∂z_m = a_j(δ_jm − a_m),
    and ``vjp`` multiplies by it in full.
    """

    name = "softmax"
    elementwise = False

    def fn(self, z):
        """softmax over the last axis (the units), shifted by the row maximum so that no exponent overflows."""
        e = np.exp(z - z.max(axis=-1, keepdims=True))  # (K, n_L), entries in (0, 1]
        return e / e.sum(axis=-1, keepdims=True)

    def prime(self, z, a):
        """Undefined: softmax has a full Jacobian, not an elementwise derivative."""
        raise TypeError("softmax has no elementwise derivative; use vjp (its full Jacobian)")

    def vjp(self, z, a, g):
        """J(z)ᵀ g with J_jm = a_j(δ_jm − a_m), i.e. a ⊙ (g − Σ_m g_m a_m)."""
        return a * (g - np.sum(g * a, axis=-1, keepdims=True))  # (K, n_L)


SIGMOID = Sigmoid()
ACTIVATIONS = {act.name: act for act in (SIGMOID, Tanh(), ReLU(), LeakyReLU(), Identity(), Softplus(), Softmax())}
OUTPUT_ONLY = frozenset({"softmax"})


def get_activation(name):
    """The activation called ``name``; ValueError naming the choices otherwise."""
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}") from None
