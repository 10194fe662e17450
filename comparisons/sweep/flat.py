"""A network's parameters as one vector in torch's order, W^2, b^2, …, W^L, b^L, and back.

A family's parameters are a (G, P) array, a row per member; every function here takes either.
"""

from __future__ import annotations

import numpy as np

import manual_bp


def flat_params(W, b):
    """W^2, b^2, …, W^L, b^L in one vector, torch's parameter order; a family's (G, P), a row per member."""
    lead = W[min(W)].ndim - 2  # the leading axes of a family's stack: none for one network
    return np.concatenate([x.reshape(*x.shape[:lead], -1) for l in sorted(W) for x in (W[l], b[l])], axis=-1)


def unflatten(flat, W0, b0):
    """(W, b) dicts shaped like W0, b0, as views of ``flat`` (P,), or of a family's (G, P)."""
    lead = flat.ndim - 1
    W, b, i = {}, {}, 0
    for l in sorted(W0):
        for d, src in ((W, W0[l]), (b, b0[l])):
            n = int(np.prod(src.shape[lead:]))  # one member's entries
            d[l] = flat[..., i : i + n].reshape(src.shape)  # a view: only the last axis is split
            i += n
    return W, b


def split(flat, W0, b0):
    """(W, b) dicts from ``flat`` (…, P) with any leading axes, each member shaped like W0[l], b0[l]'s last axes."""
    lead = flat.shape[:-1]
    W, b, i = {}, {}, 0
    for l in sorted(W0):
        for d, shape in ((W, W0[l].shape[-2:]), (b, b0[l].shape[-1:])):
            n = int(np.prod(shape))
            d[l] = flat[..., i : i + n].reshape(*lead, *shape)
            i += n
    return W, b


def f64(d):
    """{l: array} with every array (or CPU tensor) as float64: the rounding model's values."""
    return {l: np.asarray(v, np.float64) for l, v in d.items()}


def fresh_net(spec, W0, b0):
    """A manual_bp.MLP of ``spec`` starting from copies of (W0, b0)."""
    W, b = {l: w.copy() for l, w in W0.items()}, {l: v.copy() for l, v in b0.items()}
    return manual_bp.MLP(W, b, list(spec.activations), spec.cost, spec.reduction)
