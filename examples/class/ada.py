"""The lecture's backpropagation, eqs (1)–(5), in the form `deltacheck diagnose` calls: no mistake.

Run it with:  deltacheck diagnose examples/correct.py
"""

import numpy as np

COST = "squared_error"  # C_k = ½ Σ_j (t_j − a_j^L)², the lecture's 2乗誤差
ACTIVATION = "sigmoid"  # σ in every layer
EXPECTED_EQUATION = None  # nothing fails


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
    dW = {l: delta[l].T @ a[l - 1] for l in delta}  # (2) summed over k: (n_l, n_{l-1})
    db = {l: delta[l].sum(axis=0) for l in delta}  # (3) summed over k: (n_l,)
    return dW, db, delta
