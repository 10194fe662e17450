"""Run one spec on both sides: the shared start, the training paths, a trajectory, the inputs.

manual_bp gets its own read-only copies of X and T, torch its own; after the run the copies
must be unchanged, so in-place modification of the data is caught (as a write into a read-only
array, or as changed bytes) and can never hand torch the changed data.
"""

from __future__ import annotations

import numpy as np
import torch

import manual_bp
from comparisons.common.spec import make_problem
from comparisons.sweep.flat import flat_params, fresh_net
from comparisons.sweep.start import GRAD_COLUMNS, row, start_rows
from comparisons.sweep.trajectory import TRAJ_COLUMNS, trajectory_rows
from torch_ref import TorchMLP

__all__ = [
    "GRAD_COLUMNS",
    "TRAJ_COLUMNS",
    "build",
    "check_spec",
    "path_params",
    "path_row",
    "path_rows",
    "sampled_for_paths",
]

# One architecture in PATH_SHARE also trains through train() and through MLP.gradients +
# SGD.step, which must reproduce TrainStep's trajectory bit for bit (same arithmetic, same order).
PATH_SHARE = 4


def build(spec, device="cpu"):
    """manual_bp.MLP and TorchMLP from the same NumPy start, with the data and batch order."""
    W, b, X, T, batches = make_problem(spec)
    net = manual_bp.MLP(W, b, list(spec.activations), spec.cost)
    ref = TorchMLP(W, b, list(spec.activations), spec.cost, device=device)
    return net, ref, X, T, batches


def read_only(a):
    """A read-only copy of ``a``: manual_bp may read it, never write it."""
    c = np.array(a, copy=True)
    c.setflags(write=False)
    return c


def sampled_for_paths(spec):
    """Whether this spec's training paths are all checked (one in PATH_SHARE, by seed)."""
    return spec.seed % PATH_SHARE == 0


def path_params(new_net, spec, X, T, batches, reference):
    """{path: its parameters after every step, shaped like ``reference``} for train() and for
    MLP.gradients + SGD.step, each training a fresh ``new_net()`` (an MLP, or a Family of them)."""
    out = {}
    for name in ("train()", "gradients+SGD.step"):
        net, opt = new_net(), manual_bp.SGD(spec.eta, spec.momentum)
        params = np.empty_like(reference)  # (steps, P), or (steps, G, P)
        with np.errstate(all="ignore"):  # a diverging run overflows alike on every path
            for n, idx in enumerate(batches):
                if name == "train()":
                    manual_bp.train(net, X, T, opt, [idx])
                else:
                    gW, gb = net.gradients(X[..., idx, :], T[..., idx, :])
                    opt.step(net, gW, gb)
                params[n] = flat_params(net.W, net.b)
        out[name] = params
    return out


def path_rows(arch, spec, W0, b0, X, T, batches, reference):
    """train() and MLP.gradients + SGD.step against TrainStep's parameters after every step, bit for bit."""
    paths = path_params(lambda: fresh_net(spec, W0, b0), spec, X, T, batches, reference)
    return [path_row(arch, name, params, reference) for name, params in paths.items()]


def path_row(arch, name, params, reference):
    """The row of one training path: its parameters after every step (steps, P) against TrainStep's."""
    same = np.array_equal(params, reference, equal_nan=True)
    with np.errstate(all="ignore"):
        diff = 0.0 if same else float(np.nanmax(np.abs(params - reference), initial=0.0))
    return row(arch, name, 0, f"{len(params)}x{reference.shape[1]}", "" if same else "path",
               "" if same else f"differs from TrainStep's trajectory by up to {diff:.3g}",
               max_abs_err=0.0 if same else diff)  # fmt: skip


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
    """Gradient rows and trajectory rows for one spec; an exception becomes a failing row.

    A MemoryError is not a finding about the implementations: it propagates.
    """
    try:
        net, ref, X, T, batches = build(spec, device)
    except (MemoryError, torch.OutOfMemoryError):  # a resource limit, not a finding about the implementations
        raise
    except Exception as e:  # a spec one side refuses: a finding too
        return [crash_row(arch, e)], []
    pristine = (X.copy(), T.copy())
    Xm, Tm = read_only(X), read_only(T)  # manual_bp's
    Xt, Tt = ref.tensor(X.copy()), ref.tensor(T.copy())  # torch's own
    grads, traj = [], []
    try:
        grads = start_rows(arch, net, ref, Xm, Tm, Xt, Tt)
        Xm, Tm = net.check_data(Xm, Tm)
        W0, b0 = net.params()
        kept = {}
        traj = trajectory_rows(arch, spec, net, ref, Xm, Tm, batches, Xt, Tt, keep=kept)
        if sampled_for_paths(spec) and batches:
            grads += path_rows(arch, spec, W0, b0, Xm, Tm, batches, kept["params"])
    except (MemoryError, torch.OutOfMemoryError):  # a resource limit, not a finding about the implementations
        raise
    except Exception as e:  # a crash on either side is a finding, reported, never fatal
        grads.append(crash_row(arch, e))
    grads += input_rows(arch, pristine, (Xm, Tm))
    return grads, traj
