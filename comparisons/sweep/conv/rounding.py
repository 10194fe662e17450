r"""The rounding model of a convolutional network: common.rounding's, carried through conv and pooling layers.

A conv layer is a dense layer over its input's patches (im2col): z^F_{ij} = Σ_{c,u,v} w^F_{cuv} a^c_{is+u, js+v} + b^F
is a dot product of n = C·k·k terms and the bias, so its S is common.rounding's: its own roundings
(``sum_roundings``), the input's own roundings on squares and what it inherited linearly (``forward_carry``), σ by
``activation``.  Max pooling takes one unit's value and error; average pooling sums q² terms and divides.  Going
back, ∂C/∂a^{l−1} sums at most F·k·k terms per unit, and ∂C/∂w^F_{cuv}, ∂C/∂b^F sum over examples and positions:
their own roundings by ``sum_roundings``, the errors δ and a bring linearly within an example (its positions share
them) and in quadrature over examples.  The dense layers, δ^L, C_k and C_T are ``scales.Scales`` itself, on the
flattened maps with their errors; the update is ``rounding.update``.  Every S is in units of u, every allowed
difference ``rounding.bound``'s c·u·√sides·S, as for the dense sweep.

Two discontinuities are no rounding, and the model does not describe them: a relu / leaky_relu z on different
sides of 0 on the two sides (σ' jumps), and a max-pooling window whose maximum is another unit on each (δ goes
elsewhere).  Where a check fails and one of them is present, manual_bp's computation is repeated with the
reference's branch there and must then agree under this bound (``comparisons.sweep.conv.kinks``), as the dense
sweep's kinks are; σ's slope over z's allowed difference (``sigma.slope``) still carries z's error across a kink.

The values the equations run on are autograd's: torch's own, in the computation's dtype, for the
bound against torch (its branches: which unit a max-pooling window routes δ to, which side of a relu kink), and a
float64 one on the same numbers for the bound against the float32 oracle, as the dense sweep's bounds take torch's
values and the oracle's; the magnitudes are torch.nn.functional's in float64: the model never runs manual_bp's code.

A family — G networks of one architecture, W^l (G, F, C, k, k) or (G, n_l, n_{l−1}), b^l (G, F) or (G, n_l),
X (G, K, C, H, W), T (G, K, n_L) — is modelled at once, every member as it is alone: the values by a
TorchCNNFamily (``autograd``: the reference the sweep compares against, one network a family of one), the
magnitudes with G folded into K where there are no weights (patches, pooling, routing), with the members' maps side
by side in convolutions with groups = G (every example of every member its own group for the per-example sums), and
the stack to ``scales.Scales``.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from comparisons.common import rounding, scales, sigma
from comparisons.common.rounding import l2, l2sum, sum_roundings


def t64(x):
    return torch.tensor(np.asarray(x, dtype=np.float64))  # a copy: the inputs may be read-only


def n64(x):
    return x.detach().numpy()


def fold(x):
    """(G, K, …) as (G·K, …): the members' examples one batch, for what has no weights (patches, pooling)."""
    return x.reshape(-1, *x.shape[2:])


def side_by_side(x, per_example=False):
    """x (G, K, C, H, W) as the tensor (K, G·C, H, W) a convolution with groups = G reads, member g's channels
    g·C … g·C + C − 1; ``per_example``: (1, K·G·C, H, W), every example of every member a group of its own."""
    x = np.swapaxes(x, 0, 1)  # (K, G, C, H, W)
    return t64(x.reshape(1, -1, *x.shape[3:]) if per_example else x.reshape(len(x), -1, *x.shape[3:]))


def apart(y, G):
    """A convolution's (K, G·C, H, W) back as (G, K, C, H, W), C-contiguous."""
    return np.ascontiguousarray(np.swapaxes(y.reshape(len(y), G, -1, *y.shape[2:]), 0, 1))


def patches(x, k, s, p):
    """(G, K, P, C·k·k): the input patch of every output position of x (G, K, C, H, W), zero padded (im2col)."""
    cols = n64(F.unfold(t64(fold(x)), k, stride=s, padding=p)).swapaxes(1, 2)  # (G·K, P, C·k·k)
    return cols.reshape(*x.shape[:2], *cols.shape[1:])


def _whole(x):
    """Per member (the leading axis): whether every entry is an integer."""
    return (x == np.round(x)).reshape(len(x), -1).all(axis=1)


