"""Run one spec on both sides: gradients and δ at the shared start, then a training trajectory."""
from __future__ import annotations

import numpy as np

import manual_bp
from torch_ref import TorchMLP

from .checks import compare
from .spec import make_problem
from .tolerances import gradient_tolerance, trajectory_tolerance

GRAD_COLUMNS = ["arch", "tensor", "layer", "shape", "max_abs_err", "max_rel_err", "ref_norm", "tol_used", "passed", "error"]
TRAJ_COLUMNS = ["arch", "step", "cost_manual", "cost_torch", "max_param_diff", "tol_used", "passed"]


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
            rows.append(dict(arch=arch, tensor=name, layer=l, shape="x".join(map(str, r[l].shape)),
                             max_abs_err=res.max_abs_err, max_rel_err=res.max_rel_err, ref_norm=res.ref_norm,
                             tol_used=res.tol_used, passed=res.passed, error=""))
    return rows


def _flat(W, b):
    return np.concatenate([np.ravel(W[l]) for l in sorted(W)] + [np.ravel(b[l]) for l in sorted(b)])


def trajectory_rows(arch, spec, net, ref, X, T, batches):
    """Train both sides from the same start, step by step; one row per step."""
    opt = manual_bp.SGD(spec.eta, spec.momentum)
    topt = ref.optimizer(spec.eta, spec.momentum)
    Xt, Tt = ref._tensor(X), ref._tensor(T)
    rows = []
    for step, idx in enumerate(batches, start=1):
        gW, gb = net.gradients(X[idx], T[idx])
        opt.step(net, gW, gb)
        ref.train_steps(Xt, Tt, topt, [idx], record=False)
        w_m, w_r = _flat(net.W, net.b), _flat(ref.weights(), ref.biases())
        res = compare(w_m, w_r, trajectory_tolerance(net.dtype, step))
        rows.append(dict(arch=arch, step=step, cost_manual=net.total_cost(X, T), cost_torch=ref.total_cost(Xt, Tt),
                         max_param_diff=res.max_abs_err, tol_used=res.tol_used, passed=res.passed))
    return rows


def check_spec(arch, spec, device="cpu"):
    """Gradient rows and trajectory rows for one spec; an exception becomes a failing row."""
    try:
        net, ref, X, T, batches = build(spec, device)
        grads = gradient_rows(arch, net, ref, X, T)
        traj = trajectory_rows(arch, spec, net, ref, X, T, batches)
    except Exception as e:  # a crash on either side is a finding, reported, never fatal
        msg = f"{type(e).__name__}: {e}".replace("\n", " ")
        grads = [dict(arch=arch, tensor="-", layer=0, shape="", max_abs_err=np.inf, max_rel_err=np.inf,
                      ref_norm=np.nan, tol_used=np.inf, passed=False, error=msg)]
        traj = []
    return grads, traj
