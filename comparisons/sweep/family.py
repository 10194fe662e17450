"""A family of specs checked at once: both sides train as stacks, every member judged as ``check_spec`` judges it.

A family's specs share every field but the seed (sizes, activations, cost, K, optimizer, batch size,
η, μ, steps, dtype, targets, weight scale, zero rows, and the batch order by ``order_seed``): their
weights and data differ, their shapes and schedule do not.  manual_bp trains them as one
``manual_bp.Family`` (its equations on stacked arrays) and torch as one ``torch_ref.TorchFamily``
(autograd and one torch.optim.SGD over stacked tensors).  Each member then gets the rows
``check_spec`` gives: every W^l, b^l, δ^l, C_k, C_T at the start (with the float64 oracle in
float32), the inputs, the training paths (a whole family in PATH_SHARE, by its first seed), and
every step.  Only the trajectory's first test, the linear bound, is taken for all members at
once; a member beyond it gets a ``Judge`` of its own from that step on (shadow run, kink,
chaos, divergence), as in the one-architecture path.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

import manual_bp
from comparisons.common.checks import CheckResult
from comparisons.common.spec import make_problem
from comparisons.common.tolerances import trajectory_tolerance
from comparisons.sweep.flat import fresh_net
from comparisons.sweep.harness import (
    check_spec,
    crash_row,
    input_rows,
    path_params,
    path_row,
    read_only,
    sampled_for_paths,
)
from comparisons.sweep.start import Oracle, compare_start
from comparisons.sweep.trajectory import Judge, cost_at, judge_costs, manual_trajectory, step_row
from torch_ref import TorchFamily


def family_key(spec):
    """What members of one family share: the spec without its seed."""
    return dataclasses.replace(spec, seed=0)


@dataclasses.dataclass
class Member:
    """One spec of a family: its arch number, its own network (validated alone) and problem."""

    arch: int
    spec: object
    net: manual_bp.MLP
    X: np.ndarray
    T: np.ndarray
    batches: list

    @classmethod
    def build(cls, arch, spec):
        W, b, X, T, batches = make_problem(spec)
        return cls(arch, spec, manual_bp.MLP(W, b, list(spec.activations), spec.cost), X, T, batches)


def build_family(first, specs, device="cpu"):
    """(members, manual_bp.Family, torch_ref.TorchFamily, X (G, K, n_1), T (G, K, n_L)) from the shared start."""
    members = [Member.build(first + i, s) for i, s in enumerate(specs)]
    net = manual_bp.Family([m.net for m in members])
    ref = TorchFamily(net.W, net.b, list(specs[0].activations), specs[0].cost, device=device)
    return members, net, ref, np.stack([m.X for m in members]), np.stack([m.T for m in members])


def check_family(first, specs, device="cpu"):
    """[(gradient rows, trajectory rows)] of archs first, first + 1, …: those ``check_spec`` gives each.

    Specs that are not one family, or a family one of whose specs a side refuses, are checked one by one.
    """
    if len(specs) == 1 or len({family_key(s) for s in specs}) > 1:
        return [check_spec(first + i, s, device) for i, s in enumerate(specs)]
    spec = specs[0]
    try:
        members, net, ref, X, T = build_family(first, specs, device)
    except (MemoryError, torch.OutOfMemoryError):
        raise
    except Exception:  # a spec one side refuses: its own crash row, as alone
        return [check_spec(first + i, s, device) for i, s in enumerate(specs)]
    pristine = (X.copy(), T.copy())
    Xm, Tm = read_only(X), read_only(T)  # manual_bp's
    Xt, Tt = ref.tensor(X.copy()), ref.tensor(T.copy())  # torch's own
    grads, trajs = [[] for _ in members], [[] for _ in members]
    try:
        W0, b0 = net.params()
        grads = family_start(members, net, ref, Xm, Tm, Xt, Tt)
        Xm, Tm = net.check_data(Xm, Tm)
        trajs, m_params = family_trajectory(members, net, ref, Xm, Tm, Xt, Tt)
        if sampled_for_paths(spec) and spec.steps:  # the whole family's paths, by its first member's seed
            for g, rows in enumerate(family_path_rows(members, W0, b0, Xm, Tm, m_params)):
                grads[g] += rows
    except (MemoryError, torch.OutOfMemoryError):  # a resource limit, not a finding about the implementations
        raise
    except Exception as e:  # a crash on either side is a finding about every member, never fatal
        for g, m in enumerate(members):
            grads[g].append(crash_row(m.arch, e))
    for g, m in enumerate(members):
        grads[g] += input_rows(m.arch, (pristine[0][g], pristine[1][g]), (Xm[g], Tm[g]))
    return list(zip(grads, trajs))


def member_of(x, g, G):
    """Member g's part of a stacked result; a result not stacked G deep is passed whole (the shape check sees it)."""
    if x is None:
        return None
    a = np.asarray(x)
    return a[g] if a.ndim and a.shape[0] == G else a


def member_part(x, g, G):
    """``member_of`` applied to ``x`` or to each value of the dict ``x``."""
    return {l: member_of(v, g, G) for l, v in x.items()} if isinstance(x, dict) else member_of(x, g, G)


