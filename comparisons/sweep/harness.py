"""One family of specs (G ≥ 1; a single architecture is a family of one) through every check.

A family's specs share every field but the seed (``family_key``): their weights and data differ, their
shapes and schedule do not.  manual_bp trains them as one ``manual_bp.Family`` and torch as one
``torch_ref.TorchFamily``; each member gets its own rows: the start (``start``), every step judged from
torch's state (``steps``), train() over the whole schedule (``freerun``), and its inputs left untouched.
manual_bp gets its own read-only copies of X and T, torch its own; after the run the copies must be
unchanged, so in-place modification of the data is caught and can never hand torch the changed data.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

import manual_bp
from comparisons.common.spec import make_problem
from comparisons.sweep.flat import fresh_net
from comparisons.sweep.freerun import path_rows
from comparisons.sweep.start import GRAD_COLUMNS, row, start_rows
from comparisons.sweep.steps import STEP_COLUMNS, LocalSteps
from torch_ref import TorchFamily

__all__ = ["GRAD_COLUMNS", "STEP_COLUMNS", "check_family", "check_spec"]


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
        net = manual_bp.MLP(W, b, list(spec.activations), spec.cost, spec.reduction)
        return cls(arch, spec, net, X, T, batches)


def build(first, specs, device="cpu"):
    """(members, manual_bp.Family, torch_ref.TorchFamily, X (G, K, n_1), T (G, K, n_L)) from the shared start."""
    members = [Member.build(first + i, s) for i, s in enumerate(specs)]
    net = manual_bp.Family([m.net for m in members])
    spec = specs[0]
    ref = TorchFamily(net.W, net.b, list(spec.activations), spec.cost, spec.reduction, device=device)
    return members, net, ref, np.stack([m.X for m in members]), np.stack([m.T for m in members])


def read_only(a):
    """A read-only copy of ``a``: manual_bp may read it, never write it."""
    c = np.array(a, copy=True)
    c.setflags(write=False)
    return c


def input_rows(arch, pristine, given):
    """X and T after the run against their pristine copies: any change is an error."""
    rows = []
    for name, before, after in zip(("X", "T"), pristine, given):
        same = before.tobytes() == after.tobytes()
        diff = 0.0 if same else float(np.nanmax(np.abs(after.astype(np.float64) - before)))
        rows.append(row(arch, name, 0, "x".join(map(str, before.shape)), "" if same else "input",
                        "" if same else f"manual_bp changed {name} in place (by up to {diff:.3g})",
                        max_abs_err=diff))  # fmt: skip
    return rows


def crash_row(arch, e):
    """An exception on either side: a failing row; writing into the read-only data is an input error."""
    msg = f"{type(e).__name__}: {e}".replace("\n", " ")
    return row(arch, "-", 0, "", "input" if "read-only" in msg else "crash", msg)


def check_spec(arch, spec, device="cpu"):
    """(gradient rows, step rows) of one architecture: a family of one."""
    return check_family(arch, [spec], device)[0]


def check_family(first, specs, device="cpu"):
    """[(gradient rows, step rows)] of archs first, first + 1, …, one pair per spec.

    Specs that are not one family, or a family one of whose specs a side refuses, are checked one by one.
    A MemoryError is not a finding about the implementations: it propagates.
    """
    if len(specs) > 1 and len({family_key(s) for s in specs}) > 1:
        return [check_spec(first + i, s, device) for i, s in enumerate(specs)]
    try:
        members, net, ref, X, T = build(first, specs, device)
    except (MemoryError, torch.OutOfMemoryError):
        raise
    except Exception as e:  # a spec one side refuses: its own crash row, as alone
        if len(specs) > 1:
            return [check_spec(first + i, s, device) for i, s in enumerate(specs)]
        return [([crash_row(first, e)], [])]
    spec, archs, batches = specs[0], [m.arch for m in members], members[0].batches
    pristine = (X.copy(), T.copy())
    Xm, Tm = read_only(X), read_only(T)  # manual_bp's
    Xt, Tt = ref.tensor(X.copy()), ref.tensor(T.copy())  # torch's own
    grads, steps = [[] for _ in members], [[] for _ in members]
    try:
        W0, b0 = net.params()
        grads = start_rows(spec, archs, net, ref, Xm, Tm, Xt, Tt)
        Xm, Tm = net.check_data(Xm, Tm)
        steps, torch_traj = LocalSteps(spec, members, net, ref, Xm, Tm, Xt, Tt, batches).run()
        if batches:
            fresh = lambda: manual_bp.Family(  # noqa: E731
                [
                    fresh_net(spec, {l: w[g] for l, w in W0.items()}, {l: v[g] for l, v in b0.items()})
                    for g in range(len(members))
                ]  # fmt: skip
            )
            paths, drift = path_rows(archs, spec, fresh, Xm, Tm, batches, torch_traj)
            for g in range(len(members)):
                grads[g] += paths[g]
                for n, r in enumerate(steps[g]):
                    r["drift"] = float(drift[n, g])
    except (MemoryError, torch.OutOfMemoryError):  # a resource limit, not a finding about the implementations
        raise
    except Exception as e:  # a crash on either side is a finding about every member, never fatal
        for g, m in enumerate(members):
            grads[g].append(crash_row(m.arch, e))
    for g, m in enumerate(members):
        grads[g] += input_rows(m.arch, (pristine[0][g], pristine[1][g]), (Xm[g], Tm[g]))
    return list(zip(grads, steps))
