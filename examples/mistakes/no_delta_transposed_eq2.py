"""MISTAKE: dW^l transposed in eq (2): a^{l−1}ᵀ δ^l, shape (n_{l−1}, n_l);
no δ returned, so the diagnosis uses dW and db alone.

Breaks eq (2).  Run it with:  deltacheck diagnose examples/mistakes/no_delta_transposed_eq2.py
"""

import numpy as np

COST = "squared_error"  # C_k = ½ Σ_j (t_j − a_j^L)², the lecture's 2乗誤差
ACTIVATION = "sigmoid"
EXPECTED_EQUATION = "2"


def sigma(z):
    """The sigmoid σ(z) = 1 / (1 + e^{−z})."""
    return 1.0 / (1.0 + np.exp(-z))


def backprop(W, b, X, T):
    """∂C_T/∂W^l, ∂C_T/∂b^l and δ^l for l = 2 … L; X (K, n_1), T (K, n_L), one row per example k."""
    L = max(W)
    z, a = {}, {1: X}
    for l in range(2, L + 1):
        z[l] = a[l - 1] @ W[l].T + b[l]  # (K, n_l): row k is W^l a^{l-1}[k] + b^l
        a[l] = sigma(z[l])  # (K, n_l)
    delta = {L: (a[L] - T) * a[L] * (1 - a[L])}  # (4): ∂C/∂a^L ⊙ σ'(z^L)
    for l in range(L - 1, 1, -1):
        delta[l] = (delta[l + 1] @ W[l + 1]) * a[l] * (1 - a[l])  # (5): ((W^{l+1})ᵀ δ^{l+1}) ⊙ σ'(z^l), rows
    dW = {l: a[l - 1].T @ delta[l] for l in delta}  # (2) MISTAKE: (n_{l-1}, n_l), transposed
    db = {l: delta[l].sum(axis=0) for l in delta}  # (3) summed over k: (n_l,)
    return dW, db  # no δ returned
