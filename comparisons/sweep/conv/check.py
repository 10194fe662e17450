"""One convolutional architecture checked: the shared start, then every training step judged locally.

Start: every ∂C_T/∂W^l, ∂C_T/∂b^l (conv and dense), δ^l (every layer, pooling included), C_k and C_T
of manual_bp against autograd.  Step n: manual_bp is given torch's state after step n − 1 (its W^l,
b^l and momentum buffers, written into the same CNN and SGD objects that carry on from step to step,
so stale state still shows), takes one step on the same batch, and is compared with torch's state
after step n; C_T over all of X is compared at torch's state before the step, on both sides.  Each
row checks, in order: presence and shape, dtype, finiteness, the value within the rounding model's bound
(``comparisons.common.rounding.bound``, c·u·√2·S), and in float32 the value against the float64 result within c·u·S
(``oracle``).  Where a gradient, δ, parameter or velocity fails and the sides took different branches (a relu z on
the other side of 0, another max-pooling winner), manual_bp's computation is repeated with the reference's branch
there (``kinks``) and must then agree; nothing else turns a failure into a pass.  Then train() over the whole
schedule (``freerun``: bit for bit ConvTrainStep's path, its C_T history torch's).  Inputs are checked untouched at
the end.  A row's ``caught_by`` names the first check that failed.

Where torch's state before a step is not finite, or the magnitudes E of that step reach the dtype's largest
number (a diverging run: an intermediate may overflow on one side only, or in float32 and not in its float64
oracle), no rounding bound describes the step: its rows are ``not compared``, counted apart, as the dense
sweep's (``comparisons.common.rounding.Scales.edge``) — never a pass, and every step before it is judged.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np
import torch

import manual_bp
from comparisons.common import rounding
from comparisons.common.checks import agree
from comparisons.common.convnet import build_conv
from manual_bp.conv import CNN, ConvTrainStep

from . import kinks
from .freerun import path_rows
from .rounding import Magnitudes, step_scale

COLUMNS = ["arch", "step", "tensor", "layer", "shape", "max_abs_err", "bound_used", "oracle_used", "status",
           "passed", "caught_by", "error"]  # fmt: skip
NOT_COMPARED = (
    "torch's state or the rounding scale reached the dtype's largest number (the run overflowed): nothing to compare"
)


def row(arch, step, tensor, layer, shape="", caught_by="", error="", **values):
    """One check's row; failing when ``caught_by`` names a check."""
    out = dict(arch=arch, step=step, tensor=tensor, layer=layer, shape=shape, max_abs_err=np.nan,
               bound_used=np.nan, oracle_used=np.nan)  # fmt: skip
    out.update(values)
    out.update(status="fail" if caught_by else "pass", passed=not caught_by, caught_by=caught_by, error=error)
    return out


def at_edge(dtype, *scales):
    """True where no bound describes the computation: a scale (or torch's state) not finite or at the dtype's max."""
    fmax = float(np.finfo(np.dtype(dtype)).max)
    return not all(np.all(np.asarray(E, np.float64) < fmax) for E in scales)


def not_compared(rows):
    """The rows of a step at the edge of the range: not compared, whatever their values (counted apart)."""
    return [dict(r, status="not compared", passed=True, caught_by="", error=NOT_COMPARED) for r in rows]


def _scales(tree):
    """Every array of nested lists and dicts of scales or values, as |x|."""
    if isinstance(tree, dict | list | tuple):
        return [a for v in (tree.values() if isinstance(tree, dict) else tree) for a in _scales(v)]
    return [np.abs(np.asarray(tree, np.float64))]


def used(m, r, bound):
    """(max |m − r| / bound, max |m − r|) over the entries, by the sweep's one comparator (checks.agree): ≤ 1 passes."""
    r = np.asarray(r, np.float64)
    flat = lambda x: np.broadcast_to(np.asarray(x, np.float64), r.shape).reshape(1, -1)  # noqa: E731  one row
    ratio, err = agree(flat(m), flat(r), flat(bound))
    return float(ratio[0]), float(err[0])


