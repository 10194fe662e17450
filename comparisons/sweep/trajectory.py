"""Both sides trained from the shared start, compared after every step.

Each step's row has a ``status``: ``pass``; ``fail``; ``chaotic`` (a run one ulp away drifts as
far as the two sides differ: rounding alone decides from here on); ``diverged`` (both sides
overflowed); ``kink`` (the difference jumped where a relu / leaky_relu pre-activation lay within
rounding of 0, so the two sides took different branches of σ').  Only ``fail`` fails; the
tolerances and their reasons are in comparisons/common/tolerances.py.
"""

from __future__ import annotations

import math

import numpy as np
import torch

import manual_bp
from comparisons.common.checks import CheckResult, within
from comparisons.common.tolerances import (
    DIVERGE_LOOKBACK,
    KINK_CARRY,
    KINK_LOOKBACK,
    KINK_ROUNDING,
    MAX_TRAJECTORY_RTOL,
    OVERFLOW_NEAR,
    SHADOW_FACTOR,
    Tolerance,
    cost_tolerance,
    trajectory_tolerance,
)
from comparisons.sweep.flat import flat_params, flatten_manual, unflatten
from comparisons.sweep.shadow import Shadow

TRAJ_COLUMNS = [
    "arch",
    "step",
    "cost_manual",
    "cost_torch",
    "max_param_diff",
    "shadow_drift",
    "tol_used",
    "cost_tol_used",
    "status",
    "detail",
    "passed",
]
KINKED = ("relu", "leaky_relu")


def manual_trajectory(spec, net, X, T, batches):
    """Train manual_bp alone: its parameters after each step (steps, P) and C_T after each step (steps,).

    A ``manual_bp.Family`` trains every member at once: (steps, G, P) and (steps, G).
    The whole manual run comes first and torch's after it, rather than step by step in
    turn: alternating the two libraries every step cost 14 % more time (caches).
    """
    train_step = manual_bp.TrainStep(net, manual_bp.SGD(spec.eta, spec.momentum))
    full = spec.batch == spec.K
    flat = flatten_manual(net)  # W^2, b^2, …, W^L, b^L, updated in place by every step
    params = np.empty((len(batches), *flat.shape), flat.dtype)  # (steps, P) or (steps, G, P)
    costs = np.empty((len(batches), *flat.shape[:-1]))  # (steps,) or (steps, G)
    for n, idx in enumerate(batches):
        train_step(X[..., idx, :], T[..., idx, :])  # forward, (4), (5), (2), (3), w ← w − η∇C
        params[n] = flat
        if full and n:  # this step's forward pass ran at the parameters after the previous one
            costs[n - 1] = train_step.batch_cost()
        elif not full:
            costs[n] = net.total_cost(X, T, check=False)
    if full and len(batches):
        costs[-1] = net.total_cost(X, T, check=False)
    return params, costs


def near_kink(net, w_before, X, T, W0, b0):
    """'layer l unit j example k |z| …' where a relu/leaky_relu z lies within rounding of 0, else ''."""
    W, b = unflatten(w_before, W0, b0)
    eps = float(np.finfo(w_before.dtype).eps)
    a = X
    for l in sorted(W):
        z = a @ W[l].T + b[l]  # (K, n_l)
        if net.act[l].name in KINKED:
            bound = KINK_ROUNDING * (W[l].shape[1] + 1) * eps * (np.abs(a) @ np.abs(W[l]).T + np.abs(b[l]))
            hit = np.abs(z) <= bound
            if hit.any():
                k, j = np.argwhere(hit)[0]
                return f"kink: layer {l} unit {j + 1} example {k + 1}, |z| = {abs(z[k, j]):.2g} ≤ {bound[k, j]:.2g}"
        a = net.act[l].fn(z)
    return ""


def overflowed(w, dtype):
    """0: finite and moderate; 1: within OVERFLOW_NEAR of overflow; 2: non-finite."""
    if not np.all(np.isfinite(w)):
        return 2
    return int(np.max(np.abs(w), initial=0.0) > OVERFLOW_NEAR * float(np.finfo(dtype).max))


def overflowed_number(x, dtype):
    """``overflowed`` for one number, without making an array of it (C_T at every step)."""
    x = float(x)
    if not math.isfinite(x):
        return 2
    return int(abs(x) > OVERFLOW_NEAR * float(np.finfo(dtype).max))


