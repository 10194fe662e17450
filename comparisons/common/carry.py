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

Σ is kept as ``hat`` · s² per example (s the largest standard deviation, hat's diagonal at most 1), so that no
square under- or overflows; an example whose W Σ Wᵀ would overflow all the same is carried linearly (its S moved
into ``lin``), which is an upper bound.
"""

from __future__ import annotations

import dataclasses

import numpy as np


def _diagonal(x):
    """x's diagonal (…, n) of (…, n, n), a view."""
    return np.diagonal(x, axis1=-2, axis2=-1)


def _rescaled(A, s, new):
    """(hat, s', sd) of s²·A + diag(new²) (A, hat (…, K, n, n); s, s' (…, K); new (…, K, n)), s' its largest standard
    deviation, so that hat's diagonal stays at most 1, and sd its standard deviations; A is overwritten."""
    with np.errstate(over="ignore", invalid="ignore"):
        sd = s[..., None] * np.sqrt(np.maximum(_diagonal(A), 0.0))
    s_new = np.maximum(sd.max(axis=-1, initial=0.0), new.max(axis=-1, initial=0.0))  # (…, K)
    safe = np.where((s_new > 0) & np.isfinite(s_new), s_new, 1.0)
    with np.errstate(under="ignore", invalid="ignore"):
        A *= np.square(s / safe)[..., None, None]
        n = A.shape[-1]
        A.reshape(*A.shape[:-2], n * n)[..., :: n + 1] += np.square(new / safe[..., None])  # the diagonal, in place
    full = np.hypot(sd, new)  # the new standard deviations, unscaled (hypot: no square overflows)
    return A, np.where(np.isfinite(s_new), s_new, np.inf), np.where(np.isnan(full), np.inf, full)


@dataclasses.dataclass
class Carry:
    """The error of a quantity (…, K, n): covariance ``hat``·s² (…, K, n, n), s (…, K), and ``lin`` (…, K, n)."""

    hat: np.ndarray | None  # None: no covariance part
    s: np.ndarray
    lin: np.ndarray
    _sd: np.ndarray | None = dataclasses.field(default=None, repr=False)

    @classmethod
    def start(cls, own, lin):
        """An input whose errors are ``own`` (independent per unit) and ``lin`` (any correlation), S each."""
        own = np.asarray(own, np.float64)
        hat, s = _rescaled(np.zeros(own.shape + own.shape[-1:]), np.zeros(own.shape[:-1]), own)[:2] if own.any() else (
            None, np.zeros(own.shape[:-1]))  # fmt: skip
        return cls(hat, s, np.asarray(lin, np.float64))

    @classmethod
    def linear(cls, S):
        """An error known only by its size S per unit (any correlation)."""
        return cls(None, np.zeros(np.shape(S)[:-1]), np.asarray(S, np.float64))

    def sd(self):
        """√diag(Σ): the covariance part's S per unit."""
        if self.hat is None:  # no covariance part (an exact input)
            return np.zeros_like(self.lin)
        if self._sd is None:
            self._sd = self.s[..., None] * np.sqrt(np.maximum(_diagonal(self.hat), 0.0))
        return self._sd

    def S(self):
        """S per unit: the covariance part and the linear part, added linearly (they may share roundings)."""
        out = self.sd() + self.lin
        return np.where(np.isnan(out), np.inf, out)

    def affine(self, W, new):
        """z = a Wᵀ + b for W (…, m, n): Σ_z = W Σ Wᵀ + diag(new²), lin_z = lin |W|ᵀ (new: z's own sums' S)."""
        lin = self.lin @ np.abs(W).swapaxes(-1, -2)
        if self.hat is None:  # an exact input: z's own roundings alone, independent per unit
            return Carry(*_rescaled(np.zeros(new.shape + new.shape[-1:]), self.s, new)[:2], lin)
        with np.errstate(over="ignore", invalid="ignore"):
            A = W[..., None, :, :] @ self.hat @ W.swapaxes(-1, -2)[..., None, :, :]  # (…, K, m, m)
        bad = ~np.isfinite(_diagonal(A)).all(axis=-1)  # (…, K): W Σ Wᵀ overflows there: carried linearly instead
        if bad.any():
            A[bad] = 0.0
            lin = lin + np.where(bad[..., None], self.sd() @ np.abs(W).swapaxes(-1, -2), 0.0)
        hat, s, sd = _rescaled(A, self.s, new)
        return Carry(hat, s, lin, sd)

    def through(self, lo, hi, own):
        """a = σ(z), σ' somewhere in [lo, hi] (…, K, n) per unit: Σ_a = m Σ m + diag(own²), m the midpoint; the
        rest, (σ' − m) e_z with |σ' − m| ≤ r = (hi − lo)/2, known by its size only: lin_a = |m| lin + r S_z."""
        mid, r = (lo + hi) / 2.0, (hi - lo) / 2.0
        lin = np.abs(mid) * self.lin + r * self.S()
        if self.hat is None:  # nothing to carry but σ's own roundings
            A = np.zeros(own.shape + own.shape[-1:])
        else:
            A = self.hat * (mid[..., :, None] * mid[..., None, :])
        hat, s, sd = _rescaled(A, self.s, own)
        return Carry(hat, s, np.where(np.isnan(lin), np.inf, lin), sd)

    def mapped_sd(self, M):
        """√diag(M Σ Mᵀ) for M (…, K, p, n): the covariance part's S after a linear map with its signs."""
        if self.hat is None:
            return np.zeros(M.shape[:-1])
        with np.errstate(over="ignore", invalid="ignore"):
            q = ((M @ self.hat) * M).sum(axis=-1)  # (…, K, p)
        return self.s[..., None] * np.sqrt(np.maximum(q, 0.0))
