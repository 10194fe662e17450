r"""The rounding model of a convolutional network: the same equations run on magnitudes.

Every computed quantity q is given a scale E(q) such that one side's float result differs from the
exact q by at most u·E(q) to first order (u the dtype's unit roundoff).  It follows from the standard
bound for a sum of n products, |fl(Σ w a) − Σ w a| ≤ γ_n Σ |w||a| with γ_n ≈ n·u, carried through
the forward pass, eq (4), eq (5') and eqs (2), (3) and the update, with each factor's own error:

- conv / dense: E(z) = (n + 1)(|W| ⋆ |a| + |b|) + |W| ⋆ E(a^{l−1})  (n = C·k·k or n_{l−1} terms, + the bias);
- σ: E(a) = |σ'(z)| E(z) + 4|a| for tanh, sigmoid, softplus (a few ulps of the library function), E(z) otherwise;
- σ' from a (tanh 1 − a², sigmoid a(1 − a)) or z: E(σ') = r·E(a) + 2(|σ'| + r|a|), r = |σ''/σ'| ≤ 2;
- max pooling: E(z) = the window's largest E(a); avg pooling: the mean of E(a) + (q² + 1)·the mean of |a|;
- back through a layer: E(∂C/∂a^l) = |W| ⋆ᵀ E(δ^{l+1}) + n'·|W| ⋆ᵀ |δ^{l+1}|, then E(δ^l) = E(g)|σ'| + |g|E(σ') + |δ^l|;
- ∂C/∂W: Σ E(δ)|a| + |δ|E(a) + N|δ||a| over the N = K·H'·W' (or K) terms it sums; ∂C/∂b alike;
- the update: E(v) = E(∇C) + 2|μ v| + |v| (μ rounded to the dtype, μv, the sum), E(w') = η E(v) + 2(η|v| + |w'|);
- every rounding may also underflow: fl(x) = x(1 + ε) + η with |η| ≤ the smallest normal number (flush to
  zero included), counted once per term (a softmax output of e^{−100} is 0 in float32, 1e−44 in float64).

Two places where rounding moves a value across a discontinuity are part of the model, not excused
after the fact: a relu / leaky_relu unit whose |z| ≤ 2u·E(z) (with E(z) > 0) may take either slope,
so E(σ') there is the jump (1/u units: the whole slope); a max-pooling window where another unit is
within 2u·(E(a_i) + E(a_max)) of the maximum may route δ to either, so each such unit gets |δ|/u.
Exact values (E = 0, e.g. integer images, relu zeros) are never such cases: their ties follow torch's rule.

Everything is computed in float64 by torch.nn.functional on the float problem's numbers (upcast
exactly): the model never runs manual_bp's code, so a wrong manual_bp cannot widen its own bound.
Two sides each within u·E of the exact value differ by at most 2u·E: the constant C = 2 is that
worst case, not a probabilistic one (the worst case keeps a missed rounding argument from raising
a false alarm; rounding rarely reaches it, so the margin is reported).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from comparisons.common.rounding import EXP_U
from torch_ref import ACTIVATIONS

C = 2.0  # two sides, each within u·E of the exact value
LIBRARY_ULPS = EXP_U  # tanh, sigmoid, softplus, exp: their largest error in units of u, measured (common.rounding)
SMOOTH = ("tanh", "sigmoid", "softplus")


def unit_roundoff(dtype):
    """u = eps/2 of ``dtype``."""
    return float(np.finfo(np.dtype(dtype)).eps) / 2


def underflow(u):
    """An underflow's absolute error in units of u: fl(x) = x(1 + ε) + η, |η| ≤ the smallest normal (or flushed)."""
    dtype = np.float32 if u == unit_roundoff(np.float32) else np.float64
    return float(np.finfo(dtype).tiny) / u


def t64(x):
    return torch.tensor(np.asarray(x, dtype=np.float64))  # a copy: the inputs may be read-only


