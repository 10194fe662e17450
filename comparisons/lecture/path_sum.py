r"""Why backpropagation: the gradient as a sum over every path, and what that costs.

The slide's chain-rule expansion, generalised: ∂C_k/∂w_ji^l is a sum over every path
j = u_l → u_{l+1} → … → u_L from unit j of layer l to an output unit, of

.. math:: a_i^{l-1}\,\sigma'(z_{u_l}^l) \prod_{m=l+1}^{L} w^m_{u_m u_{m-1}}\,\sigma'(z_{u_m}^m)
          \cdot \frac{\partial C_k}{\partial a_{u_L}^L}

A weight of layer l has Π_{m>l} n_m such paths: the count grows exponentially with depth.
Backprop shares the common tails of the paths through δ (eq (5)), and its cost grows
linearly with depth.  Every weight's paths are enumerated on their own here, as the
slide does it; nothing is shared.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

MAX_PATH_TERMS = 50_000  # ≈ 1 s of enumeration on one core; beyond this, refuse


def n_path_terms(sizes):
    """The number of path terms for all weights: Σ_l n_l n_{l-1} Π_{m>l} n_m (per example)."""
    L = len(sizes)  # sizes[l-1] is n_l
    return sum(sizes[l - 1] * sizes[l - 2] * math.prod(sizes[l:]) for l in range(2, L + 1))


def madds_paths(sizes):
    """Multiplications per example for path enumeration: 2(L − l) + 2 per path term of a layer-l weight.

    A term is a_i^{l-1}·σ'(z^l), then (w·σ') for each of the L − l later layers, then ∂C/∂a^L;
    its addition to the sum is paired with one of them.  The forward pass (z, a, σ') is not counted.
    """
    L = len(sizes)
    return sum(sizes[l - 1] * sizes[l - 2] * math.prod(sizes[l:]) * (2 * (L - l) + 2) for l in range(2, L + 1))


def madds_backprop(sizes):
    """Multiply-adds per example for backprop: eq (4) n_L, eq (5) n_{l+1}n_l + n_l, eq (2) n_l n_{l-1}."""
    L = len(sizes)
    eq4 = sizes[L - 1]
    eq5 = sum(sizes[l] * sizes[l - 1] + sizes[l - 1] for l in range(2, L))  # for l = L−1 … 2
    eq2 = sum(sizes[l - 1] * sizes[l - 2] for l in range(2, L + 1))
    return eq4 + eq5 + eq2


def check_size(sizes, limit=None):
    """ValueError with one sentence when enumerating the paths of ``sizes`` would exceed ``limit`` terms."""
    limit = MAX_PATH_TERMS if limit is None else limit
    n = n_path_terms(sizes)
    if n > limit:
        arch = "-".join(map(str, sizes))
        raise ValueError(
            f"path enumeration refused for {arch}: it needs {n:,} path terms per example, "
            f"more than the limit {limit:,}; backpropagation needs {madds_backprop(sizes):,} "
            f"multiply-adds per example"
        )
    return n


def path_gradients(net, X, T, limit=None):
    """∂C_T/∂W^l for every l by enumerating every path of every weight; returns (gW, number of terms)."""
    if any(not net.act[l].elementwise for l in net.act):
        raise ValueError("path enumeration needs elementwise activations (softmax's full Jacobian joins the paths)")
    check_size(net.sizes, limit)
    fwd = net.forward(X)
    a, L = fwd.a, net.L
    sp = {l: net.act[l].prime(fwd.z[l], a[l]) for l in fwd.z}  # σ'(z^l) (K, n_l)
    dC_da = net.cost.grad_a(a[L], T)  # ∂C_k/∂a^L (K, n_L)
    gW, count = {}, 0
    for l in range(2, L + 1):
        n_l, n_prev = net.W[l].shape
        gW[l] = np.zeros((n_l, n_prev))
        for j, i in itertools.product(range(n_l), range(n_prev)):
            total = np.zeros(len(X))  # (K,): Σ over paths of ∂C_k/∂w_ji^l, each example k
            for path in itertools.product(*(range(net.W[m].shape[0]) for m in range(l + 1, L + 1))):
                t = a[l - 1][:, i] * sp[l][:, j]  # ∂z_j^l/∂w_ji^l · ∂a_j^l/∂z_j^l
                prev = j
                for m, u in zip(range(l + 1, L + 1), path):
                    t = t * net.W[m][u, prev] * sp[m][:, u]  # ∂z_u^m/∂a_prev^{m-1} = w^m_{u,prev}, then σ'
                    prev = u
                total += t * dC_da[:, prev]  # ∂C_k/∂a_u^L closes the path
                count += 1
            gW[l][j, i] = total.sum()  # C_T = Σ_k C_k
    return gW, count
