"""Every check of the harness fails on a planted bug and passes on the clean code (issue: a harness
that cannot be fooled).  The planted bugs are those of `deltacheck selftest`."""

import functools

import numpy as np
import pytest
import torch

from comparisons import cli
from comparisons.common import rounding, sigma
from comparisons.common.carry import Carry
from comparisons.common.spec import ArchSpec, sample_specs
from comparisons.sweep import mutations, selftest
from comparisons.sweep.harness import check_family, check_spec
from comparisons.sweep.kinks import pinned_member
from manual_bp import MLP, backprop
from torch_ref import TorchFamily, TorchMLP


@functools.cache
def _selftest():
    """Once per process: under xdist a worker may run other tests between this module's, and a module fixture
    would then be built again."""
    clean, outcomes = selftest.run_selftest(8, 0, 4, progress=False)
    return clean, {o.name: o for o in outcomes}


@pytest.fixture(scope="module")
def outcomes():
    return _selftest()


def test_the_clean_code_passes_every_check_on_the_selftest_architectures(outcomes):
    clean, _ = outcomes
    assert clean == []


@pytest.mark.parametrize("m", mutations.MUTATIONS, ids=lambda m: m.name)
def test_each_planted_bug_is_caught_by_a_check_meant_for_it(outcomes, m):
    o = outcomes[1][m.name]
    assert o.archs, f"{m.name}: none of the selftest's architectures can show it"
    assert o.caught, f"{m.name} went unnoticed over {o.archs} architectures"
    found = {c.split(" ")[0] for c in o.caught_by.split(", ")}
    assert found & set(m.expected), f"{m.name}: caught by {o.caught_by}, expected one of {m.expected}"


@pytest.mark.parametrize("name", ["never updates", "bias never updated", "learning rate off by 1 %"])
def test_update_bugs_fail_every_architecture_whose_torch_parameters_move(outcomes, name):
    o = outcomes[1][name]
    assert o.archs and o.caught == o.archs - sum("never rose above" in why for _, _, why in o.missed)
    assert all("never rose above" in why for _, _, why in o.missed)


def test_the_pool_grows_only_by_families_that_show_a_bug_the_sampled_ones_cannot():
    """selftest.units: the sampled families first; then, for a bug none of them can show, one family that can —
    never the specs drawn on the way (--archs 4 once checked 71 families, 64 of which showed nothing new)."""
    pool = selftest.units(4, 0, 3)
    sampled, added = pool[:2], pool[2:]  # 4 // SELFTEST_FAMILY = 1 family per dtype
    assert all(any(m.applies(u[0]) for u in pool) for m in mutations.MUTATIONS)
    for i, fam in enumerate(added):
        before = sampled + added[:i]
        assert any(m.applies(fam[0]) and not any(m.applies(u[0]) for u in before) for m in mutations.MUTATIONS), i


def test_the_selftest_budget_counts_every_planted_bug():
    from comparisons.sweep import budget

    assert len(mutations.MUTATIONS) == budget.PLANTED


def test_mutations_are_undone_after_the_run():
    before = backprop.hidden_delta
    m = next(m for m in mutations.MUTATIONS if m.name == "eq (5) without ⊙ σ'(z^l)")
    with m.applied():
        assert backprop.hidden_delta is not before
    assert backprop.hidden_delta is before


def test_selftest_exits_1_when_a_planted_bug_goes_unnoticed(tmp_path, monkeypatch):
    harmless = mutations.Mutation("no-op", "changes nothing", ((backprop, "forward", backprop.forward),), ("value",))
    monkeypatch.setattr(selftest, "MUTATIONS", (harmless,))
    assert cli.main(["selftest", "--archs", "4", "--steps", "2", "--no-progress", "--out", str(tmp_path)]) == 1
    text = (tmp_path / "selftest.md").read_text()
    assert "FAIL" in text and "no-op: arch 0" in text


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
    orig = TorchFamily.gradients

    def spy(self, X, T):
        seen.append(X.detach().numpy()[0].copy())
        return orig(self, X, T)

    monkeypatch.setattr(TorchFamily, "gradients", spy)
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


def relu_net():
    """A 1-1-1 relu network whose hidden z = 1·0.3 − 0.3 is exactly 0, and its torch twin."""
    W, b = {2: np.array([[0.3]]), 3: np.array([[1.0]])}, {2: np.array([-0.3]), 3: np.array([0.0])}
    X, T = np.array([[1.0]]), np.array([[0.5]])
    return W, b, X, T


