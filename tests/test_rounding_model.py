"""Two rules of the rounding model that tighten it, each shown to be needed (a planted 1e-5 that the looser rule
hid is caught, the clean code still passes) and sound (measured errors within the bound)."""

import numpy as np
import pytest

from comparisons.common import rounding, scales
from comparisons.common.rounding import l2, product, summed
from comparisons.common.spec import ArchSpec
from comparisons.sweep import mutations, selftest
from comparisons.sweep.harness import check_spec

PLANTED = next(m for m in mutations.MUTATIONS if m.name == "1e-5 in one entry (float32)")
# softplus, tanh, squared error, mean: its sums cancel, and Σ|p| per partial sum hid the planted error
CANCELLING = ArchSpec(sizes=(12, 14, 1), activations=("softplus", "tanh"), cost="squared_error", K=20, steps=0,
                      seed=2106582125, dtype="float32", reduction="mean")  # fmt: skip
# softmax and squared error (the 14-3 family of make report's selftest): δ^L = a ∘ (g − Σ a g) nearly cancels
SOFTMAX_SE = ArchSpec(sizes=(14, 3), activations=("softmax",), cost="squared_error", K=1, steps=0, seed=2018472070,
                      dtype="float32")  # fmt: skip


def failing(spec):
    return set(selftest.failing_checks(*check_spec(0, spec)))


def test_a_partial_sum_is_at_most_the_larger_of_its_positive_and_negative_parts():
    p = np.array([3.0, -1.0, 2.0, -2.0])  # P = 5, N = 3: every partial sum, in any order, within [−3, 5]
    assert rounding.sum_roundings(4, np.abs(p).sum(), p.sum()) == pytest.approx(np.sqrt(3 * 5.0**2 + 8.0**2))
    same = np.ones(4)  # no cancellation: the old Σ|p| per partial sum
    assert rounding.sum_roundings(4, 4.0, same.sum()) == pytest.approx(np.sqrt(3 * 16.0 + 16.0))
    assert rounding.sum_roundings(1, 2.0, -2.0) == pytest.approx(2.0)  # one term: its product's rounding only


def test_sums_in_any_order_stay_within_the_bound():
    rng = np.random.default_rng(0)
    u = rounding.unit_roundoff("float32")
    worst = 0.0
    for n in (2, 7, 64, 1000):
        for _ in range(50):
            p = (rng.standard_normal(n) * np.exp(rng.uniform(-3, 3, n))).astype(np.float32)
            exact = np.sum(p.astype(np.float64))
            S = rounding.sum_roundings(n, np.abs(p.astype(np.float64)).sum(), exact)
            for order in (p, np.sort(p), np.sort(p)[::-1], rng.permutation(p)):
                acc = np.float32(0)
                for x in order:  # sequential: every partial sum rounded
                    acc = np.float32(acc + x)
                worst = max(worst, abs(float(acc) - exact) / (rounding.C * u * S))
    assert worst < 1.0, worst


def test_cancelling_partial_sums_show_a_planted_1e5_that_sum_abs_hid(monkeypatch):
    assert not failing(CANCELLING)
    with PLANTED.applied():
        assert failing(CANCELLING) & {"value", "oracle"}
    old_rule = lambda n, abs_sum, signed_sum: np.sqrt(n) * abs_sum  # noqa: E731
    for module in (rounding, scales):  # every sum's own roundings, wherever the model takes them
        monkeypatch.setattr(module, "sum_roundings", old_rule)
    with PLANTED.applied():
        assert not failing(CANCELLING)


def _abs_chain(self, z, a, T, g, Sa):
    """The rule before: δ^L = a ∘ h from |a|, |g|, |p| and their S, each product's errors added in absolute value."""
    Sg = l2(g, Sa)
    p = (a * g).sum(axis=-1, keepdims=True)
    Sp = summed(a * g, product(a, g, Sa, Sg), -1)[..., None]
    h = g - p
    return product(a, h, Sa, l2(h, Sg, Sp), self.u)


def test_softmax_delta_through_one_jacobian_shows_a_planted_1e5_the_abs_chain_hid(monkeypatch):
    assert not failing(SOFTMAX_SE)
    with PLANTED.applied():
        assert failing(SOFTMAX_SE) & {"value", "oracle"}
    monkeypatch.setattr(scales.Scales, "_softmax_delta", _abs_chain)
    with PLANTED.applied():
        assert not failing(SOFTMAX_SE)


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_softmax_deltas_bound_holds_where_the_output_saturates(seed):
    """W × 30: outputs at a ≈ 1 and a ≈ 0, logits far apart; every start tensor and 5 steps within the bound."""
    spec = ArchSpec(sizes=(5, 6, 4), activations=("tanh", "softmax"), cost="squared_error", K=32, steps=5, seed=seed,
                    dtype="float32", weight_scale=30.0)  # fmt: skip
    assert not failing(spec)
