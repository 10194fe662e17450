"""Training: every step judged from torch's state under one step's bound; the free runs as information."""

import numpy as np
import pytest

from comparisons.common.spec import ArchSpec, sample_specs
from comparisons.sweep.harness import check_spec
from comparisons.sweep.selftest import failing_checks
from manual_bp import SGD, full_batch, optim, train

CASES = {
    "gd (the lecture's)": dict(optimizer="gd"),
    "sgd mini-batches": dict(optimizer="sgd", batch_size=3),
    "momentum": dict(optimizer="momentum", momentum=0.9),
    "mean reduction": dict(optimizer="sgd", batch_size=4, reduction="mean"),
}


def spec(**kw):
    base = dict(sizes=(6, 5, 4, 3), activations=("tanh", "relu", "sigmoid"), cost="squared_error", K=8, eta=0.05,
                steps=30, seed=5)  # fmt: skip
    return ArchSpec(**{**base, **kw})


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CASES)
def test_every_step_agrees_and_the_bound_does_not_grow(case, dtype):
    grads, steps = check_spec(0, spec(dtype=dtype, **CASES[case]))
    assert not failing_checks(grads, steps)
    assert len(steps) == 30 and all(r["status"] == "pass" for r in steps)
    assert steps[-1]["tol_used"] < 1 and max(r["tol_used"] for r in steps) < 1
    assert {r["tensor"] for r in grads} >= {"train()", "train() C_T"}


def test_a_chaotic_run_is_judged_step_by_step_and_its_drift_is_information():
    """Single-example SGD with a large η: the free runs part by rounding alone, every local step still agrees."""
    s = spec(optimizer="sgd", batch_size=1, eta=0.8, steps=60, sizes=(6, 16, 16, 3), activations=("tanh",) * 3)
    grads, steps = check_spec(0, s)
    assert not failing_checks(grads, steps)
    assert steps[-1]["drift"] > 1e3 * steps[0]["drift"] > 0  # the free runs drift apart; nothing fails for it


@pytest.mark.parametrize("factor", [1.01, 0.99, 1.001])
def test_a_wrong_learning_rate_fails_at_the_first_step(monkeypatch, factor):
    orig = SGD.update
    monkeypatch.setattr(SGD, "update", lambda self, key, p, g: orig(self, key, p, g * factor))
    _, steps = check_spec(0, spec())
    assert steps[0]["status"] == "fail" and "parameters" in steps[0]["caught_by"]
    assert not any(r["passed"] for r in steps)


@pytest.mark.parametrize("zero_rows", [0, 2])
def test_an_optimizer_that_never_updates_fails_wherever_torch_moves(monkeypatch, zero_rows):
    """The zero-row corner (z = 0 exactly) once let this pass as a 'kink': z = 0 on both sides is no kink."""
    monkeypatch.setattr(optim.SGD, "step", lambda self, net, gW, gb: None)
    _, steps = check_spec(0, spec(activations=("relu", "relu", "sigmoid"), zero_rows=zero_rows))
    moved = [r for r in steps if r["torch_moved"] > 1]
    assert moved and all(r["status"] == "fail" for r in moved)


def test_stale_velocity_shows(monkeypatch):
    """State kept beside the optimizer's own velocity (here: the first call's) is not overwritten by the harness:
    manual_bp's objects carry over from one stack of steps to the next, so it shows at the next stack."""
    from comparisons.sweep.steps import CHUNK

    orig, first = SGD.update, {}

    def update(self, key, p, g):
        first.setdefault((id(self), key), g.copy())
        orig(self, key, p, first[(id(self), key)])  # the first step's gradient, forever

    monkeypatch.setattr(SGD, "update", update)
    _, steps = check_spec(0, spec(optimizer="momentum", momentum=0.9, steps=2 * CHUNK))
    assert not steps[CHUNK]["passed"] and "velocity" in steps[CHUNK]["caught_by"]


def test_a_velocity_rule_other_than_torchs_fails(monkeypatch):
    def dampened(self, key, p, g):
        v = self.v.get(key)
        self.v[key] = v = g.copy() if v is None else self.momentum * v + (1 - self.momentum) * g
        p -= self.eta * v

    monkeypatch.setattr(SGD, "update", dampened)
    _, steps = check_spec(0, spec(optimizer="momentum", momentum=0.9))
    assert "velocity" in steps[1]["caught_by"]


def test_train_walking_its_batches_in_reverse_is_caught(monkeypatch):
    from comparisons.sweep.mutations import _reversed_train

    monkeypatch.setattr(optim, "train", _reversed_train())
    monkeypatch.setattr("manual_bp.train", optim.train)
    grads, steps = check_spec(0, spec(optimizer="sgd", batch_size=3))
    assert all(r["passed"] for r in steps)  # each step alone is right
    bad = [g for g in grads if not g["passed"]]
    assert [g["tensor"] for g in bad] == ["train()"] and "departs from TrainStep" in bad[0]["error"]


