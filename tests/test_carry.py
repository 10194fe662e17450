"""The forward pass's errors as a covariance (comparisons.common.carry): exact against the explicit linear maps,
never above the linear (Minkowski) carry, scaled at the ends of the range, and a bound on measured float32 errors."""

import numpy as np
import pytest

from comparisons.common import rounding, scales
from comparisons.common.carry import Carry

RNG = np.random.default_rng(7)


def explicit(c):
    """Σ = diag(sd) R diag(sd), as a plain array."""
    R = np.eye(c.sd.shape[-1]) if c.R is None else c.R
    return c.sd[..., :, None] * R * c.sd[..., None, :]


def test_affine_and_through_are_the_covariance_of_the_linear_maps():
    K, n, m = 3, 4, 5
    own = RNG.random((K, n))
    c = Carry.start(own, np.zeros((K, n)))
    assert np.allclose(explicit(c), own[..., :, None] ** 2 * np.eye(n))
    W, new = RNG.standard_normal((m, n)), RNG.random((K, m))
    z = c.affine(W, new)
    want = W @ explicit(c) @ W.T + new[..., :, None] ** 2 * np.eye(m)  # (K, m, m)
    assert np.allclose(explicit(z), want)
    assert np.allclose(z.sd, np.sqrt(np.diagonal(want, axis1=-2, axis2=-1)))
    mid, o = RNG.random((K, m)), RNG.random((K, m))
    a = z.through(mid, mid, o)  # σ' known exactly: nothing linear
    want_a = mid[..., :, None] * want * mid[..., None, :] + o[..., :, None] ** 2 * np.eye(m)
    assert np.allclose(explicit(a), want_a) and not a.lin.any()
    M = RNG.standard_normal((K, 2, m))
    assert np.allclose(a.mapped_sd(M), np.sqrt(np.einsum("kpi,kij,kpj->kp", M, want_a, M)))


def test_the_covariance_is_never_above_the_linear_carry_and_keeps_cancellations():
    K, n = 2, 6
    c = Carry.start(RNG.random((K, n)), np.zeros((K, n)))
    z = c.affine(RNG.standard_normal((n, n)), RNG.random((K, n)))
    W = RNG.standard_normal((3, n))
    exact = z.affine(W, np.zeros((K, 3))).sd
    assert (exact <= z.sd @ np.abs(W).T + 1e-12).all()  # Minkowski bounds any correlation
    one = Carry.start(np.ones((1, 1)), np.zeros((1, 1))).affine(np.ones((2, 1)), np.zeros((1, 2)))  # z_1 = z_2 = e
    assert one.affine(np.array([[1.0, -1.0]]), np.zeros((1, 1))).sd[0, 0] == pytest.approx(0.0, abs=1e-15)
    assert one.affine(np.array([[1.0, 1.0]]), np.zeros((1, 1))).sd[0, 0] == pytest.approx(2.0)  # linear


def test_an_uncertain_slope_goes_into_the_linear_part():
    z = Carry.start(np.full((1, 2), 3.0), np.zeros((1, 2)))
    a = z.through(np.array([[0.0, 1.0]]), np.array([[1.0, 1.0]]), np.zeros((1, 2)))  # a relu kink on unit 0
    assert a.sd[0] == pytest.approx([1.5, 3.0]) and a.lin[0] == pytest.approx([1.5, 0.0])
    assert a.S()[0] == pytest.approx([3.0, 3.0])  # the largest slope, 1, times z's S: what the kink can carry


@pytest.mark.parametrize("size", [1e-200, 1e200])
def test_the_ends_of_the_range_keep_their_size(size):
    n = 3
    c = Carry.start(np.full((1, n), size), np.zeros((1, n)))
    z = c.affine(np.ones((1, n)), np.zeros((1, 1)))
    assert z.sd[0, 0] == pytest.approx(np.sqrt(n) * size)  # independent: √n, not 0 or inf


def test_rows_scaled_apart_keep_their_size_and_an_overflow_is_infinite_not_nan():
    c = Carry.start(np.full((1, 2), 1e-100), np.zeros((1, 2)))
    z = c.affine(np.full((1, 2), 1e160), np.zeros((1, 1)))  # squares of 1e60 would overflow: scaled, they do not
    assert z.S()[0, 0] == pytest.approx(np.sqrt(2) * 1e60)
    big = Carry.start(np.full((1, 2), 1e200), np.zeros((1, 2))).affine(np.full((1, 2), 1e200), np.zeros((1, 1)))
    assert big.S()[0, 0] == np.inf  # beyond the range: infinite, so the entry is not compared (never NaN)


def test_a_tiny_slope_beside_a_slope_of_1_keeps_its_units_own_size():
    """A softplus unit at z = −554 (σ' = 2.6e−241) beside one at z = 3: the first unit's carried error is
    2.6e−241 times z's, not lost to the other unit's scale (a float64 sweep's false alarm, seed 8282)."""
    z = Carry.start(np.array([[3000.0, 10.0]]), np.zeros((1, 2))).affine(np.array([[1.0, 1.0], [1.0, -1.0]]),
                                                                         np.zeros((1, 2)))  # fmt: skip
    slope = np.array([[2.56e-241, 0.95]])
    a = z.through(slope, slope, np.zeros((1, 2)))
    np.testing.assert_allclose(a.sd, slope * z.sd, rtol=1e-12)
    assert a.R[0, 0, 1] == pytest.approx(z.R[0, 0, 1])  # the correlation is the same: a positive slope keeps it


def test_measured_float32_forward_errors_stay_within_the_bound():
    """Deep float32 tanh / identity nets with weights × 3: |a₃₂ − a₆₄| ≤ C·u·S (one side) at every unit, and the
    covariance's S is far below the linear carry's, which overstated it."""
    u = rounding.unit_roundoff(np.float32)
    worst = 0.0
    for trial in range(40):
        rng = np.random.default_rng(trial)
        sizes = rng.integers(2, 14, 6)
        acts = ["tanh" if rng.random() < 0.5 else "identity" for _ in sizes[1:]]
        X = rng.standard_normal((16, sizes[0])).astype(np.float32)
        W = {l: (3 * rng.standard_normal((sizes[l - 1], sizes[l - 2])) / np.sqrt(sizes[l - 2])).astype(np.float32)
             for l in range(2, len(sizes) + 1)}  # fmt: skip
        b = {l: rng.standard_normal(sizes[l - 1]).astype(np.float32) for l in W}
        a32, z64, a64 = {1: X}, {}, {1: X.astype(np.float64)}
        for l in W:
            f = np.tanh if acts[l - 2] == "tanh" else (lambda x: x)
            a32[l] = f(a32[l - 1] @ W[l].T + b[l]).astype(np.float32)
            z64[l] = a64[l - 1] @ W[l].T.astype(np.float64) + b[l]
            a64[l] = f(z64[l])
        T = np.zeros_like(a64[max(W)])
        S = scales.Scales({l: w.astype(np.float64)[None] for l, w in W.items()},
                            {l: v.astype(np.float64)[None] for l, v in b.items()}, acts, "squared_error", "sum",
                            a64[1][None], T[None], {l: v[None] for l, v in z64.items()},
                            {l: v[None] for l, v in a64.items()}, None, np.float32)  # fmt: skip
        for l in W:
            err = np.abs(a32[l] - a64[l]) / u
            worst = max(worst, float((err / (rounding.C * S.Sa[l][0])).max()))
    assert 0.01 < worst < 1.0, worst
