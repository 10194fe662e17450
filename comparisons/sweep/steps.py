"""The verdict on training: every step judged alone, from the state torch reached before it.

At step n, torch's parameters θ_r^{n−1} (and, with momentum, its velocity buffers) are written into
manual_bp's network and optimizer — the same ``TrainStep`` and ``SGD`` objects at every step, so state
manual_bp keeps elsewhere still shows — and manual_bp takes one step on the batch torch took.  Its
gradients, parameters, velocity and batch cost are compared with torch's under the rounding model
of one step (``comparisons.common.rounding``): the bound never grows with n and never borrows from
earlier steps.  Where a relu / leaky_relu z lies on different sides of 0 in the two libraries, the
member's step is recomputed with torch's branch for exactly those units; that recomputation must
agree under the same bound, and nothing else turns a failing comparison into a pass.
"""

from __future__ import annotations

import numpy as np
import torch

import manual_bp
from comparisons.common import rounding, scales
from comparisons.common.checks import agree
from comparisons.common.interrupts import stop_if_asked
from comparisons.sweep.flat import flat_params, split, unflatten
from comparisons.sweep.kinks import pinned_member

STEP_COLUMNS = ["arch", "step", "cost_manual", "cost_torch", "grad_used", "param_used", "velocity_used",
                "cost_used", "tol_used", "torch_moved", "drift", "status", "caught_by", "detail", "passed"]  # fmt: skip
CHECKS = ("gradient", "parameters", "velocity", "cost")  # the order caught_by names them in
COLUMN = {"gradient": "grad_used", "parameters": "param_used", "velocity": "velocity_used", "cost": "cost_used"}
CHUNK = 25  # steps compared at once: the rounding model on stacked arrays, a few MB at most


class Recorder(manual_bp.SGD):
    """manual_bp's SGD, unchanged, remembering the gradients it was last given (``gW``, ``gb``)."""

    def step(self, net, gW, gb):
        self.gW, self.gb = gW, gb
        super().step(net, gW, gb)


def write_state(net, opt, w, v):
    """θ (and the velocity v, or none yet) into ``net``'s and ``opt``'s own arrays, in place where they exist."""
    W, b = unflatten(w, net.W, net.b)
    for l in net.W:
        net.W[l][...] = W[l]
        net.b[l][...] = b[l]
    if v is None:
        opt.v.clear()
        return
    Wv, bv = unflatten(v, net.W, net.b)
    for key, x in [(("W", l), Wv[l]) for l in net.W] + [(("b", l), bv[l]) for l in net.b]:
        if key in opt.v and np.shape(opt.v[key]) == x.shape:
            opt.v[key][...] = x
        else:
            opt.v[key] = x.copy()


def velocity(opt, net):
    """manual_bp's velocity as one (G, P) array, NaN where the optimizer keeps none."""
    W = {l: opt.v.get(("W", l), np.full_like(w, np.nan)) for l, w in net.W.items()}
    b = {l: opt.v.get(("b", l), np.full_like(v, np.nan)) for l, v in net.b.items()}
    return flat_params(W, b)


