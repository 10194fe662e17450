"""Rules that the 100,000-architecture float64 sweep (seed 6161) showed missing: examples that compute the same
numbers, softmax's Jacobian over z's box and logits known only beyond ±1 recomputed with torch's, σ''s second order.
Each is reproduced as the false alarm it raised (an architecture of that sweep, checked alone, fails under the rule
before), shown sound on its own (measured moves within the bound), and shown never to excuse a wrong step."""

import numpy as np
import pytest

from comparisons.common import rounding, scales, sigma
from comparisons.common.carry import Carry
from comparisons.common.spec import ArchSpec
from comparisons.sweep import mutations, selftest
from comparisons.sweep import steps as steps_module
from comparisons.sweep.harness import check_spec

U = rounding.unit_roundoff("float64")
ALLOWED = rounding.C * U * np.sqrt(2.0)  # an S's allowed difference between two sides, per unit of S

# arch 49232: a saturated tanh gives every one of its 28 examples the same a^6, so all compute the same numbers
TWINS = ArchSpec(sizes=(5, 10, 5, 8, 15, 5, 13), activations=("identity", "leaky_relu", "softplus", "leaky_relu",
                 "tanh", "softmax"), cost="cross_entropy", K=28, eta=2.73, steps=12, seed=622967798,
                 order_seed=947472386)  # fmt: skip
# archs 40322 and 42236: diverging runs whose logits (|z| ≈ 1e58) are known only to far above 1
DIVERGING = [
    ArchSpec(sizes=(2, 11, 8, 7, 5, 13, 6), activations=("sigmoid", "tanh", "sigmoid", "identity", "relu", "softmax"),
             cost="cross_entropy", K=16, eta=2.66, steps=8, seed=1133308414, order_seed=1479171743),
    ArchSpec(sizes=(14, 16, 8, 10, 12, 16), activations=("softplus", "softplus", "identity", "identity", "softmax"),
             cost="cross_entropy", K=3, eta=1.17, steps=9, seed=218985599, order_seed=1945836933),
]  # fmt: skip


ETA = next(m for m in mutations.MUTATIONS if m.name == "learning rate off by 1 %")


def failing(spec):
    return set(selftest.failing_checks(*check_spec(0, spec)))


def test_twins_groups_equal_rows_and_only_those():
    a = np.array([[1.0, 0.0], [2.0, 1.0], [1.0, -0.0], [2.0, 1.0 + 2e-16], [2.0, 1.0]])
    assert rounding.twins(a).tolist() == [0, 1, 0, 3, 1]  # −0 computes what +0 does; one ulp apart is distinct
    assert rounding.twins(a[:, ::-1][[0, 1, 3]]) is None
    stacked = np.stack([a, a[::-1]])  # (G, K, n): each member grouped on its own
    assert rounding.twins(stacked).tolist() == [[0, 1, 0, 3, 1], [0, 1, 2, 0, 2]]


def test_examples_that_compute_the_same_numbers_add_their_errors_linearly():
    rng = np.random.default_rng(1)
    K = 9
    delta, S_delta = rng.standard_normal((1, 3)), rng.uniform(1, 2, (1, 3))  # one example's δ^l (1, n_l) and S
    a, S_a = rng.standard_normal((1, 4)), rng.uniform(1, 2, (1, 4))  # its a^{l−1} (1, n_{l−1})
    d, Sd, A, SA = (np.repeat(x, K, 0) for x in (delta, S_delta, a, S_a))
    rep = rounding.twins(A)
    own_b = rounding.sum_roundings(K, np.abs(d).sum(0), d.sum(0))
    np.testing.assert_allclose(rounding.summed(d, Sd, -2, examples=True, rep=rep), rounding.l2(own_b, K * S_delta[0]))
    np.testing.assert_allclose(rounding.summed(d, Sd, -2, examples=True), rounding.l2(own_b, 3 * S_delta[0]))  # √K
    own_W = rounding.sum_roundings(K, np.abs(d.T) @ np.abs(A), d.T @ A)
    carried = rounding.l2(K * S_delta.T @ np.abs(a), K * np.abs(delta.T) @ S_a)  # the same error K times, linearly
    S_W = rounding.dot(d.T, A, SA=Sd.T, SB=SA, examples=True, rep=rep)
    np.testing.assert_allclose(S_W, rounding.l2(own_W, carried))


def worst_step(spec):
    return max(r["tol_used"] for r in check_spec(0, spec)[1])


def test_the_saturated_family_passes_and_its_bound_shrinks_when_examples_count_as_independent(monkeypatch):
    """The sweep's machine (Intel, its BLAS kernels) measured 1.196 of the bound under the rule before, 0.26 now; the
    error itself is the machine's (AMD EPYC's OpenBLAS kernels: 0.78 and 0.26), the bounds are not: the rule before
    allows a third as much here, whatever the machine (√28 ≈ 5.3 for the entries the sums over examples decide)."""
    assert not failing(TWINS)
    now = worst_step(TWINS)
    monkeypatch.setattr(scales, "twins", lambda a: None)  # the rule before: every example on its own
    assert worst_step(TWINS) > 2.5 * now