class Judge:
    """The per-step verdict: the linear bound, then shadow, chaos, divergence and kinks."""

    def __init__(self, spec, net, X, T, batches, W0, b0, m_params):
        self.spec, self.net, self.X, self.T, self.batches = spec, net, X, T, batches
        self.W0, self.b0, self.m_params = W0, b0, m_params
        self.w0 = flat_params(W0, b0)
        self.shadow, self.status, self.carry = None, "pass", 0.0  # carry: relative allowance of past kinks

    def __call__(self, step, w_m, w_r):
        """(CheckResult, status, detail, shadow drift, parameter allowance) for step ``step``."""
        if self.status in ("diverged", "chaotic"):
            return CheckResult(np.nan, np.nan, np.nan, np.nan, True), self.status, "", np.nan, None
        dtype = np.dtype(self.spec.dtype)
        tol = trajectory_tolerance(dtype, step)
        tol = Tolerance(tol.rtol, tol.atol + self.carry)
        res, drift = within(w_m, w_r, tol), np.nan
        if res.passed:  # NaN and inf never pass: both sides are finite here
            return res, "pass", "", drift, tol
        om, orr = overflowed(w_m, dtype), overflowed(w_r, dtype)
        if om == 2 or orr == 2:
            if (om and orr) or self.forward_overflows(w_r if om == 2 else w_m):
                self.status = "diverged"
                both = "both sides overflowed"
                return CheckResult(np.inf, np.nan, np.nan, np.nan, True), "diverged", both, np.nan, None
            side = "manual_bp" if om == 2 else "torch"
            return CheckResult(np.inf, np.nan, np.nan, np.inf, False), "fail", f"only {side} overflowed", np.nan, None
        if self.shadow is None:
            self.shadow = Shadow(self.spec, self.W0, self.b0, self.batches, self.X, self.T, step)
        drift = self.shadow.drift(w_m)
        extra = SHADOW_FACTOR * drift / max(1.0, float(np.abs(w_r).max()))
        if np.isfinite(extra) and extra <= MAX_TRAJECTORY_RTOL:
            tol = Tolerance(tol.rtol, tol.atol + extra)
            res = within(w_m, w_r, tol)
            if res.passed:
                return res, "pass", "", drift, tol
        kink = self.kink(step)  # the specific explanation first: a shadow may cross the same kink
        if kink:
            self.carry += KINK_CARRY * res.max_abs_err / max(1.0, float(np.abs(w_r).max()))
            tol = Tolerance(tol.rtol, tol.atol + self.carry)
            return CheckResult(res.max_abs_err, np.nan, np.nan, res.tol_used, True), "kink", kink, drift, tol
        if not (np.isfinite(extra) and extra <= MAX_TRAJECTORY_RTOL) and res.max_abs_err <= SHADOW_FACTOR * drift:
            self.status = "chaotic"  # a one-ulp change moves w as far as the two sides differ
            return CheckResult(res.max_abs_err, np.nan, np.nan, np.nan, True), "chaotic", "", drift, None
        return res, "fail", "parameters differ", drift, tol

    def forward_overflows(self, w):
        """Whether manual_bp's forward pass over all of X overflows at the parameters ``w``.

        There, which of inf, NaN or a huge finite number each side ends with is summation order.
        """
        W, b = unflatten(w, self.W0, self.b0)
        with np.errstate(all="ignore"):
            z = manual_bp.backprop.forward(W, b, self.net.act, self.X).z
        return any(overflowed(v, np.dtype(self.spec.dtype)) for v in z.values())

    def kink(self, step):
        """The near-kink found in the forward passes of this step and the KINK_LOOKBACK − 1 before it."""
        if not any(self.net.act[l].name in KINKED for l in self.net.act):
            return ""
        for s in range(step, max(0, step - KINK_LOOKBACK), -1):
            w_before = self.m_params[s - 2] if s > 1 else self.w0
            idx = self.batches[s - 1]
            found = near_kink(self.net, w_before, self.X[idx], self.T[idx], self.W0, self.b0)
            if found:
                return f"{found} (step {s})"
        return ""


def cost_at(net, w, W0, b0, X, T):
    """(C_T, S): manual_bp's C_T at the parameters ``w`` (torch's, after a step), and its rounding scale.

    S = Σ_k max_j |z_j^L[k]| bounds the terms a cost adds up (logsumexp(z) − z_t for the cross-entropy,
    softplus(z) − t z for the binary one): once trained, C_T is their small difference, and its
    rounding error is eps times them, not eps times C_T.  For a family, w is (G, P) and both are (G,).
    """
    W, b = unflatten(w, W0, b0)
    with np.errstate(all="ignore"):
        fwd = manual_bp.backprop.forward(W, b, net.act, X)
        z_L, s = fwd.z[net.L], net.scale(X.shape[-2])
        return net.cost.fn(fwd.a[net.L], T, z_L).sum(axis=-1) * s, np.abs(z_L).max(axis=-1).sum(axis=-1) * s