def act_terms(name, z):
    """σ(z), σ'(z) and σ''(z) of torch's own activation module, by autograd (float64)."""
    zz = z.detach().clone().requires_grad_(True)
    a = ACTIVATIONS[name]()(zz)
    (p,) = torch.autograd.grad(a.sum(), zz, create_graph=True)
    pp = torch.autograd.grad(p.sum(), zz, allow_unused=True)[0] if p.requires_grad else None
    return a.detach(), p.detach(), torch.zeros_like(z) if pp is None else pp.detach()


class Magnitudes:
    """The forward pass of one network on magnitudes: values (float64) and scales E for every layer."""

    def __init__(self, layers, W, b, X, u):
        self.layers, self.u, self.floor = layers, u, underflow(u)
        self.W, self.b = {l: t64(w) for l, w in W.items()}, {l: t64(v) for l, v in b.items()}
        self.z, self.a, self.Ez, self.Ea, self.prime, self.Eprime = (
            {},
            {1: t64(X)},
            {},
            {1: torch.zeros_like(t64(X))},
            {},
            {},
        )
        self.slope = {}  # l: |σ'(z^l)|, or 1 within rounding of a relu / leaky_relu kink (either branch's slope)
        self.ties = {}  # l: (K, C·q·q, L) mask of the units a max-pooling window may route δ to, where undetermined
        self.src = {1: (self.a[1], torch.ones_like(self.a[1], dtype=torch.bool))}  # l: (z^l, where z^l is exact)
        for l, d in enumerate(layers, start=2):
            self.layer(l, d)

    def layer(self, l, d):
        a, Ea = self.a[l - 1], self.Ea[l - 1]
        kind = d["kind"]
        if kind == "pool":
            q, s = d["size"], d["stride"]
            if d["mode"] == "max":
                self.z[l] = F.max_pool2d(a, q, s)
                self.Ez[l] = F.max_pool2d(Ea, q, s)  # the value taken is one unit's: at most the window's largest error
                self.ties[l] = self.undetermined(a, Ea, self.src[l - 1], q, s)
            else:
                self.z[l] = F.avg_pool2d(a, q, s)
                self.Ez[l] = F.avg_pool2d(Ea, q, s) + (q * q + 1) * (F.avg_pool2d(a.abs(), q, s) + self.floor)
            self.a[l], self.Ea[l] = self.z[l], self.Ez[l]
            self.src[l] = (self.z[l], self.Ez[l] == 0)
            return
        W, b = self.W[l], self.b[l]
        if kind == "conv":
            s, p = d["stride"], d["pad"]
            n = W[0].numel()  # C·k·k products per unit
            self.z[l] = F.conv2d(a, W, b, stride=s, padding=p)
            M = F.conv2d(a.abs(), W.abs(), b.abs(), stride=s, padding=p)
            self.Ez[l] = (n + 1) * (M + self.floor) + F.conv2d(Ea, W.abs(), stride=s, padding=p)
            if exact_sums(a, Ea, W, b, M, self.u):
                self.Ez[l] = torch.zeros_like(M)
        else:
            a, Ea = a.flatten(1), Ea.flatten(1)
            n = W.shape[1]
            self.z[l] = a @ W.T + b
            self.Ez[l] = (n + 1) * (a.abs() @ W.abs().T + b.abs() + self.floor) + Ea @ W.abs().T
        name = d["activation"]
        z, Ez = self.z[l], self.Ez[l]
        self.src[l] = (z, Ez == 0)
        if name == "softmax":
            self.a[l] = torch.softmax(z, dim=1)
            self.Ea[l] = self.a[l] * (2 * Ez.amax(dim=1, keepdim=True) + z.shape[1] + 4) + (z.shape[1] + 4) * self.floor
            return
        a_l, p, pp = act_terms(name, z)
        self.a[l] = a_l
        kink = (
            (z.abs() <= 2 * self.u * Ez) & (Ez > 0)
            if name in ("relu", "leaky_relu")
            else torch.zeros_like(z, dtype=bool)
        )
        slope = torch.where(kink, torch.ones_like(p), p.abs())  # either branch's slope within rounding of the kink
        self.Ea[l] = slope * Ez + (LIBRARY_ULPS * (a_l.abs() + self.floor) if name in SMOOTH else 0)
        r = torch.where(p.abs() > 0, (pp / p).abs(), torch.full_like(p, 2.0)).clamp(max=2.0)
        self.prime[l], self.slope[l] = p, slope
        self.Eprime[l] = r * self.Ea[l] + 2 * (p.abs() + r * a_l.abs() + self.floor) + kink / self.u  # the jump: 1/u

    def undetermined(self, a, Ea, src, q, s):
        """Per window (unfolded), the units within rounding of its maximum, where more than one is: else 0.

        A unit whose z is exact and equal to the maximum's exact z is a tie on both sides alike (the same
        function of the same number): torch's rule decides it, so it is no rounding case.
        """
        K, Cn = a.shape[:2]
        unfold = lambda x: F.unfold(x.to(a.dtype), q, stride=s).view(K, Cn, q * q, -1)  # noqa: E731  (K, C, q², windows)
        win, err, z, exact = unfold(a), unfold(Ea), unfold(src[0]), unfold(src[1]) > 0
        arg = win.argmax(dim=2, keepdim=True)
        top, top_err = win.amax(dim=2, keepdim=True), torch.gather(err, 2, arg)
        tie = exact & torch.gather(exact, 2, arg) & (z == torch.gather(z, 2, arg))
        near = (top - win <= 2 * self.u * (err + top_err)) & ((err + top_err) > 0) & ~tie
        winner = torch.zeros_like(near).scatter_(2, arg, True)
        # a window is undetermined when another unit lies within rounding of its maximum; the maximum itself is then a
        # candidate too, even when it is exact (its own err 0: an exact 0 beside a relu unit that rounds to ±1e−8)
        open_ = (near & ~winner).any(dim=2, keepdim=True)
        return (near | winner) & open_


