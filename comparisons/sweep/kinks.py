"""Kinks: where rounding moves z across a point at which the step jumps, the two libraries take different branches.

relu and leaky_relu: z on different sides of 0, so σ' differs by 1 (or 0.99).  sigmoid and tanh: a = σ(z) rounds
to exactly 0 or 1 (±1) on one side only, so σ' computed from it is exactly 0 there and not on the other.  softmax:
logits tied within rounding, so that the largest one differs; with logits far apart every a is 0 or 1 and the
winner's a jumps from 1 to 0; logits known only to more than ±1.  Such a difference is finite, not rounding, so
the rounding model cannot cover it.  The member's computation is then repeated by manual_bp with the reference's
branch for exactly those units (``Pinned``) or examples (``Winner``), and that repetition is compared under the
normal bound: a kink explains a difference only when the repetition agrees.  A unit whose z is exactly 0 on both
sides is not a kink.
"""

from __future__ import annotations

import numpy as np

import manual_bp
from comparisons.common.sigma import KINKED


class Pinned:
    """A manual_bp activation whose σ' is taken at torch's z on the units (``mask``) where the branches differ."""

    def __init__(self, act, mask, z_torch):
        self.act, self.mask, self.z_torch = act, mask, z_torch
        self.name, self.elementwise = act.name, act.elementwise

    def fn(self, z):
        return self.act.fn(z)

    def prime(self, z, a):
        p = np.array(self.act.prime(z, a))
        p[self.mask] = np.asarray(self.act.prime(self.z_torch, self.act.fn(self.z_torch)))[self.mask]  # torch's branch
        return p

    def vjp(self, z, a, g):
        return self.prime(z, a) * g


class Winner:
    """manual_bp's softmax, taken at the reference's z on the examples (``rows``) whose largest logit differs."""

    def __init__(self, act, rows, z_torch):
        self.act, self.rows, self.z_torch = act, rows, z_torch
        self.name, self.elementwise = act.name, act.elementwise

    def fn(self, z):
        a = self.act.fn(z)
        a[self.rows] = self.act.fn(self.z_torch[self.rows])  # the reference's winner, manual_bp's softmax
        return a

    def vjp(self, z, a, g):
        return self.act.vjp(z, a, g)


SATURATING = ("sigmoid", "tanh")  # σ(z) rounds to exactly 0 / 1 (±1): σ' = a(1 − a) or 1 − a² is then exactly 0


def saturated(act, z):
    """Where σ(z) rounds to its limit, σ' computed from it exactly 0: the branch a saturating σ takes."""
    a = np.asarray(act.fn(z))
    return (a == 0) | (a == 1) if act.name == "sigmoid" else np.abs(a) == 1


def pinned_member(W, b, X, z_torch, activations, cost, reduction, ref="torch", undetermined=None):
    """(an MLP of W, b whose kinked units take the reference's branch, 'kink: …' naming the first) or (None, '').

    ``z_torch``: the reference's z, torch's in the same dtype or (``ref``) the float64 oracle's.  ``undetermined``
    (K,): the examples whose logits the rounding model knows only to more than ±1 (``scales.Scales``), taken at
    the reference's logits as a tie is."""
    member = manual_bp.MLP(W, b, activations, cost, reduction)
    acts = member.act
    if not any(acts[l].name in KINKED + SATURATING + ("softmax",) for l in acts):
        return None, ""
    with np.errstate(all="ignore"):
        z_m = manual_bp.backprop.forward(member.W, member.b, acts, X).z
        masks = {l: (z_m[l] > 0) != (z_torch[l] > 0) for l in z_m if acts[l].name in KINKED}
        masks |= {
            l: saturated(acts[l], z_m[l]) != saturated(acts[l], z_torch[l]) for l in z_m if acts[l].name in SATURATING
        }
    masks = {l: m for l, m in masks.items() if m.any()}
    L = max(acts)
    rows = z_m[L].argmax(axis=-1) != z_torch[L].argmax(axis=-1) if acts[L].name == "softmax" else np.zeros(0, bool)
    loose = np.zeros_like(rows) if undetermined is None or not rows.size else np.asarray(undetermined, bool) & ~rows
    if not masks and not rows.any() and not loose.any():
        return None, ""
    found = []
    if masks:
        l = min(masks)
        k, j = np.argwhere(masks[l])[0]
        side = f" ({acts[l].name} saturated on one side only)" if acts[l].name in SATURATING else ""
        found.append(f"kink: layer {l} unit {j + 1} example {k + 1}: z = {z_m[l][k, j]:.3g} in manual_bp, "
                     f"{z_torch[l][k, j]:.3g} in {ref}{side}")  # fmt: skip
    if rows.any():
        k = int(np.argmax(rows))
        found.append(f"kink: softmax's largest logit in example {k + 1} is unit {z_m[L][k].argmax() + 1} in manual_bp, "
                     f"{z_torch[L][k].argmax() + 1} in {ref} (tied within rounding)")  # fmt: skip
    if loose.any():
        k = int(np.argmax(loose))
        found.append(f"kink: softmax's logits in example {k + 1} (up to {np.abs(z_torch[L][k]).max():.3g}) are known "
                     "only to more than ±1, too far for rounding to determine its output")  # fmt: skip
    member.act = {m_l: Pinned(act, masks[m_l], z_torch[m_l]) if m_l in masks else act for m_l, act in acts.items()}
    if rows.any() or loose.any():
        member.act[L] = Winner(acts[L], rows | loose, z_torch[L])
    return member, "; ".join(found)