def trajectory_rows(arch, spec, net, ref, X, T, batches, Xt=None, Tt=None, keep=None):
    """Train both sides from the same start; one row per step (C_T after it on each side, the verdict).

    torch trains on Xt, Tt (by default its own copies of X, T).  ``keep``, a dict, receives manual_bp's
    parameters after every step under "params" (the training paths are checked against them).
    With full batches, each side's own loss at step n + 1 is C_T after step n, so C_T costs no
    extra forward pass but after the last step.
    """
    Xt = ref.tensor(X.copy()) if Xt is None else Xt
    Tt = ref.tensor(T.copy()) if Tt is None else Tt
    W0, b0 = net.params()
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):  # diverging runs
        m_params, m_costs = manual_trajectory(spec, net, X, T, batches)
    if keep is not None:
        keep["params"] = m_params
    topt = ref.optimizer(spec.eta, spec.momentum)
    full = spec.batch == spec.K
    flat_t = ref.flat_parameters()  # W^2, b^2, …, W^L, b^L, updated in place by torch.optim
    w_r = flat_t.detach().numpy() if flat_t.device.type == "cpu" else None
    judge = Judge(spec, net, X, T, batches, W0, b0, m_params)
    rows, costs_at_r = [], []  # manual_bp's C_T at torch's parameters after each step
    for step, idx in enumerate(batches, start=1):
        it = slice(None) if full else torch.from_numpy(idx).to(ref.device)
        C_before = ref.step(topt, Xt[it], Tt[it])
        if full and rows:  # this step's forward pass ran at the parameters after the previous one
            rows[-1]["cost_torch"] = C_before
        if judge.shadow is not None:
            judge.shadow.step(idx)
        if flat_t.device.type != "cpu":
            w_r = flat_t.detach().cpu().numpy()
        with np.errstate(over="ignore", invalid="ignore"):
            res, status, detail, drift, tol = judge(step, m_params[step - 1], w_r)
        at_r = tuple(map(float, cost_at(net, w_r, W0, b0, X, T))) if status in ("pass", "kink") else None
        costs_at_r.append(at_r)  # as Python floats: judge_costs' arithmetic in float64, also for float32 runs
        rows.append(step_row(arch, step, m_costs[step - 1], np.nan if full else ref.total_cost(Xt, Tt), res, drift,
                             status, detail))  # fmt: skip
    if full and rows:
        rows[-1]["cost_torch"] = ref.total_cost(Xt, Tt)

    judge_costs(rows, costs_at_r, np.dtype(spec.dtype), lambda step: judge.forward_overflows(m_params[step - 1]))
    return rows


def step_row(arch, step, cost_manual, cost_torch, res, drift, status, detail):
    """One trajectories.csv row: C_T on each side after the step, the parameters' check, the verdict."""
    return dict(arch=arch, step=step, cost_manual=cost_manual, cost_torch=cost_torch, max_param_diff=res.max_abs_err,
                shadow_drift=drift, tol_used=res.tol_used, cost_tol_used=np.nan, status=status, detail=detail,
                passed=res.passed)  # fmt: skip


def judge_costs(rows, costs_at_r, dtype, forward_overflows):
    """C_T on each side: manual_bp's cost function at torch's parameters against torch's C_T there.

    Comparing the costs at the same parameters leaves rounding alone between them (the
    parameters themselves are compared step by step), so C_T gets the gradient tolerance.
    Both costs overflowing is divergence; so is one, where the network's own forward pass at these
    parameters already overflows (then summation order alone decides inf, NaN or a finite cost).
    """
    diverged = False
    for r, cm_at_r in zip(rows, costs_at_r):
        if diverged or r["status"] == "diverged":
            diverged = True
            r.update(status="diverged", passed=True)
            continue
        if r["status"] not in ("pass", "kink"):
            continue
        om, orr = overflowed_number(r["cost_manual"], dtype), overflowed_number(r["cost_torch"], dtype)
        if om == 2 or orr == 2:
            if (om and orr) or forward_overflows(r["step"]):
                diverged = True
                r.update(status="diverged", detail="C_T overflowed (the forward pass overflows)", passed=True)
            else:
                side = "manual_bp" if om == 2 else "torch"
                r.update(status="fail", detail=f"only {side}'s C_T overflowed", passed=False)
            continue
        (cm, scale), ct, tol = cm_at_r, r["cost_torch"], cost_tolerance(dtype)
        r["cost_tol_used"] = abs(cm - ct) / (tol.atol * max(1.0, scale, abs(ct)) + tol.rtol * abs(ct))
        if not r["cost_tol_used"] <= 1.0:
            r.update(status="fail", detail="C_T differs", passed=False)
    blowing_up(rows)


def blowing_up(rows):
    """Failures only in the DIVERGE_LOOKBACK steps right before both sides overflow: part of the divergence.

    There the parameters grow by orders of magnitude a step and rounding is amplified past any
    measured bound; a failure that began earlier stays a failure.
    """
    first = next((i for i, r in enumerate(rows) if r["status"] == "diverged"), None)
    if first is None:
        return
    window = rows[max(0, first - DIVERGE_LOOKBACK) : first]
    if all(r["passed"] for r in rows[: max(0, first - DIVERGE_LOOKBACK)]):
        for r in window:
            if not r["passed"]:
                r.update(
                    status="diverged", detail=f"{r['detail']} in the steps before both sides overflow", passed=True
                )