def test_z_exactly_zero_on_both_sides_is_no_kink():
    W, b, X, T = relu_net()
    z = MLP(W, b, ["relu", "identity"], "squared_error").forward(X).z
    assert z[2][0, 0] == 0.0
    member, where = pinned_member(W, b, X, z, ["relu", "identity"], "squared_error", "sum")
    assert member is None and where == ""


def test_a_kink_is_recomputed_with_torchs_branch_and_then_agrees_with_autograd():
    """torch's z one rounding below 0, manual_bp's exactly 0 on the other side: the branches differ."""
    W, b, X, T = relu_net()
    z_torch = {2: np.array([[-1e-17]]), 3: np.array([[0.0]])}
    z_torch_pos = {2: np.array([[1e-17]]), 3: np.array([[0.0]])}
    member, where = pinned_member(W, b, X, z_torch_pos, ["relu", "identity"], "squared_error", "sum")
    assert member is not None and "layer 2 unit 1 example 1" in where
    gW, _ = member.gradients(X, T)
    assert gW[2][0, 0] != 0.0  # torch's branch (z > 0): σ' = 1, where manual_bp alone takes 0
    assert pinned_member(W, b, X, z_torch, ["relu", "identity"], "squared_error", "sum")[0] is None


def test_a_kink_never_excuses_a_difference_away_from_it(monkeypatch):
    """relu σ'(0) = 1 on the zero rows: z = 0 exactly on both sides, so no kink, and every step fails."""
    s = spec(activations=("relu", "identity"), zero_rows=2, K=6)
    monkeypatch.setattr(mutations.RELU, "prime", lambda self, z, a: (z >= 0).astype(z.dtype))
    grads, steps = check_spec(0, s)
    assert "value" in failing(grads, steps)
    assert not any(r["detail"].startswith("kink") for r in steps)


def test_float32_oracle_sees_a_planted_1e5_on_its_own():
    """1e-5 relative in the largest entry of ∂C_T/∂W^L: the float64 oracle's own check fails too."""
    s = spec(dtype="float32", steps=0)
    assert not failing(*check_spec(0, s))
    with next(m for m in mutations.MUTATIONS if m.name == "1e-5 in one entry (float32)").applied():
        grads, traj = check_spec(0, s)
    bad = [g for g in grads if not g["passed"]]
    assert len(bad) == 1 and bad[0]["tensor"] == "W" and bad[0]["oracle_used"] > 1.0


@pytest.mark.parametrize("dtype, name, rate", [("float64", "1e-9 in one entry (float64)", 0.95),
                                               ("float32", "1e-5 in one entry (float32)", 0.95)])  # fmt: skip
def test_the_start_check_sees_a_planted_relative_error_and_raises_no_alarm_on_the_clean_code(dtype, name, rate):
    """Detection on 64 sampled architectures (families of 8), 0 false alarms: the issue's 95 % for both."""
    specs = sample_specs(64, 3, dtype, 0, family=8)
    m = next(m for m in mutations.MUTATIONS if m.name == name)
    clean = [failing(*r) for i in range(0, 64, 8) for r in check_family(i, specs[i : i + 8])]
    assert not any(clean)
    with m.applied():
        caught = [bool(failing(*r)) for i in range(0, 64, 8) for r in check_family(i, specs[i : i + 8])]
    assert sum(caught) >= rate * len(caught)


def test_the_rounding_model_counts_the_terms_a_saturated_sigma_prime_cancels():
    """Behind a saturated tanh 1 − a² is tiny, and one rounding of a moves it by ~u: S must say so."""
    a = np.tanh(np.array([[12.0]]))
    s, Ss = sigma.prime("tanh", np.array([[12.0]]), a, np.zeros((1, 1)), np.array([[4.0]]))
    assert s[0, 0] < 1e-9 and Ss[0, 0] > 1.0  # ≈ 2a S_a, far above σ'


def test_the_rounding_model_neither_underflows_nor_overflows():
    """Scales are formed without squares: a gradient of 1e−182 (a saturated softplus) keeps a bound of its size."""
    A, B = np.array([[1e-182, 1e-300]]), np.array([[1e200], [1e-10]])
    S = rounding.dot(A, B, SA=np.abs(A), SB=np.abs(B))
    assert 1e18 < S[0, 0] < 1e19 and np.isfinite(S).all()
    assert rounding.l2(np.array([1e-200]), np.array([1e-200]))[0] == pytest.approx(np.sqrt(2) * 1e-200)


