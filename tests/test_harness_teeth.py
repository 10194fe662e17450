"""Every check of the harness fails on a planted bug and passes on the clean code (issue: a harness
that cannot be fooled).  The planted bugs are those of `deltacheck selftest`."""

import numpy as np
import pytest
import torch

from comparisons import cli
from comparisons.common.spec import ArchSpec
from comparisons.sweep import mutations, selftest
from comparisons.sweep.harness import check_spec
from comparisons.sweep.trajectory import Judge, near_kink
from manual_bp import MLP, backprop
from torch_ref import TorchMLP


@pytest.fixture(scope="module")
def outcomes():
    clean, outcomes = selftest.run_selftest(30, 0, 8, progress=False)
    return clean, {(o.path, o.name): o for o in outcomes}


def test_the_clean_code_passes_every_check_on_the_selftest_architectures(outcomes):
    clean, _ = outcomes
    assert clean == []


@pytest.mark.parametrize("path", selftest.PATHS)
@pytest.mark.parametrize("m", mutations.MUTATIONS, ids=lambda m: m.name)
def test_each_planted_bug_is_caught_by_a_check_meant_for_it(outcomes, m, path):
    o = outcomes[1][path, m.name]
    assert o.caught, f"{m.name} went unnoticed over {o.archs} architectures on path {path}"
    found = {c.split(" ")[0] for c in o.caught_by.split(", ")}
    assert found & set(m.expected), f"{m.name} ({path}): caught by {o.caught_by}, expected one of {m.expected}"


def test_mutations_are_undone_after_the_run():
    before = backprop.hidden_delta
    with mutations.MUTATIONS[15].applied():
        assert backprop.hidden_delta is not before
    assert backprop.hidden_delta is before


def test_selftest_exits_1_when_a_planted_bug_goes_unnoticed(tmp_path, monkeypatch):
    harmless = mutations.Mutation("no-op", "changes nothing", ((backprop, "forward", backprop.forward),), ("value",))
    monkeypatch.setattr(selftest, "MUTATIONS", (harmless,))
    assert cli.main(["selftest", "--archs", "3", "--steps", "2", "--no-progress", "--out", str(tmp_path)]) == 1
    assert "NO" in (tmp_path / "selftest.md").read_text()


def spec(**kw):
    base = dict(sizes=(4, 5, 3), activations=("tanh", "sigmoid"), cost="squared_error", K=6, steps=6, seed=4)
    return ArchSpec(**{**base, **kw})


def failing(grads, traj):
    return selftest.failing_checks(grads, traj)


def test_writing_into_x_through_a_made_writable_view_is_caught_by_the_bytes_check(monkeypatch):
    orig = backprop.forward

    def sneaky(W, b, act, X):
        X.setflags(write=True)  # the harness's copy owns its memory, so this succeeds
        X[0, 0] += 1.0
        return orig(W, b, act, X)

    monkeypatch.setattr(backprop, "forward", sneaky)
    grads, traj = check_spec(0, spec())
    assert "input" in failing(grads, traj)
    assert [g for g in grads if g["tensor"] == "X"][0]["caught_by"] == "input"


def test_torch_never_sees_data_changed_by_manual_bp(monkeypatch):
    seen = []
    orig = TorchMLP.gradients

    def spy(self, X, T):
        seen.append(X.detach().numpy().copy())
        return orig(self, X, T)

    monkeypatch.setattr(TorchMLP, "gradients", spy)
    orig_forward = backprop.forward

    def sneaky(W, b, act, X):
        X.setflags(write=True)
        X -= X.mean(axis=0)
        return orig_forward(W, b, act, X)

    monkeypatch.setattr(backprop, "forward", sneaky)
    grads, _ = check_spec(0, spec())
    assert any(g["caught_by"] == "input" for g in grads), [g["error"] for g in grads]
    from comparisons.common.spec import make_problem

    assert seen, [(g["tensor"], g["caught_by"], g["error"]) for g in grads]
    np.testing.assert_array_equal(seen[0], make_problem(spec())[2])


def test_relu_derivative_at_exactly_zero_is_zero_like_autograd():
    """PyTorch's convention relu'(0) = 0, pinned: z^2 of the first two examples is exactly 0."""
    s = spec(activations=("relu", "identity"), zero_rows=2)
    from comparisons.common.spec import make_problem

    W, b, X, T, _ = make_problem(s)
    net = MLP(W, b, list(s.activations), s.cost)
    assert (net.forward(X).z[2][:2] == 0).all()
    delta = net.deltas(X, T)
    _, _, rdelta = TorchMLP(W, b, list(s.activations), s.cost).gradients(X, T)
    np.testing.assert_array_equal(delta[2][:2], 0.0)
    np.testing.assert_allclose(delta[2], rdelta[2], rtol=1e-12, atol=1e-14)


def test_both_sides_overflowing_is_diverged_not_failed():
    s = spec(activations=("identity", "identity"), eta=10.0, steps=12, weight_scale=30.0)
    grads, traj = check_spec(0, s)
    assert {t["status"] for t in traj} >= {"diverged"} and all(t["passed"] for t in traj)
    assert all(g["passed"] for g in grads)


