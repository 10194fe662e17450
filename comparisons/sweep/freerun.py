"""train() over the whole schedule, as a user calls it: two checks, and the free-running drift as information.

The checks (rows of gradients.csv, check ``path``): ``train()`` makes one update per batch and follows,
bit for bit, ``TrainStep`` driven by the harness over the same schedule (same code, same arrays, same
order: any difference is a different computation, e.g. batches taken in another order); and its C_T
history agrees with torch's C_T at the very parameters train() reached, under the rounding model.

The information: two free-running trajectories, train()'s and torch's, drift apart by rounding that
the update map carries on.  Their distance after each step (``drift`` in trajectories.csv) and its
growth per step are reported; they never pass or fail anything.
"""

from __future__ import annotations

import numpy as np
import torch

import manual_bp
from comparisons.common import rounding, scales
from comparisons.common.checks import agree
from comparisons.sweep.flat import f64, flat_params, split
from comparisons.sweep.start import row
from torch_ref import TorchFamily

MAX_STACK = 256  # members of one stacked torch evaluation of the history: its memory stays a few MB


class Snapshots(manual_bp.SGD):
    """manual_bp's SGD, unchanged, keeping a copy of the parameters after every update."""

    def step(self, net, gW, gb):
        super().step(net, gW, gb)
        self.snaps = getattr(self, "snaps", [])
        self.snaps.append(flat_params(net.W, net.b))


def runs(spec, fresh, X, T, batches):
    """(train()'s parameters after each update, its C_T history, TrainStep's parameters after each step)."""
    net, opt = fresh(), Snapshots(spec.eta, spec.momentum)
    with np.errstate(all="ignore"):
        history = np.asarray(manual_bp.train(net, X, T, opt, batches), np.float64)  # (steps, G)
        ref_net = fresh()
        step = manual_bp.TrainStep(ref_net, manual_bp.SGD(spec.eta, spec.momentum))
        reference = []
        for idx in batches:
            step(X[..., idx, :], T[..., idx, :])
            reference.append(flat_params(ref_net.W, ref_net.b))
    return np.asarray(getattr(opt, "snaps", [])), history, np.asarray(reference)


def torch_costs(spec, states, W0, b0, X, T):
    """torch's C_T at each of ``states`` (steps, G, P) on member g's X[g], T[g], with the model's limit."""
    steps, G = states.shape[:2]
    dtype = np.dtype(spec.dtype)
    C, limit = np.empty((steps, G)), np.empty((steps, G))
    flat = states.reshape(steps * G, -1)
    Xs = np.broadcast_to(X, (steps, *X.shape)).reshape(steps * G, *X.shape[1:])
    Ts = np.broadcast_to(T, (steps, *T.shape)).reshape(steps * G, *T.shape[1:])
    ref = TorchFamily(W0, b0, list(spec.activations), spec.cost, spec.reduction)  # the start: checked, finite
    for lo in range(0, steps * G, MAX_STACK):
        hi = min(lo + MAX_STACK, steps * G)
        W, b = split(flat[lo:hi], W0, b0)  # (n, n_l, n_{l−1}), (n, n_l): n of train()'s states as one stack
        with torch.no_grad():
            for l in W:
                ref.W[str(l)].data, ref.b[str(l)].data = torch.from_numpy(W[l].copy()), torch.from_numpy(b[l].copy())
        ref.G = hi - lo
        with torch.no_grad(), np.errstate(all="ignore"):
            c, z, a = ref.losses(ref.tensor(Xs[lo:hi].copy()), ref.tensor(Ts[lo:hi].copy()))
            S = scales.Scales(f64(W), f64(b), list(spec.activations), spec.cost, spec.reduction,
                                Xs[lo:hi].astype(np.float64), Ts[lo:hi].astype(np.float64), f64(z), f64(a), None,
                                dtype)  # fmt: skip
            C.reshape(-1)[lo:hi] = c.cpu().numpy()
            limit.reshape(-1)[lo:hi] = rounding.bound(S.S_CT, dtype)
    return C, limit


def path_rows(archs, spec, fresh, X, T, batches, torch_traj):
    """(rows per member, drift (steps, G)): train() against TrainStep and against torch's C_T; the drift."""
    snaps, history, reference = runs(spec, fresh, X, T, batches)
    G, steps = len(archs), len(batches)
    rows = [[] for _ in range(G)]
    n_ok = len(snaps) == steps and history.shape[:1] == (steps,)
    for g, arch in enumerate(archs):
        if not n_ok:
            rows[g].append(row(arch, "train()", 0, f"{steps} steps", "path",
                               f"train() made {len(snaps)} updates and returned {len(history)} costs for "
                               f"{steps} batches"))  # fmt: skip
            continue
        same = np.array_equal(snaps[:, g], reference[:, g], equal_nan=True)
        first = 0 if same else int(np.argmax(~_equal(snaps[:, g], reference[:, g]))) + 1
        rows[g].append(row(arch, "train()", 0, f"{steps}x{reference.shape[-1]}", "" if same else "path",
                           "" if same else f"train() departs from TrainStep over the same schedule at step {first}",
                           max_abs_err=0.0 if same else _maxdiff(snaps[:, g], reference[:, g])))  # fmt: skip
    if not n_ok or not steps:
        return rows, np.full((steps, G), np.nan)
    W0, b0 = fresh().params()
    C_r, limit = torch_costs(spec, snaps, W0, b0, X, T)
    # Compared where there is something to compare: train()'s parameters, torch's C_T there and its bound finite.
    compared = np.isfinite(snaps).all(axis=-1) & np.isfinite(C_r) & np.isfinite(limit)  # (steps, G)
    C_m = np.where(compared, history, 0.0)
    used, err = agree(C_m.T, np.where(compared, C_r, 0.0).T, limit.T, float(np.finfo(np.dtype(spec.dtype)).max))
    for g, arch in enumerate(archs):
        ok = used[g] <= 1.0
        n = int(compared[:, g].sum())
        text = [] if ok else ["train()'s C_T history differs from torch's C_T at the same parameters"]
        if n < steps:
            text.append(f"compared at {n} of {steps} steps (train()'s parameters or torch's C_T overflowed)")
        rows[g].append(row(arch, "train() C_T", 0, f"{steps}", "" if ok else "path", "; ".join(text),
                           max_abs_err=float(err[g]), tol_used=float(used[g])))  # fmt: skip
    with np.errstate(all="ignore"):
        scale = np.maximum(np.abs(torch_traj).max(axis=-1), np.finfo(np.float64).tiny)
        drift = np.abs(snaps.astype(np.float64) - torch_traj).max(axis=-1) / scale  # (steps, G), relative
    return rows, drift


def _equal(a, b):
    return np.all((a == b) | (np.isnan(a) & np.isnan(b)), axis=-1)


def _maxdiff(a, b):
    with np.errstate(all="ignore"):
        return float(np.nanmax(np.abs(a.astype(np.float64) - b), initial=0.0))
