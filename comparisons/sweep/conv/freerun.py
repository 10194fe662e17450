"""train() of a conv net over the whole schedule, as a user calls it: the dense sweep's two path checks.

As ``comparisons.sweep.freerun`` does for dense networks: ``manual_bp.conv.train`` makes one update per
batch and follows, bit for bit, ``ConvTrainStep`` driven here over the same schedule (same code, same
arrays, same order: any difference is another computation, e.g. batches taken in another order); and its
C_T history agrees with torch's C_T at the very parameters train() reached, within the rounding model's
bound there.  Rows of the conv sweep, check ``path``.
"""

from __future__ import annotations

import numpy as np

import manual_bp
import manual_bp.conv
from comparisons.common import rounding
from comparisons.common.checks import agree

from .check import pick
from .rounding import Magnitudes


class Snapshots(manual_bp.SGD):
    """manual_bp's SGD, unchanged, keeping a copy of the parameters after every update."""

    def step(self, net, gW, gb):
        super().step(net, gW, gb)
        self.snaps = getattr(self, "snaps", [])
        self.snaps.append(net.params())


def runs(spec, fresh, X, T, batches):
    """(train()'s parameters after each update, its C_T history, ConvTrainStep's parameters after each step)."""
    net, opt = fresh(), Snapshots(spec.eta, spec.momentum)
    with np.errstate(all="ignore"):
        history = manual_bp.conv.train(net, X, T, opt, batches)  # looked up at call time, as a user's code does
        again = fresh()
        step = manual_bp.conv.ConvTrainStep(again, manual_bp.SGD(spec.eta, spec.momentum))
        reference = []
        for idx in batches:
            step(X[..., idx, :, :, :], T[..., idx, :])  # examples: axis −4 of X, −2 of T
            reference.append(again.params())
    return getattr(opt, "snaps", []), history, reference


def same(p, q):
    """Whether two (W, b) snapshots are equal bit for bit (NaN where NaN)."""
    return all(np.array_equal(x[l], y[l], equal_nan=True) for x, y in zip(p, q) for l in x)


def torch_costs(spec, snaps, X, T):
    """(steps, G) arrays: torch's C_T at each of train()'s states in the spec's dtype and its bound from the rounding
    model, on all of every member's X; NaN for a member whose parameters there are not finite."""
    C, bound = np.full((len(snaps), len(X)), np.nan), np.full((len(snaps), len(X)), np.nan)
    for n, (W, b) in enumerate(snaps):
        finite = np.all([np.isfinite(v).reshape(len(X), -1).all(axis=1) for d in (W, b) for v in d.values()], axis=0)
        if finite.any():
            with np.errstate(all="ignore"):  # the whole family at once, at torch's own values
                mag = Magnitudes(spec.layers, W, b, X, T, spec.cost, spec.dtype, at=spec.dtype)
            C[n] = np.where(finite, mag.values["C_T"], np.nan)
            bound[n] = np.where(finite, rounding.bound(mag.tail.S_CT, spec.dtype), np.nan)
    return C, bound


def path_rows(archs, spec, fresh, X, T, batches, row):
    """Per member: train() against ConvTrainStep over the same schedule, and its C_T history against torch's."""
    snaps, history, reference = runs(spec, fresh, X, T, batches)
    steps = len(batches)
    if len(snaps) != steps or len(history) != steps:
        text = f"train() made {len(snaps)} updates and returned {len(history)} costs for {steps} batches"
        return [[row(arch, -1, "train()", 0, f"{steps} steps", "path", text)] for arch in archs]
    C, bound = torch_costs(spec, snaps, X, T)
    return [member_rows(arch, spec, [tuple(pick(d, g) for d in p) for p in snaps], [pick(c, g) for c in history],
                        [tuple(pick(d, g) for d in p) for p in reference], C[:, g], bound[:, g], row)
            for g, arch in enumerate(archs)]  # fmt: skip


def member_rows(arch, spec, snaps, history, reference, C, bound, row):
    """One member's two rows: its path against ConvTrainStep's, its C_T history against torch's ``C`` there (each
    step's ``bound``)."""
    steps = len(snaps)
    first = next((n for n, (p, q) in enumerate(zip(snaps, reference), start=1) if not same(p, q)), 0)
    out = [row(arch, -1, "train()", 0, f"{steps} steps", "path" if first else "",
               f"train() departs from ConvTrainStep over the same schedule at step {first}" if first else "",
               max_abs_err=0.0 if not first else _maxdiff(snaps[first - 1], reference[first - 1]))]  # fmt: skip
    m, r, bounds = [], [], []
    fmax = float(np.finfo(np.dtype(spec.dtype)).max)
    for c_m, c_t, b in zip(history, C, bound):
        if np.isfinite(c_t) and b < fmax:  # else train()'s parameters or torch's C_T overflowed: nothing to compare
            m, r, bounds = [*m, float(np.asarray(c_m, np.float64))], [*r, float(c_t)], [*bounds, float(b)]
    n = len(r)
    worst, err = (float(x[0]) for x in agree([m], [r], [bounds], fmax)) if n else (0.0, 0.0)
    text = [] if worst <= 1.0 else ["train()'s C_T history differs from torch's C_T at the same parameters"]
    if n < steps:
        text.append(f"compared at {n} of {steps} steps (train()'s parameters or torch's C_T overflowed)")
    out.append(row(arch, -1, "train() C_T", 0, f"{steps} steps", "" if worst <= 1.0 else "path", "; ".join(text),
                   max_abs_err=err, bound_used=worst))  # fmt: skip
    if steps and not n:
        out[-1].update(status="not compared")  # nothing to compare: counted apart, never a pass
    return out


def _maxdiff(p, q):
    with np.errstate(all="ignore"):
        return float(max(np.nanmax(np.abs(np.asarray(x[l], np.float64) - y[l]), initial=0.0)
                         for x, y in zip(p, q) for l in x))  # fmt: skip
