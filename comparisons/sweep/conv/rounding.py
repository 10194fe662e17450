r"""The rounding model of a convolutional network: common.rounding's, carried through conv and pooling layers.

A conv layer is a dense layer over its input's patches (im2col): z^F_{ij} = Σ_{c,u,v} w^F_{cuv} a^c_{is+u, js+v} + b^F
is a dot product of n = C·k·k terms and the bias, so its S is common.rounding's: its own roundings
(``sum_roundings``), the input's own roundings on squares and what it inherited linearly (``forward_carry``), σ by
``activation``.  Max pooling takes one unit's value and error; average pooling sums q² terms and divides.  Going
back, ∂C/∂a^{l−1} sums at most F·k·k terms per unit, and ∂C/∂w^F_{cuv}, ∂C/∂b^F sum over examples and positions:
their own roundings by ``sum_roundings``, the errors δ and a bring linearly within an example (its positions share
them) and in quadrature over examples.  The dense layers, δ^L, C_k and C_T are ``rounding.Scales`` itself, on the
flattened maps with their errors; the update is ``rounding.update``.  Every S is in units of u, every allowed
difference ``rounding.bound``'s c·u·√sides·S, as for the dense sweep.

Two places where rounding moves a value across a discontinuity are part of the model, not excused after the fact:
a relu / leaky_relu unit whose z lies within its allowed difference of 0 may take either slope, so σ' there carries
the whole jump; a max-pooling window where another unit lies within the allowed differences of the maximum may route
δ to either, and each such unit carries |δ| whole.  Exact values (S = 0: integer images, kernels of small integers,
sums below 1/u) are never such cases: both sides compute them alike, and their ties follow torch's rule.

The values (and the float32 oracle) are a float64 TorchCNN's on the float problem's numbers, by autograd; the
magnitudes are torch.nn.functional's in float64: the model never runs manual_bp's code.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from comparisons.common import rounding
from comparisons.common.rounding import C, l2, l2sum, sum_roundings

JUMP = {"relu": 1.0, "leaky_relu": 0.99}  # how far σ' jumps across the kink
SQRT2 = np.sqrt(2.0)


def t64(x):
    return torch.tensor(np.asarray(x, dtype=np.float64))  # a copy: the inputs may be read-only


def n64(x):
    return x.detach().numpy()


def patches(x, k, s, p):
    """(K, P, C·k·k): the input patch of every output position, zero padded (im2col)."""
    return n64(F.unfold(t64(x), k, stride=s, padding=p)).swapaxes(1, 2)


def _whole(x):
    return bool(np.all(x == np.round(x)))


class Magnitudes:
    """Values (float64, autograd) and S of every quantity of one conv net's forward and backward pass on (X, T)."""

    def __init__(self, layers, W, b, X, T, cost, dtype):
        from torch_ref import TorchCNN

        self.layers, self.cost, self.dtype = [dict(d) for d in layers], cost, np.dtype(dtype)
        self.u = u = rounding.unit_roundoff(dtype)
        self.floor = float(np.finfo(self.dtype).tiny) / u
        self.W = {l: np.asarray(w, np.float64) for l, w in W.items()}
        self.b = {l: np.asarray(v, np.float64) for l, v in b.items()}
        X, T = np.array(X, np.float64), np.array(T, np.float64)  # copies: torch wants writable arrays
        ref = TorchCNN(X.shape[1:], self.layers, self.W, self.b, cost)
        with torch.no_grad():
            z, a = ref.forward(ref.tensor(X), retain=False)
        self.z, self.a = {l: n64(v) for l, v in z.items()}, {1: X} | {l: n64(v) for l, v in a.items() if l > 1}
        gW, gb, delta = ref.gradients(X, T)
        self.values = dict(W=gW, b=gb, delta=delta, C_k=ref.costs(X, T), C_T=ref.total_cost(X, T))
        self.first = next(l for l, d in enumerate(self.layers, start=2) if d["kind"] == "dense")
        zero = np.zeros_like(X)
        self.own, self.inh, self.Sa, self.exact = {1: zero}, {1: zero}, {1: zero}, {1: np.ones(X.shape, bool)}
        self.Sz, self.slope, self.kink, self.ties = {}, {}, {}, {}
        for l in range(2, self.first):
            {"conv": self.conv, "pool": self.pool}[self.layers[l - 2]["kind"]](l, self.layers[l - 2])
        self.T = T
        self.tail = self.dense_tail(T)

    def conv(self, l, d):
        """z^l over the patches of a^{l−1} (``rounding.affine``), exact where every sum is (integers below 1/u); σ."""
        k, s, p = d["size"], d["stride"], d["pad"]
        A = patches(self.a[l - 1], k, s, p)  # (K, P, C·k·k)
        W = self.W[l].reshape(len(self.W[l]), -1)  # (F, C·k·k)
        to_map = lambda x: x.swapaxes(1, 2).reshape(self.z[l].shape)  # noqa: E731  (K, P, F) → (K, F, H', W')
        new, came = rounding.affine(A, W, self.b[l], *(patches(S[l - 1], k, s, p) for S in (self.own, self.inh)))
        exact = (self.exact[l - 1].all() and _whole(A) and _whole(W) and _whole(self.b[l])
                 and float((np.abs(A) @ np.abs(W).T + np.abs(self.b[l])).max(initial=0.0)) < 1 / self.u)  # fmt: skip
        self.activate(l, d["activation"], to_map(0 * new if exact else new), to_map(came))

    def activate(self, l, name, new, came):
        """a^l = σ(z^l): its S, split into this layer's own roundings and what z^l brought (``rounding.split``)."""
        z, a = self.z[l], self.a[l]
        self.Sz[l] = Sz = l2(new, came)
        self.Sa[l], self.own[l], self.inh[l], self.slope[l] = rounding.split(
            name, z, a, Sz, new, came, self.u, self.floor
        )
        near = C * self.u * SQRT2 * Sz
        self.kink[l] = (np.abs(z) <= near) & (near > 0) if name in JUMP else np.zeros(z.shape, bool)
        self.exact[l] = self.Sa[l] == 0

    def pool(self, l, d):
        """Max: one unit's value and error (and the windows whose winner rounding may change); mean: q² terms / q²."""
        q, s = d["size"], d["stride"]
        own, inh, a = self.own[l - 1], self.inh[l - 1], self.a[l - 1]
        if d["mode"] == "max":
            mp = lambda x: n64(F.max_pool2d(t64(x), q, s))  # noqa: E731
            self.ties[l] = self.undetermined(a, self.Sa[l - 1], self.exact[l - 1], q, s)
            # distinct windows (stride q) take distinct units, whose own roundings stay independent; else all shared
            self.own[l], self.inh[l] = (mp(own), mp(inh)) if s == q else (0 * mp(own), mp(own + inh))
        else:
            avg = lambda x: n64(F.avg_pool2d(t64(x), q, s))  # noqa: E731
            n, z = q * q, self.z[l]
            new = l2(sum_roundings(n, n * avg(np.abs(a)), n * z) / n, z)  # the sum's roundings, then the division
            m = np.maximum(own.max(initial=0.0), np.finfo(np.float64).tiny)
            c_own, c_inh = np.sqrt(n * avg(np.square(own / m))) * m / n, avg(inh)  # √(Σ own²)/q², Σ inh/q²
            self.own[l], self.inh[l] = (l2(new, c_own), c_inh) if s == q else (new, c_own + c_inh)
        self.Sa[l] = l2(self.own[l], self.inh[l])
        self.exact[l] = self.Sa[l] == 0

    def undetermined(self, a, S, exact, q, s):
        """Per window (unfolded, (K, C, q², windows)), the units within rounding of its maximum, where more than one is.

        A unit exact and equal to the exact maximum is a tie on both sides alike (the same function of the same
        numbers): torch's rule decides it, so it is no rounding case."""
        K, Cn = a.shape[:2]
        unfold = lambda x: F.unfold(t64(x), q, stride=s).view(K, Cn, q * q, -1)  # noqa: E731
        win, err, ex = unfold(a), unfold(S), unfold(exact) > 0
        arg = win.argmax(dim=2, keepdim=True)
        top, top_err = win.amax(dim=2, keepdim=True), torch.gather(err, 2, arg)
        tie = ex & torch.gather(ex, 2, arg) & (win == top)
        near = (top - win <= C * self.u * SQRT2 * (err + top_err)) & ((err + top_err) > 0) & ~tie
        winner = torch.zeros_like(near).scatter_(2, arg, True)
        # undetermined when another unit lies within rounding of the maximum; the maximum is then a candidate too,
        # even when exact (an exact 0 beside a relu unit that rounds to ±1e−8)
        return ((near | winner) & (near & ~winner).any(dim=2, keepdim=True)).numpy()

    def dense_tail(self, T):
        """``rounding.Scales`` on the dense layers, from the flattened maps with their errors (stack of one)."""
        f, L = self.first, len(self.layers) + 1
        K = T.shape[0]
        t = {l: l - f + 2 for l in range(f, L + 1)}  # the tail's own numbering: the flattened maps are its layer 1
        flat = lambda x: x.reshape(K, -1)[None]  # noqa: E731
        return rounding.Scales(
            {t[l]: self.W[l][None] for l in t}, {t[l]: self.b[l][None] for l in t},
            [self.layers[l - 2]["activation"] for l in t], self.cost, "sum", flat(self.a[f - 1]), T[None],
            {t[l]: flat(self.z[l]) for l in t}, {1: flat(self.a[f - 1])} | {t[l]: flat(self.a[l]) for l in t},
            {t[l]: flat(self.values["delta"][l]) for l in t}, self.dtype,
            X_own=flat(self.own[f - 1]), X_inh=flat(self.inh[f - 1]),
        )  # fmt: skip

    def scales(self):
        """(S, J) of W, b, δ (per layer), C_k and C_T: S the rounding model's, in units of u; J the jumps a kink or a
        max-pooling winner may make, absolute, added to the bound whole (they are no rounding: they add linearly
        wherever they meet, examples included)."""
        tail, f, L = self.tail, self.first, len(self.layers) + 1
        delta, K = self.values["delta"], len(self.a[1])
        S, J = ({k: {} for k in ("W", "b", "delta")} for _ in range(2))
        Jg = np.zeros_like(delta[L])
        for l in range(L, f - 1, -1):  # the dense layers: S from Scales, the jumps of their kinks
            t, a = l - f + 2, self.a[l - 1].reshape(K, -1)
            S["W"][l], S["b"][l], S["delta"][l] = (x[t][0] for x in (tail.S_W, tail.S_b, tail.S_delta))
            g = delta[l + 1] @ self.W[l + 1] if l < L else self.a[L] - self.T  # ∂C/∂a^l (a − t: squared error's)
            name, Sz, Sa = self.layers[l - 2]["activation"], tail.Sz[t][0], tail.Sa[t][0]
            J["delta"][l] = self.jump(name, self.z[l], self.a[l], Sz, Sa, g, Jg)
            J["W"][l], J["b"][l] = J["delta"][l].T @ np.abs(a), J["delta"][l].sum(axis=0)
            Jg = J["delta"][l] @ np.abs(self.W[l])
        g = (delta[f] @ self.W[f]).reshape(self.a[f - 1].shape)  # ∂C/∂a^{f−1}: eq (5)'s sum through the first dense
        Sg = rounding.dot(delta[f], self.W[f], SA=tail.S_delta[2][0]).reshape(g.shape)
        Jg = Jg.reshape(g.shape)
        for l in range(f - 1, 1, -1):
            d = self.layers[l - 2]
            if d["kind"] == "conv":
                S["delta"][l], J["delta"][l] = self.conv_delta(l, d, g, Sg, Jg)
                S["W"][l], S["b"][l] = self.conv_gradients(l, d, delta[l], S["delta"][l])
                J["W"][l], J["b"][l] = (
                    self.weight_sum(l, d, np.abs(self.a[l - 1]), J["delta"][l]),
                    J["delta"][l].sum(axis=(0, 2, 3)),
                )
            else:
                S["delta"][l], J["delta"][l] = Sg, Jg
            if l > 2:
                g, Sg, Jg = self.back(l, d, delta[l], S["delta"][l], J["delta"][l])
        S["C_k"], S["C_T"] = tail.S_Ck[0], float(tail.S_CT[0])
        J["C_k"], J["C_T"] = np.zeros_like(S["C_k"]), 0.0
        return S, J

    def jump(self, name, z, a, Sz, Sa, g, Jg):
        """J of δ = g ⊙ σ'(z): g's jumps times the largest σ' a side may compute (σ's largest slope over z's allowed
        difference, plus σ''s own: a routed δ meets the float σ', not the exact one), and where z lies within its
        allowed difference of a relu / leaky_relu kink, σ' itself may jump: |g|·(its jump), whole."""
        near = C * self.u * SQRT2 * Sz
        s = rounding.slope(name, z, a, near)
        _, Sp = rounding.prime(name, z, a, Sz, Sa, self.floor)
        kink = (np.abs(z) <= near) & (near > 0) if name in JUMP else False
        return Jg * (s + C * self.u * SQRT2 * Sp) + np.abs(g) * np.where(kink, JUMP.get(name, 0.0), 0.0)

    def conv_delta(self, l, d, g, Sg, Jg):
        """(S, J) of δ^l = g ⊙ σ'(z^l), eq (5): g's error carried by σ's largest slope, σ' by its terms."""
        name = d["activation"]
        p, Sp = rounding.prime(name, self.z[l], self.a[l], self.Sz[l], self.Sa[l], self.floor)
        S = rounding.product(g, np.maximum(self.slope[l], np.abs(p)), Sg, Sp, self.u)
        return S, self.jump(name, self.z[l], self.a[l], self.Sz[l], self.Sa[l], g, Jg)

    def weight_sum(self, l, d, x, y):
        """Σ over examples and positions of y ⊗ x's patches: ∂/∂W^l of the conv with cotangent y, as torch sums it."""
        return n64(torch.nn.grad.conv2d_weight(t64(x), self.W[l].shape, t64(y), stride=d["stride"], padding=d["pad"]))

    def conv_gradients(self, l, d, delta, Sd):
        """S of ∂C/∂W^l = Σ_{k,i,j} δ a (a correlation) and ∂C/∂b^l = Σ δ, eqs (2), (3), summed over N = K·H'·W'."""
        a, Sa = self.a[l - 1], self.Sa[l - 1]
        wg = lambda x, y: self.weight_sum(l, d, x, y)  # noqa: E731
        N = delta.shape[0] * delta.shape[2] * delta.shape[3]
        own = sum_roundings(N, wg(np.abs(a), np.abs(delta)), self.values["W"][l])
        per = np.stack(
            [
                wg(np.abs(a[k : k + 1]), Sd[k : k + 1]) + wg(Sa[k : k + 1], np.abs(delta[k : k + 1]))
                for k in range(len(a))
            ]
        )  # fmt: skip  (linear within an example)
        S_W = l2(own, l2sum(per, 0))  # in quadrature over examples
        S_b = l2(sum_roundings(N, np.abs(delta).sum((0, 2, 3)), self.values["b"][l]), l2sum(Sd.sum((2, 3)), 0))
        return S_W, S_b

    def back(self, l, d, delta, Sd, Jd):
        """∂C/∂a^{l−1}, its S and its J from δ^l through layer l: a conv's transposed sum, or the pooling's routing."""
        a = self.a[l - 1]
        if d["kind"] == "conv":
            W, st, pd = self.W[l], d["stride"], d["pad"]
            gi = lambda w, y: n64(torch.nn.grad.conv2d_input(a.shape, t64(w), t64(y), stride=st, padding=pd))  # noqa: E731
            g = gi(W, delta)
            n = W.shape[0] * W.shape[2] * W.shape[3]  # at most F·k·k terms reach one input unit
            return g, l2(sum_roundings(n, gi(np.abs(W), np.abs(delta)), g), gi(np.abs(W), Sd)), gi(np.abs(W), Jd)
        q, s = d["size"], d["stride"]
        x = t64(a).requires_grad_(True)
        pooled = (F.max_pool2d if d["mode"] == "max" else F.avg_pool2d)(x, q, s)
        route = lambda y: n64(torch.autograd.grad(pooled, x, t64(y), retain_graph=True)[0])  # noqa: E731  torch's rule
        g = route(delta)
        if d["mode"] == "avg":  # δ/q² to every unit of a window (a rounding each), summed over overlapping windows
            r = route(np.abs(delta))
            return g, l2(r, sum_roundings(q * q, r, g), route(Sd)), route(Jd)
        other = np.abs(delta) + C * self.u * SQRT2 * Sd + Jd  # the δ one side may send instead, with its error
        K, Cn = a.shape[:2]
        spread = F.fold(t64(self.ties[l] * other.reshape(K, Cn, 1, -1)).flatten(1, 2), a.shape[2:], q, stride=s)
        return g, route(Sd), route(Jd) + n64(spread)  # a unit that may take δ instead carries it whole


def step_scale(W, b, values, S, J, eta, momentum, vel):
    """{key: (S, J)} of w' = w − η v and of v = μ v_prev + ∇C (v = ∇C without momentum, or at the first step):
    S by rounding.update, J (the gradient's jumps) carried as η J and J."""
    out_w, out_v = {}, {}
    for kind, P in (("W", W), ("b", b)):
        for l in P:
            key, g = (kind, l), values[kind][l]
            v_prev = vel.get(key) if momentum else None
            v_prev = None if v_prev is None else np.asarray(v_prev, np.float64)
            v = g if v_prev is None else momentum * v_prev + g
            Sw, Sv = rounding.update(np.asarray(P[l], np.float64) - eta * v, v_prev, v, eta, momentum, S[kind][l])
            out_w[key], out_v[key] = (Sw, eta * J[kind][l]), (Sv, J[kind][l])
    return out_w, out_v
