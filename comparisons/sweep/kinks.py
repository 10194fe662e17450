"""relu and leaky_relu kinks: where z lies on different sides of 0 in the two libraries, σ' takes different branches.

That difference is finite, not rounding, so the rounding model cannot cover it.  The member's computation is
then repeated by manual_bp with torch's branch for exactly those units (``Pinned``), and that repetition is
compared under the normal bound: a kink explains a difference only when the repetition agrees.  A unit whose
z is exactly 0 on both sides takes the same branch on both, and is no kink.
"""

from __future__ import annotations

import numpy as np

import manual_bp
from comparisons.common.rounding import KINKED


class Pinned:
    """A manual_bp activation whose σ' is taken at torch's z on the units (``mask``) where the branches differ."""

    def __init__(self, act, mask, z_torch):
        self.act, self.mask, self.z_torch = act, mask, z_torch
        self.name, self.elementwise = act.name, act.elementwise

    def fn(self, z):
        return self.act.fn(z)

    def prime(self, z, a):
        p = np.array(self.act.prime(z, a))
        p[self.mask] = np.asarray(self.act.prime(self.z_torch, a))[self.mask]  # torch's branch, manual_bp's σ'
        return p

    def vjp(self, z, a, g):
        return self.prime(z, a) * g


def pinned_member(W, b, X, z_torch, activations, cost, reduction):
    """(an MLP of W, b whose kinked units take torch's branch, 'kink: …' naming the first) or (None, '')."""
    member = manual_bp.MLP(W, b, activations, cost, reduction)
    acts = member.act
    if not any(acts[l].name in KINKED for l in acts):
        return None, ""
    with np.errstate(all="ignore"):
        z_m = manual_bp.backprop.forward(member.W, member.b, acts, X).z
    masks = {l: (z_m[l] > 0) != (z_torch[l] > 0) for l in z_m if acts[l].name in KINKED}
    masks = {l: m for l, m in masks.items() if m.any()}
    if not masks:
        return None, ""
    l = min(masks)
    k, j = np.argwhere(masks[l])[0]
    where = f"kink: layer {l} unit {j + 1} example {k + 1}: z = {z_m[l][k, j]:.3g} in manual_bp, "
    where += f"{z_torch[l][k, j]:.3g} in torch"
    member.act = {m_l: Pinned(act, masks[m_l], z_torch[m_l]) if m_l in masks else act for m_l, act in acts.items()}
    return member, where