def test_a_wrong_cost_history_from_train_is_caught(monkeypatch):
    orig = optim.train
    monkeypatch.setattr("manual_bp.train", lambda *a, **k: [c * (1 + 1e-6) for c in orig(*a, **k)])
    grads, _ = check_spec(0, spec())
    assert [g["tensor"] for g in grads if not g["passed"]] == ["train() C_T"]


def test_only_manual_bp_overflowing_fails(monkeypatch):
    from comparisons.sweep.steps import CHUNK

    calls, orig = [], SGD.update

    def blow_up(self, key, p, g):
        calls.append(1)
        orig(self, key, p, g * (np.inf if len(calls) > 8 else 1.0))

    monkeypatch.setattr(SGD, "update", blow_up)
    _, steps = check_spec(0, spec(steps=CHUNK + 2))  # the second stack of steps meets the infinite update
    assert steps[0]["passed"] and steps[CHUNK]["status"] == "fail"


def test_a_run_that_overflows_on_both_sides_is_counted_not_compared_never_passed_over():
    s = spec(activations=("identity", "identity", "identity"), eta=10.0, steps=40, weight_scale=30.0)
    grads, steps = check_spec(0, s)
    assert not failing_checks(grads, steps)
    assert steps[0]["status"] == "pass" and any(r["status"] == "not compared" for r in steps)


# Two float32 runs of a 10,000-architecture sweep (seed 42) that diverge to the edge of float32's range: an
# intermediate overflowed on one side only (torch's masked relu gradient 0 where manual_bp's inf · 0 gives NaN;
# a mean's Σ_k C_k past 3.4e38 in torch alone).  From that step on nothing can be compared; before it, all agrees.
EDGE_OF_RANGE = {
    "relu behind an overflowed δ": (6, '{"K":6,"activations":["softplus","sigmoid","softplus","relu","leaky_relu",'
        '"sigmoid"],"batch_size":2,"cost":"binary_cross_entropy","dtype":"float32","eta":15.5,"momentum":0.0,'
        '"optimizer":"sgd","order_seed":586665026,"reduction":"mean","seed":544740379,"sizes":[1,9,16,10,10,7,3],'
        '"steps":12,"targets":"hard","weight_scale":1.0,"zero_rows":0}'),
    "a mean whose sum overflows": (23, '{"K":31,"activations":["relu","softmax"],"batch_size":0,'
        '"cost":"cross_entropy","dtype":"float32","eta":44.7,"momentum":0.0,"optimizer":"gd","order_seed":1469410021,'
        '"reduction":"mean","seed":32378080,"sizes":[12,8,11],"steps":30,"targets":"soft","weight_scale":1.0,'
        '"zero_rows":0}'),
}  # fmt: skip


@pytest.mark.parametrize("case", EDGE_OF_RANGE)
def test_a_step_at_the_edge_of_the_range_is_not_compared_and_the_steps_before_it_pass(case):
    n, text = EDGE_OF_RANGE[case]
    grads, steps = check_spec(0, ArchSpec.from_json(text))
    assert not failing_checks(grads, steps)
    assert [r["status"] for r in steps[:n]] == ["pass"] * n and steps[n]["status"] == "not compared"


def test_an_infinite_limit_never_lets_a_difference_pass():
    from comparisons.common.checks import agree
    from comparisons.common.scales import Scales

    used, _ = agree(np.array([[1.0, 2.0]]), np.array([[1.0, 3.0]]), np.array([[1.0, np.inf]]))
    assert used[0] == np.inf
    used, _ = agree(np.array([[1.0, 3.0]]), np.array([[1.0, 3.0]]), np.array([[1.0, np.inf]]))
    assert used[0] == 0.0  # identical entries agree whatever the limit
    X, z = np.array([[[1e10]]]), {2: np.array([[[1e40]]])}
    S = Scales({2: np.array([[[1e30]]])}, {2: np.zeros((1, 1))}, ["identity"], "squared_error", "sum", X,
               np.zeros((1, 1, 1)), z, {1: X, 2: z[2]}, None, "float32")  # fmt: skip
    assert np.isinf(S.Sz[2]).all()  # z of 1e40 is beyond float32: no bound


def test_train_lowers_the_lecture_cost():
    from comparisons.sweep.harness import build

    members, net, ref, X, T = build(0, [ArchSpec(sizes=(12, 3, 2), activations=("sigmoid", "sigmoid"),
                                                 cost="squared_error", K=16, seed=2)])  # fmt: skip
    hist = train(members[0].net, X[0], T[0], SGD(0.5), full_batch(16, 50))
    assert hist[-1] < hist[0]


def test_the_sampler_draws_mean_reduction_and_targets_not_summing_to_one():
    specs = sample_specs(400, 0)
    assert any(s.reduction == "mean" for s in specs)
    assert any(s.targets == "unnormalized" and s.cost == "cross_entropy" for s in specs)
    grads, steps = check_spec(0, next(s for s in specs if s.targets == "unnormalized"))
    assert not failing_checks(grads, steps)
