r"""The lesson's numbers recomputed with one of the usual slips, to name the slip behind a wrong claim.

``solve(nf, slip)`` is the whole lesson in plain NumPy — forward pass, δ by (4) and (5), the sums
(2) and (3), ``steps`` updates — with at most one thing done wrong.  ``solve(nf, None)`` does
nothing wrong, and the tests hold it against manual_bp, so that every slip differs from the
right computation in its one place only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from manual_bp import get_activation, get_cost

SLIPS = [  # the wording of each, in both languages, is in comparisons.lecture.net.prose
    "no_sigma_prime_4",
    "no_sigma_prime_5",
    "w_not_transposed_5",
    "C_1_for_C_T",
    "no_half",
    "mean_for_sum",
    "plus_eta",
]


@dataclass
class Solution:
    """The lesson's numbers at the initial parameters (K rows each) and the parameters after each step."""

    z: dict  # {l: (K, n_l)}
    a: dict  # {l: (K, n_l)}, a[1] = X
    C: np.ndarray  # (K,): C_k
    delta: dict  # {l: (K, n_l)}: δ^l[k] of C_k
    params: list  # [(W, b)] before the first step, then after each
    reduce: float = 1.0  # C_T and ∂C_T are the sum over k times this: 1, or 1/K for the mean


def _pass(W, b, acts, cost, X, T, slip, scale=1.0):
    """z, a, C_k and δ at W, b: the forward pass, then (4) and (5), with ``slip``."""
    L = max(W)
    z, a = {}, {1: X}
    for l in range(2, L + 1):
        z[l] = a[l - 1] @ W[l].T + b[l]  # (K, n_l): z_j^l = Σ_i w_ji^l a_i^{l−1} + b_j^l, a row per example
        a[l] = acts[l].fn(z[l])
    C = scale * cost.fn(a[L], T, z[L])  # (K,): C_k, times the file's cost_scale
    g = scale * cost.grad_a(a[L], T)  # (K, n_L): ∂C/∂a^L
    if slip == "no_half" and cost.name == "squared_error":
        C, g = 2 * C, 2 * g
    if cost.link == acts[L].name:
        d = scale * cost.linked_delta(a[L], T)  # σ' cancelled analytically: there is no σ' to forget
    elif slip == "no_sigma_prime_4" or acts[L].name == "softmax":
        d = g if slip == "no_sigma_prime_4" else acts[L].vjp(z[L], a[L], g)
    else:
        d = g * acts[L].prime(z[L], a[L])  # (4)
    delta = {L: d}
    for l in range(L - 1, 1, -1):
        square = W[l + 1].shape[0] == W[l + 1].shape[1]
        Wn = W[l + 1].T if slip == "w_not_transposed_5" and square else W[l + 1]  # the slip fits square W only
        back = delta[l + 1] @ Wn  # (K, n_l): Σ_j δ_j^{l+1} w_ji^{l+1}
        delta[l] = back if slip == "no_sigma_prime_5" else back * acts[l].prime(z[l], a[l])  # (5)
    return z, a, C, delta


def applies(nf, slip):
    """Whether ``slip`` can be made in this network at all (an inapplicable one names nothing)."""
    L, acts = nf.L, [get_activation(a) for a in nf.activations]
    cost = get_cost(nf.cost)
    if slip == "no_sigma_prime_4":
        return cost.link != acts[-1].name and acts[-1].name not in ("softmax", "identity")
    if slip == "no_sigma_prime_5":
        return L > 2 and any(a.name != "identity" for a in acts[:-1])
    if slip == "w_not_transposed_5":
        return any(nf.sizes[l - 1] == nf.sizes[l - 2] for l in range(3, L + 1))
    if slip in ("C_1_for_C_T", "mean_for_sum"):
        return len(nf.X) > 1
    if slip == "no_half":
        return cost.name == "squared_error"
    return True


def solve(nf, slip=None):
    """Every number of the lesson for the NetFile ``nf``, with ``slip`` (a key of SLIPS) or none."""
    acts = {l: get_activation(a) for l, a in zip(range(2, nf.L + 1), nf.activations)}
    cost = get_cost(nf.cost)
    W = {l: w.copy() for l, w in nf.W.items()}
    b = {l: v.copy() for l, v in nf.b.items()}
    first = _pass(W, b, acts, cost, nf.X, nf.T, slip, nf.scale)
    params = [({l: w.copy() for l, w in W.items()}, {l: v.copy() for l, v in b.items()})]
    rows = slice(0, 1) if slip == "C_1_for_C_T" else slice(None)
    sign = 1.0 if slip == "plus_eta" else -1.0
    K = len(nf.X)
    reduce = 1.0 / K if nf.reduction == "mean" else 1.0
    if slip == "mean_for_sum":  # the other reduction: the mean for the sum, or the sum for the mean
        reduce = 1.0 if nf.reduction == "mean" else 1.0 / K
    for _ in range(nf.steps):
        _, a, _, delta = _pass(W, b, acts, cost, nf.X, nf.T, slip, nf.scale)
        for l in W:
            W[l] += sign * nf.eta * reduce * (delta[l][rows].T @ a[l - 1][rows])  # (2) summed over k
            if nf.update_biases:
                b[l] += sign * nf.eta * reduce * delta[l][rows].sum(axis=0)  # (3) summed over k
        params.append(({l: w.copy() for l, w in W.items()}, {l: v.copy() for l, v in b.items()}))
    z, a, C, delta = first
    return Solution(z, a, C, delta, params, reduce)


def all_slips(nf):
    """{slip: Solution} for every slip this network admits."""
    return {s: solve(nf, s) for s in SLIPS if applies(nf, s)}