def exact_sums(a, Ea, W, b, M, u):
    """Whether every sum of the layer is exact: integer operands, exact inputs, |terms| summed below 1/u."""
    whole = lambda x: bool(torch.all(x == torch.round(x)))  # noqa: E731
    return bool(torch.all(Ea == 0)) and whole(a) and whole(W) and whole(b) and float(M.max()) < 1 / u


def output_scale(cost, name, a, Ea, z, Ez, t, prime, Eprime, floor):
    """δ^L and E(δ^L), eq (4): a − t for the linked costs, (a − t)σ'(z) or softmax's Jacobian for squared error."""
    if cost in ("binary_cross_entropy", "cross_entropy"):
        st = t.sum(dim=1, keepdim=True) if cost == "cross_entropy" else torch.ones_like(t[:, :1])
        delta = a * st - t
        return delta, Ea * st.abs() + (t.shape[1] + 2) * (a.abs() * st.abs() + t.abs() + floor)
    g, Eg = a - t, Ea + (a - t).abs()  # ∂C/∂a^L = a − t
    if name == "softmax":
        ag = (a * g).sum(dim=1, keepdim=True)
        delta = a * (g - ag)
        Eag = (a.abs() * Eg + g.abs() * Ea).sum(dim=1, keepdim=True) + t.shape[1] * (a * g).abs().sum(
            dim=1, keepdim=True
        )
        return delta, a.abs() * (Eg + Eag) + Ea * (g.abs() + ag.abs()) + 2 * (delta.abs() + (t.shape[1] + 1) * floor)
    delta = g * prime
    return delta, Eg * prime.abs() + g.abs() * Eprime + delta.abs() + floor


