r"""The forward pass's rounding errors within one example, carried as a covariance.

To first order the error of a^l is a linear map of the roundings made below it, which are independent under the
model (``comparisons.common.rounding``).  Its covariance is therefore known exactly, with W's signs:

.. math:: \Sigma_{z^l} = W^l \Sigma_{a^{l-1}} (W^l)^\top + \mathrm{diag}(n^2), \qquad
          \Sigma_{a^l} = D\,\Sigma_{z^l} D + \mathrm{diag}(o^2),

n the S of z^l's own sums and o that of σ's formula, both distinct roundings per unit, and D = diag(σ'(ξ)) with
ξ somewhere in z's allowed interval (the mean value theorem).  D is known only to an interval [lo, hi]: its
midpoint m goes into the covariance, and the rest, at most r = (hi − lo)/2 times z's error, is a part of the
error known only by its size, ``lin``, carried linearly (|Σ_i b_i e_i| ≤ Σ_i |b_i| S_i, whatever the correlation),
as is whatever an input brings with it (a conv net's flattened maps).  A linear functional c of a^l then has
S ≤ √(cᵀΣc) + |c|·lin.  Carrying every unit's inherited error linearly instead (Minkowski) bounds the same error
and overstates it up to √n per layer where W's signs cancel, which in float32 hid a 1e−5 error in a gradient.

Σ is kept as its standard deviations ``sd`` and correlations ``R`` (entries within ±1; None: independent units),
and every product of squares is formed from rows scaled to a largest entry of 1, so a unit of 1e−240 (a softplus
far below 0) keeps a bound of its own size beside units of 1; an example whose scaled sums overflow all the same is
carried linearly (its S moved into ``lin``), which is an upper bound.
"""

from __future__ import annotations

import dataclasses

import numpy as np

SAFE = (1e-100, 1e100)  # rows whose largest entry lies within: their products of squares stay normal, unscaled


def _unit(x):
    """x where it is a usable divisor (> 0 and finite), else 1."""
    return np.where((x > 0) & np.isfinite(x), x, 1.0)


def _scaled(B, sd):
    """(t (…, K, p), V̂ (…, K, p, n)) with B diag(sd) = t V̂ row by row, each row of V̂ of largest entry 1 (or 0).

    B (…, p, n) shared by the K examples or (…, K, p, n) per example; sd (…, K, n).  B and sd are scaled apart
    before their product, then each row again: a row whose B and sd peak at different units keeps its size."""
    n = sd.shape[-1]
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        # Σ_i |B_ji| sd_i per row: the row's largest entry lies between it / n and it
        l1 = sd @ np.abs(B).swapaxes(-1, -2) if B.ndim == sd.ndim else (np.abs(B) @ sd[..., None])[..., 0]
        B = B[..., None, :, :] if B.ndim == sd.ndim else B  # shared by the examples: broadcast over them
        V = B * sd[..., None, :]  # (…, K, p, n)
    if ((l1 == 0) | ((l1 > n * SAFE[0]) & (l1 < SAFE[1]))).all():  # no square of a row's largest entry under-
        return np.ones(l1.shape), V  # or overflows: unscaled
    w = np.abs(B).max(axis=-1, keepdims=True)  # (…, [K,] p, 1)
    sigma = sd.max(axis=-1, keepdims=True)  # (…, K, 1)
    with np.errstate(under="ignore"):
        V = (B / _unit(w)) * (sd / _unit(sigma))[..., None, :]  # (…, K, p, n), entries within ±1
    m = np.abs(V).max(axis=-1, keepdims=True)
    with np.errstate(under="ignore", invalid="ignore"):
        V = V / _unit(m)
    with np.errstate(over="ignore", invalid="ignore"):
        t = (w * sigma[..., None] * m)[..., 0]  # (…, K, p)
    return t, V


