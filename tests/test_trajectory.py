"""Training trajectories: manual_bp's SGD against torch.optim.SGD, parameters equal step by step."""

import numpy as np
import pytest

from comparisons.common.spec import ArchSpec
from comparisons.sweep.harness import build
from comparisons.sweep.trajectory import trajectory_rows
from manual_bp import SGD, full_batch, train

CASES = {
    "gd (the lecture's)": dict(optimizer="gd"),
    "sgd mini-batches": dict(optimizer="sgd", batch_size=3),
    "momentum": dict(optimizer="momentum", momentum=0.9),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CASES)
def test_parameters_stay_equal_step_by_step(case, dtype):
    spec = ArchSpec(
        sizes=(6, 5, 4, 3),
        activations=("tanh", "relu", "sigmoid"),
        cost="squared_error",
        K=8,
        dtype=dtype,
        eta=0.05,
        steps=30,
        seed=5,
        **CASES[case],
    )
    net, ref, X, T, batches = build(spec)
    rows = trajectory_rows(0, spec, net, ref, X, T, batches)
    assert len(rows) == 30
    assert all(r["passed"] for r in rows), [r for r in rows if not r["passed"]][:3]
    assert rows[-1]["cost_manual"] < rows[0]["cost_manual"], "training should lower C_T"


def test_trajectory_check_catches_a_wrong_update(monkeypatch):
    """A manual update with η·1.001 instead of η drifts away and must be flagged."""
    spec = ArchSpec(
        sizes=(6, 5, 3), activations=("tanh", "sigmoid"), cost="squared_error", K=8, eta=0.05, steps=10, seed=5
    )
    net, ref, X, T, batches = build(spec)
    orig = SGD.update
    monkeypatch.setattr(SGD, "update", lambda self, key, p, g: orig(self, key, p, g * 1.001))
    rows = trajectory_rows(0, spec, net, ref, X, T, batches)
    assert not any(r["passed"] for r in rows)


def test_momentum_matches_torch_rule_first_step_sets_velocity_to_gradient():
    spec = ArchSpec(sizes=(3, 2), activations=("identity",), cost="squared_error", K=4, seed=1)
    net, ref, X, T, _ = build(spec)
    opt = SGD(0.1, momentum=0.5)
    W0 = net.W[2].copy()
    gW, gb = net.gradients(X, T)
    opt.step(net, gW, gb)
    np.testing.assert_array_equal(net.W[2], W0 - 0.1 * gW[2])
    gW2, gb2 = net.gradients(X, T)
    W1 = net.W[2].copy()
    opt.step(net, gW2, gb2)
    np.testing.assert_array_equal(net.W[2], W1 - 0.1 * (0.5 * gW[2] + gW2[2]))


def test_train_lowers_the_lecture_cost_and_matches_torch_history():
    spec = ArchSpec(sizes=(12, 3, 2), activations=("sigmoid", "sigmoid"), cost="squared_error", K=16, seed=2)
    net, ref, X, T, _ = build(spec)
    hist = train(net, X, T, SGD(0.5), full_batch(len(X), 50))
    thist = ref.train_steps(X, T, ref.optimizer(0.5), full_batch(len(X), 50))
    np.testing.assert_allclose(hist, thist, rtol=1e-9)
    assert hist[-1] < hist[0]


CHAOTIC = (
    '{"K":21,"activations":["leaky_relu","tanh","softplus","softplus","tanh","softmax"],"batch_size":1,'
    '"cost":"cross_entropy","dtype":"float32","eta":0.0811,"momentum":0.0,"optimizer":"sgd",'
    '"seed":1083148390,"sizes":[13,16,5,15,9,1,8],"steps":60}'
)


def test_an_expanding_trajectory_is_judged_by_its_own_rounding_sensitivity():
    """Found by a 1,000-architecture float32 sweep: single-example SGD with η = 0.08 amplifies
    rounding past the linear bound; the shadow run measures that and the check passes."""
    from comparisons.common.spec import ArchSpec

    spec = ArchSpec.from_json(CHAOTIC)
    rows = trajectory_rows(0, spec, *build(spec))
    assert any(np.isfinite(r["shadow_drift"]) for r in rows), "the linear bound alone should not suffice here"
    assert all(r["passed"] for r in rows)


@pytest.mark.parametrize("factor", [1.001, 0.999])
def test_the_shadow_allowance_does_not_excuse_a_wrong_learning_rate(monkeypatch, factor):
    from comparisons.common.spec import ArchSpec

    spec = ArchSpec.from_json(CHAOTIC)
    orig = SGD.update
    monkeypatch.setattr(SGD, "update", lambda self, key, p, g: orig(self, key, p, g * factor))
    rows = trajectory_rows(0, spec, *build(spec))
    assert not all(r["passed"] for r in rows)


CHAOTIC_GD = (
    '{"K":15,"activations":["identity","softplus","identity","identity","sigmoid"],"batch_size":0,'
    '"cost":"binary_cross_entropy","dtype":"float64","eta":0.00446,"momentum":0.0,"optimizer":"gd",'
    '"seed":2130994651,"sizes":[7,11,11,7,7,13],"steps":100}'
)


def test_a_chaotic_trajectory_is_reported_not_comparable_from_where_rounding_decides():
    """Found by the 10,000-architecture float64 sweep: plain GD whose rounding grows 1e13-fold."""
    from comparisons.common.spec import ArchSpec

    spec = ArchSpec.from_json(CHAOTIC_GD)
    rows = trajectory_rows(0, spec, *build(spec))
    first = next(r["step"] for r in rows if r["status"] == "chaotic")
    assert 60 < first < 100, "the early steps must still be compared"
    assert all(r["passed"] for r in rows)
    assert all(r["max_param_diff"] < 1e-12 for r in rows[:50])


def test_a_chaotic_trajectory_still_catches_a_wrong_learning_rate(monkeypatch):
    from comparisons.common.spec import ArchSpec

    spec = ArchSpec.from_json(CHAOTIC_GD)
    orig = SGD.update
    monkeypatch.setattr(SGD, "update", lambda self, key, p, g: orig(self, key, p, g * 1.001))
    rows = trajectory_rows(0, spec, *build(spec))
    assert not rows[0]["passed"] and rows[0]["status"] == "fail"
