r"""What a student asks after the derivation: why C_T sometimes rises, why δ shrinks, why backprop is fast.

.. math::
    \sigma'(z) = \sigma(z)\bigl(1 - \sigma(z)\bigr) \le \tfrac14, \qquad
    |\delta_i^l| \le \tfrac14 \sum_j |\delta_j^{l+1} w_{ji}^{l+1}|
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from comparisons.lecture import path_sum as paths


@dataclass(frozen=True)
class Rises:
    """The steps at which gradient descent made C_T larger."""

    count: int
    worst_ratio: float  # the largest C_T[n] / C_T[n − 1]
    worst_step: int  # n of that ratio
    first: int  # the first step n with C_T[n] > C_T[n − 1] (0: none)
    last: int


def rises(costs):
    """Where C_T went up from one step to the next (``costs``: C_T at steps 0 … n)."""
    c = np.asarray(costs, dtype=np.float64)
    up = np.flatnonzero(c[1:] > c[:-1]) + 1  # steps n with C_T[n] > C_T[n − 1]
    if not len(up):
        return Rises(0, 1.0, 0, 0, 0)
    ratio = c[up] / c[up - 1]
    w = int(np.argmax(ratio))
    return Rises(len(up), float(ratio[w]), int(up[w]), int(up[0]), int(up[-1]))


@dataclass(frozen=True)
class Saturation:
    """Per layer l = 2 … L: the largest σ'(z) over units and images, and the mean |δ^l|."""

    max_sigma_prime: dict
    mean_abs_delta: dict
    max_abs_z: dict


def saturation(net, X, T):
    """σ' and |δ| layer by layer at ``net``'s weights: each layer back multiplies δ by a σ' ≤ ¼."""
    fwd = net.forward(X)
    delta = net.deltas(X, T)
    sp = {l: net.act[l].prime(fwd.z[l], fwd.a[l]) for l in delta}  # (K, n_l)
    return Saturation(
        max_sigma_prime={l: float(sp[l].max()) for l in sorted(delta)},
        mean_abs_delta={l: float(np.abs(delta[l]).mean()) for l in sorted(delta)},
        max_abs_z={l: float(np.abs(fwd.z[l]).max()) for l in sorted(delta)},
    )


def forward_madds(sizes):
    """Multiply-adds of one forward pass of one example: Σ_l n_l n_{l−1}."""
    return sum(a * b for a, b in zip(sizes[1:], sizes[:-1]))


def n_params(sizes):
    """Weights and biases: Σ_l (n_l n_{l−1} + n_l)."""
    return sum(a * b + a for a, b in zip(sizes[1:], sizes[:-1]))


@dataclass(frozen=True)
class Cost:
    """Multiply-adds per example for the whole gradient, three ways (the forward pass counted in each)."""

    params: int
    forward: int
    backprop: int  # one forward pass, then (4), (5) and (2)
    finite_differences: int  # two forward passes per parameter (central differences)
    paths: int  # one forward pass, then every path of every weight


def gradient_cost(sizes):
    """What ∂C_k/∂w for every parameter costs by backprop, by central differences, by path enumeration."""
    F, P = forward_madds(sizes), n_params(sizes)
    return Cost(P, F, F + paths.madds_backprop(sizes), 2 * P * F, F + paths.madds_paths(sizes))