def cost_scale(cost, a, Ea, z, Ez, t, floor):
    """C_k (K,) and E(C_k): the cost's sum over n_L units, each term's error and the sum's."""
    n = t.shape[1]
    C, E = _cost_scale(cost, a, Ea, z, Ez, t, n)
    return C, E + (n + 6) * floor


def _cost_scale(cost, a, Ea, z, Ez, t, n):
    if cost == "squared_error":
        d = a - t
        return 0.5 * (d * d).sum(1), (d.abs() * Ea).sum(1) + (n + 3) * 0.5 * (d * d).sum(1)
    if cost == "binary_cross_entropy":
        sp = F.softplus(z, threshold=1000.0)
        C = (sp - t * z).sum(1)
        return C, ((torch.sigmoid(z) + t.abs()) * Ez).sum(1) + (n + 6) * (sp + (t * z).abs() + z.abs()).sum(1)
    lse = torch.logsumexp(z, dim=1, keepdim=True)
    C = (t * (lse - z)).sum(1)
    terms = (t.abs() * (Ez + Ez.amax(1, keepdim=True) + (n + 4) * (z.abs() + lse.abs()))).sum(1)
    return C, terms + n * (t * (lse - z)).abs().sum(1)


def backward_scale(mag, cost, t, reduction="sum"):
    """{"W": {l: E}, "b": …, "delta": …, "C_k": E, "C_T": E}, and the float64 values, of one network on one batch."""
    layers, L, u = mag.layers, len(mag.layers) + 1, mag.u
    a, Ea, z, Ez = mag.a, mag.Ea, mag.z, mag.Ez
    out_name = layers[-1]["activation"]
    delta, E = {}, {}
    delta[L], E[L] = output_scale(
        cost, out_name, a[L], Ea[L], z[L], Ez[L], t, mag.prime.get(L), mag.Eprime.get(L), mag.floor
    )
    for l in range(L - 1, 1, -1):
        g, Eg = back(layers[l - 1], l, mag, delta[l + 1], E[l + 1], u)
        if layers[l - 2]["kind"] == "pool":
            delta[l], E[l] = g, Eg
        else:
            p, Ep = mag.prime[l], mag.Eprime[l]
            delta[l] = g * p
            # g's error Eg is carried by either branch's slope at a kink: δ^{l+1} may already differ there (a kink
            # above made g nonzero on one side while the float64 g is 0, so |g|·Ep alone would not cover it)
            E[l] = Eg * mag.slope[l] + g.abs() * Ep + delta[l].abs() + mag.floor
    K = t.shape[0]
    s = 1.0 / K if reduction == "mean" else 1.0
    gW, gb, EW, Eb = {}, {}, {}, {}
    for l, d in enumerate(layers, start=2):
        if d["kind"] == "pool":
            continue
        dl, El, ap, Eap = delta[l], E[l], a[l - 1], Ea[l - 1]
        if d["kind"] == "conv":
            shape = mag.W[l].shape
            wg = conv_weight_vjp(shape, d["stride"], d["pad"])
            N = K * dl.shape[2] * dl.shape[3]
            gW[l] = wg(ap, dl)
            EW[l] = wg(ap.abs(), El) + wg(Eap, dl.abs()) + N * (wg(ap.abs(), dl.abs()) + mag.floor)
            gb[l], Eb[l] = dl.sum((0, 2, 3)), El.sum((0, 2, 3)) + N * (dl.abs().sum((0, 2, 3)) + mag.floor)
        else:
            ap, Eap = ap.flatten(1), Eap.flatten(1)
            gW[l] = dl.T @ ap
            EW[l] = El.T @ ap.abs() + dl.abs().T @ Eap + K * (dl.abs().T @ ap.abs() + mag.floor)
            gb[l], Eb[l] = dl.sum(0), El.sum(0) + K * (dl.abs().sum(0) + mag.floor)
        if s != 1.0:
            gW[l], gb[l] = gW[l] * s, gb[l] * s
            EW[l], Eb[l] = EW[l] * s + gW[l].abs(), Eb[l] * s + gb[l].abs()
    Ck, ECk = cost_scale(cost, a[L], Ea[L], z[L], Ez[L], t, mag.floor)
    CT, ECT = Ck.sum() * s, ECk.sum() * s + (K + 2) * Ck.abs().sum() * s
    np_ = lambda d: {l: v.numpy() for l, v in d.items()}  # noqa: E731
    values = dict(W=np_(gW), b=np_(gb), delta=np_(delta), C_k=Ck.numpy(), C_T=float(CT))
    scales = dict(W=np_(EW), b=np_(Eb), delta=np_(E), C_k=ECk.numpy(), C_T=float(ECT))
    return values, scales