def tensor_row(arch, step, tensor, l, m, r, E, dtype, oracle=None, E_oracle=None):
    """Shape, dtype, finiteness, value within c·u·√2·S, then (float32) the float64 ``oracle`` within c·u·S: E is S at
    torch's values, E_oracle at the oracle's (E where not given)."""
    shape = "x".join(map(str, np.shape(r)))
    if m is None:
        return row(arch, step, tensor, l, shape, "shape", f"{tensor}^{l} missing")
    m_arr = np.asarray(m)
    if m_arr.shape != np.shape(r):
        return row(arch, step, tensor, l, shape, "shape", f"shape {m_arr.shape}, expected {np.shape(r)}")
    if tensor != "C_T" and m_arr.dtype != dtype:
        return row(arch, step, tensor, l, shape, "dtype", f"dtype {m_arr.dtype}, expected {np.dtype(dtype)} (torch's)")
    if not np.all(np.isfinite(m_arr) | ~np.isfinite(r)):  # both sides overflowing alike is agree's to judge
        return row(arch, step, tensor, l, shape, "finite", "NaN or inf where torch's is finite")
    S = np.asarray(E, np.float64)
    bound_used, err = used(m_arr, r, rounding.bound(S, dtype))
    values = dict(max_abs_err=err, bound_used=bound_used)
    caught = "value" if not bound_used <= 1.0 else ""
    if oracle is not None:
        S_o = S if E_oracle is None else np.asarray(E_oracle, np.float64)
        values["oracle_used"] = used(m_arr, oracle, rounding.bound(S_o, dtype, 1, np.float64))[0]
        caught = caught or ("oracle" if not values["oracle_used"] <= 1.0 else "")
    share = values["oracle_used"] if caught == "oracle" else bound_used
    error = f"{tensor}^{l} off by up to {err:.3g}, {share:.3g}× its {caught} bound" if caught else ""
    return row(arch, step, tensor, l, shape, caught, error, **values)


def read_only(a):
    c = np.array(a, copy=True)
    c.setflags(write=False)
    return c


class Model(NamedTuple):
    """The rounding model at one state: S at torch's own values for the bound against torch, at the float64
    oracle's for the bound against the oracle (the same in float64)."""

    values: dict  # float64 autograd's: the oracle
    S: dict  # at torch's own values and branches
    S_oracle: dict  # at the oracle's
    own: dict  # torch's own values (float64 upcast)
    fwd64: tuple  # the oracle's (z, a): its branches


def magnitudes(spec, ref, X, T):
    """The Model at torch's current parameters on (X, T)."""
    mag = Magnitudes(spec.layers, ref.weights(), ref.biases(), X, T, spec.cost, spec.dtype)
    S64 = mag.scales()
    if np.dtype(spec.dtype) == np.float64:
        return Model(mag.values, S64, S64, mag.values, (mag.z, mag.a))
    own = Magnitudes(spec.layers, ref.weights(), ref.biases(), X, T, spec.cost, spec.dtype, at=spec.dtype)
    return Model(mag.values, own.scales(), S64, own.values, (mag.z, mag.a))


def forward(ref, X):
    """torch's z and a (a[1] = X) on X, in its dtype: its branches."""
    with torch.no_grad():
        z, a = ref.forward(ref.tensor(np.array(X)), retain=False)
    return {l: v.numpy() for l, v in z.items()}, {1: np.asarray(X)} | {l: v.numpy() for l, v in a.items() if l > 1}


def failed(rows):
    return any(r["caught_by"] in ("value", "oracle") for r in rows)


def explained(rows, again, notes):
    """``rows`` again where manual_bp took other branches: a failing row whose recomputation agrees — with torch's
    branches against torch (``again["torch"]``), with the float64 oracle's against the oracle (``again["oracle"]``),
    each keyed (tensor, layer) — passes, naming the kinks; any other keeps its failure."""
    if not again:
        return rows
    out = []
    for r in rows:
        key = (r["tensor"], r["layer"])
        if r["caught_by"] in ("value", "oracle") and any(key in d for d in again.values()):
            v, o = again.get("torch", {}).get(key, r), again.get("oracle", {}).get(key, r)
            ok = v["bound_used"] <= 1.0 and not o["oracle_used"] > 1.0
            text = (
                "; ".join(notes)
                + f"; recomputed with the reference's branch there, it {'agrees' if ok else 'still differs'}"
            )
            r = dict(v, oracle_used=o["oracle_used"], status="pass", passed=True, caught_by="", error=text) if ok else (
                dict(r, error=f"{r['error']}; {text}"))  # fmt: skip
        out.append(r)
    return out


