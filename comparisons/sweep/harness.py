"""Run one spec on both sides: gradients and δ at the shared start, then a training trajectory."""

from __future__ import annotations

import numpy as np
import torch

import manual_bp
from comparisons.common.checks import CheckResult, compare, within
from comparisons.common.spec import make_problem
from comparisons.common.tolerances import (
    MAX_TRAJECTORY_RTOL,
    SHADOW_FACTOR,
    Tolerance,
    gradient_tolerance,
    trajectory_tolerance,
)
from torch_ref import TorchMLP

GRAD_COLUMNS = [
    "arch",
    "tensor",
    "layer",
    "shape",
    "max_abs_err",
    "max_rel_err",
    "ref_norm",
    "tol_used",
    "passed",
    "error",
]
TRAJ_COLUMNS = [
    "arch",
    "step",
    "cost_manual",
    "cost_torch",
    "max_param_diff",
    "shadow_drift",
    "tol_used",
    "comparable",
    "passed",
]


def build(spec, device="cpu"):
    """manual_bp.MLP and TorchMLP from the same NumPy start, with the data and batch order."""
    W, b, X, T, batches = make_problem(spec)
    net = manual_bp.MLP(W, b, list(spec.activations), spec.cost)
    ref = TorchMLP(W, b, list(spec.activations), spec.cost, device=device)
    return net, ref, X, T, batches


def gradient_rows(arch, net, ref, X, T):
    """One row per W^l, b^l, δ^l: manual_bp against autograd at the current weights."""
    tol = gradient_tolerance(net.dtype)
    gW, gb = net.gradients(X, T)
    delta = net.deltas(X, T)
    rW, rb, rdelta = ref.gradients(X, T)
    rows = []
    for name, m, r in (("W", gW, rW), ("b", gb, rb), ("delta", delta, rdelta)):
        for l in sorted(r):
            res = compare(m.get(l), r[l], tol)
            rows.append(
                dict(
                    arch=arch,
                    tensor=name,
                    layer=l,
                    shape="x".join(map(str, r[l].shape)),
                    max_abs_err=res.max_abs_err,
                    max_rel_err=res.max_rel_err,
                    ref_norm=res.ref_norm,
                    tol_used=res.tol_used,
                    passed=res.passed,
                    error="",
                )
            )
    return rows


def _flat_manual(net):
    """W^2, b^2, …, W^L, b^L of manual_bp in one vector: torch's parameter order."""
    return np.concatenate([x for l in sorted(net.W) for x in (net.W[l].ravel(), net.b[l].ravel())])


def flatten_manual(net):
    """Re-seat W^l, b^l of ``net`` as views of one vector, in torch's order, and return it.

    manual_bp's SGD updates in place, so the vector holds the current parameters at every
    step, as ``TorchMLP.flat_parameters`` does for torch: each step's comparison reads both
    without copying.
    """
    flat = _flat_manual(net)
    i = 0
    for l in sorted(net.W):
        for d in (net.W, net.b):
            d[l] = flat[i : i + d[l].size].reshape(d[l].shape)
            i += d[l].size
    return flat


class Shadow:
    """A second manual_bp run from a start perturbed by one rounding unit (eps·|w|).

    How far it drifts from the main manual run, D_n = max_i |shadow_i − w_i|, measures how
    much this trajectory amplifies a rounding-sized difference.  It is started only where
    the linear bound is exceeded (an expanding trajectory: large η, single-example SGD),
    replayed from the shared start, then kept in lockstep with the main run.
    """

    def __init__(self, spec, W0, b0, batches, X, T, steps):
        rng = np.random.default_rng([spec.seed, 3])
        eps = float(np.finfo(np.dtype(spec.dtype)).eps)
        W, b = {}, {}
        for l in sorted(W0):
            for d, src in ((W, W0[l]), (b, b0[l])):
                sign = rng.choice([-1.0, 1.0], size=src.shape)
                d[l] = (src * (1 + sign * eps)).astype(src.dtype)  # one ulp away, entry by entry
        self.net = manual_bp.MLP(W, b, list(spec.activations), spec.cost)
        self.train_step = manual_bp.TrainStep(self.net, manual_bp.SGD(spec.eta, spec.momentum))
        self.X, self.T = X, T
        for idx in batches[:steps]:
            self.step(idx)

    def step(self, idx):
        self.train_step(self.X[idx], self.T[idx])

    def drift(self, w_main):
        """D_n: the shadow's largest distance from the main run."""
        return float(np.max(np.abs(_flat_manual(self.net) - w_main)))


