"""Families: G networks of one shape trained as stacks must be G networks trained alone.

manual_bp's stack runs the same equations (bit for bit); torch's stack (bmm, one optim.SGD) equals
G TorchMLPs to rounding, with the named tolerances; the family harness gives every member the
verdicts ``check_spec`` gives it, and never a pass where the one-architecture path fails.
"""

import dataclasses

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import specs

import manual_bp
from comparisons.common.checks import compare
from comparisons.common.spec import ArchSpec, family_of, make_problem, sample_specs
from comparisons.common.tolerances import cost_tolerance, gradient_tolerance
from comparisons.sweep import harness as fam
from comparisons.sweep.harness import check_spec
from comparisons.sweep.selftest import failing_checks
from torch_ref import TorchFamily, TorchMLP

PATHS = ("train()", "train() C_T")


def members(spec, G, seed=1):
    """G problems of the family grown from ``spec``: (specs, MLPs, X (G, K, n_1), T (G, K, n_L), batches)."""
    fspecs = family_of(spec, G, np.random.default_rng(seed))
    problems = [make_problem(s) for s in fspecs]
    nets = [manual_bp.MLP(W, b, list(spec.activations), spec.cost) for W, b, *_ in problems]
    X = np.stack([p[2] for p in problems])
    T = np.stack([p[3] for p in problems])
    return fspecs, nets, X, T, problems[0][4]


@settings(max_examples=25)
@given(spec=specs(max_K=8), G=st.integers(1, 5), momentum=st.sampled_from([0.0, 0.9]))
def test_a_manual_family_is_its_members_bit_for_bit(spec, G, momentum):
    _, nets, X, T, _ = members(spec, G)
    family = manual_bp.Family(nets)
    gW, gb = family.gradients(X, T)
    delta, C_k, C_T = family.deltas(X, T), family.costs(X, T), family.total_cost(X, T)
    for g, net in enumerate(nets):
        mW, mb = net.gradients(X[g], T[g])
        assert all(np.array_equal(gW[l][g], mW[l]) and np.array_equal(gb[l][g], mb[l]) for l in mW)
        assert all(np.array_equal(delta[l][g], d) for l, d in net.deltas(X[g], T[g]).items())
        assert np.array_equal(C_k[g], net.costs(X[g], T[g]))
        assert C_T[g] == pytest.approx(net.total_cost(X[g], T[g]), rel=1e-15, abs=1e-300)
    step = manual_bp.TrainStep(family, manual_bp.SGD(0.05, momentum))
    alone = [manual_bp.TrainStep(net, manual_bp.SGD(0.05, momentum)) for net in nets]
    for _ in range(3):
        step(X, T)
        for g, s in enumerate(alone):
            s(X[g], T[g])
    for g, net in enumerate(nets):
        assert all(np.array_equal(family.W[l][g], net.W[l]) and np.array_equal(family.b[l][g], net.b[l]) for l in net.W)


@settings(max_examples=25)
@given(spec=specs(max_K=8), G=st.integers(1, 5), dtype=st.sampled_from(["float64", "float32"]))
def test_torch_batched_equals_unbatched_to_rounding(spec, G, dtype):
    """TorchFamily against G TorchMLPs: start within the gradient tolerance, 5 steps within 5 times it."""
    spec = dataclasses.replace(spec, dtype=dtype)
    _, nets, X, T, _ = members(spec, G)
    W = {l: np.stack([n.W[l] for n in nets]) for l in nets[0].W}
    b = {l: np.stack([n.b[l] for n in nets]) for l in nets[0].b}
    stack = TorchFamily(W, b, list(spec.activations), spec.cost)
    Xt, Tt = stack.tensor(X), stack.tensor(T)
    fW, fb, fdelta = stack.gradients(Xt, Tt)
    fC = stack.total_cost(Xt, Tt)
    opt = stack.optimizer(0.01, 0.5)
    flat = stack.flat_parameters()
    for _ in range(5):
        stack.step(opt, Xt, Tt)
    tol = gradient_tolerance(dtype)
    for g, net in enumerate(nets):
        alone = TorchMLP(net.W, net.b, list(spec.activations), spec.cost)
        rW, rb, rdelta = alone.gradients(X[g], T[g])
        for mine, ref in ((fW, rW), (fb, rb), (fdelta, rdelta)):
            for l in ref:
                assert compare(mine[l][g], ref[l], tol).passed
        assert compare(fC[g], alone.total_cost(X[g], T[g]), cost_tolerance(dtype)).passed
        o = alone.optimizer(0.01, 0.5)
        for _ in range(5):
            alone.step(o, alone.tensor(X[g]), alone.tensor(T[g]))
        # five steps of rounding apart at most: each within the gradient tolerance, carried on linearly
        five = type(tol)(rtol=5 * tol.rtol, atol=5 * tol.atol)
        assert compare(flat[g].detach().numpy(), alone.flat_parameters().detach().numpy(), five).passed