def start_rows(arch, spec, net, ref, Xm, Tm, Xt, Tt):
    """Step 0: W^l, b^l, δ^l, C_k and C_T against autograd."""
    dtype = np.dtype(spec.dtype)
    M = magnitudes(spec, ref, Xm, Tm)
    E, Eo, fwd64 = M.S, M.S_oracle, M.fwd64
    oracle = M.values if dtype == np.float32 else None
    gW, gb = net.gradients(Xm, Tm)
    manual = dict(W=gW, b=gb, delta=net.deltas(Xm, Tm), C_k=net.costs(Xm, Tm), C_T=net.total_cost(Xm, Tm))
    rW, rb, rdelta = ref.gradients(Xt, Tt)
    reference = dict(W=rW, b=rb, delta=rdelta, C_k=ref.costs(Xt, Tt), C_T=ref.total_cost(Xt, Tt))
    rows = []
    for name in ("W", "b", "delta"):
        for l in sorted(reference[name]):
            o = oracle[name][l] if oracle else None
            rows.append(tensor_row(arch, 0, name, l, manual[name].get(l), reference[name][l], E[name][l], dtype, o,
                                   Eo[name][l]))  # fmt: skip
    if failed(rows):
        again, notes = {}, []
        for which, (z, a) in ({"torch": forward(ref, Xm)} | ({"oracle": fwd64} if oracle else {})).items():
            pins = kinks.branches(net, Xm, z, a, which if which == "torch" else "the float64 oracle")
            if pins is not None:
                copy = kinks.pinned(net, pins[0])
                with kinks.routed(pins[1]), np.errstate(all="ignore"):
                    gW, gb = copy.gradients(Xm, Tm)
                    m = dict(W=gW, b=gb, delta=copy.deltas(Xm, Tm))
                again[which] = {(name, l): tensor_row(arch, 0, name, l, m[name].get(l), reference[name][l], E[name][l],
                                                      dtype, oracle[name][l] if which == "oracle" else None,
                                                      Eo[name][l])
                                for name in ("W", "b", "delta") for l in reference[name]}  # fmt: skip
                notes.append(pins[2])
        rows = explained(rows, again, notes)
    for name in ("C_k", "C_T"):
        o = oracle[name] if oracle else None
        rows.append(tensor_row(arch, 0, name, 0, manual[name], reference[name], E[name], dtype, o, Eo[name]))
    return not_compared(rows) if at_edge(dtype, *_scales([E, Eo, ref.weights(), ref.biases()])) else rows


def load_state(net, opt, ref, opt_t):
    """torch's W^l, b^l and momentum buffers written into manual_bp's own arrays, in place."""
    for l, w in ref.weights().items():
        net.W[l][...] = w
    for l, v in ref.biases().items():
        net.b[l][...] = v
    vel = ref.velocities(opt_t)
    for key in list(opt.v):
        if key not in vel:
            del opt.v[key]  # torch has none yet: neither may manual_bp
    for key, v in vel.items():
        if key in opt.v and opt.v[key].shape == v.shape:
            opt.v[key][...] = v
        else:
            opt.v[key] = v.copy()
    return vel


def step_rows(arch, spec, net, ref, Xm, Tm, Xt, Tt, batches):
    """Every training step from torch's state before it: parameters, velocities and C_T, each within its bound."""
    dtype = np.dtype(spec.dtype)
    opt, opt_t = manual_bp.SGD(spec.eta, spec.momentum), ref.optimizer(spec.eta, spec.momentum)
    step = ConvTrainStep(net, opt)
    rows = []
    full = len(batches) and len(batches[0]) == len(Xm)
    for n, idx in enumerate(batches, start=1):
        vel = load_state(net, opt, ref, opt_t)
        W0, b0 = ref.weights(), ref.biases()
        first = len(rows)
        M = magnitudes(spec, ref, Xm[idx], Tm[idx])
        Mc = M if full else magnitudes(spec, ref, Xm, Tm)
        c_m, c_t = net.total_cost(Xm, Tm), ref.total_cost(Xt, Tt)
        o = Mc.values["C_T"] if dtype == np.float32 else None
        rows.append(tensor_row(arch, n, "C_T", 0, c_m, c_t, Mc.S["C_T"], dtype, o, Mc.S_oracle["C_T"]))
        Ew, Ev = step_scale(W0, b0, M.own, M.S, spec.eta, spec.momentum, vel)  # {key: S} against torch
        Ewo, Evo = step_scale(W0, b0, M.values, M.S_oracle, spec.eta, spec.momentum, vel)  # against the oracle
        ow, ov = expected_step(W0, b0, M.values, spec, vel)
        ref.step(opt_t, Xt[idx], Tt[idx])
        step(Xm[idx], Tm[idx])
        after = {("W", l): w for l, w in ref.weights().items()} | {("b", l): v for l, v in ref.biases().items()}
        mine = {("W", l): net.W[l] for l in net.W} | {("b", l): net.b[l] for l in net.b}
        vel_t = ref.velocities(opt_t) if spec.momentum else {}

        judged = functools.partial(step_judged, arch, n, after, vel_t, (Ew, Ewo), (Ev, Evo), ow, ov, dtype)
        own = judged(mine, opt.v, dtype == np.float32)
        if failed(own):
            own = explained(own, *again_step(spec, W0, b0, vel, Xm[idx], Tm[idx], M.fwd64, judged, dtype == np.float32))
        rows += own
        if at_edge(dtype, *_scales([W0, b0, vel, M.S, M.S_oracle, Mc.S["C_T"], Mc.S_oracle["C_T"], Ew, Ev, Ewo, Evo])):
            rows[first:] = not_compared(rows[first:])
    return rows


