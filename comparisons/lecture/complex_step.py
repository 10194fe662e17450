r"""The complex-step derivative: a third oracle, with neither backprop, autograd nor subtraction.

.. math:: f'(x) = \operatorname{Im} f(x + ih) / h + O(h^2)

For a real-analytic f there is no difference of nearly equal numbers, so h can be tiny
(h = 1e−20) and the result is exact to rounding.  It needs a forward pass that accepts
complex numbers; manual_bp is real only, so this module has its own small one.  Costs
are written without conjugates ((t − a)², not |t − a|²), so they stay analytic.
Every exponential is taken of a number whose real part is ≤ 0 (the branch chosen by the
sign of Re z, which the step ih does not change), so nothing overflows for any |z|.
relu and leaky_relu are not analytic (max(0, z) has no complex extension whose
imaginary part carries the derivative), so they are refused.
"""

from __future__ import annotations

import numpy as np

CS_STEP = 1e-20


class NotApplicable(ValueError):
    """The complex step cannot be used for this network (a non-analytic function)."""


def _sigmoid(z):
    """σ(z) = 1/(1 + e^{−z}) for Re z ≥ 0 and e^{z}/(1 + e^{z}) otherwise: |e^{−s z}| ≤ 1, never overflows."""
    s = np.where(z.real >= 0, 1.0, -1.0)  # the sign of Re z
    e = np.exp(-s * z)  # e^{−|Re z|} in modulus
    return np.where(s > 0, 1.0, e) / (1.0 + e)


def _softplus(z):
    """log(1 + e^z) as max(Re z, 0)-shifted: z + log1p(e^{−z}) for Re z ≥ 0, log1p(e^{z}) otherwise."""
    s = np.where(z.real >= 0, 1.0, -1.0)
    return np.where(s > 0, z, 0.0) + np.log1p(np.exp(-s * z))


def _softmax(z):
    e = np.exp(z - z.real.max(axis=1, keepdims=True))  # shift by a real constant: still analytic
    return e / e.sum(axis=1, keepdims=True)


ACTIVATIONS = {  # analytic extensions to complex z
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "identity": lambda z: z,
    "softplus": _softplus,
    "softmax": _softmax,
}
NOT_ANALYTIC = ("relu", "leaky_relu")


def _lse(z):
    m = z.real.max(axis=1, keepdims=True)
    return m[:, 0] + np.log(np.exp(z - m).sum(axis=1))


COSTS = {  # C_k(a^L, t, z^L) for complex a and z: (K,)
    "squared_error": lambda a, t, z: 0.5 * np.sum((t - a) ** 2, axis=1),  # 2乗誤差, no conjugate
    "binary_cross_entropy": lambda a, t, z: np.sum(_softplus(z) - t * z, axis=1),
    "cross_entropy": lambda a, t, z: _lse(z) * t.sum(axis=1) - np.sum(t * z, axis=1),
}


def applicable(activations):
    """None when every activation is analytic, else the sentence saying why not."""
    bad = sorted({a for a in activations if a in NOT_ANALYTIC})
    if bad:
        return f"complex step not applicable: {', '.join(bad)} is not analytic"
    return None


class ComplexNet:
    """The forward pass z^l = a^{l-1} (W^l)ᵀ + b^l, a^l = σ(z^l) on complex arrays."""

    def __init__(self, W, b, activations, cost):
        why = applicable(activations)
        if why:
            raise NotApplicable(why)
        self.W = {l: np.asarray(w, dtype=complex) for l, w in W.items()}
        self.b = {l: np.asarray(v, dtype=complex) for l, v in b.items()}
        self.L = max(self.W)
        self.sigma = {l: ACTIVATIONS[name] for l, name in zip(range(2, self.L + 1), activations)}
        self.cost = COSTS[cost]

    def costs_from(self, l, z_l, T):
        """C_k (K,) with the pass continued from a given z^l (K, n_l); l = 1 means z^1 = a^1 = X."""
        a = z_l if l == 1 else self.sigma[l](z_l)
        z = z_l
        for m in range(l + 1, self.L + 1):
            z = a @ self.W[m].T + self.b[m]  # (K, n_m): row k is W^m a^{m-1}[k] + b^m
            a = self.sigma[m](z)
        return self.cost(a, T, z)

    def forward(self, X):
        """z[l] and a[l] (complex) for l = 2 … L."""
        a, z = {1: np.asarray(X, dtype=complex)}, {}
        for l in range(2, self.L + 1):
            z[l] = a[l - 1] @ self.W[l].T + self.b[l]  # (K, n_l)
            a[l] = self.sigma[l](z[l])
        return z, a

    def costs(self, X, T):
        """C_k for every example k: (K,), complex."""
        return self.costs_from(1, np.asarray(X, dtype=complex), T)

    def costs_from_a(self, a_L, T, z_L):
        """C_k as a function of a^L (z^L held fixed, as the squared error ignores it): (K,)."""
        return self.cost(a_L, T, z_L)


def rowwise(f, x, h=CS_STEP):
    """∂f_k/∂x[k, j] for f mapping (K, n) to (K,), row k of x affecting f_k alone: Im f(x + ih e_j)/h."""
    x = np.asarray(x, dtype=complex)
    g = np.empty(x.shape)
    for j in range(x.shape[1]):
        xp = x.copy()
        xp[:, j] += 1j * h
        g[:, j] = f(xp).imag / h
    return g


def param_grads(net, X, T, h=CS_STEP):
    """∂C_k/∂W^l (K, n_l, n_{l-1}) and ∂C_k/∂b^l (K, n_l), one parameter at a time."""
    pW, pb = {}, {}
    for l in net.W:
        for params, out in ((net.W, pW), (net.b, pb)):
            p = params[l]
            out[l] = np.empty((len(X),) + p.shape)
            for idx in np.ndindex(p.shape):
                old = p[idx]
                p[idx] = old + 1j * h
                out[l][(slice(None),) + idx] = net.costs(X, T).imag / h  # (K,)
                p[idx] = old
    return pW, pb