def family_start(members, net, ref, X, T, Xt, Tt):
    """Each member's start rows (``compare_start``) from one stacked pass of each side."""
    G = len(members)
    oracles = Oracle.of(net, X, T) if net.dtype == np.float32 else [None] * G
    gW, gb = net.gradients(X, T)
    manual = dict(W=gW, b=gb, delta=net.deltas(X, T), C_k=net.costs(X, T), C_T=net.total_cost(X, T))
    rW, rb, rdelta = ref.gradients(Xt, Tt)
    with torch.no_grad():
        C_k = ref.costs(Xt, Tt)[0].cpu().numpy()
    reference = dict(W=rW, b=rb, delta=rdelta, C_k=C_k, C_T=ref.total_cost(Xt, Tt))
    rows = []
    for g, m in enumerate(members):
        m_g = {k: member_part(v, g, G) for k, v in manual.items()}
        r_g = {k: member_part(v, g, G) for k, v in reference.items()}
        r_g["C_T"] = float(r_g["C_T"])
        rows.append(compare_start(m.arch, m_g, r_g, net.dtype, oracles[g]))
    return rows


def family_path_rows(members, W0, b0, X, T, reference):
    """``harness.path_rows`` for every member: train() and MLP.gradients + SGD.step on the stack, bit for bit."""
    spec, G = members[0].spec, len(members)
    member = lambda g: fresh_net(spec, {l: w[g] for l, w in W0.items()}, {l: v[g] for l, v in b0.items()})  # noqa: E731
    paths = path_params(lambda: manual_bp.Family([member(g) for g in range(G)]), spec, X, T, members[0].batches,
                        reference)  # fmt: skip
    return [
        [path_row(m.arch, name, p[:, g], reference[:, g]) for name, p in paths.items()] for g, m in enumerate(members)
    ]


def linear_bound(w_m, w_r, tol):
    """Per member (rows): tol_used and max |m − r| of ``checks.within``, for a (G, P) pair at once."""
    with np.errstate(all="ignore"):  # inf − inf in a diverged member: NaN, which fails, and its Judge decides
        abs_r, err = np.abs(w_r), np.abs(w_m - w_r)
        used = np.max(err / (tol.atol * np.maximum(1.0, abs_r.max(axis=1, keepdims=True)) + tol.rtol * abs_r), axis=1)
    return used, err.max(axis=1)


def family_trajectory(members, net, ref, X, T, Xt, Tt):
    """Both stacks trained from the shared start; per member, the rows ``trajectory_rows`` gives it.

    Returns (rows per member, manual_bp's parameters (steps, G, P)).
    """
    spec, G = members[0].spec, len(members)
    dtype, full = np.dtype(spec.dtype), spec.batch == spec.K
    batches = members[0].batches  # shared: the family has one schedule
    W0, b0 = net.params()
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):  # diverging runs
        m_params, m_costs = manual_trajectory(spec, net, X, T, batches)  # (steps, G, P), (steps, G)
    topt = ref.optimizer(spec.eta, spec.momentum)
    flat_t = ref.flat_parameters()  # (G, P), updated in place by torch.optim
    on_cpu = flat_t.device.type == "cpu"
    w_r = flat_t.detach().numpy() if on_cpu else None
    judges = [None] * G

    def judge(g):
        """Member g's own Judge, made the first time it is needed (all its steps so far passed the bound)."""
        if judges[g] is None:
            m = members[g]
            W0g, b0g = {l: w[g] for l, w in W0.items()}, {l: v[g] for l, v in b0.items()}
            judges[g] = Judge(m.spec, m.net, X[g], T[g], m.batches, W0g, b0g, m_params[:, g])
        return judges[g]

    rows, at_r = [[] for _ in members], [[] for _ in members]
    for step in range(1, len(m_params) + 1):
        if full:
            C_before = ref.step(topt, Xt, Tt)
        else:
            i = torch.from_numpy(batches[step - 1]).to(ref.device)
            C_before = ref.step(topt, Xt[:, i], Tt[:, i])
        if not on_cpu:
            w_r = flat_t.detach().cpu().numpy()
        w_m = m_params[step - 1]
        used, err = linear_bound(w_m, w_r, trajectory_tolerance(dtype, step))
        with np.errstate(all="ignore"):
            c_at, s_at = cost_at(net, w_r, net.W, net.b, X, T)  # (G,), (G,)
        ct = None if full else ref.total_cost(Xt, Tt)
        for g in range(G):
            if full and rows[g]:  # this step's forward pass ran at the parameters after the previous one
                rows[g][-1]["cost_torch"] = float(C_before[g])
            if judges[g] is None and used[g] <= 1.0:
                res, status, detail, drift = (
                    CheckResult(float(err[g]), np.nan, np.nan, float(used[g]), True),
                    "pass",
                    "",
                    np.nan,
                )
            else:
                j = judge(g)
                if j.shadow is not None:
                    j.shadow.step(batches[step - 1])
                with np.errstate(over="ignore", invalid="ignore"):
                    res, status, detail, drift, _ = j(step, w_m[g], w_r[g])
            at_r[g].append((float(c_at[g]), float(s_at[g])) if status in ("pass", "kink") else None)
            cost_torch = np.nan if full else float(ct[g])
            rows[g].append(
                step_row(members[g].arch, step, m_costs[step - 1, g], cost_torch, res, drift, status, detail)
            )
    if full and len(m_params):
        ct = ref.total_cost(Xt, Tt)
        for g in range(G):
            rows[g][-1]["cost_torch"] = float(ct[g])
    for g in range(G):
        overflows = lambda step, g=g: judge(g).forward_overflows(m_params[step - 1, g])  # noqa: E731
        judge_costs(rows[g], at_r[g], dtype, overflows)
    return rows, m_params