def test_torch_family_params_are_views_of_its_flat_rows_and_optim_updates_them():
    spec = ArchSpec(sizes=(3, 4, 2), activations=("relu", "identity"), cost="squared_error", K=5, seed=3)
    _, nets, X, T, _ = members(spec, 3)
    W = {l: np.stack([n.W[l] for n in nets]) for l in nets[0].W}
    b = {l: np.stack([n.b[l] for n in nets]) for l in nets[0].b}
    stack = TorchFamily(W, b, list(spec.activations), spec.cost)
    flat = stack.flat_parameters()
    before = flat.clone()
    stack.step(stack.optimizer(0.1), stack.tensor(X), stack.tensor(T))
    assert not torch.equal(flat, before)  # the flat rows are the parameters: the step moved them
    assert torch.equal(flat[1, :12], stack.W["2"][1].reshape(-1))


def test_a_family_refuses_members_of_another_shape_in_one_line():
    a = manual_bp.MLP.init([3, 4, 2], "tanh", "squared_error")
    b = manual_bp.MLP.init([3, 5, 2], "tanh", "squared_error")
    with pytest.raises(ValueError, match=r"family member 1 has sizes \[3, 5, 2\], member 0 has \[3, 4, 2\]"):
        manual_bp.Family([a, b])
    with pytest.raises(ValueError, match="member 1 has reduction mean, member 0 has sum"):
        manual_bp.Family([a, manual_bp.MLP(a.W, a.b, a.activations, "squared_error", reduction="mean")])
    with pytest.raises(ValueError, match=r"X must have shape \(G, K, 3\) with G = 1, K >= 1, got \(4, 3\)"):
        manual_bp.Family([a]).check_data(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"T must have shape \(1, 4, 2\) to match X, got \(1, 5, 2\)"):
        manual_bp.Family([a]).check_data(np.zeros((1, 4, 3)), np.zeros((1, 5, 2)))
    with pytest.raises(ValueError, match="member 0: X contains NaN"):
        manual_bp.Family([a]).check_data(np.full((1, 4, 3), np.nan))


def test_torch_family_takes_arrays_and_names_a_wrong_shape_in_one_line():
    a = manual_bp.MLP.init([3, 4, 2], "tanh", "squared_error")
    family = manual_bp.Family([a, a])
    stack = TorchFamily(family.W, family.b, family.activations, "squared_error")
    X, T = np.ones((2, 5, 3)), np.zeros((2, 5, 2))
    rW, _, _ = stack.gradients(X, T)  # NumPy in, as TorchMLP takes it
    assert np.array_equal(rW[2], stack.gradients(stack.tensor(X), stack.tensor(T))[0][2])
    with pytest.raises(ValueError, match=r"X must have shape \(G, K, 3\) with G = 2, K >= 1, got \(5, 3\)"):
        stack.gradients(np.ones((5, 3)), T)
    with pytest.raises(ValueError, match=r"T must have shape \(2, 5, 2\) to match X, got \(2, 4, 2\)"):
        stack.gradients(X, T[:, :4])
    with pytest.raises(ValueError, match="member 1: T contains NaN"):
        stack.gradients(X, np.where(np.arange(2)[:, None, None] == 1, np.nan, T))


def test_family_sampler_shares_all_but_the_seed_and_round_trips():
    s = sample_specs(10, 7, "float64", 20, family=4)
    assert len(s) == 10
    for first in (0, 4, 8):
        group = s[first : first + 4]
        assert len({fam.family_key(x) for x in group}) == 1
        assert len({x.seed for x in group}) == len(group)
        assert all(x.order_seed == group[0].seed for x in group)
    assert fam.family_key(s[0]) != fam.family_key(s[4])
    assert all(ArchSpec.from_json(x.to_json()) == x for x in s)
    assert sample_specs(5, 7) == sample_specs(5, 7, family=1)
    assert "order_seed" not in sample_specs(1, 7)[0].to_json()  # old specs read and print as before