def _share(moved, S):
    """The largest share of its allowed difference a move uses (a move against a bound of 0: inf)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.where(moved > 0, moved / (ALLOWED * S), 0.0).max())


@pytest.mark.parametrize("gap", [0.0, 3.0, 40.0])
def test_softmax_moves_within_its_bound_when_z_is_known_only_to_1(gap):
    """Logits 1e6 known to ±1: every move of z in the box moves a within a's bound, which J alone understates."""
    rng = np.random.default_rng(int(gap))
    z = np.array([[1e6, 1e6 - gap, 1e6 - 2 * gap - 5.0, 0.0]])
    a = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    Sz = np.full_like(z, 1.0 / ALLOWED)  # z's allowed difference: 1
    Sa = sigma.softmax(z, a, Carry.linear(Sz), near=ALLOWED * Sz)
    Sa_first = sigma.softmax(z, a, Carry.linear(Sz))
    worst = worst_first = 0.0
    for _ in range(2000):
        e = rng.uniform(-1, 1, z.shape) * ALLOWED * Sz
        zz = z + e
        moved = np.abs(np.exp(zz - zz.max()) / np.exp(zz - zz.max()).sum() - a)
        worst, worst_first = max(worst, _share(moved, Sa)), max(worst_first, _share(moved, Sa_first))
    assert worst <= 1.0
    assert worst_first > 1.0  # first order alone: e^{±2} is not 1 ± 2


def test_logits_known_only_beyond_1_are_recomputed_with_the_references(monkeypatch):
    """Which of the two diverging runs needs the recomputation is the machine's (the sweep's Intel: both; AMD EPYC's
    OpenBLAS kernels: 42236 alone, 40322's raw steps agree there): every one that does agrees after it, its raw step
    differs, and it fails under the rule before."""
    kinked_specs = []
    for spec in DIVERGING:
        _, steps = check_spec(0, spec)
        assert all(r["passed"] for r in steps)
        kinked = [r for r in steps if "known only to more than ±1" in r["detail"]]
        assert all("agrees" in r["detail"] and r["tol_used"] > 1.0 for r in kinked)  # the raw step differs
        kinked_specs += [spec] if kinked else []
    assert kinked_specs
    real = steps_module.pinned_member
    monkeypatch.setattr(steps_module, "pinned_member", lambda *a, **k: real(*a, **(k | dict(undetermined=None))))
    for spec in kinked_specs:
        assert failing(spec) & {"step (gradient)", "step (parameters)"}  # the rule before: argmax alone


@pytest.mark.parametrize("spec", DIVERGING, ids=["40322", "42236"])
def test_the_references_logits_never_excuse_a_wrong_step(spec):
    with ETA.applied():
        _, steps = check_spec(0, spec)
    assert any(not r["passed"] and "still differs" in r["detail"] for r in steps)


@pytest.mark.parametrize("name, a", [("sigmoid", 0.5), ("tanh", 0.0)])
def test_a_flat_sigma_prime_counts_the_square_of_as_error(name, a):
    """σ' = a(1 − a) at a = ½ and 1 − a² at a = 0 are flat: a's error e moves them by e², not by 0."""
    Sa = np.array([1e10])  # a known to 5.7 · 1e10 · u ≈ 6e−6
    e = ALLOWED * Sa  # a moved by all of its allowed difference
    s0, S = sigma.prime(name, np.zeros(1), np.array([a]), np.zeros(1), Sa, u=U)
    moved = a + e
    s1 = moved * (1 - moved) if name == "sigmoid" else 1 - moved**2
    assert abs(s1 - s0)[0] <= (ALLOWED * S)[0]
    _, S_first = sigma.prime(name, np.zeros(1), np.array([a]), np.zeros(1), Sa)  # u = 0: first order only
    assert abs(s1 - s0)[0] > (ALLOWED * S_first)[0]


# softplus units at z ≈ −554 (σ' = 2.6e−241) beside units of 1 (weights × 30): the forward covariance with one scale
# per example lost their carried error to the underflow of σ'², and steps 2–100 failed at 28–38 times the bound
TINY_SLOPES = ArchSpec(sizes=(8, 16, 4, 10), activations=("identity", "softplus", "identity"), cost="squared_error",
                       K=2, optimizer="sgd", batch_size=2, eta=0.00305, steps=100, seed=2036348474, weight_scale=30.0,
                       order_seed=2036348474)  # fmt: skip


def test_units_of_1e_minus_240_beside_units_of_1_keep_their_own_bound():
    grads, steps = check_spec(0, TINY_SLOPES)
    assert all(r["passed"] for r in grads + steps) and len(steps) == 100
    with ETA.applied():  # and the bound is still a bound: η off by 1 % fails
        assert not all(r["passed"] for r in check_spec(0, TINY_SLOPES)[1])
