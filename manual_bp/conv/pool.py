r"""Max and average pooling and δ through them, vectorised.

A pooling layer l has no weights: z^l = a^l = pool(a^{l-1}), window q × q, stride s, no padding
(torch's MaxPool2d / AvgPool2d defaults), so δ^l ≜ ∂C/∂z^l = ∂C/∂a^l.  Going down, eq (5)'s sum
Σ_j δ_j^{l+1} ∂z_j^{l+1}/∂a_i^l keeps only the windows that read unit i:

- max:  ∂z_{ij}/∂a_{mn} = 1 for the unit that was the maximum of window (i, j), 0 for the rest.
  Ties go to the first maximum in scan order (row by row), torch's rule on the CPU.
- mean: ∂z_{ij}/∂a_{mn} = 1/q² for every unit of the window: δ spread evenly.

Where windows overlap (s < q) a unit collects from every window that read it.  Every step is elementwise
per map, so a family's leading member axis (``...`` in the shapes) folds into the examples' K.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def windows(a, q, s):
    """(..., K, C, H', W', q·q): window (i, j) of every map, its q² units in scan order."""
    win = sliding_window_view(a, (q, q), axis=(-2, -1))[..., ::s, ::s, :, :]  # (..., K, C, H', W', q, q)
    return win.reshape(*win.shape[:-2], q * q)


def max_pool(a, q, s):
    r""":math:`z_{ij} = \max_{u,v} a_{si+u,\,sj+v}`, with the winner's index u·q + v (the first maximum)."""
    win = windows(a, q, s)  # (..., K, C, H', W', q²)
    arg = win.argmax(axis=-1)  # (..., K, C, H', W'): np.argmax returns the first maximum, as torch
    return np.take_along_axis(win, arg[..., None], axis=-1)[..., 0], arg


def avg_pool(a, q, s):
    r""":math:`z_{ij} = \frac{1}{q^2}\sum_{u,v} a_{si+u,\,sj+v}`."""
    return windows(a, q, s).sum(axis=-1) / (q * q)  # (..., K, C, H', W'): the sum, then one division, as torch


def max_pool_delta(delta, arg, in_shape, q, s):
    r"""∂C/∂a^{l-1} through max pooling: δ_{ij} to the window's maximum only.

    .. math:: \frac{\partial C}{\partial a_{mn}}
              = \sum_{i,j} \delta_{ij}\,[\,(m, n) = \arg\max_{(u,v)} a_{si+u,\,sj+v}\,]
    """
    out = np.zeros(in_shape, delta.dtype)  # (..., K, C, H, W)
    Ho, Wo = delta.shape[-2:]
    for u in range(q):
        for v in range(q):
            out[..., u : u + s * Ho : s, v : v + s * Wo : s] += np.where(arg == u * q + v, delta, 0)
    return out


def avg_pool_delta(delta, in_shape, q, s):
    r"""∂C/∂a^{l-1} through average pooling: δ_{ij}/q² to every unit of the window.

    .. math:: \frac{\partial C}{\partial a_{mn}} = \sum_{i,j:\ (m,n) \in \text{window}(i,j)} \frac{\delta_{ij}}{q^2}
    """
    out = np.zeros(in_shape, delta.dtype)  # (..., K, C, H, W)
    Ho, Wo = delta.shape[-2:]
    share = delta / (q * q)  # (..., K, C, H', W')
    for u in range(q):
        for v in range(q):
            out[..., u : u + s * Ho : s, v : v + s * Wo : s] += share
    return out
