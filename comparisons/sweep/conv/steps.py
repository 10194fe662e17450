"""The start and every training step of a conv family (G ≥ 1 members of one architecture), each member judged.

Start: every ∂C_T/∂W^l, ∂C_T/∂b^l, δ^l, C_k and C_T of manual_bp's ``CNNFamily`` against the ``TorchCNNFamily``.
Step n: the family is given torch's state after step n − 1 (W^l, b^l and momentum buffers, written into the same
CNNFamily and SGD objects that carry on from step to step, so stale state still shows), takes one step on the same
batch, and is compared with torch's state after step n; C_T at torch's state before the step.  Every member has its
own rounding model (``magnitudes``) and its own rows.  Where a member's value fails and its branches differ (a relu
z on the other side of 0, another max-pooling winner), the family's computation is repeated by manual_bp's own code
with the reference's branch there (``kinks``), and that member's value must then agree; nothing else excuses.
"""

from __future__ import annotations

import functools

import numpy as np

import manual_bp
from manual_bp.conv import CNN, CNNFamily, ConvTrainStep

from . import kinks
from .check import Model, at_edge, explained, failed, forward, magnitudes, not_compared, pick, scales_of, tensor_row
from .rounding import step_scale

NAMES = ("W", "b", "delta")


def models(spec, W, b, X, T):
    """(each member's rounding model at the stacked parameters W, b on its own X[g], T[g], the float64 oracle's (z, a)
    of the whole family: its branches), from the family's model at once."""
    M = magnitudes(spec, W, b, X, T)
    members = [Model(*(pick(part, g) for part in M[:4]), tuple(pick(d, g) for d in M.fwd64)) for g in range(len(X))]
    return members, M.fwd64


def start_rows(archs, spec, net, ref, Xm, Tm, Xt, Tt):
    """Step 0 of every member: W^l, b^l, δ^l, C_k and C_T against autograd."""
    dtype = np.dtype(spec.dtype)
    M, fwd64 = models(spec, ref.weights(), ref.biases(), Xm, Tm)
    gW, gb = net.gradients(Xm, Tm)
    manual = dict(W=gW, b=gb, delta=net.deltas(Xm, Tm), C_k=net.costs(Xm, Tm), C_T=net.total_cost(Xm, Tm))
    rW, rb, rdelta = ref.gradients(Xt, Tt)
    reference = dict(W=rW, b=rb, delta=rdelta, C_k=ref.costs(Xt, Tt), C_T=ref.total_cost(Xt, Tt))
    f32 = dtype == np.float32

    def judged(g, m, oracle):
        return [tensor_row(archs[g], 0, name, l, pick(m[name], g).get(l), reference[name][l][g], M[g].S[name][l],
                           dtype, M[g].values[name][l] if oracle else None, M[g].S_oracle[name][l])
                for name in NAMES for l in sorted(reference[name])]  # fmt: skip

    rows = [judged(g, manual, f32) for g in range(len(archs))]
    if any(failed(r) for r in rows):
        refs = {"torch": forward(ref, Xm)} | ({"oracle": fwd64} if f32 else {})
        again, notes = {}, {}
        for which, (z, a) in refs.items():
            pins = kinks.branches(net, Xm, z, a, which if which == "torch" else "the float64 oracle")
            if pins is not None:
                copy = kinks.pinned(net, pins[0])
                with kinks.routed(pins[1]), np.errstate(all="ignore"):
                    gW, gb = copy.gradients(Xm, Tm)
                    m = dict(W=gW, b=gb, delta=copy.deltas(Xm, Tm))
                again[which] = [{(r["tensor"], r["layer"]): r for r in judged(g, m, which == "oracle")}
                                for g in range(len(archs))]  # fmt: skip
                notes[which] = pins[2]
        rows = [explained(rows[g], *member_again(again, notes, g)) for g in range(len(archs))]
    for g in range(len(archs)):
        for name in ("C_k", "C_T"):
            o = M[g].values[name] if f32 else None
            r = pick(manual[name], g)
            rows[g].append(tensor_row(archs[g], 0, name, 0, r, reference[name][g], M[g].S[name], dtype, o,
                                      M[g].S_oracle[name]))  # fmt: skip
        if at_edge(dtype, *scales_of([M[g].S, M[g].S_oracle, pick(ref.weights(), g), pick(ref.biases(), g)])):
            rows[g] = not_compared(rows[g])
    return rows


def member_again(again, notes, g):
    """(member g's recomputed rows by reference, the kinks found in member g): empty where member g has none."""
    mine = {which: rows[g] for which, rows in again.items() if notes[which][g]}
    return mine, [notes[which][g] for which in mine]


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
        if key in opt.v and np.shape(opt.v[key]) == v.shape:
            opt.v[key][...] = v
        else:
            opt.v[key] = v.copy()
    return vel


