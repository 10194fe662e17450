r"""The same equations as plain loops over the feature map's positions, written to be read.

Each loop body is one term of the equation in its docstring; the arrays inside a body run over
the examples k and the channels or filters at once.  ``manual_bp.conv.conv`` and ``.pool`` compute
the same numbers vectorised; the tests show the two equal.
"""

from __future__ import annotations

import numpy as np

from .conv import out_size, pad


def conv_forward(W, b, a_prev, s, p):
    r""":math:`z^F_{ij} = \sum_{c,u,v} w^F_{c,uv}\,\tilde a_{c,si+u,sj+v} + b^F`, one (i, j) at a time."""
    F, _, k, _ = W.shape
    a = pad(a_prev, p)  # (K, C, H + 2p, W + 2p)
    Ho, Wo = out_size(a_prev.shape[2], k, s, p), out_size(a_prev.shape[3], k, s, p)
    z = np.empty((len(a), F, Ho, Wo), a.dtype)
    for i in range(Ho):
        for j in range(Wo):
            patch = a[:, :, s * i : s * i + k, s * j : s * j + k]  # (K, C, k, k)
            z[:, :, i, j] = np.tensordot(patch, W, axes=([1, 2, 3], [1, 2, 3])) + b  # (K, F)
    return z


def weight_gradient(delta, a_prev, k, s, p):
    r""":math:`\partial C/\partial w^F_{c,uv} = \sum_{i,j} \delta^F_{ij}\,\tilde a_{c,si+u,sj+v}`, one (u, v) a time."""
    a = pad(a_prev, p)
    Ho, Wo = delta.shape[2:]
    g = np.empty((delta.shape[1], a.shape[1], k, k), delta.dtype)  # (F, C, k, k)
    for u in range(k):
        for v in range(k):
            seen = a[:, :, u : u + s * Ho : s, v : v + s * Wo : s]  # (K, C, H', W'): ã_{c, si+u, sj+v}
            g[:, :, u, v] = np.einsum("kfij,kcij->fc", delta, seen)  # Σ_k Σ_{i,j} δ^F_{ij} ã_{c,si+u,sj+v}
    return g


def bias_gradient(delta):
    r""":math:`\partial C/\partial b^F = \sum_{i,j} \delta^F_{ij}`, one (i, j) at a time."""
    g = np.zeros(delta.shape[1], delta.dtype)
    for i in range(delta.shape[2]):
        for j in range(delta.shape[3]):
            g += delta[:, :, i, j].sum(axis=0)
    return g


def dilate(delta, s):
    """δ with s − 1 zeros between neighbouring entries: (K, F, s(H'−1)+1, s(W'−1)+1)."""
    K, F, Ho, Wo = delta.shape
    out = np.zeros((K, F, s * (Ho - 1) + 1, s * (Wo - 1) + 1), delta.dtype)
    out[:, :, ::s, ::s] = delta
    return out


def input_gradient(delta, W, in_shape, s, p):
    r"""∂C/∂a^{l-1} as a full correlation of the (dilated) δ with the flipped kernel.

    .. math:: \frac{\partial C}{\partial \tilde a_{c,mn}}
              = \sum_F \sum_{u,v} \hat\delta^F_{m+u,\,n+v}\, w^F_{c,\,k-1-u,\,k-1-v}

    where δ̂ is δ dilated by s (``dilate``) and zero-padded by k − 1 on every side: output (i, j) read
    input (si + u', sj + v'), so input (m, n) collects δ^F_{ij} w^F_{c,m−si,n−sj}, which is this sum
    with u = k − 1 − (m − si).  Rows past the last window (floor mode) and the padding get nothing.
    """
    F, C, k, _ = W.shape
    K, _, H, Wd = in_shape
    d = np.pad(dilate(delta, s), ((0, 0), (0, 0), (k - 1, k - 1), (k - 1, k - 1)))  # δ̂
    flipped = W[:, :, ::-1, ::-1]  # (F, C, k, k): w^F_{c, k−1−u, k−1−v}
    n_m, n_n = d.shape[2] - k + 1, d.shape[3] - k + 1  # s(H'−1) + k rows reached by some window
    g = np.zeros((K, C, H + 2 * p, Wd + 2 * p), delta.dtype)
    for m in range(n_m):
        for n in range(n_n):
            g[:, :, m, n] = np.tensordot(d[:, :, m : m + k, n : n + k], flipped, axes=([1, 2, 3], [0, 2, 3]))  # (K, C)
    return g[:, :, p : p + H, p : p + Wd]


def max_pool_delta(delta, a_prev, q, s):
    """δ_{ij} to the first maximum (scan order) of window (i, j), one window at a time."""
    out = np.zeros_like(a_prev)
    K, C, Ho, Wo = delta.shape
    for k in range(K):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    win = a_prev[k, c, s * i : s * i + q, s * j : s * j + q]
                    u, v = divmod(int(np.argmax(win)), q)  # the first maximum, row by row
                    out[k, c, s * i + u, s * j + v] += delta[k, c, i, j]
    return out


def avg_pool_delta(delta, in_shape, q, s):
    """δ_{ij}/q² to every unit of window (i, j), one window at a time."""
    out = np.zeros(in_shape, delta.dtype)
    for i in range(delta.shape[2]):
        for j in range(delta.shape[3]):
            out[:, :, s * i : s * i + q, s * j : s * j + q] += (delta[:, :, i, j] / (q * q))[:, :, None, None]
    return out