def autograd(layers, W, b, X, T, cost, at):
    """(values, z, a) of every member, stacked (G, …) in float64: a TorchCNNFamily's in the dtype ``at`` — the very
    computation the sweep compares against, so that the model's branches (which unit a max-pooling window routes δ
    to, which side of a relu kink a z lies on) are the reference's own."""
    from torch_ref import TorchCNNFamily
    from torch_ref.model import example_costs

    ref = TorchCNNFamily(X.shape[2:], layers, *({l: v.astype(at) for l, v in P.items()} for P in (W, b)), cost)
    t = ref.tensor(T.astype(at))
    C, z, a = ref.losses(ref.tensor(X.astype(at)), t)  # (G,), every layer's z (retaining its grad) and a
    C.sum().backward()
    with torch.no_grad():
        Ck = example_costs(cost, z[ref.L], a[ref.L], t)  # (G, K)
    f64 = lambda v: n64(v).astype(np.float64)  # noqa: E731
    p = ref.params_of()
    values = dict(W={l: f64(ref.stack(l, 0, w.grad)) for l, (w, _) in p.items()},
                  b={l: f64(ref.stack(l, 1, v.grad)) for l, (_, v) in p.items()},
                  delta={l: f64(v.grad) for l, v in z.items()}, C_k=f64(Ck), C_T=f64(C))  # fmt: skip
    return values, {l: f64(v) for l, v in z.items()}, {l: f64(v) for l, v in a.items()}