def step_judged(arch, n, after, vel_t, Ew, Ev, ow, ov, dtype, mine, v, oracle):
    """The rows of step n's W, b (and velocities) from manual_bp's results ``mine`` and ``v``, against torch's
    ``after`` and ``vel_t``, and (``oracle``) the float64 step ``ow``, ``ov``; Ew, Ev: (S against torch, S against
    the oracle)."""
    out = [tensor_row(arch, n, key[0], key[1], mine[key], after[key], Ew[0][key], dtype, ow[key] if oracle else None,
                      Ew[1][key]) for key in after]  # fmt: skip
    return out + [tensor_row(arch, n, f"v_{key[0]}", key[1], v.get(key), vel_t[key], Ev[0][key], dtype,
                             ov[key] if oracle else None, Ev[1][key]) for key in vel_t]  # fmt: skip


def again_step(spec, W0, b0, vel, X, T, fwd64, judged, oracle):
    """({reference: rows keyed (tensor, layer)}, notes): the step from W0, b0, vel repeated by manual_bp with torch's
    branches (and in float32 the oracle's) where its own differ, judged by ``judged``."""
    from torch_ref import TorchCNN

    again, notes = {}, []
    torch_fwd = forward(TorchCNN(spec.image, [dict(x) for x in spec.layers], W0, b0, spec.cost), X)
    for which, (z, a) in ({"torch": torch_fwd} | ({"oracle": fwd64} if oracle else {})).items():
        net = CNN(spec.image, spec.manual_layers(), W0, b0, spec.cost)  # a copy at the state before the step
        pins = kinks.branches(net, X, z, a, which if which == "torch" else "the float64 oracle")
        if pins is None:
            continue
        net = kinks.pinned(net, pins[0])
        opt = manual_bp.SGD(spec.eta, spec.momentum)
        opt.v = {key: np.array(v, copy=True) for key, v in vel.items()}
        with kinks.routed(pins[1]), np.errstate(all="ignore"):
            ConvTrainStep(net, opt)(X, T)  # manual_bp's own step, with the reference's branches
        mine = {("W", l): w for l, w in net.W.items()} | {("b", l): v for l, v in net.b.items()}
        again[which] = {(r["tensor"], r["layer"]): r for r in judged(mine, opt.v, which == "oracle")}
        notes.append(pins[2])
    return again, notes


def expected_step(W0, b0, values, spec, vel):
    """The float64 result of one step from the same state: w − η(μ v + ∇C), the oracle of the update."""
    ow, ov = {}, {}
    for kind, P, G in (("W", W0, values["W"]), ("b", b0, values["b"])):
        for l in P:
            v_prev = vel.get((kind, l))
            g = G[l]
            v = spec.momentum * v_prev.astype(np.float64) + g if spec.momentum and v_prev is not None else g
            ov[(kind, l)], ow[(kind, l)] = v, P[l].astype(np.float64) - spec.eta * v
    return ow, ov


def input_rows(arch, pristine, given):
    """X and T after the run against their pristine copies: any change is an error."""
    rows = []
    for name, before, after in zip(("X", "T"), pristine, given):
        same = before.tobytes() == after.tobytes()
        rows.append(row(arch, -1, name, 0, "x".join(map(str, before.shape)), "" if same else "input",
                        "" if same else f"manual_bp changed {name} in place", max_abs_err=0.0))  # fmt: skip
    return rows


def check_conv_spec(arch, spec):
    """Every row of one conv spec; an exception on either side becomes a failing row (MemoryError propagates)."""
    try:
        net, ref, X, T, batches = build_conv(spec)
    except (MemoryError, torch.OutOfMemoryError):
        raise
    except Exception as e:
        return [row(arch, 0, "-", 0, "", "crash", f"{type(e).__name__}: {e}")]
    pristine = (X.copy(), T.copy())
    Xm, Tm = read_only(X), read_only(T)
    Xt, Tt = ref.tensor(X.copy()), ref.tensor(T.copy())
    W0, b0 = net.params()
    fresh = lambda: CNN(spec.image, spec.manual_layers(), W0, b0, spec.cost)  # noqa: E731  the start, anew
    rows = []
    try:
        with np.errstate(all="ignore"):
            rows += start_rows(arch, spec, net, ref, Xm, Tm, Xt, Tt)
            rows += step_rows(arch, spec, net, ref, Xm, Tm, Xt, Tt, batches)
            rows += path_rows(arch, spec, fresh, Xm, Tm, batches, row)
    except (MemoryError, torch.OutOfMemoryError):
        raise
    except Exception as e:
        msg = f"{type(e).__name__}: {e}".replace("\n", " ")
        rows.append(row(arch, 0, "-", 0, "", "input" if "read-only" in msg else "crash", msg))
    return rows + input_rows(arch, pristine, (Xm, Tm))