@dataclasses.dataclass
class Carry:
    """The error of a quantity (…, K, n): standard deviations ``sd``, correlations ``R`` (…, K, n, n) or None for
    independent units, and ``lin``, a part of any correlation known by its S per unit."""

    sd: np.ndarray
    R: np.ndarray | None
    lin: np.ndarray

    @classmethod
    def start(cls, own, lin):
        """An input whose errors are ``own`` (independent per unit) and ``lin`` (any correlation), S each."""
        return cls(np.asarray(own, np.float64), None, np.asarray(lin, np.float64))

    @classmethod
    def linear(cls, S):
        """An error known only by its size S per unit (any correlation)."""
        return cls(np.zeros(np.shape(S)), None, np.asarray(S, np.float64))

    def S(self):
        """S per unit: the covariance part and the linear part, added linearly (they may share roundings)."""
        out = self.sd + self.lin
        return np.where(np.isnan(out), np.inf, out)

    def quad(self, B):
        """(t, Q): Σ = diag(sd) R diag(sd) mapped by B (…, [K,] p, n), B Σ Bᵀ = diag(t) Q diag(t)."""
        t, V = _scaled(B, self.sd)
        with np.errstate(over="ignore", invalid="ignore"):
            Q = V @ V.swapaxes(-1, -2) if self.R is None else V @ self.R @ V.swapaxes(-1, -2)  # (…, K, p, p)
        return t, Q

    def affine(self, W, new):
        """z = a Wᵀ + b for W (…, m, n): Σ_z = W Σ Wᵀ + diag(new²), lin_z = lin |W|ᵀ (new: z's own sums' S)."""
        absWt = np.abs(W).swapaxes(-1, -2)  # (…, n, m): the examples are lin's rows
        with np.errstate(over="ignore", invalid="ignore"):
            lin = self.lin @ absWt
        if not self.sd.any():  # an exact input: z's own roundings alone, independent per unit
            return Carry(np.asarray(new, np.float64), None, lin)
        t, Q = self.quad(W)
        q = np.diagonal(Q, axis1=-2, axis2=-1)
        bad = ~(np.isfinite(t) & np.isfinite(q)).all(axis=-1)  # (…, K): the scaled sums overflow: carried linearly
        if bad.any():
            with np.errstate(over="ignore", invalid="ignore"):
                lin = lin + np.where(bad[..., None], self.sd @ absWt, 0.0)
            t, Q = np.where(bad[..., None], 0.0, t), np.where(bad[..., None, None], 0.0, Q)
            q = np.diagonal(Q, axis1=-2, axis2=-1)
        sd = np.hypot(t * np.sqrt(np.maximum(q, 0.0)), new)  # (…, K, m)
        rho = t / _unit(sd)  # z_j's covariance part per unit of its standard deviation
        return Carry(sd, _correlation(Q, rho, sd), lin)

    def through(self, lo, hi, own):
        """a = σ(z), σ' somewhere in [lo, hi] (…, K, n) per unit: Σ_a = m Σ m + diag(own²), m the midpoint; the
        rest, (σ' − m) e_z with |σ' − m| ≤ r = (hi − lo)/2, known by its size only: lin_a = |m| lin + r S_z."""
        mid, r = (lo + hi) / 2.0, (hi - lo) / 2.0
        with np.errstate(over="ignore", invalid="ignore"):
            lin = np.abs(mid) * self.lin + r * self.S()
            carried = np.abs(mid) * self.sd
            sd = np.hypot(carried, own)
        lin = np.where(np.isnan(lin), np.inf, lin)
        if self.R is None:  # independent units stay independent
            return Carry(sd, None, lin)
        rho = np.sign(mid) * carried / _unit(sd)
        return Carry(sd, _correlation(self.R.copy(), rho, sd), lin)

    def mapped_sd(self, M):
        """√diag(M Σ Mᵀ) for M (…, K, p, n): the covariance part's S after a linear map with its signs."""
        if not self.sd.any():
            return np.zeros(M.shape[:-1])
        t, V = _scaled(M, self.sd)
        with np.errstate(over="ignore", invalid="ignore"):
            q = (V * V).sum(axis=-1) if self.R is None else ((V @ self.R) * V).sum(axis=-1)
            return t * np.sqrt(np.maximum(q, 0.0))


def _correlation(Q, rho, sd):
    """ρ_i ρ_j Q_ij off the diagonal, and on it 1 where the unit has an error, 0 where it has none: Q overwritten."""
    Q *= rho[..., :, None]
    Q *= rho[..., None, :]
    n = Q.shape[-1]
    Q.reshape(*Q.shape[:-2], n * n)[..., :: n + 1] = (sd > 0).astype(np.float64)
    return Q