def manual_trajectory(spec, net, X, T, batches):
    """Train manual_bp alone: its parameters after each step (steps, P) and C_T after each step.

    The whole manual run comes first and torch's after it, rather than step by step in
    turn: alternating the two libraries every step cost 14 % more time (caches).
    """
    train_step = manual_bp.TrainStep(net, manual_bp.SGD(spec.eta, spec.momentum))
    full = spec.batch == spec.K
    flat = flatten_manual(net)  # W^2, b^2, …, W^L, b^L, updated in place by every step
    params = np.empty((len(batches), flat.size), flat.dtype)  # (steps, P)
    costs = np.empty(len(batches))  # (steps,)
    for n, idx in enumerate(batches):
        train_step(X[idx], T[idx])  # forward, (4), (5), (2), (3), w ← w − η∇C
        params[n] = flat
        if full and n:  # this step's forward pass ran at the parameters after the previous one
            costs[n - 1] = train_step.batch_cost()
        elif not full:
            costs[n] = net.total_cost(X, T, check=False)
    if full and len(batches):
        costs[-1] = net.total_cost(X, T, check=False)
    return params, costs


def trajectory_rows(arch, spec, net, ref, X, T, batches):
    """Train both sides from the same start; one row per step.

    Row n holds C_T after step n on each side and the largest parameter difference then,
    allowed to be n × the per-step bound, plus SHADOW_FACTOR × D_n where a ``Shadow`` run
    was needed (see tolerances.py).  Where that allowance would pass MAX_TRAJECTORY_RTOL
    and the difference is within it, the trajectory is chaotic: rounding alone moves the
    parameters as far as the two sides differ.  From that step on the rows say
    ``comparable = False``: they are reported, neither passed nor failed.  With full
    batches, each side's own loss at step n + 1 is C_T after step n, so C_T costs no
    extra forward pass but after the last step.
    """
    X, T = net.check_data(X, T)  # once: the steps below skip the checks
    W0, b0 = net.params()
    m_params, m_costs = manual_trajectory(spec, net, X, T, batches)
    topt = ref.optimizer(spec.eta, spec.momentum)
    Xt, Tt = ref.tensor(X), ref.tensor(T)
    full = spec.batch == spec.K
    flat_t = ref.flat_parameters()  # W^2, b^2, …, W^L, b^L, updated in place by torch.optim
    w_r = flat_t.detach().numpy() if flat_t.device.type == "cpu" else None
    shadow, rows, comparable = None, [], True
    for step, idx in enumerate(batches, start=1):
        it = slice(None) if full else torch.from_numpy(idx).to(ref.device)
        C_before = ref.step(topt, Xt[it], Tt[it])
        if full and rows:  # this step's forward pass ran at the parameters after the previous one
            rows[-1]["cost_torch"] = C_before
        if shadow is not None:
            shadow.step(idx)
        if flat_t.device.type != "cpu":
            w_r = flat_t.detach().cpu().numpy()
        w_m = m_params[step - 1]
        tol = trajectory_tolerance(net.dtype, step)
        res, drift = within(w_m, w_r, tol), np.nan
        if not res.passed and np.all(np.isfinite(w_m)) and np.all(np.isfinite(w_r)):
            if shadow is None:
                shadow = Shadow(spec, W0, b0, batches, X, T, step)
            drift = shadow.drift(w_m)
            extra = SHADOW_FACTOR * drift / max(1.0, float(np.abs(w_r).max()))
            if comparable and np.isfinite(extra) and extra <= MAX_TRAJECTORY_RTOL:
                res = within(w_m, w_r, Tolerance(tol.rtol, tol.atol + extra))
            elif comparable and res.max_abs_err <= SHADOW_FACTOR * drift:
                comparable = False  # chaotic from here on: a one-ulp change moves w as far as the two sides differ
        if not comparable:
            res = CheckResult(res.max_abs_err, np.nan, np.nan, np.nan, True)
        rows.append(
            dict(
                arch=arch,
                step=step,
                cost_manual=m_costs[step - 1],
                cost_torch=np.nan if full else ref.total_cost(Xt, Tt),
                max_param_diff=res.max_abs_err,
                shadow_drift=drift,
                tol_used=res.tol_used,
                comparable=comparable,
                passed=res.passed,
            )
        )
    if full and rows:
        rows[-1]["cost_torch"] = ref.total_cost(Xt, Tt)
    return rows


def check_spec(arch, spec, device="cpu"):
    """Gradient rows and trajectory rows for one spec; an exception becomes a failing row."""
    try:
        net, ref, X, T, batches = build(spec, device)
        grads = gradient_rows(arch, net, ref, X, T)
        traj = trajectory_rows(arch, spec, net, ref, X, T, batches)
    except MemoryError:
        raise
    except Exception as e:  # a crash on either side is a finding, reported, never fatal
        msg = f"{type(e).__name__}: {e}".replace("\n", " ")
        grads = [
            dict(
                arch=arch,
                tensor="-",
                layer=0,
                shape="",
                max_abs_err=np.inf,
                max_rel_err=np.inf,
                ref_norm=np.nan,
                tol_used=np.inf,
                passed=False,
                error=msg,
            )
        ]
        traj = []
    return grads, traj