def test_members_of_a_family_share_the_batch_order_and_keep_their_own_data():
    spec = sample_specs(1, 0)[0]
    spec = dataclasses.replace(spec, optimizer="sgd", batch_size=3, K=8, momentum=0.0, steps=6)
    fspecs, _, X, _, _ = members(spec, 3)
    orders = [make_problem(s)[4] for s in fspecs]
    assert all(np.array_equal(a, b) for o in orders[1:] for a, b in zip(o, orders[0]))
    assert not np.array_equal(X[0], X[1])


def verdicts(grads, traj):
    """What a check found: each start row's tensor, layer and failing check, each step's status."""
    start = [(r["tensor"], r["layer"], r["caught_by"]) for r in grads if r["tensor"] not in PATHS]
    return start, [(r["step"], r["status"], r["passed"]) for r in traj]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_family_harness_gives_each_member_the_verdicts_check_spec_gives(dtype):
    sgd = ArchSpec(sizes=(5, 6, 4, 3), activations=("relu", "tanh", "softmax"), cost="cross_entropy", K=12,
                   dtype=dtype, optimizer="sgd", batch_size=5, eta=0.05, steps=25, seed=9, targets="soft")  # fmt: skip
    groups = [sample_specs(12, 11, dtype, 25, family=4)[i : i + 4] for i in range(0, 12, 4)]
    groups.append(family_of(sgd, 4, np.random.default_rng(0)))
    first = 0
    for group in groups:
        alone = [check_spec(first + i, s) for i, s in enumerate(group)]
        for spec, together, one in zip(group, fam.check_family(first, group), alone):
            assert verdicts(*together) == verdicts(*one), spec.to_json()
            assert not failing_checks(*together)
        first += len(group)


def test_specs_that_are_not_one_family_are_checked_one_by_one(monkeypatch):
    a, b = sample_specs(2, 3, "float64", 4)
    seen = []
    monkeypatch.setattr(fam, "check_spec", lambda i, s, device="cpu": seen.append(i) or ([], []))
    fam.check_family(10, [a, b])
    assert seen == [10, 11]


def test_a_crash_in_the_stacked_training_fails_every_member(monkeypatch):
    group = sample_specs(3, 5, "float64", 4, family=3)

    def broken(self, X, T):
        raise RuntimeError("planted: the stacked step breaks")

    monkeypatch.setattr(manual_bp.TrainStep, "__call__", broken)
    for grads, _ in fam.check_family(0, group):
        crash = [r for r in grads if r["caught_by"] == "crash"]
        assert crash and "planted" in crash[0]["error"]


def test_a_bug_in_one_member_alone_fails_that_member_only(monkeypatch):
    """The stack keeps members apart: a gradient planted wrong in member 2 fails member 2, not 1 or 3."""
    group = sample_specs(3, 5, "float64", 4, family=3)
    orig = manual_bp.MLP.gradients

    def gradients(self, X, T, per_example=False):
        gW, gb = orig(self, X, T, per_example)
        if isinstance(self, manual_bp.Family):
            gW[self.L][1] *= 1 + 1e-6  # member 2's ∂C_T/∂W^L only
        return gW, gb

    monkeypatch.setattr(manual_bp.MLP, "gradients", gradients)
    failed = [bool(failing_checks(*r)) for r in fam.check_family(0, group)]
    assert failed == [False, True, False]


def test_a_family_sweep_gives_the_same_bytes_for_any_jobs_and_records_its_family(tmp_path):
    from comparisons import cli

    runs = {}
    for jobs in (1, 2):
        out = tmp_path / f"jobs{jobs}"
        argv = ["sweep", "--archs", "10", "--steps", "6", "--family", "4", "--jobs", str(jobs), "--no-progress"]
        assert cli.main([*argv, "--out", str(out)]) == 0
        runs[jobs] = {f: (out / f).read_bytes() for f in ("gradients.csv", "trajectories.csv")}
    assert runs[1] == runs[2]
    assert "--family 4 --jobs 1" in (tmp_path / "jobs1" / "summary.md").read_text()


def test_a_family_torch_refuses_is_checked_one_by_one_with_its_crash_rows(monkeypatch):
    group = sample_specs(2, 5, "float64", 3, family=2)

    def refuse(*args, **kwargs):
        raise ValueError("planted: torch refuses the stack")

    monkeypatch.setattr(fam, "TorchFamily", refuse)  # the stack: refused, so each spec alone
    seen = []
    monkeypatch.setattr(fam, "check_spec", lambda i, s, device="cpu": seen.append(i) or ([], []))
    fam.check_family(4, group)
    assert seen == [4, 5]
