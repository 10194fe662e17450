"""Closeness checks between a manual_bp array and its torch_ref reference."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class CheckResult:
    """One tensor compared: errors, the reference's size, and whether it passed."""

    max_abs_err: float
    max_rel_err: float  # max |m − r| / |r| over the entries where r ≠ 0
    ref_norm: float  # Frobenius norm of the reference
    tol_used: float  # max |m − r| / (atol·s + rtol·|r|): ≤ 1 passes
    passed: bool


def _tolerance_used(m, r, tol):
    """|m − r|, |r| and max |m − r| / (atol·max(1, max|r|) + rtol·|r|): the one rule both checks apply."""
    abs_r = np.abs(r)
    err = np.abs(m - r)
    with np.errstate(invalid="ignore"):  # inf − inf: NaN, which then fails
        used = float(np.max(err / (tol.atol * max(1.0, float(abs_r.max())) + tol.rtol * abs_r)))
    return err, abs_r, used


def _norm(r):
    """The Frobenius norm of ``r`` without overflow: computed on r / max|r|, then scaled back."""
    s = float(np.max(np.abs(r), initial=0.0))
    return s * float(np.linalg.norm(r / s)) if s > 0 else 0.0


def compare(m, r, tol):
    """Compare ``m`` with the reference ``r``: |m − r| ≤ atol·max(1, max|r|) + rtol·|r| everywhere.

    This is numpy.isclose's rule (the reference second) with atol scaled by the tensor's
    size.  A shape mismatch or a NaN/inf on either side is a failure, never an exception.
    """
    m = np.asarray(m, dtype=np.float64)
    r = np.asarray(r, dtype=np.float64)
    r_finite = bool(np.all(np.isfinite(r)))
    ref_norm = _norm(r) if r_finite else np.nan
    if m.shape != r.shape:
        return CheckResult(np.inf, np.inf, ref_norm, np.inf, False)
    if m.size == 0:
        return CheckResult(0.0, 0.0, 0.0, 0.0, True)
    if not (r_finite and np.all(np.isfinite(m))):
        return CheckResult(np.inf, np.inf, ref_norm, np.inf, False)
    err, abs_r, used = _tolerance_used(m, r, tol)
    nz = abs_r > 0
    with np.errstate(over="ignore"):  # a huge error over a tiny entry is inf: it fails, which is right
        max_rel = float(np.max(err[nz] / abs_r[nz])) if nz.any() else 0.0
    return CheckResult(float(err.max()), max_rel, ref_norm, used, used <= 1.0)


def within(m, r, tol):
    """``compare``'s verdict and its max_abs_err and tol_used alone, for hot loops.

    Same rule, same shapes assumed; a NaN or inf on either side makes the ratio NaN or the
    bound infinite-over-infinite, which fails, as in ``compare``.
    """
    err, _, used = _tolerance_used(m, r, tol)
    ok = used <= 1.0  # False for NaN
    return CheckResult(float(err.max()), np.nan, np.nan, used if ok or np.isfinite(used) else np.inf, ok)


def assert_close(m, r, tol, what="array"):
    """Raise AssertionError with the errors when ``compare`` fails."""
    res = compare(m, r, tol)
    if not res.passed:
        raise AssertionError(
            f"{what}: max abs err {res.max_abs_err:.3g}, max rel err {res.max_rel_err:.3g}, "
            f"{res.tol_used:.3g}× the tolerance {tol}"
        )
    return res


def agree(m, r, limit, fmax=np.inf):
    """|m − r| ≤ limit elementwise, the limit from comparisons.common.rounding: the one comparator of the sweep.

    Rows are the first axis (a family's members); returns (used, max_abs_err), each of shape (rows,):
    used = max |m − r| / limit over a row's entries, ≤ 1 passes.  Entries identical on both sides agree,
    inf and NaN included (a run that overflowed alike); an entry finite on one side only agrees where the
    finite one lies within ``limit`` of overflow (``fmax``, the dtype's largest number); any other
    non-finite entry, a difference where the limit is 0, or one under a limit that is not finite (the computation
    reached overflow: nothing to compare it with) makes ``used`` inf — the caller says "not compared", never pass.
    """
    m, r = np.asarray(m, np.float64), np.asarray(r, np.float64)
    limit = np.broadcast_to(np.asarray(limit, np.float64), r.shape)
    rows = r.shape[0] if r.ndim else 1
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        err = np.abs(m - r)
        if err.size and np.isfinite(err).all() and limit.min() > 0 and np.isfinite(limit).all():  # the common case:
            ratio = (err / limit).reshape(rows, -1)  # every entry finite on both sides, every limit finite and > 0
            return ratio.max(axis=1, initial=0.0), err.reshape(rows, -1).max(axis=1, initial=0.0)
        same = (m == r) | (np.isnan(m) & np.isnan(r))
        finite_side = np.where(np.isinf(m), r, m)
        near = (np.isinf(m) ^ np.isinf(r)) & (np.abs(finite_side) + limit >= fmax)
        ok = same | near
        ratio = np.where(ok, 0.0, np.where(limit > 0, err / limit, np.inf))
        ratio = np.where(ok | np.isfinite(limit), ratio, np.inf)  # no finite limit: nothing was compared, never a pass
        ratio = np.where(np.isnan(ratio), np.inf, ratio)
        err = np.where(ok, 0.0, np.where(np.isnan(err), np.inf, err))
    ratio, err = ratio.reshape(rows, -1), err.reshape(rows, -1)
    return ratio.max(axis=1, initial=0.0), err.max(axis=1, initial=0.0)