def test_the_bound_is_c_u_sqrt_v_and_fails_what_exceeds_it():
    from comparisons.common.checks import agree

    lim = rounding.bound(np.array([[1.0, 2.0]]), np.float64, sides=1)
    np.testing.assert_allclose(lim, rounding.C * 2**-53 * np.array([[1.0, 2.0]]), rtol=1e-6)
    r = np.array([[1.0, 2.0]])
    assert agree(r + 0.5 * lim, r, lim)[0][0] <= 1 < agree(r + 2 * lim, r, lim)[0][0]
    assert agree(np.array([[np.inf]]), np.array([[np.inf]]), np.array([[0.0]]))[0][0] == 0  # overflowed alike
    assert agree(np.array([[np.nan]]), np.array([[1.0]]), np.array([[1.0]]))[0][0] == np.inf


def test_torch_stays_single_threaded_in_the_check():
    assert torch.get_num_threads() >= 1


def test_a_layers_own_roundings_are_carried_on_squares_and_what_it_inherited_linearly():
    """forward_carry: independent own errors of n units add as √n, shared inherited ones as n; never above the
    all-linear carry, which bounds the same error."""
    B = np.ones((4, 1))  # (n, 1): z = Σ_i a_i
    own, none = np.ones((1, 4)), np.zeros((1, 4))
    assert rounding.forward_carry(own, none, B)[0, 0] == pytest.approx(2.0)  # √4
    assert rounding.forward_carry(none, own, B)[0, 0] == pytest.approx(4.0)  # 4
    rng = np.random.default_rng(0)
    o, i, W = rng.random((5, 6)), rng.random((5, 6)), rng.standard_normal((6, 3))
    assert (rounding.forward_carry(o, i, W) <= (o + i) @ np.abs(W) + 1e-12).all()
    for size in (1e-200, 1e200):  # the squares would under- or overflow: scaled, the carry keeps its size
        assert rounding.forward_carry(size * own, none, B)[0, 0] == pytest.approx(2.0 * size)


def test_the_covariance_carry_shows_a_planted_1e5_the_linear_carry_hid(monkeypatch):
    """A 5-layer float32 net (identity, relu, leaky_relu, sigmoid): carried linearly, what a^{L−1} inherited from
    below hides a 1e-5 error in the largest ∂C_T/∂W^L entry; carried as a covariance, with W's signs, it does not,
    and the clean code passes."""
    s = spec(dtype="float32", steps=0, sizes=(14, 6, 6, 11, 4), activations=("identity", "relu", "leaky_relu",
             "sigmoid"), cost="binary_cross_entropy", K=10, seed=79966450, targets="soft")  # fmt: skip
    m = next(m for m in mutations.MUTATIONS if m.name == "1e-5 in one entry (float32)")
    assert not failing(*check_spec(0, s))
    with m.applied():
        assert set(failing(*check_spec(0, s))) & {"value", "oracle"}

    def linear(self, W, new):  # every error carried linearly (Minkowski): a bound too, blind to W's cancellations
        return Carry.linear(self.S() @ np.abs(W).swapaxes(-1, -2) + new)

    monkeypatch.setattr(Carry, "affine", linear)
    with m.applied():
        assert not failing(*check_spec(0, s))


def test_the_selftest_names_a_gradient_that_is_exactly_0_as_why_a_factor_on_it_went_through():
    """A 15-16-1-12 net whose one relu unit of layer 3 is dead for every example: ∂C_T/∂W^4 is exactly 0, so a factor
    1 + 1e−5 on its largest entry changes nothing — the selftest lists it with that reason, not "not explained"."""
    s = spec(dtype="float32", steps=0, sizes=(15, 16, 1, 12), activations=("softplus", "relu", "sigmoid"),
             cost="binary_cross_entropy", K=14, seed=1154634121, reduction="mean", optimizer="momentum",
             momentum=0.83, eta=0.000267)  # fmt: skip
    grads, traj = check_spec(0, s)
    assert selftest.facts(grads, traj).startswith("every entry of ∂C_T/∂W^4 is exactly 0")
    m = next(m for m in mutations.MUTATIONS if m.name == "1e-5 in one entry (float32)")
    with m.applied():
        assert not failing(*check_spec(0, s))
    live = spec(dtype="float32", steps=0, sizes=(15, 16, 3, 12), activations=("softplus", "tanh", "sigmoid"),
                cost="binary_cross_entropy", K=14, seed=1154634121)  # fmt: skip
    assert selftest.facts(*check_spec(0, live)) == "not explained"
