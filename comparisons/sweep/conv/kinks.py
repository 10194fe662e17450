"""Kinks of a conv net: relu / leaky_relu units on different sides of 0, max-pooling windows with different winners.

As in the dense sweep (``comparisons.sweep.kinks``), such a difference is a jump, not rounding: where a check fails
and the two sides took different branches, manual_bp's computation is repeated with the reference's branch for
exactly those units (σ' at the reference's z) and windows (δ routed to the reference's winner), by manual_bp's own
code path (CNN.gradients, ConvTrainStep, SGD), and compared again under the normal bound.  Only that agreement
passes; a unit whose z is exactly 0 on both sides, or a window whose winners agree, is no kink.
"""

from __future__ import annotations

import contextlib
import copy

import numpy as np
import torch
import torch.nn.functional as F

from comparisons.common.sigma import KINKED
from comparisons.sweep.kinks import Pinned
from manual_bp.conv import backprop
from manual_bp.conv.layers import Pool


def winners(a, q, s):
    """torch's max pooling winners on a (..., K, C, H, W), each window's as manual_bp numbers it: u·q + v."""
    a = np.asarray(a)
    flat = torch.tensor(a.reshape(-1, *a.shape[-3:]))  # a copy (a may be read-only); a family's members as examples
    idx = F.max_pool2d(flat, q, s, return_indices=True)[1].numpy()
    Ho, Wo = idx.shape[2:]
    u = idx // a.shape[-1] - s * np.arange(Ho)[:, None]  # the winner's row within its window
    v = idx % a.shape[-1] - s * np.arange(Wo)[None, :]
    return (u * q + v).reshape(*a.shape[:-2], Ho, Wo)


def branches(net, X, z_ref, a_ref, ref="torch"):
    """(σ's with the reference's branch where z differ, {l: the reference's winners}, the kinks of each member) where
    manual_bp's forward pass of the family ``net`` on X (G, K, C, H, W) takes another branch than the reference's
    values (z_ref, a_ref) somewhere, else None.  A member without a kink has an empty text."""
    with np.errstate(all="ignore"):
        z, _, routes = backprop.forward(net.layers, net.W, net.b, net.act, X)
    acts, args, found = dict(net.act), {}, [[] for _ in range(len(X))]
    for l, layer in enumerate(net.layers, start=2):
        other, what = None, ""
        if isinstance(layer, Pool) and layer.mode == "max":
            arg = winners(a_ref[l - 1], layer.size, layer.stride)  # the reference's, by torch
            other, what = arg != routes[l], f"pooling layer {l}: {{}} window(s) with another winner in {ref}"
            if other.any():
                args[l] = arg
        elif net.act[l].name in KINKED:
            other = (z[l] > 0) != (np.asarray(z_ref[l]) > 0)
            what = f"layer {l}: {{}} unit(s) on the other side of 0 in {ref}"
            if other.any():
                acts[l] = Pinned(net.act[l], other, np.asarray(z_ref[l]))
        if other is not None:
            for g, n in enumerate(other.reshape(len(X), -1).sum(axis=1)):
                if n:
                    found[g].append(what.format(int(n)))
    notes = ["kink: " + "; ".join(f) if f else "" for f in found]
    return (acts, args, notes) if any(notes) else None


@contextlib.contextmanager
def routed(args):
    """Within the block, manual_bp.conv.backprop.forward hands back the reference's max-pooling winners ``args``
    ({l: winners}) for those layers; everything else — CNNFamily.gradients, ConvTrainStep, SGD, whatever they are —
    runs as it is, so a bug in them still shows in the repetition."""
    if not args:
        yield
        return
    inner = backprop.forward

    def forward(*a, **k):
        z, acts, winners = inner(*a, **k)
        return z, acts, winners | args

    backprop.forward = forward
    try:
        yield
    finally:
        backprop.forward = inner


def pinned(net, acts, W=None, b=None):
    """A copy of the family ``net`` (at parameters W, b where given) whose σ's are ``acts``: its own code, with the
    reference's branch at the kinks."""
    twin = copy.copy(net)
    twin.W, twin.b = ({l: np.array(w, copy=True) for l, w in d.items()} for d in (W or net.W, b or net.b))
    twin.act = acts
    return twin