class LocalSteps:
    """Both sides of a family (G ≥ 1): torch trains, manual_bp steps from each state torch reaches.

    torch's steps are taken one after the other (its own trajectory).  manual_bp's are taken CHUNK steps at
    a time as members of one stack, ``Family`` of CHUNK·G networks: member (s, g) starts from torch's state
    before step s of member g and takes that step's batch.  The stack, its ``TrainStep`` and its ``SGD`` are
    made once and carry over from chunk to chunk, the states written into their own arrays.  Before its first
    step torch has no velocity; manual_bp starts that step from velocity 0, which gives μ·0 + ∇C = ∇C exactly.
    """

    def __init__(self, spec, members, net, ref, X, T, Xt, Tt, batches):
        self.spec, self.archs, self.net, self.ref = spec, [m.arch for m in members], net, ref
        self.X, self.T, self.Xt, self.Tt, self.batches = X, T, Xt, Tt, batches
        self.dtype = np.dtype(spec.dtype)
        self.u, self.fmax = rounding.unit_roundoff(self.dtype), float(np.finfo(self.dtype).max)
        self.topt = ref.optimizer(spec.eta, spec.momentum)
        self.flat_t = ref.flat_parameters()  # (G, P), updated in place by torch.optim
        self.stack = None  # (Family of CHUNK·G, its Recorder, its TrainStep), made at the first chunk

    def run(self):
        """(rows per member, torch's parameters after every step (steps, G, P))."""
        G = len(self.archs)
        rows, traj = [[] for _ in range(G)], np.empty((len(self.batches), G, self.flat_t.shape[1]), self.dtype)
        chunk = []
        for n, idx in enumerate(self.batches, start=1):
            stop_if_asked()  # a stop swallowed on its way (a library's bare except) still ends the run here
            chunk.append(self.torch_step(n, idx))
            traj[n - 1] = chunk[-1]["w_r"]
            if len(chunk) == CHUNK or n == len(self.batches):
                self.manual_steps(chunk)
                for step_rows in self.judge(chunk):
                    for g, r in enumerate(step_rows):
                        rows[g].append(r)
                chunk = []
        return rows, traj

    def torch_step(self, n, idx):
        """torch's step n: its state before and after, its gradients, cost and forward pass, as arrays."""
        full = len(idx) == self.X.shape[-2]
        Xb, Tb = (self.X, self.T) if full else (self.X[..., idx, :], self.T[..., idx, :])
        it = slice(None) if full else torch.from_numpy(idx).to(self.ref.device)
        w_prev, v_prev = self.flat_t.detach().cpu().numpy().copy(), self.ref.flat_velocity(self.topt)
        if v_prev is None and self.spec.momentum:
            v_prev = np.zeros_like(w_prev)
        C_r, z, a, delta = self.ref.step(self.topt, self.Xt[:, it], self.Tt[:, it], keep=True)
        return dict(n=n, Xb=Xb, Tb=Tb, w_prev=w_prev, v_prev=v_prev, C_r=C_r, z=z, a=a, delta=delta,
                    g_r=self.ref.flat_gradients(), w_r=self.flat_t.detach().cpu().numpy().copy(),
                    v_r=self.ref.flat_velocity(self.topt))  # fmt: skip

    def manual_steps(self, chunk):
        """manual_bp's step from every state of ``chunk``, all at once; results written into the records."""
        G, S = len(self.archs), len(chunk)
        padded = chunk + [chunk[-1]] * (CHUNK - S)  # the stack keeps its size: the last chunk repeats a step
        if self.stack is None:
            net = self.net.repeat(CHUNK)
            opt = Recorder(self.spec.eta, self.spec.momentum)
            self.stack = (net, opt, manual_bp.TrainStep(net, opt))
        net, opt, train_step = self.stack
        flat = lambda k: np.stack([r[k] for r in padded]).reshape(CHUNK * G, *padded[0][k].shape[1:])  # noqa: E731
        write_state(net, opt, flat("w_prev"), flat("v_prev") if self.spec.momentum else None)
        with np.errstate(all="ignore"):  # a diverging run overflows: compared, not warned about
            train_step(flat("Xb"), flat("Tb"))
            C_m = np.asarray(train_step.batch_cost(), np.float64).reshape(CHUNK, G)
        g_m = flat_params(opt.gW, opt.gb).reshape(CHUNK, G, -1)
        w_m = flat_params(net.W, net.b).reshape(CHUNK, G, -1)
        v_m = velocity(opt, net).reshape(CHUNK, G, -1) if self.spec.momentum else [None] * CHUNK
        bad = self.dtype_problem(net, opt)
        for s, rec in enumerate(chunk):
            rec.update(C_m=C_m[s], g_m=g_m[s], w_m=w_m[s], v_m=v_m[s], dtype_bad=bad)

    def judge(self, chunk):
        """Rows (one list per step, one row per member) for a chunk of recorded steps."""
        stack = lambda k: np.stack([r[k] for r in chunk])  # noqa: E731  (S, G, …)
        lim = self.limits(chunk, stack)
        nan = np.full(lim["C"].shape, np.nan)
        used = {"gradient": self.used(stack("g_m"), stack("g_r"), lim["g"]),
                "parameters": self.used(stack("w_m"), stack("w_r"), lim["w"]),
                "velocity": self.used(stack("v_m"), stack("v_r"), lim["v"]) if self.spec.momentum else nan,
                "cost": self.used(stack("C_m")[..., None], stack("C_r")[..., None], lim["C"][..., None])}  # fmt: skip
        with np.errstate(invalid="ignore"):
            tol = np.fmax.reduce([used[c] for c in CHECKS])  # (S, G): the largest share of a bound, NaN where none
            clean = ~np.logical_or.reduce([used[c] > 1.0 for c in CHECKS]) & lim["comparable"]
        out = []
        for i, rec in enumerate(chunk):
            step_rows = []
            for g, arch in enumerate(self.archs):
                row = dict(arch=arch, step=rec["n"], cost_manual=float(rec["C_m"][g]), cost_torch=float(rec["C_r"][g]),
                           grad_used=used["gradient"][i, g], param_used=used["parameters"][i, g],
                           velocity_used=used["velocity"][i, g], cost_used=used["cost"][i, g], tol_used=tol[i, g],
                           torch_moved=lim["moved"][i, g], drift=np.nan)  # fmt: skip
                if clean[i, g] and not rec["dtype_bad"]:
                    step_rows.append(dict(row, status="pass", caught_by="", detail="", passed=True))
                else:
                    step_rows.append(self.verdict(row, g, rec, {k: v[i] for k, v in lim.items()}))
            out.append(step_rows)
        return out

    def used(self, m, r, limit):
        """``agree``'s used, (S, G), for stacked (S, G, …) arrays."""
        S, G = r.shape[:2]
        return agree(m.reshape(S * G, -1), r.reshape(S * G, -1), limit.reshape(S * G, -1), self.fmax)[0].reshape(S, G)

    def dtype_problem(self, net, opt):
        """A sentence where manual_bp's parameters or gradients left the network's dtype, else ''."""
        for name, d in (("W", net.W), ("b", net.b), ("∂C/∂W", opt.gW), ("∂C/∂b", opt.gb)):
            for l, x in d.items():
                if np.asarray(x).dtype != self.dtype:
                    return f"{name}^{l} has dtype {np.asarray(x).dtype} after the step, expected {self.dtype}"
        return ""

    def limits(self, chunk, stack):
        """The rounding model's allowed difference for every compared entry, from torch's values, (S, G, …)."""
        spec, first = self.spec, chunk[0]
        W, b = split(stack("w_prev").astype(np.float64), self.net.W, self.net.b)
        K = first["Xb"].shape[-2]
        scale = K if spec.reduction == "mean" else 1  # autograd's z.grad is ∂(C_T/K)/∂z: δ per example is K times it
        f = lambda k: {l: np.stack([r[k][l] for r in chunk]).astype(np.float64) for l in first[k]}  # noqa: E731
        with np.errstate(all="ignore"):
            S = scales.Scales(W, b, list(spec.activations), spec.cost, spec.reduction, stack("Xb").astype(np.float64),
                                stack("Tb").astype(np.float64), f("z"), f("a"),
                                {l: d * scale for l, d in f("delta").items()}, self.dtype)  # fmt: skip
            S_g = flat_params(S.S_W, S.S_b)
            w_r, g_r = stack("w_r").astype(np.float64), stack("g_r").astype(np.float64)
            v_prev = None if first["v_prev"] is None else stack("v_prev").astype(np.float64)
            v_new = g_r if first["v_r"] is None else stack("v_r").astype(np.float64)
            g, w, v = rounding.step_limits(S_g, w_r, v_prev, v_new, spec.eta, spec.momentum, self.dtype)
            lim = dict(g=g, w=w, v=v, C=rounding.bound(S.S_CT, self.dtype), undetermined=S.undetermined)
            moved = np.abs(w_r - stack("w_prev")) / lim["w"]
            lim["moved"] = np.where(np.isfinite(moved), moved, np.nan).max(axis=-1, initial=0.0)
            finite = [np.isfinite(stack("w_prev")).all(axis=-1)]
            finite += [np.isfinite(lim[k]).reshape(*lim["C"].shape, -1).all(axis=-1) for k in ("g", "w", "v", "C")]
        lim["comparable"] = np.logical_and.reduce(finite)  # torch's state and the model's bounds finite, (S, G)
        return lim

    def verdict(self, row, g, rec, lim):
        """status pass / fail / not compared, the checks that failed, and what explains them."""
        failed = [c for c in CHECKS if not np.isnan(row[COLUMN[c]]) and not row[COLUMN[c]] <= 1.0]
        dtype_bad = rec["dtype_bad"]
        if dtype_bad:
            failed = ["dtype", *failed]
        if not lim["comparable"][g]:
            detail = "torch's state or the rounding bound is not finite (the run overflowed): nothing to compare"
            return dict(row, status="not compared", caught_by="", detail=detail, passed=True)
        detail = ""
        if failed and not dtype_bad:
            kink = self.kink(g, rec, lim)
            if kink is not None:
                text, ok = kink
                if ok and "cost" not in failed:  # σ''s branch moves the step, never the cost before it
                    return dict(row, status="pass", caught_by="", detail=text, passed=True)
                detail = text
        if failed:
            return dict(row, status="fail", caught_by=",".join(failed), detail=detail or dtype_bad, passed=False)
        return dict(row, status="pass", caught_by="", detail="", passed=True)

    def kink(self, g, rec, lim):
        """(what, agrees) for member g where a relu / leaky_relu z lies on different sides of 0, else None."""
        w_prev, v_prev, Xb, Tb, z = rec["w_prev"], rec["v_prev"], rec["Xb"], rec["Tb"], rec["z"]
        W, b = unflatten(w_prev[g], {l: w[g] for l, w in self.net.W.items()}, {l: v[g] for l, v in self.net.b.items()})
        zg = {l: v[g] for l, v in z.items()}
        member, where = pinned_member(W, b, Xb[g], zg, self.net.activations, self.net.cost.name, self.net.reduction,
                                      undetermined=lim["undetermined"][g])  # fmt: skip
        if member is None:
            return None
        opt = Recorder(self.spec.eta, self.spec.momentum)
        write_state(member, opt, w_prev[g], None if v_prev is None else v_prev[g])
        with np.errstate(all="ignore"):
            manual_bp.TrainStep(member, opt)(Xb[g], Tb[g])
        g_r, w_r, v_r = rec["g_r"], rec["w_r"], rec["v_r"]
        pairs = [(flat_params(opt.gW, opt.gb), g_r, "g"), (flat_params(member.W, member.b), w_r, "w")]
        if self.spec.momentum:
            pairs.append((velocity(opt, member), v_r, "v"))
        ok = all(agree(m[None], r[g][None], lim[k][g][None], self.fmax)[0][0] <= 1.0 for m, r, k in pairs)
        return f"{where}; recomputed with torch's branch there, it {'agrees' if ok else 'still differs'}", ok
