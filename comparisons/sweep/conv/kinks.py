"""Kinks of a conv net: relu / leaky_relu units on different sides of 0, max-pooling windows with different winners.

As in the dense sweep (``comparisons.sweep.kinks``), such a difference is a jump, not rounding: where a check fails
and the two sides took different branches, manual_bp's computation is repeated with the reference's branch for
exactly those units (σ' at the reference's z) and windows (δ routed to the reference's winner), by manual_bp's own
code path (CNN.gradients, ConvTrainStep, SGD), and compared again under the normal bound.  Only that agreement
passes; a unit whose z is exactly 0 on both sides, or a window whose winners agree, is no kink.
"""

from __future__ import annotations

import contextlib

import numpy as np
import torch
import torch.nn.functional as F

from comparisons.common.rounding import KINKED
from comparisons.sweep.kinks import Pinned
from manual_bp.conv import CNN, backprop
from manual_bp.conv.layers import Pool


def winners(a, q, s):
    """torch's max pooling winners on a (K, C, H, W), each window's as manual_bp numbers it: u·q + v."""
    idx = F.max_pool2d(torch.tensor(np.asarray(a)), q, s, return_indices=True)[1].numpy()  # a copy: a may be read-only
    Ho, Wo = idx.shape[2:]
    u = idx // a.shape[3] - s * np.arange(Ho)[:, None]  # the winner's row within its window
    v = idx % a.shape[3] - s * np.arange(Wo)[None, :]
    return u * q + v


def branches(net, X, z_ref, a_ref, ref="torch"):
    """(σ's with the reference's branch where z differ, {l: the reference's winners}, 'kink: …') where manual_bp's
    forward pass on X takes another branch than the reference's values (z_ref, a_ref) somewhere, else None."""
    with np.errstate(all="ignore"):
        z, _, routes = backprop.forward(net.layers, net.W, net.b, net.act, X)
    acts, args, found = dict(net.act), {}, []
    for l, layer in enumerate(net.layers, start=2):
        if isinstance(layer, Pool) and layer.mode == "max":
            arg = winners(np.asarray(a_ref[l - 1]), layer.size, layer.stride)  # the reference's, by torch
            other = arg != routes[l]
            if other.any():
                args[l] = arg
                found.append(f"pooling layer {l}: {int(other.sum())} window(s) with another winner in {ref}")
        elif net.act[l].name in KINKED:
            other = (z[l] > 0) != (np.asarray(z_ref[l]) > 0)
            if other.any():
                acts[l] = Pinned(net.act[l], other, np.asarray(z_ref[l]))
                found.append(f"layer {l}: {int(other.sum())} unit(s) on the other side of 0 in {ref}")
    return (acts, args, "kink: " + "; ".join(found)) if found else None


@contextlib.contextmanager
def routed(args):
    """Within the block, manual_bp.conv.backprop.forward hands back the reference's max-pooling winners ``args``
    ({l: winners}) for those layers; everything else — CNN.gradients, ConvTrainStep, SGD, whatever they are — runs
    as it is, so a bug in them still shows in the repetition."""
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


def pinned(net, acts):
    """A copy of ``net`` (a CNN) whose σ's are ``acts``: its own code, with the reference's branch at the kinks."""
    copy = CNN(net.image, net.layers, net.W, net.b, net.cost.name, net.reduction)
    copy.act = acts
    return copy