def step_rows(archs, spec, net, ref, Xm, Tm, Xt, Tt, batches):
    """Every training step of every member from torch's state before it: parameters, velocities and C_T."""
    dtype, G = np.dtype(spec.dtype), len(archs)
    f32 = dtype == np.float32
    opt, opt_t = manual_bp.SGD(spec.eta, spec.momentum), ref.optimizer(spec.eta, spec.momentum)
    step = ConvTrainStep(net, opt)
    rows = [[] for _ in archs]
    full = len(batches) and len(batches[0]) == Xm.shape[1]
    for n, idx in enumerate(batches, start=1):
        vel = load_state(net, opt, ref, opt_t)
        W0, b0 = ref.weights(), ref.biases()
        first = [len(r) for r in rows]
        Xb, Tb = Xm[:, idx], Tm[:, idx]
        M, fwd64 = models(spec, W0, b0, Xb, Tb)
        Mc = M if full else models(spec, W0, b0, Xm, Tm)[0]
        c_m, c_t = net.total_cost(Xm, Tm), ref.total_cost(Xt, Tt)
        scale = []
        for g in range(G):
            o = Mc[g].values["C_T"] if f32 else None
            rows[g].append(tensor_row(archs[g], n, "C_T", 0, pick(c_m, g), c_t[g], Mc[g].S["C_T"], dtype, o,
                                      Mc[g].S_oracle["C_T"]))  # fmt: skip
            P = (pick(W0, g), pick(b0, g), spec.eta, spec.momentum, pick(vel, g))
            scale.append((step_scale(*P[:2], M[g].own, M[g].S, *P[2:]), step_scale(*P[:2], M[g].values,
                          M[g].S_oracle, *P[2:]), expected_step(*P[:2], M[g].values, spec, P[4])))  # fmt: skip
        ref.step(opt_t, Xt[:, idx], Tt[:, idx])
        step(Xb, Tb)
        after = {("W", l): w for l, w in ref.weights().items()} | {("b", l): v for l, v in ref.biases().items()}
        mine = {("W", l): net.W[l] for l in net.W} | {("b", l): net.b[l] for l in net.b}
        vel_t = ref.velocities(opt_t) if spec.momentum else {}
        judges = [functools.partial(step_judged, archs[g], n, pick(after, g), pick(vel_t, g),
                                    (s[0][0], s[1][0]), (s[0][1], s[1][1]), *s[2], dtype)
                  for g, s in enumerate(scale)]  # fmt: skip
        own = [judges[g](pick(mine, g), pick(opt.v, g), f32) for g in range(G)]
        if any(failed(r) for r in own):
            redo, notes = again_step(spec, net, W0, b0, vel, Xb, Tb, fwd64, f32)
            again = {which: [{(r["tensor"], r["layer"]): r for r in judges[g](pick(mine, g), pick(v, g),
                                                                              which == "oracle")}
                             for g in range(G)] for which, (mine, v) in redo.items()}  # fmt: skip
            own = [explained(own[g], *member_again(again, notes, g)) for g in range(G)]
        for g in range(G):
            rows[g] += own[g]
            Sg = [M[g].S, M[g].S_oracle, Mc[g].S["C_T"], Mc[g].S_oracle["C_T"], *scale[g][0], *scale[g][1]]
            if at_edge(dtype, *scales_of([pick(W0, g), pick(b0, g), pick(vel, g), *Sg])):
                rows[g][first[g] :] = not_compared(rows[g][first[g] :])
    return rows


def step_judged(arch, n, after, vel_t, Ew, Ev, ow, ov, dtype, mine, v, oracle):
    """The rows of step n's W, b (and velocities) from manual_bp's results ``mine`` and ``v``, against torch's
    ``after`` and ``vel_t``, and (``oracle``) the float64 step ``ow``, ``ov``; Ew, Ev: (S against torch, S against
    the oracle)."""
    out = [tensor_row(arch, n, key[0], key[1], mine.get(key), after[key], Ew[0][key], dtype,
                      ow[key] if oracle else None, Ew[1][key]) for key in after]  # fmt: skip
    return out + [tensor_row(arch, n, f"v_{key[0]}", key[1], v.get(key), vel_t[key], Ev[0][key], dtype,
                             ov[key] if oracle else None, Ev[1][key]) for key in vel_t]  # fmt: skip


def again_step(spec, family, W0, b0, vel, X, T, fwd64, oracle):
    """({reference: (parameters, velocities)}, {reference: notes per member}): the step of ``family`` from W0, b0, vel
    repeated by manual_bp with torch's branches (and in float32 the oracle's) where its own differ."""
    from torch_ref import TorchCNNFamily

    again, notes = {}, {}
    torch_fwd = forward(TorchCNNFamily(spec.image, [dict(x) for x in spec.layers], W0, b0, spec.cost), X)
    for which, (z, a) in ({"torch": torch_fwd} | ({"oracle": fwd64} if oracle else {})).items():
        net = kinks.pinned(family, family.act, W0, b0)  # a copy at the state before the step (a member's may be inf)
        pins = kinks.branches(net, X, z, a, which if which == "torch" else "the float64 oracle")
        if pins is None:
            continue
        net = kinks.pinned(net, pins[0])
        opt = manual_bp.SGD(spec.eta, spec.momentum)
        opt.v = {key: np.array(v, copy=True) for key, v in vel.items()}
        with kinks.routed(pins[1]), np.errstate(all="ignore"):
            ConvTrainStep(net, opt)(X, T)  # manual_bp's own step, with the reference's branches
        mine = {("W", l): w for l, w in net.W.items()} | {("b", l): v for l, v in net.b.items()}
        again[which], notes[which] = (mine, opt.v), pins[2]
    return again, notes


def family_at(spec, W, b):
    """A CNNFamily at the stacked parameters W, b."""
    G = len(W[min(W)])
    return CNNFamily([CNN(spec.image, spec.manual_layers(), pick(W, g), pick(b, g), spec.cost) for g in range(G)])


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