def conv_weight_vjp(shape, stride, pad):
    """(x, g) ↦ Σ over positions of g·x: ∂/∂W of a conv with cotangent g, as torch computes it."""
    return lambda x, g: torch.nn.grad.conv2d_weight(x, shape, g, stride=stride, padding=pad)


def back(layer, l, mag, dn, En, u):
    """∂C/∂a^l and its scale from δ^{l+1} through layer l + 1 (eq (5')'s sum), on values and magnitudes."""
    a = mag.a[l]
    kind = layer["kind"]
    if kind == "dense":
        W = mag.W[l + 1]
        g = (dn @ W).view(a.shape)
        return g, (En @ W.abs() + W.shape[0] * (dn.abs() @ W.abs() + mag.floor)).view(a.shape)
    if kind == "conv":
        W, st, pd = mag.W[l + 1], layer["stride"], layer["pad"]
        gi = lambda w, g: torch.nn.grad.conv2d_input(a.shape, w, g, stride=st, padding=pd)  # noqa: E731
        n = W.shape[0] * W.shape[2] * W.shape[3]  # at most F·k·k terms reach one input unit
        return gi(W, dn), gi(W.abs(), En) + n * (gi(W.abs(), dn.abs()) + mag.floor)
    q, s = layer["size"], layer["stride"]
    x = a.detach().clone().requires_grad_(True)
    pooled = (F.max_pool2d if layer["mode"] == "max" else F.avg_pool2d)(x, q, s)
    route = lambda g: torch.autograd.grad(pooled, x, g, retain_graph=True)[0]  # noqa: E731  torch's own routing
    if layer["mode"] == "avg":
        return route(dn), route(En) + 2 * (route(dn.abs()) + mag.floor)
    ties = mag.ties[l + 1]  # (K, C, q², windows): units that may take δ instead of the winner
    jump = dn.abs() + u * En  # the δ one side may send instead, with its own rounding
    spread = F.fold((ties * jump.flatten(2)[:, :, None, :]).flatten(1, 2), a.shape[2:], q, stride=s)
    return route(dn), route(En) + spread / u


def step_scale(W, b, gW, gb, EW, Eb, eta, momentum, vel, u):
    """E of w' = w − η v, v = μ v_prev + ∇C (v = ∇C without momentum, or at the first step), and E of v."""
    out_w, out_v = {}, {}
    for key, p, g, Eg in [(("W", l), W[l], gW[l], EW[l]) for l in W] + [(("b", l), b[l], gb[l], Eb[l]) for l in b]:
        p = np.asarray(p, np.float64)
        v_prev = vel.get(key)
        if momentum and v_prev is not None:
            v = momentum * np.asarray(v_prev, np.float64) + g
            Ev = Eg + 2 * np.abs(momentum * v_prev) + np.abs(v) + underflow(u)  # μ's rounding, μv's, the sum's
        else:
            v, Ev = g, Eg
        out_v[key] = Ev
        out_w[key] = eta * Ev + 2 * (eta * np.abs(v) + np.abs(p - eta * v) + underflow(u))  # η's, ηv's, w − ηv's
    return out_w, out_v
