"""The lecture's derivation, one function per step, each labelled with its equation.

The heading comments below list the equations (1)–(5) in the slides' order:
(1) defines δ, (2) and (3) turn δ into the gradients, (4) starts δ at the output layer and
(5), the reverse recurrence the slides name, carries it down.

Indexing: the lecture writes one example as a column vector, z^l = W^l a^{l-1} + b^l.
Here the K examples are the rows of a matrix (example k is row k, the lecture's [k]),
so the same equation reads z^l = a^{l-1} (W^l)ᵀ + b^l, and every (K, n) array below
holds K of the lecture's vectors at once.  Layers are keyed by the lecture's l:
a[1] = X, and z[l], a[l], delta[l], W[l], b[l] exist for l = 2 … L.

Every array may also carry leading axes: a family of G networks of one shape, stacked as
W[l] (G, n_l, n_{l-1}), b[l] (G, n_l), X (G, K, n_1), runs through the same equations at once
(``manual_bp.family``).  That is why the code transposes with ``.mT`` (the last two axes) and
sums over examples with ``axis=-2``; for a single network both mean ``.T`` and ``axis=0``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Forward:
    """The forward pass: z[l] for l ≥ 2 and a[l] for l ≥ 1, each (K, n_l)."""

    z: dict
    a: dict


def layer_forward(W, b, act, a_prev):
    r"""One layer: :math:`z_j^l = \sum_i w_{ji}^l a_i^{l-1} + b_j^l,\ a_j^l = \sigma(z_j^l)`."""
    z = a_prev @ W.mT  # (K, n_{l-1}) @ (n_{l-1}, n_l) -> (K, n_l): row k is W^l a^{l-1}[k]
    z += b if b.ndim == 1 else b[..., None, :]  # (K, n_l): + b^l in place (a family's (G, n_l) b gets its K axis)
    return z, act.fn(z)  # (K, n_l), (K, n_l)


def forward(W, b, act, X):
    """Forward pass through layers 2 … L, with a^1 = X."""
    a, z = {1: X}, {}  # a[1]: (K, n_1)
    for l in range(2, len(W) + 2):  # W is keyed l = 2 … L
        z[l], a[l] = layer_forward(W[l], b[l], act[l], a[l - 1])
    return Forward(z, a)


def forward_from(W, b, act, l, z_l):
    """Continue the forward pass from a given z^l (K, n_l): returns (z^L, a^L).

    C as a function of z^l is what eq (1) differentiates; finite differences of it are
    the independent check of δ^l.
    """
    z, a = z_l, act[l].fn(z_l)
    for m in range(l + 1, max(W) + 1):
        z, a = layer_forward(W[m], b[m], act[m], a)
    return z, a


# Eq (1) — the unit error of unit j in layer l: δ_j^l ≜ ∂C/∂z_j^l.


def deltas(W, act, cost, fwd, T):
    r"""The unit errors of every layer, defined by eq (1): :math:`\delta_j^l \triangleq \partial C/\partial z_j^l`.

    δ^L comes from eq (4); δ^{L−1}, …, δ^2 follow from eq (5).  Row k is example k's
    δ^l[k] = ∂C_k/∂z^l[k]: the lecture's δ of the single-example cost C_k.
    """
    L = max(W)
    delta = {L: output_delta(cost, act[L], fwd.z[L], fwd.a[L], T)}  # (K, n_L): (4)
    for l in range(L - 1, 1, -1):
        delta[l] = hidden_delta(delta[l + 1], W[l + 1], act[l], fwd.z[l], fwd.a[l])  # (K, n_l): (5)
    return delta


# Eq (2) — the weight gradient: ∂C/∂w_ji^l = δ_j^l a_i^{l−1}  (l ≥ 2).


def weight_gradient(delta, a_prev, per_example=False):
    r"""The weight gradient of eq (2), summed over k for C_T.

    .. math:: \frac{\partial C}{\partial w_{ji}^l} = \delta_j^l\, a_i^{l-1}  \tag{2}

    With ``per_example`` the K terms ∂C_k/∂W^l are returned, shape (K, n_l, n_{l-1});
    otherwise their sum ∂C_T/∂W^l = Σ_k δ^l[k] a^{l-1}[k]ᵀ, shape (n_l, n_{l-1}),
    which is one matrix product: (δ^l)ᵀ a^{l-1} with examples as rows.
    """
    if per_example:
        return delta[..., :, None] * a_prev[..., None, :]  # (K, n_l, n_{l-1}): (2) for each k
    return delta.mT @ a_prev  # (n_l, K) @ (K, n_{l-1}) -> (n_l, n_{l-1}): (2) summed over k


# Eq (3) — the bias gradient: ∂C/∂b_j^l = δ_j^l  (l ≥ 2).


def bias_gradient(delta, per_example=False):
    r"""The bias gradient of eq (3), summed over k for C_T.

    .. math:: \frac{\partial C}{\partial b_j^l} = \delta_j^l  \tag{3}
    """
    if per_example:
        return delta  # (K, n_l): (3) for each k
    return np.add.reduce(delta, axis=-2)  # (n_l,): (3) summed over k (ndarray.sum's Python wrapper skipped)


# Eq (4) — the output layer: δ_j^L = ∂C/∂a_j^L · da_j^L/dz_j^L.


def output_delta(cost, act, z_L, a_L, t):
    r"""The unit error of the output layer L, eq (4).

    .. math:: \delta_j^L = \frac{\partial C}{\partial a_j^L}\,\sigma'(z_j^L)  \tag{4}

    The product with an elementwise σ' holds only for an elementwise activation;
    softmax's ``vjp`` multiplies by its full Jacobian instead, δ^L = J(z^L)ᵀ ∂C/∂a^L.
    Where the cost is built for this activation (binary cross-entropy with sigmoid,
    cross-entropy with softmax) the product is taken analytically, which gives a − t
    and stays finite when ∂C/∂a^L alone would be infinite.
    """
    if cost.link == act.name:
        return cost.linked_delta(a_L, t)  # (K, n_L): eq (4) with σ' cancelled
    return act.vjp(z_L, a_L, cost.grad_a(a_L, t))  # (K, n_L): (4)


# Eq (5) — the reverse recurrence the slides name: δ_i^l = (Σ_j δ_j^{l+1} w_ji^{l+1}) σ'(z_i^l).


def hidden_delta(delta_next, W_next, act, z, a):
    r"""The reverse recurrence from layer l+1 to layer l (2 ≤ l < L), eq (5).

    .. math:: \delta_i^l = \Big(\sum_j \delta_j^{l+1} w_{ji}^{l+1}\Big)\,\sigma'(z_i^l)  \tag{5}

    In matrix form δ^l = ((W^{l+1})ᵀ δ^{l+1}) ⊙ σ'(z^l); with examples as rows the
    transpose moves: δ^l = (δ^{l+1} W^{l+1}) ⊙ σ'(z^l).
    """
    back = delta_next @ W_next  # (K, n_{l+1}) @ (n_{l+1}, n_l) -> (K, n_l): Σ_j δ_j^{l+1} w_ji^{l+1}
    back *= act.prime(z, a)  # (K, n_l): (5) δ^l = (δ^{l+1} W^{l+1}) ⊙ σ'(z^l), in place on the fresh product
    return back
