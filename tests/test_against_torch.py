"""manual_bp against torch_ref (autograd) on hypothesis-drawn architectures, and planted bugs."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given, note
from strategies import specs

from comparisons.common.checks import compare
from comparisons.common.spec import ArchSpec
from comparisons.common.tolerances import gradient_tolerance
from comparisons.sweep import harness
from manual_bp import backprop

DELTACHECK_WORST = {}  # per dtype: largest tol_used, abs and rel error seen; printed by conftest at the end


def build(spec):
    """(manual_bp.MLP, TorchMLP, X, T, batches) of one spec, from the shared start."""
    from torch_ref import TorchMLP

    members, _, _, X, T = harness.build(0, [spec])
    m = members[0]
    ref = TorchMLP(m.net.W, m.net.b, list(spec.activations), spec.cost, spec.reduction)
    return m.net, ref, m.X, m.T, m.batches


def compare_all(spec):
    """Every start row (W^l, b^l, δ^l, C_k, C_T) of the harness, under the rounding model: {(name, l): row}."""
    grads, _ = harness.check_spec(0, dataclasses.replace(spec, steps=0))
    return {(r["tensor"], r["layer"]): r for r in grads if r["tensor"] not in ("X", "T")}


def assert_agree(spec):
    note(spec.to_json())
    results = compare_all(spec)
    for r in results.values():
        w = DELTACHECK_WORST.setdefault(spec.dtype, [0.0, 0.0, 0.0])
        w[:] = max(w[0], r["tol_used"]), max(w[1], r["max_abs_err"]), max(w[2], r["max_rel_err"])
    bad = {k: (r["caught_by"], r["error"]) for k, r in results.items() if not r["passed"]}
    assert not bad, f"{spec.to_json()}: {bad}"


@given(specs(dtype="float64"))
def test_gradients_and_deltas_match_autograd_float64(spec):
    assert_agree(spec)


@given(specs(dtype="float32"))
def test_gradients_and_deltas_match_autograd_float32(spec):
    assert_agree(spec)


@given(specs(dtype="float64", max_K=4))
def test_per_example_gradients_match_torch_func(spec):
    """The lecture's [k] gradients against torch.func.vmap(grad) of each C_k."""
    net, ref, X, T, _ = build(spec)
    pW, pb = net.per_example_gradients(X, T)
    qW, qb = ref.per_example_gradients(X, T)
    tol = gradient_tolerance(spec.dtype)
    for l in pW:
        assert compare(pW[l], qW[l], tol).passed and compare(pb[l], qb[l], tol).passed


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_reduction_mean_divides_by_K(reduction):
    spec = ArchSpec(sizes=(3, 4, 2), activations=("tanh", "sigmoid"), cost="binary_cross_entropy", K=5, seed=3)
    from comparisons.common.spec import make_problem
    from manual_bp import MLP
    from torch_ref import TorchMLP

    W, b, X, T, _ = make_problem(spec)
    net = MLP(W, b, list(spec.activations), spec.cost, reduction=reduction)
    ref = TorchMLP(W, b, list(spec.activations), spec.cost, reduction=reduction)
    gW, gb = net.gradients(X, T)
    rW, rb, rdelta = ref.gradients(X, T)
    tol = gradient_tolerance("float64")
    for l in gW:
        assert compare(gW[l], rW[l], tol).passed and compare(gb[l], rb[l], tol).passed
        assert compare(net.deltas(X, T)[l], rdelta[l], tol).passed
    assert net.total_cost(X, T) == pytest.approx(ref.total_cost(X, T), rel=1e-12)


# --- planted bugs: each comparison (W, b, δ) must catch each of them ----------------------

PLANTED_SPEC = ArchSpec(
    sizes=(5, 4, 4, 4, 4), activations=("sigmoid", "tanh", "softplus", "sigmoid"), cost="squared_error", K=6, seed=11
)


def _missing_sigma_prime(delta_next, W_next, act, z, a):
    return delta_next @ W_next


def _transposed_W(delta_next, W_next, act, z, a):
    return (delta_next @ W_next.T) * act.prime(z, a)


_correct_output_delta = backprop.output_delta


def _wrong_sign(cost, act, z_L, a_L, t):
    return -_correct_output_delta(cost, act, z_L, a_L, t)


BUGS = {
    "missing σ' in (5)": ("hidden_delta", _missing_sigma_prime),
    "transposed W in (5)": ("hidden_delta", _transposed_W),
    "wrong sign in (4)": ("output_delta", _wrong_sign),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("tensor", ["W", "b", "delta"])
@pytest.mark.parametrize("bug", BUGS)
def test_planted_bug_is_caught(monkeypatch, bug, tensor, dtype):
    spec = ArchSpec(**{**PLANTED_SPEC.__dict__, "dtype": dtype})
    assert all(r["passed"] for r in compare_all(spec).values()), "the unmodified code must pass first"
    name, wrong = BUGS[bug]
    monkeypatch.setattr(backprop, name, wrong)
    results = compare_all(spec)
    failed = [l for (t, l), r in results.items() if t == tensor and not r["passed"]]
    assert failed, f"{bug} not caught by the {tensor} comparison"


def test_checker_follows_isclose_and_fails_on_planted_differences():
    """The checker itself (HIPS-style): rounding passes, a relative 1e-8 error does not (f64)."""
    from comparisons.common.tolerances import GRAD_F64

    r = np.random.default_rng(0).standard_normal((4, 5))
    assert compare(r * (1 + 4e-16), r, GRAD_F64).passed
    assert not compare(r * (1 + 1e-8), r, GRAD_F64).passed
    assert not compare(r.T, r, GRAD_F64).passed  # wrong shape
    assert not compare(np.where(r > 0, np.nan, r), r, GRAD_F64).passed  # NaN
    assert not compare(-r, r, GRAD_F64).passed
    # the same verdict as numpy.isclose with the scaled atol, entry by entry
    m = r + np.random.default_rng(1).standard_normal(r.shape) * 1e-11
    scale = max(1.0, np.abs(r).max())
    assert compare(m, r, GRAD_F64).passed == bool(np.all(np.isclose(m, r, GRAD_F64.rtol, GRAD_F64.atol * scale)))