class Magnitudes:
    """Values (float64, autograd) and S of every quantity of a conv net's forward and backward pass on (X, T): of one
    network (X (K, C, H, W)), or of every member of a family (X (G, K, C, H, W), every array with the G axis)."""

    def __init__(self, layers, W, b, X, T, cost, dtype, at=np.float64):
        """``at``: the dtype of the pass whose values the equations run on (float64, or ``dtype`` itself: torch's).

        A family is told by X's five axes; its ``values``, ``z``, ``a`` and ``scales()`` keep the G axis (C_T: (G,)),
        one network's have none, as its arrays.  ``tail`` (``scales.Scales``) is a stack either way (of one)."""
        self.layers, self.cost, self.dtype = [dict(d) for d in layers], cost, np.dtype(dtype)
        self.u = u = rounding.unit_roundoff(dtype)
        self.floor = float(np.finfo(self.dtype).tiny) / u
        X, T = np.array(X, np.float64), np.array(T, np.float64)  # copies: torch wants writable arrays
        self.single = X.ndim == 4
        stack = (lambda x: x[None]) if self.single else (lambda x: x)  # one network: a family of one
        self.W, self.b = ({l: stack(np.asarray(v, np.float64)) for l, v in P.items()} for P in (W, b))
        X, T = stack(X), stack(T)
        self.G = len(X)
        sizes = {f"{name}[{l}]": len(v) for name, P in (("W", self.W), ("b", self.b)) for l, v in P.items()}
        sizes["T"] = len(T)
        odd = next((k for k, n in sizes.items() if n != self.G), None)
        if odd is not None:
            raise ValueError(f"X stacks {self.G} networks but {odd} stacks {sizes[odd]}: every stack needs one G")
        self.V, z, a = autograd(self.layers, self.W, self.b, X, T, cost, at)  # stacked, (G, …)
        self.Z, self.A = z, {1: X} | {l: v for l, v in a.items() if l > 1}
        self.first = next(l for l, d in enumerate(self.layers, start=2) if d["kind"] == "dense")
        zero = np.zeros_like(X)
        self.own, self.inh, self.Sa, self.exact = {1: zero}, {1: zero}, {1: zero}, {1: np.ones(X.shape, bool)}
        self.Sz, self.slope = {}, {}
        for l in range(2, self.first):
            {"conv": self.conv, "pool": self.pool}[self.layers[l - 2]["kind"]](l, self.layers[l - 2])
        self.tail = self.dense_tail(T)
        self.values, self.z, self.a = self.unstack(self.V), self.unstack(self.Z), self.unstack(self.A)

    def unstack(self, d):
        """A family's results as they are; one network's without the G axis (C_T a float)."""
        if not self.single:
            return d
        one = lambda k, v: float(v[0]) if k == "C_T" else self.unstack(v) if isinstance(v, dict) else v[0]  # noqa: E731
        return {k: one(k, v) for k, v in d.items()}

    def conv(self, l, d):
        """z^l over the patches of a^{l−1} (``rounding.affine``), exact in a member where every sum is (integers below
        1/u); σ."""
        k, s, p, G = d["size"], d["stride"], d["pad"], self.G
        A = patches(self.A[l - 1], k, s, p)  # (G, K, P, C·k·k)
        W = self.W[l].reshape(G, 1, self.W[l].shape[1], -1)  # (G, 1, F, C·k·k): every example's
        b = self.b[l][:, None]  # (G, 1, F)
        to_map = lambda x: x.swapaxes(-1, -2).reshape(self.Z[l].shape)  # noqa: E731  (G, K, P, F) → (G, K, F, H', W')
        new, came = rounding.affine(A, W, b, *(patches(S[l - 1], k, s, p) for S in (self.own, self.inh)))
        exact = self.exact[l - 1].reshape(G, -1).all(axis=1) & _whole(A) & _whole(W) & _whole(b)
        if exact.any():
            top = np.abs(A) @ np.abs(W).swapaxes(-1, -2) + np.abs(b)[:, :, None]  # (G, K, P, F)
            exact &= top.reshape(G, -1).max(axis=1, initial=0.0) < 1 / self.u
            new[exact] = 0 * new[exact]
        self.activate(l, d["activation"], to_map(new), to_map(came))

    def activate(self, l, name, new, came):
        """a^l = σ(z^l): its S, split into this layer's own roundings and what z^l brought (``sigma.split``)."""
        z, a = self.Z[l], self.A[l]
        self.Sz[l] = Sz = l2(new, came)
        self.Sa[l], self.own[l], self.inh[l], self.slope[l] = sigma.split(name, z, a, Sz, new, came, self.u, self.floor)
        self.exact[l] = self.Sa[l] == 0

    def pool(self, l, d):
        """Max: one unit's value and error; mean: q² terms / q² (the members' examples one batch)."""
        q, s = d["size"], d["stride"]
        own, inh, a = self.own[l - 1], self.inh[l - 1], self.A[l - 1]
        shape = (self.G, -1, *self.Z[l].shape[2:])
        if d["mode"] == "max":
            mp = lambda x: n64(F.max_pool2d(t64(fold(x)), q, s)).reshape(shape)  # noqa: E731
            # distinct windows (stride q) take distinct units, whose own roundings stay independent; else all shared
            self.own[l], self.inh[l] = (mp(own), mp(inh)) if s == q else (0 * mp(own), mp(own + inh))
        else:
            avg = lambda x: n64(F.avg_pool2d(t64(fold(x)), q, s)).reshape(shape)  # noqa: E731
            n, z = q * q, self.Z[l]
            new = l2(sum_roundings(n, n * avg(np.abs(a)), n * z) / n, z)  # the sum's roundings, then the division
            top = own.max(axis=tuple(range(1, own.ndim)), keepdims=True, initial=0.0)  # each member's largest
            m = np.maximum(top, np.finfo(np.float64).tiny)
            c_own, c_inh = np.sqrt(n * avg(np.square(own / m))) * m / n, avg(inh)  # √(Σ own²)/q², Σ inh/q²
            self.own[l], self.inh[l] = (l2(new, c_own), c_inh) if s == q else (new, c_own + c_inh)
        self.Sa[l] = l2(self.own[l], self.inh[l])
        self.exact[l] = self.Sa[l] == 0

    def dense_tail(self, T):
        """``scales.Scales`` on the dense layers, from the flattened maps with their errors (the whole stack)."""
        f, L = self.first, len(self.layers) + 1
        G, K = T.shape[:2]
        t = {l: l - f + 2 for l in range(f, L + 1)}  # the tail's own numbering: the flattened maps are its layer 1
        flat = lambda x: x.reshape(G, K, -1)  # noqa: E731
        return scales.Scales(
            {t[l]: self.W[l] for l in t}, {t[l]: self.b[l] for l in t},
            [self.layers[l - 2]["activation"] for l in t], self.cost, "sum", flat(self.A[f - 1]), T,
            {t[l]: flat(self.Z[l]) for l in t}, {1: flat(self.A[f - 1])} | {t[l]: flat(self.A[l]) for l in t},
            {t[l]: flat(self.V["delta"][l]) for l in t}, self.dtype,
            X_own=flat(self.own[f - 1]), X_inh=flat(self.inh[f - 1]),
        )  # fmt: skip

    def scales(self):
        """S of W, b, δ (per layer), C_k and C_T, the rounding model's, in units of u (a family's: (G, …), C_T (G,))."""
        tail, f, L = self.tail, self.first, len(self.layers) + 1
        delta = self.V["delta"]
        S = {k: {} for k in ("W", "b", "delta")}
        for l in range(L, f - 1, -1):  # the dense layers: Scales' own
            t = l - f + 2
            S["W"][l], S["b"][l], S["delta"][l] = (x[t] for x in (tail.S_W, tail.S_b, tail.S_delta))
        g = (delta[f] @ self.W[f]).reshape(self.A[f - 1].shape)  # ∂C/∂a^{f−1}: eq (5)'s sum through the first dense
        Sg = rounding.dot(delta[f], self.W[f], SA=tail.S_delta[2]).reshape(g.shape)
        for l in range(f - 1, 1, -1):
            d = self.layers[l - 2]
            if d["kind"] == "conv":
                S["delta"][l] = self.conv_delta(l, d, g, Sg)
                S["W"][l], S["b"][l] = self.conv_gradients(l, d, delta[l], S["delta"][l])
            else:
                S["delta"][l] = Sg
            if l > 2:
                g, Sg = self.back(l, d, delta[l], S["delta"][l])
        S["C_k"], S["C_T"] = tail.S_Ck, np.asarray(tail.S_CT, np.float64)
        return self.unstack(S)

    def conv_delta(self, l, d, g, Sg):
        """S of δ^l = g ⊙ σ'(z^l), eq (5): g's error carried by σ's largest slope, σ' by its terms."""
        p, Sp = sigma.prime(d["activation"], self.Z[l], self.A[l], self.Sz[l], self.Sa[l], self.floor, self.u)
        return rounding.product(g, np.maximum(self.slope[l], np.abs(p)), Sg, Sp, self.u)

    def weight_sum(self, l, d, x, y, per_example=False):
        """Σ over examples and positions of y ⊗ x's patches, x (G, K, C, H, W), y (G, K, F, H', W'): ∂/∂W^l of the
        conv with cotangent y, as torch sums it, (G, F, C, k, k); ``per_example``: each example's apart (G, K, …)."""
        G, K = x.shape[:2]
        groups, shape = G * K if per_example else G, self.W[l].shape[1:]  # shape: (F, C, k, k)
        w = torch.nn.grad.conv2d_weight(side_by_side(x, per_example), (groups * shape[0], *shape[1:]),
                                        side_by_side(y, per_example), stride=d["stride"], padding=d["pad"],
                                        groups=groups)  # fmt: skip
        w = n64(w).reshape(groups, *shape)  # (K·G or G, F, C, k, k)
        return np.ascontiguousarray(w.reshape(K, G, *shape).swapaxes(0, 1)) if per_example else w

    def conv_gradients(self, l, d, delta, Sd):
        """S of ∂C/∂W^l = Σ_{k,i,j} δ a (a correlation) and ∂C/∂b^l = Σ δ, eqs (2), (3), summed over N = K·H'·W'."""
        a, Sa = self.A[l - 1], self.Sa[l - 1]
        N = delta.shape[1] * delta.shape[3] * delta.shape[4]
        own = sum_roundings(N, self.weight_sum(l, d, np.abs(a), np.abs(delta)), self.V["W"][l])
        per = self.weight_sum(l, d, np.abs(a), Sd, True) + self.weight_sum(l, d, Sa, np.abs(delta), True)
        S_W = l2(own, l2sum(per, 1))  # linear within an example, in quadrature over examples (each member's own)
        S_b = l2(sum_roundings(N, np.abs(delta).sum((1, 3, 4)), self.V["b"][l]), l2sum(Sd.sum((3, 4)), 1))
        return S_W, S_b

    def back(self, l, d, delta, Sd):
        """∂C/∂a^{l−1} and its S from δ^l through layer l: a conv's transposed sum, or the pooling's routing."""
        a, G = self.A[l - 1], self.G
        if d["kind"] == "conv":
            W, st, pd = self.W[l], d["stride"], d["pad"]
            size = (a.shape[1], G * a.shape[2], *a.shape[3:])  # (K, G·C, H, W)

            def gi(w, y):  # w (G, F, C, k, k) as (G·F, C, k, k), the grouped convolution's weight
                w = t64(w.reshape(-1, *w.shape[2:]))
                y = torch.nn.grad.conv2d_input(size, w, side_by_side(y), stride=st, padding=pd, groups=G)
                return apart(n64(y), G)

            g = gi(W, delta)
            n = W.shape[1] * W.shape[3] * W.shape[4]  # at most F·k·k terms reach one input unit
            return g, l2(sum_roundings(n, gi(np.abs(W), np.abs(delta)), g), gi(np.abs(W), Sd))
        q, s = d["size"], d["stride"]
        x = t64(fold(a)).requires_grad_(True)
        pooled = (F.max_pool2d if d["mode"] == "max" else F.avg_pool2d)(x, q, s)

        def route(y):  # torch's rule, per member and example
            return n64(torch.autograd.grad(pooled, x, t64(fold(y)), retain_graph=True)[0]).reshape(a.shape)

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
