r"""The convolution layer's equations, vectorised (im2col): the default the network uses.

Notation, the lecture's extended to feature maps: a^{l-1} holds C input maps a_{c,pq}; filter F of
layer l has weights w^F_{c,uv} (u, v = 0 … k−1) and a bias b^F; its map of weighted inputs is

.. math:: z^F_{ij} = \sum_c \sum_{u,v} w^F_{c,uv}\, \tilde a_{c,\,si+u,\,sj+v} + b^F,\qquad a^F_{ij} = \sigma(z^F_{ij})

with stride s and ã the input zero-padded by p on each side (a cross-correlation, as torch's Conv2d).
δ^F_{ij} ≜ ∂C/∂z^F_{ij} is eq (1) for the unit (F, i, j).  Arrays: a (K, C, H, W), W^l (F, C, k, k),
b^l (F,), z^l and δ^l (K, F, H', W') with H' = ⌊(H + 2p − k)/s⌋ + 1.  ``manual_bp.conv.loops`` writes
the same equations as plain loops; the tests show the two equal.

Every array may also carry a leading member axis (``...`` in the shapes below): a family of G networks
of one architecture (``manual_bp.conv.family``) stacks a (G, K, C, H, W), W^l (G, F, C, k, k), b^l (G, F),
and each matmul below multiplies member g's rows by member g's filters only.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def out_size(n, k, s, p):
    """H' = ⌊(n + 2p − k)/s⌋ + 1: the positions a k-wide window takes with stride s on n + 2p inputs."""
    return (n + 2 * p - k) // s + 1


def pad(a, p):
    """ã: a (..., K, C, H, W) with p zeros around each map, (..., K, C, H + 2p, W + 2p)."""
    return np.pad(a, ((0, 0),) * (a.ndim - 2) + ((p, p), (p, p))) if p else a


def patches(a_prev, k, s, p):
    """im2col: (..., K, H', W', C·k·k), row (i, j) the patch ã_{c, si+u, sj+v} that z^F_{ij} sums over."""
    win = sliding_window_view(pad(a_prev, p), (k, k), axis=(-2, -1))[..., ::s, ::s, :, :]  # (..., K, C, H', W', k, k)
    C, Ho, Wo = win.shape[-5:-2]
    return np.moveaxis(win, -5, -3).reshape(*win.shape[:-5], Ho, Wo, C * k * k)  # (..., K, H', W', C·k·k)


def filters(W):
    """W^l (..., F, C, k, k) as rows w^F (..., 1, 1, F, C·k·k): lined up with the (K, H') axes of a patch stack."""
    return W.reshape(*W.shape[:-4], 1, 1, W.shape[-4], -1)


def conv_forward(W, b, a_prev, s, p):
    r"""z^l of a conv layer: :math:`z^F_{ij} = \sum_{c,u,v} w^F_{c,uv}\,\tilde a_{c,si+u,sj+v} + b^F`."""
    cols = patches(a_prev, W.shape[-1], s, p)  # (..., K, H', W', C·k·k)
    z = cols @ filters(W).mT + b[..., None, None, None, :]  # (..., K, H', W', F): each row of cols against each filter
    return np.ascontiguousarray(np.moveaxis(z, -1, -3))  # (..., K, F, H', W')


def conv_weight_gradient(delta, a_prev, k, s, p):
    r"""Eq (2)'s analogue: every unit (i, j) of map F shares w^F, so its terms add up.

    .. math:: \frac{\partial C}{\partial w^F_{c,uv}} = \sum_{i,j} \frac{\partial C}{\partial z^F_{ij}}
              \frac{\partial z^F_{ij}}{\partial w^F_{c,uv}} = \sum_{i,j} \delta^F_{ij}\, \tilde a_{c,\,si+u,\,sj+v}

    summed over the examples k too, for C_T: a correlation of the input with δ, taken with stride s.
    """
    F, lead = delta.shape[-3], delta.shape[:-4]
    cols = patches(a_prev, k, s, p)  # (..., K, H', W', C·k·k)
    d = np.moveaxis(delta, -3, -1).reshape(*lead, -1, F)  # (..., K·H'·W', F)
    return (d.mT @ cols.reshape(*d.shape[:-1], -1)).reshape(*lead, F, -1, k, k)  # (..., F, C·k·k) -> (..., F, C, k, k)


def conv_bias_gradient(delta):
    r"""Eq (3)'s analogue: :math:`\partial C/\partial b^F = \sum_{i,j} \delta^F_{ij}` (∂z^F_{ij}/∂b^F = 1), over k."""
    return delta.sum(axis=(-4, -2, -1))  # (..., F)


def conv_input_gradient(delta, W, in_shape, s, p):
    r"""∂C/∂a^{l-1}: every output unit that read input (c, m, n) sends back its δ times the weight it used.

    .. math:: \frac{\partial C}{\partial \tilde a_{c,mn}}
              = \sum_F \sum_{i,j:\ si+u=m,\ sj+v=n} \delta^F_{ij}\, w^F_{c,uv}

    For s = 1 this is Σ_F Σ_{u,v} δ^F_{m−u, n−v} w^F_{c,uv}: a *full* correlation of δ (zero-padded by k − 1)
    with the kernel flipped in both axes, w^F_{c,k−1−u,k−1−v}; for s > 1, of δ with s − 1 zeros between
    its entries (``loops.input_gradient`` computes it in that form).  Here it is the scatter form (col2im):
    each patch's gradient δ W added back where the patch was read.  The padding's entries are cut off.
    """
    C, k = W.shape[-3], W.shape[-1]
    *KC, H, Wd = in_shape  # (..., K, C), H, W
    Ho, Wo = delta.shape[-2:]
    dcols = np.moveaxis(delta, -3, -1) @ filters(W)  # (..., K, H', W', C·k·k): Σ_F δ^F_{ij} w^F_{c,uv}
    dcols = dcols.reshape(*dcols.shape[:-1], C, k, k)  # (..., K, H', W', C, k, k)
    dcols = np.moveaxis(dcols, (-5, -4), (-2, -1))  # (..., K, C, k, k, H', W')
    out = np.zeros((*KC, H + 2 * p, Wd + 2 * p), delta.dtype)  # (..., K, C, H + 2p, W + 2p)
    for u in range(k):  # k² strided adds: where (u, v) of each window landed
        for v in range(k):
            out[..., u : u + s * Ho : s, v : v + s * Wo : s] += dcols[..., u, v, :, :]
    return out[..., p : p + H, p : p + Wd]  # (..., K, C, H, W)
