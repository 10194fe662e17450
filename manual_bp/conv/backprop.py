r"""δ through a convolutional network: the lecture's eqs (1)–(5) with conv and pooling layers below the dense ones.

Going down from layer l + 1 to layer l, eq (5) splits into two steps: first ∂C/∂a^l, the sum over the
units of layer l + 1 that read a^l (``back``: W^{l+1}ᵀδ for a dense layer, the full correlation with
the flipped kernel for a conv layer, routing for a pooling layer), then the product with σ'(z^l):

.. math:: \delta^l = \frac{\partial C}{\partial a^l} \odot \sigma'(z^l) \tag{5'}

A pooling layer has z^l = a^l (σ' = 1).  Eq (4) at the output is the dense one.  Every array may carry
a leading member axis (``...``): a family's a (G, K, C, H, W), W^l (G, F, C, k, k), runs through the same code.
"""

from __future__ import annotations

from manual_bp import backprop

from . import conv, pool
from .layers import Conv, Dense, Pool


def forward(layers, W, b, act, X):
    """z[l], a[l] for l = 2 … L with a^1 = X (..., K, C, H, W); ``extra[l]`` the max pooling's winners."""
    z, a, extra = {}, {1: X}, {}
    for l, layer in enumerate(layers, start=2):
        if isinstance(layer, Conv):
            z[l] = conv.conv_forward(W[l], b[l], a[l - 1], layer.stride, layer.pad)  # (..., K, F, H', W')
            a[l] = act[l].fn(z[l])
        elif isinstance(layer, Pool) and layer.mode == "max":
            z[l], extra[l] = pool.max_pool(a[l - 1], layer.size, layer.stride)  # (..., K, C, H', W')
            a[l] = z[l]
        elif isinstance(layer, Pool):
            z[l] = a[l] = pool.avg_pool(a[l - 1], layer.size, layer.stride)  # (..., K, C, H', W')
        else:
            flat = a[l - 1].reshape(*X.shape[:-3], -1)  # (..., K, C·H·W): nn.Flatten's order, a no-op if dense
            z[l], a[l] = backprop.layer_forward(W[l], b[l], act[l], flat)  # (..., K, n_l)
    return z, a, extra


def back(layer, l, W, delta_next, a_l, extra):
    """∂C/∂a^l from δ^{l+1}, through ``layer`` (layer l + 1): eq (5)'s sum over the units that read a^l."""
    if isinstance(layer, Dense):
        return (delta_next @ W[l + 1]).reshape(a_l.shape)  # Σ_j δ_j^{l+1} w_ji^{l+1}, unflattened
    if isinstance(layer, Conv):
        return conv.conv_input_gradient(delta_next, W[l + 1], a_l.shape, layer.stride, layer.pad)
    if layer.mode == "max":
        return pool.max_pool_delta(delta_next, extra[l + 1], a_l.shape, layer.size, layer.stride)
    return pool.avg_pool_delta(delta_next, a_l.shape, layer.size, layer.stride)


def deltas(layers, W, act, cost, z, a, extra, T):
    """δ^l = ∂C_k/∂z^l for l = L … 2: eq (4) at the output, then (5') down through every layer."""
    L = len(layers) + 1
    delta = {L: backprop.output_delta(cost, act[L], z[L], a[L], T)}  # (..., K, n_L): (4)
    for l in range(L - 1, 1, -1):
        g = back(layers[l - 1], l, W, delta[l + 1], a[l], extra)  # ∂C/∂a^l; layers[l − 1] is layer l + 1
        delta[l] = g if isinstance(layers[l - 2], Pool) else g * act[l].prime(z[l], a[l])  # (5')
    return delta


def gradients(layers, delta, a):
    """∂C_T/∂W^l and ∂C_T/∂b^l of the conv and dense layers: eqs (2), (3) and their conv analogues."""
    gW, gb = {}, {}
    for l, layer in enumerate(layers, start=2):
        if isinstance(layer, Conv):
            gW[l] = conv.conv_weight_gradient(delta[l], a[l - 1], layer.size, layer.stride, layer.pad)
            gb[l] = conv.conv_bias_gradient(delta[l])
        elif isinstance(layer, Dense):
            gW[l] = backprop.weight_gradient(delta[l], a[l - 1].reshape(*delta[l].shape[:-1], -1))  # (2), a^{l-1} flat
            gb[l] = backprop.bias_gradient(delta[l])  # (3)
    return gW, gb
