"""Numerical derivatives: the oracles that need neither backprop nor autograd."""

from __future__ import annotations

import numpy as np

# Central differences: truncation error ≈ h²·|f'''|/6 and rounding error ≈ eps·|f|/h;
# h = 1e−6 balances them near 1e−11 … 1e−10 for the O(1)–O(100) costs used here.
FD_STEP = 1e-6


def central_diff(f, x, h=FD_STEP):
    """∂f/∂x for a scalar function f of the array x, one entry at a time: (f(x+h) − f(x−h)) / 2h."""
    x = np.array(x, dtype=np.float64)
    g = np.empty_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        fp = f(x)
        x[idx] = old - h
        fm = f(x)
        x[idx] = old
        g[idx] = (fp - fm) / (2 * h)
    return g


def rowwise_central_diff(f, x, h=FD_STEP):
    """∂f_k/∂x[k, j] for f mapping x (K, n) to (K,) with row k of x affecting f_k alone.

    Column j is perturbed in every row at once: K derivatives from one pair of calls.
    """
    x = np.array(x, dtype=np.float64)
    g = np.empty_like(x)
    for j in range(x.shape[1]):
        old = x[:, j].copy()
        x[:, j] = old + h
        fp = f(x)
        x[:, j] = old - h
        fm = f(x)
        x[:, j] = old
        g[:, j] = (fp - fm) / (2 * h)
    return g
