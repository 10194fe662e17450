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

Two discontinuities are no rounding, and the model does not describe them: a relu / leaky_relu z on different
sides of 0 on the two sides (σ' jumps), and a max-pooling window whose maximum is another unit on each (δ goes
elsewhere).  Where a check fails and one of them is present, manual_bp's computation is repeated with the
reference's branch there and must then agree under this bound (``comparisons.sweep.conv.kinks``), as the dense
sweep's kinks are; σ's slope over z's allowed difference (``rounding.slope``) still carries z's error across a kink.

The values the equations run on are a TorchCNN's by autograd: torch's own, in the computation's dtype, for the
bound against torch (its branches: which unit a max-pooling window routes δ to, which side of a relu kink), and a
float64 one on the same numbers for the bound against the float32 oracle, as the dense sweep's bounds take torch's
values and the oracle's; the magnitudes are torch.nn.functional's in float64: the model never runs manual_bp's code.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from comparisons.common import rounding
from comparisons.common.rounding import l2, l2sum, sum_roundings


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

    def __init__(self, layers, W, b, X, T, cost, dtype, at=np.float64):
        """``at``: the dtype of the pass whose values the equations run on (float64, or ``dtype`` itself: torch's)."""
        from torch_ref import TorchCNN

        self.layers, self.cost, self.dtype = [dict(d) for d in layers], cost, np.dtype(dtype)
        self.u = u = rounding.unit_roundoff(dtype)
        self.floor = float(np.finfo(self.dtype).tiny) / u
        self.W = {l: np.asarray(w, np.float64) for l, w in W.items()}
        self.b = {l: np.asarray(v, np.float64) for l, v in b.items()}
        X, T = np.array(X, np.float64), np.array(T, np.float64)  # copies: torch wants writable arrays
        up = lambda d: {l: np.asarray(v, np.float64) for l, v in d.items()}  # noqa: E731
        ref = TorchCNN(X.shape[1:], self.layers, *({l: v.astype(at) for l, v in P.items()} for P in (self.W, self.b)),
                       cost)  # fmt: skip
        Xa, Ta = X.astype(at), T.astype(at)
        with torch.no_grad():
            z, a = ref.forward(ref.tensor(Xa), retain=False)
        self.z, self.a = up({l: n64(v) for l, v in z.items()}), {1: X} | up({l: n64(v) for l, v in a.items() if l > 1})
        gW, gb, delta = (up(d) for d in ref.gradients(Xa, Ta))
        self.values = dict(W=gW, b=gb, delta=delta, C_k=np.asarray(ref.costs(Xa, Ta), np.float64),
                           C_T=float(ref.total_cost(Xa, Ta)))  # fmt: skip
        self.first = next(l for l, d in enumerate(self.layers, start=2) if d["kind"] == "dense")
        zero = np.zeros_like(X)
        self.own, self.inh, self.Sa, self.exact = {1: zero}, {1: zero}, {1: zero}, {1: np.ones(X.shape, bool)}
        self.Sz, self.slope = {}, {}
        for l in range(2, self.first):
            {"conv": self.conv, "pool": self.pool}[self.layers[l - 2]["kind"]](l, self.layers[l - 2])
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
        self.exact[l] = self.Sa[l] == 0

    def pool(self, l, d):
        """Max: one unit's value and error; mean: q² terms / q²."""
        q, s = d["size"], d["stride"]
        own, inh, a = self.own[l - 1], self.inh[l - 1], self.a[l - 1]
        if d["mode"] == "max":
            mp = lambda x: n64(F.max_pool2d(t64(x), q, s))  # noqa: E731
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
        """S of W, b, δ (per layer), C_k and C_T, the rounding model's, in units of u."""
        tail, f, L = self.tail, self.first, len(self.layers) + 1
        delta = self.values["delta"]
        S = {k: {} for k in ("W", "b", "delta")}
        for l in range(L, f - 1, -1):  # the dense layers: Scales' own
            t = l - f + 2
            S["W"][l], S["b"][l], S["delta"][l] = (x[t][0] for x in (tail.S_W, tail.S_b, tail.S_delta))
        g = (delta[f] @ self.W[f]).reshape(self.a[f - 1].shape)  # ∂C/∂a^{f−1}: eq (5)'s sum through the first dense
        Sg = rounding.dot(delta[f], self.W[f], SA=tail.S_delta[2][0]).reshape(g.shape)
        for l in range(f - 1, 1, -1):
            d = self.layers[l - 2]
            if d["kind"] == "conv":
                S["delta"][l] = self.conv_delta(l, d, g, Sg)
                S["W"][l], S["b"][l] = self.conv_gradients(l, d, delta[l], S["delta"][l])
            else:
                S["delta"][l] = Sg
            if l > 2:
                g, Sg = self.back(l, d, delta[l], S["delta"][l])
        S["C_k"], S["C_T"] = tail.S_Ck[0], float(tail.S_CT[0])
        return S

    def conv_delta(self, l, d, g, Sg):
        """S of δ^l = g ⊙ σ'(z^l), eq (5): g's error carried by σ's largest slope, σ' by its terms."""
        p, Sp = rounding.prime(d["activation"], self.z[l], self.a[l], self.Sz[l], self.Sa[l], self.floor, self.u)
        return rounding.product(g, np.maximum(self.slope[l], np.abs(p)), Sg, Sp, self.u)

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

    def back(self, l, d, delta, Sd):
        """∂C/∂a^{l−1} and its S from δ^l through layer l: a conv's transposed sum, or the pooling's routing."""
        a = self.a[l - 1]
        if d["kind"] == "conv":
            W, st, pd = self.W[l], d["stride"], d["pad"]
            gi = lambda w, y: n64(torch.nn.grad.conv2d_input(a.shape, t64(w), t64(y), stride=st, padding=pd))  # noqa: E731
            g = gi(W, delta)
            n = W.shape[0] * W.shape[2] * W.shape[3]  # at most F·k·k terms reach one input unit
            return g, l2(sum_roundings(n, gi(np.abs(W), np.abs(delta)), g), gi(np.abs(W), Sd))
        q, s = d["size"], d["stride"]
        x = t64(a).requires_grad_(True)
        pooled = (F.max_pool2d if d["mode"] == "max" else F.avg_pool2d)(x, q, s)
        route = lambda y: n64(torch.autograd.grad(pooled, x, t64(y), retain_graph=True)[0])  # noqa: E731  torch's rule
        g = route(delta)
        if d["mode"] == "avg":  # δ/q² to every unit of a window (a rounding each), summed over overlapping windows
            r = route(np.abs(delta))
            return g, l2(r, sum_roundings(q * q, r, g), route(Sd))
        return g, route(Sd)  # the winner takes δ and its error (another winner on one side: conv.kinks)


def step_scale(W, b, values, S, eta, momentum, vel):
    """{key: S} of w' = w − η v and of v = μ v_prev + ∇C (v = ∇C without momentum, or at the first step), by
    rounding.update."""
    out_w, out_v = {}, {}
    for kind, P in (("W", W), ("b", b)):
        for l in P:
            key, g = (kind, l), values[kind][l]
            v_prev = vel.get(key) if momentum else None
            v_prev = None if v_prev is None else np.asarray(v_prev, np.float64)
            v = g if v_prev is None else momentum * v_prev + g
            Sw, Sv = rounding.update(np.asarray(P[l], np.float64) - eta * v, v_prev, v, eta, momentum, S[kind][l])
            out_w[key], out_v[key] = Sw, Sv
    return out_w, out_v