def test_only_manual_bp_overflowing_fails(monkeypatch):
    from manual_bp import optim

    calls = []
    orig = optim.SGD.update

    def blow_up(self, key, p, g):
        calls.append(1)
        orig(self, key, p, g * (np.inf if len(calls) > 8 else 1.0))

    monkeypatch.setattr(optim.SGD, "update", blow_up)
    _, traj = check_spec(0, spec(steps=6))
    bad = [t for t in traj if not t["passed"]]
    assert bad and bad[0]["status"] == "fail" and "only manual_bp" in bad[0]["detail"]


def kink_case(act, b2):
    """A 1-1-1 network whose hidden pre-activation x·w + b2 is exactly 0 for b2 = −0.3; one manual step."""
    W, b = {2: np.array([[0.3]]), 3: np.array([[1.0]])}, {2: np.array([b2]), 3: np.array([0.0])}
    s = ArchSpec(sizes=(1, 1, 1), activations=(act, "identity"), cost="squared_error", K=1, steps=1, seed=0)
    net = MLP({l: w.copy() for l, w in W.items()}, {l: v.copy() for l, v in b.items()}, list(s.activations), s.cost)
    X, T = np.array([[1.0]]), np.array([[0.5]])
    gW, gb = net.gradients(X, T)
    w_m = np.array([0.3 - 0.1 * gW[2][0, 0], b2 - 0.1 * gb[2][0], 1.0 - 0.1 * gW[3][0, 0], -0.1 * gb[3][0]])
    s = ArchSpec(**{**s.__dict__, "eta": 0.1})
    judge = Judge(s, net, X, T, [np.arange(1)], W, b, w_m[None])
    return judge, w_m, np.array([0.3, b2, 1.0, 0.0])


def test_a_jump_at_a_relu_kink_is_reported_as_kink_not_failure():
    judge, w_m, w0 = kink_case("relu", -0.3)
    assert "layer 2 unit 1 example 1" in near_kink(judge.net, w0, judge.X, judge.T, judge.W0, judge.b0)
    res, status, detail, _, _ = judge(1, w_m, w_m + np.array([0.0, 0.0, 0.0, 1e-3]))
    assert status == "kink" and res.passed and "layer 2" in detail


@pytest.mark.parametrize("act, b2", [("sigmoid", -0.3), ("relu", 0.5)])
def test_the_same_jump_away_from_a_kink_fails(act, b2):
    judge, w_m, _ = kink_case(act, b2)
    _, status, _, _, _ = judge(1, w_m, w_m + np.array([0.0, 0.0, 0.0, 1e-3]))
    assert status == "fail"


def test_float32_oracle_catches_what_the_tolerance_cannot(monkeypatch):
    """1e-5 relative in the largest entry of ∂C_T/∂W^L passes rtol 1e-4 but not the float64 oracle."""
    s = spec(dtype="float32", steps=0)
    assert not failing(*check_spec(0, s))
    with mutations.MUTATIONS[[m.name for m in mutations.MUTATIONS].index("1e-5 in one entry (float32)")].applied():
        grads, traj = check_spec(0, s)
    bad = [g for g in grads if not g["passed"]]
    assert [g["caught_by"] for g in bad] == ["oracle"] and bad[0]["tol_used"] <= 1.0


def test_sampler_covers_soft_targets_large_weights_and_exact_zeros():
    from comparisons.common.spec import sample_specs

    specs = sample_specs(400, 0)
    assert any(s.targets == "soft" and s.cost == "cross_entropy" for s in specs)
    assert any(s.targets == "soft" and s.cost == "binary_cross_entropy" for s in specs)
    assert any(s.weight_scale > 1 for s in specs) and any(s.zero_rows for s in specs)


def test_torch_stays_single_threaded_in_the_check():
    assert torch.get_num_threads() >= 1


def test_the_float32_oracle_sees_1e5_in_the_largest_entry_and_raises_no_alarm_on_the_clean_code():
    from comparisons.sweep import oracle_power

    worst, alarms, caught, planted = oracle_power.measure(120, 0)
    assert alarms == [] and worst < 1
    assert caught >= 0.9 * planted > 0


def test_the_oracle_scale_counts_the_terms_a_saturated_sigma_prime_cancels():
    """Behind a saturated tanh 1 − a² is tiny, and one ulp of a moves it by ~eps: the scale must say so."""
    from comparisons.sweep.start import delta_terms, prime_terms

    tanh = MLP.init([1, 1, 1], ["tanh", "identity"], "squared_error").act
    z = {2: np.array([[12.0]]), 3: np.array([[0.5]])}
    a = {2: np.tanh(z[2]), 3: z[3]}
    assert 1 - a[2][0, 0] ** 2 < 1e-9 and prime_terms(tanh[2], z[2], a[2])[0, 0] > 1.9  # the terms, not σ'
    W = {2: np.array([[1.0]]), 3: np.array([[2.0]])}
    cost = mutations.costs.COSTS["squared_error"]
    d = delta_terms(W, tanh, cost, z, a, np.array([[0.0]]))
    assert d[3][0, 0] == 0.5 and d[2][0, 0] > 0.5 * 2 * 1.9  # |a − t|, then (|δ³| |W³|) × the terms of σ'
