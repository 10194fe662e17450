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


def compare(m, r, tol):
    """Compare ``m`` with the reference ``r`` under numpy.isclose's rule with atol scaled.

    A shape mismatch or a NaN/inf on either side is a failure, never an exception.
    """
    m = np.asarray(m, dtype=np.float64)
    r = np.asarray(r, dtype=np.float64)
    if m.shape != r.shape:
        return CheckResult(np.inf, np.inf, float(np.linalg.norm(r)) if np.all(np.isfinite(r)) else np.nan, np.inf, False)
    if m.size == 0:
        return CheckResult(0.0, 0.0, 0.0, 0.0, True)
    with np.errstate(invalid="ignore", over="ignore"):
        finite = bool(np.all(np.isfinite(m)) and np.all(np.isfinite(r)))
        scale = max(1.0, float(np.max(np.abs(r)))) if finite else 1.0
        err = np.abs(m - r)
        bound = tol.atol * scale + tol.rtol * np.abs(r)
        nz = r != 0
        max_rel = float(np.max(err[nz] / np.abs(r[nz]))) if np.any(nz) else 0.0
        used = float(np.max(err / bound))
        passed = finite and bool(np.all(np.isclose(m, r, rtol=tol.rtol, atol=tol.atol * scale)))
    return CheckResult(
        max_abs_err=float(np.max(err)) if finite else np.inf,
        max_rel_err=max_rel if finite else np.inf,
        ref_norm=float(np.linalg.norm(r)) if np.all(np.isfinite(r)) else np.nan,
        tol_used=used if finite else np.inf,
        passed=passed,
    )


def assert_close(m, r, tol, what="array"):
    """Raise AssertionError with the errors when ``compare`` fails."""
    res = compare(m, r, tol)
    if not res.passed:
        raise AssertionError(f"{what}: max abs err {res.max_abs_err:.3g}, max rel err {res.max_rel_err:.3g}, "
                             f"{res.tol_used:.3g}× the tolerance {tol}")
    return res
