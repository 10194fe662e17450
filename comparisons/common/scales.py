"""S of every quantity of one forward and backward pass, from its values: the rounding model
(``comparisons.common.rounding``) run through eqs (4), (5), (2), (3) and the costs, layer by layer."""

from __future__ import annotations

import numpy as np

from comparisons.common.carry import Carry
from comparisons.common.rounding import (
    C,
    allowed,
    dot,
    l2,
    l2sum,
    own_sums,
    product,
    sum_roundings,
    summed,
    twins,
    unit_roundoff,
)
from comparisons.common.sigma import box_top, formula, prime, slope, slopes, softmax


class Scales:
    """S of every quantity of one forward and backward pass at one state, from its values.

    W (G, n_l, n_{l−1}), b (G, n_l), X (G, K, n_1), T (G, K, n_L); z, a, delta the values of that pass
    (delta per example: ∂C_k/∂z^l, whatever the reduction; None for the costs alone), every array float64;
    dtype the computation's.  Leading axes beyond G (a stack of steps) are welcome.  X_own, X_inh: the S of X's
    error where X is computed (the dense layers of a conv net, comparisons.sweep.conv.rounding), by where it arose.
    """

    def __init__(self, W, b, acts, cost, reduction, X, T, z, a, delta, dtype, X_own=None, X_inh=None):
        self.u = u = unit_roundoff(dtype)
        self.fmax = float(np.finfo(np.dtype(dtype)).max)
        self.floor = float(np.finfo(np.dtype(dtype)).tiny) / u  # an underflowing result's error, in units of u
        self.L, self.K = max(W), X.shape[-2]
        self.acts, self.cost, self.reduction = dict(zip(range(2, self.L + 1), acts)), cost, reduction
        # a^l's error within an example as a covariance and a linear part (``Carry``); X is exact unless it is a conv
        # net's flattened maps (X_own: the roundings of their own layer, distinct per unit; X_inh: what they
        # inherited, of any correlation)
        c = Carry.start(np.zeros_like(X) if X_own is None else X_own, np.zeros_like(X) if X_inh is None else X_inh)
        self.Sz, self.Sa = {}, {1: c.S()}
        for l in range(2, self.L + 1):
            cz = c.affine(W[l], own_sums(a[l - 1], W[l], b[l]))
            self.Sz[l] = self.edge(cz.S())  # (G, K, n_l)
            name = self.acts[l]
            if l == self.L:  # z^L's allowed difference: the costs' slopes (softmax's J) are taken over it
                self.near = allowed(self.Sz[l], u)
                self.undetermined = np.zeros(z[l].shape[:-1], bool)  # (…, K)
            if name == "softmax":  # (always the output layer)  # the output layer: nothing is carried further
                self.z_carry = cz  # z^L's error, for δ^L's Jacobian
                # an example whose logits are known only to more than ±1 has an output rounding does not determine
                # (e^{z_j} not even to a factor e²): no bound describes it, the check recomputes it with the
                # reference's logits (comparisons.sweep.kinks); J's spread is taken where they are known to ±1
                self.undetermined = self.near.max(axis=-1) > 1.0
                self.near_J = np.where(self.undetermined[..., None], 0.0, self.near)
                self.Sa[l] = self.edge(softmax(z[l], a[l], cz, floor=self.floor, near=self.near_J))
                continue
            lo, hi = slopes(name, z[l], a[l], allowed(self.Sz[l], u))  # σ' over z's allowed interval
            c = cz.through(lo, hi, formula(name, a[l], self.floor))
            self.Sa[l] = self.edge(c.S())
        self.S_Ck = self._costs(z[self.L], a[self.L], T)  # (G, K)
        s = 1.0 / self.K if reduction == "mean" else 1.0
        rep = {l: twins(a[l]) for l in range(1, self.L)}  # examples that compute the same numbers from layer l on
        self.S_CT = self.edge(summed(self._Ck, self.S_Ck, -1, examples=True, rep=rep[self.L - 1])) * s  # (G,)
        if reduction == "mean":  # the division by K rounds once more (and moves about in the other side)
            self.S_CT = l2(self.S_CT, 2.0 * self.edge(np.abs(self._Ck).sum(axis=-1)) * s)
        if delta is None:  # the forward pass and the costs only
            return
        self.S_delta = self._deltas(W, z, a, T, delta)
        self.S_W, self.S_b = {}, {}
        for l in range(2, self.L + 1):
            d, Sd = delta[l], self.S_delta[l]
            dT, SdT = d.swapaxes(-1, -2), Sd.swapaxes(-1, -2)
            self.S_W[l] = dot(dT, a[l - 1], SA=SdT, SB=self.Sa[l - 1], examples=True, rep=rep[l - 1]) * s  # eq (2)
            self.S_b[l] = summed(d, Sd, -2, examples=True, rep=rep[l - 1]) * s  # eq (3): Σ over k
            if reduction == "mean":
                self.S_W[l] = l2(self.S_W[l], 2.0 * (np.abs(d).swapaxes(-1, -2) @ np.abs(a[l - 1])) * s)
                self.S_b[l] = l2(self.S_b[l], 2.0 * np.abs(d).sum(axis=-2) * s)

    def edge(self, S):
        """S, or inf where the computation's magnitudes reach the dtype's largest number: an intermediate there may
        overflow on one side only (and inf · 0 = NaN), which no rounding bound describes — nothing to compare."""
        return np.where(self.fmax <= S, np.inf, S)

    def _costs(self, z_L, a_L, T):
        """S of each C_k (G, K), and the values C_k themselves (kept for C_T)."""
        Sz, Sa, n = self.Sz[self.L], self.Sa[self.L], T.shape[-1]
        if self.cost == "squared_error":
            d = a_L - T
            sq = d * d
            Sd = l2(d, Sa)
            self._Ck = 0.5 * sq.sum(axis=-1)
            # ½(d + e)² − ½d² = d e + ½e²: where a fits t exactly (d = 0) the first-order term vanishes and the
            # second-order one, ½e² with e at most C·u·√2·S_d, is all there is: it is counted, in units of u.
            second = 0.5 * (C * np.sqrt(2.0) * self.u) * np.square(Sd)
            return 0.5 * l2(np.sqrt(n) * sq.sum(axis=-1), l2sum(l2(sq, 2.0 * np.abs(d) * Sd), -1)) + second.sum(-1)
        if self.cost == "binary_cross_entropy":
            # softplus(z) − t z per unit; a library writes softplus as max(z, 0) + log(1 + e^{−|z|}) and the like,
            # whose terms are |z| and the 1 inside the log: it rounds relative to them, not to the (tiny) result.
            sp = np.logaddexp(0.0, z_L)
            tz = T * z_L
            self._Ck = (sp - tz).sum(axis=-1)
            unit = l2(6.0 * sp, 1.0 + np.abs(z_L), tz)
            parts = np.sqrt(n) * (sp + np.abs(tz)).sum(axis=-1)
            moved = np.minimum(1.0, slope("sigmoid", z_L, a_L, self.near) * self.near)  # a's move over z's interval
            return l2(parts, l2sum(unit, -1), ((np.abs(a_L - T) + moved) * Sz).sum(axis=-1))
        # cross_entropy: (Σ t) logsumexp(z) − Σ t z
        m = z_L.max(axis=-1)
        lse = m + np.log(np.exp(z_L - m[..., None]).sum(axis=-1))
        st = T.sum(axis=-1)
        S_lse = l2(2.0 * (np.abs(m) + np.abs(lse - m)), np.sqrt(n), l2sum(np.abs(a_L * (z_L - m[..., None])), -1))
        tz = T * z_L
        self._Ck = lse * st - tz.sum(axis=-1)
        # ∂C_k/∂z_j = a_j Σt − t_j, taken over z's box (``spread``'s bound on a_j's move: a_j (e^{2ε} − 1), or its
        # largest value there): the mean value theorem, as for J
        eps = self.near.max(axis=-1, keepdims=True)
        with np.errstate(over="ignore", invalid="ignore"):
            moved = np.fmin(box_top(z_L, eps), a_L * np.expm1(2.0 * eps))
        grad = np.abs(a_L * st[..., None] - T) + np.abs(st[..., None]) * moved
        return l2(np.abs(st) * S_lse, np.sqrt(1.0 + n) * np.abs(lse * st), np.sqrt(n) * np.abs(tz).sum(axis=-1),
                  self._Ck, (grad * Sz).sum(axis=-1))  # fmt: skip

    def _deltas(self, W, z, a, T, delta):
        """S of δ^L by eq (4) and of δ^{L−1} … δ^2 by eq (5), on magnitudes."""
        L, name = self.L, self.acts[self.L]
        Sa, Sz = self.Sa[L], self.Sz[L]
        link = {"binary_cross_entropy": "sigmoid", "cross_entropy": "softmax"}.get(self.cost)
        if link == name == "sigmoid":  # δ^L = a − t: the difference's one rounding, and a's error
            S = {L: l2(delta[L], Sa)}
        elif link == name:  # δ^L = a Σt − t: Σt's sum, the product a·Σt and the difference, and a's error times Σt
            st = T.sum(axis=-1, keepdims=True)
            S = {L: l2(delta[L], np.abs(a[L] * st) * np.sqrt(1.0 + T.shape[-1]), np.abs(st) * Sa)}
        else:  # squared error: g = a − t, then σ' (or softmax's Jacobian)
            g = a[L] - T
            Sg = l2(g, Sa)
            if name == "softmax":
                S = {L: self._softmax_delta(z[L], a[L], T, g, Sa)}
            else:
                s, Ss = prime(name, z[L], a[L], Sz, Sa, self.floor, self.u)
                S = {L: product(g, s, Sg, Ss, self.u)}
        for l in range(L - 1, 1, -1):
            back = delta[l + 1] @ W[l + 1]  # (G, K, n_l): Σ_j δ_j^{l+1} w_ji^{l+1}
            Sback = self.edge(dot(delta[l + 1], W[l + 1], SA=S[l + 1]))
            s, Ss = prime(self.acts[l], z[l], a[l], self.Sz[l], self.Sa[l], self.floor, self.u)
            S[l] = product(back, s, Sback, Ss, self.u)
        return S

    def _softmax_delta(self, z, a, T, g, Sa):
        r"""S of δ^L = a ∘ (g − p), g = a − t, p = Σ_j a_j g_j (eq (4) with softmax's Jacobian), one Jacobian.

        δ_i = a_i² − a_i t_i − a_i Σ_j a_j² + a_i Σ_j a_j t_j, so a's error e enters as M e with
        M = diag(h + a) − a (g + a)ᵀ, h = g − p, and M·J is taken with its signs (``softmax``): a saturated output
        and its nearly cancelling p keep their cancellation, which |a| |h| carried apart would lose.  δ's own
        roundings: g_j's (carried by ∂δ_i/∂g_j = J_ij), p's n products and sum, h's, the product's.  The
        second-order terms of e (e_i², 2e_i Σ a_j e_j, a_i Σ e_j², e_i Σ t_j e_j) are counted, in units of u."""
        n = a.shape[-1]
        p = (a * g).sum(axis=-1, keepdims=True)
        h = g - p
        M = np.eye(n) * (h + a)[..., None] - a[..., :, None] * (g + a)[..., None, :]  # (…, n, n): ∂δ_i/∂a_j
        carried = softmax(z, a, self.z_carry, M=M, floor=self.floor, near=self.near_J)
        J = a[..., :, None] * (np.eye(n) - a[..., None, :])
        own_g = l2sum(np.abs(J * g[..., None, :]), -1)  # g_j's rounding, carried by ∂δ_i/∂g_j = J_ij
        own_p = a * sum_roundings(n, np.abs(a * g).sum(-1, keepdims=True), p)
        own = l2(own_g, own_p, np.sqrt(2.0) * a * h)  # h's rounding and the product's, each |a_i h_i| = |δ_i|
        e = C * np.sqrt(2.0) * Sa  # a's allowed difference, in units of u
        aS, tS, S2 = (np.sum(x, axis=-1, keepdims=True) for x in (a * e, np.abs(T) * e, e * e))
        second = self.u * (e * e + 2.0 * e * aS + a * S2 + e * tS)
        return l2(carried, own) + second
