"""MISTAKE: W^{l+1} not transposed in eq (5): W^{l+1} δ^{l+1} where (W^{l+1})ᵀ δ^{l+1} belongs
(runs only where n_l = n_{l+1}).

With the examples as rows (delta[l] is (K, n_l), as in examples/correct.py), transposing the
lecture's column form δ^l = ((W^{l+1})ᵀ δ^{l+1}) ⊙ σ'(z^l) gives δ^l = (δ^{l+1} W^{l+1}) ⊙ σ'(z^l):
the correct code is `delta[l + 1] @ W[l + 1]`, without `.T`, and that product IS (W^{l+1})ᵀ δ^{l+1}
of the lecture's column form.  The `.T` in `delta[l + 1] @ W[l + 1].T` below is therefore the row
form of W^{l+1} δ^{l+1}: forgetting the transpose looks like adding one when the examples are rows.

Breaks eq (5).  Run it with:  deltacheck diagnose examples/mistakes/w_not_transposed_eq5.py
"""

import numpy as np

COST = "squared_error"  # C_k = ½ Σ_j (t_j − a_j^L)², the lecture's 2乗誤差
ACTIVATION = "sigmoid"
EXPECTED_EQUATION = "5"


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
        delta[l] = (delta[l + 1] @ W[l + 1].T) * a[l] * (1 - a[l])  # (5) MISTAKE: row form of W^{l+1} δ^{l+1}
        # correct (rows): delta[l + 1] @ W[l + 1], the row form of (W^{l+1})ᵀ δ^{l+1}; the extra .T above
        # is what forgetting the transpose looks like when the examples are rows
    dW = {l: delta[l].T @ a[l - 1] for l in delta}  # (2) summed over k: (n_l, n_{l-1})
    db = {l: delta[l].sum(axis=0) for l in delta}  # (3) summed over k: (n_l,)
    return dW, db, delta
