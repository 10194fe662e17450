"""Each of the lecture's eqs (1)–(5), alone, against central finite differences (manual_bp only).

Every check is run twice: with manual_bp's equation (must pass) and with a planted wrong
version of it (must fail), so that no check here can pass by being blind.
"""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from strategies import specs

from comparisons.common.checks import compare
from comparisons.common.finite_diff import FD_STEP, central_diff, rowwise_central_diff
from comparisons.common.spec import ArchSpec, make_problem
from comparisons.common.tolerances import FD_F64
from manual_bp import MLP, backprop

small = specs(max_depth=4, max_width=5, max_K=4)
deep = small.filter(lambda s: len(s.sizes) >= 3)


KINK_MARGIN = 1e3 * FD_STEP  # central differences straddle a kink within FD_STEP of it


def setup(spec):
    """The network of ``spec`` with its data and forward pass."""
    W, b, X, T, _ = make_problem(spec)
    net = MLP(W, b, list(spec.activations), spec.cost)
    return net, X, T, net.forward(X)


def drawn(spec):
    """``setup`` for a hypothesis draw; draws with some z^l at a relu kink are skipped.

    relu and leaky_relu have no derivative at z = 0 (the code follows PyTorch's convention
    there), and a central difference across the kink measures neither side: it is no oracle.
    """
    net, X, T, fwd = setup(spec)
    assume(all(np.abs(fwd.z[l]).min() > KINK_MARGIN for l in fwd.z if net.act[l].name in ("relu", "leaky_relu")))
    return net, X, T, fwd


def fd_delta(net, T, fwd, l):
    """∂C_k/∂z^l[k] by central differences of C as a function of z^l: eq (1)'s definition."""
    return rowwise_central_diff(lambda z: net.costs_from_z(l, z, T), fwd.z[l])


def fd_param(net, X, T, kind, l):
    """∂C_T/∂W^l or ∂C_T/∂b^l by central differences of C_T."""
    params = net.W if kind == "W" else net.b
    orig = params[l].copy()

    def C_T(p):
        params[l] = p
        return net.total_cost(X, T)

    try:
        return central_diff(C_T, orig)
    finally:
        params[l] = orig


def check_eq1(net, X, T, fwd, deltas_fn=backprop.deltas):
    """(1): δ^l from backprop equals ∂C/∂z^l, every layer."""
    delta = deltas_fn(net.W, net.act, net.cost, fwd, T)
    return [compare(delta[l], fd_delta(net, T, fwd, l), FD_F64) for l in range(2, net.L + 1)]


def check_eq2(net, X, T, fwd, weight_gradient=backprop.weight_gradient):
    """(2): Σ_k δ_j^l a_i^{l-1} with δ from finite differences equals ∂C_T/∂w_ji^l."""
    return [
        compare(weight_gradient(fd_delta(net, T, fwd, l), fwd.a[l - 1]), fd_param(net, X, T, "W", l), FD_F64)
        for l in range(2, net.L + 1)
    ]


def check_eq3(net, X, T, fwd, bias_gradient=backprop.bias_gradient):
    """(3): Σ_k δ_j^l with δ from finite differences equals ∂C_T/∂b_j^l."""
    return [
        compare(bias_gradient(fd_delta(net, T, fwd, l)), fd_param(net, X, T, "b", l), FD_F64)
        for l in range(2, net.L + 1)
    ]


def check_eq4(net, X, T, fwd, output_delta=backprop.output_delta):
    """(4): δ^L from ∂C/∂a^L and σ'(z^L) equals ∂C/∂z^L."""
    L = net.L
    return [compare(output_delta(net.cost, net.act[L], fwd.z[L], fwd.a[L], T), fd_delta(net, T, fwd, L), FD_F64)]


def check_eq5(net, X, T, fwd, hidden_delta=backprop.hidden_delta):
    """(5): the recurrence applied to the true δ^{l+1} gives the true δ^l, for each l < L."""
    return [
        compare(
            hidden_delta(fd_delta(net, T, fwd, l + 1), net.W[l + 1], net.act[l], fwd.z[l], fwd.a[l]),
            fd_delta(net, T, fwd, l),
            FD_F64,
        )
        for l in range(2, net.L)
    ]


def all_pass(results):
    bad = [r for r in results if not r.passed]
    assert not bad, f"{len(bad)} layer(s) failed: {bad}"


@given(small)
def test_eq1_delta_is_the_derivative_of_C_with_respect_to_z(spec):
    net, X, T, fwd = drawn(spec)
    all_pass(check_eq1(net, X, T, fwd))


@given(small)
def test_eq2_weight_gradient(spec):
    net, X, T, fwd = drawn(spec)
    all_pass(check_eq2(net, X, T, fwd))


@given(small)
def test_eq3_bias_gradient(spec):
    net, X, T, fwd = drawn(spec)
    all_pass(check_eq3(net, X, T, fwd))


@given(small)
def test_eq4_output_delta(spec):
    net, X, T, fwd = drawn(spec)
    all_pass(check_eq4(net, X, T, fwd))


@given(deep)
def test_eq5_recurrence(spec):
    net, X, T, fwd = drawn(spec)
    all_pass(check_eq5(net, X, T, fwd))


@given(small, st.integers(0, 15))
def test_sum_over_k_of_the_per_example_gradients(spec, k):
    """C_T = Σ_k C_k: the [k] gradients sum to ∂C_T, and each is ∂C_k by finite differences."""
    net, X, T, _ = drawn(spec)
    k = k % len(X)
    gW, gb = net.gradients(X, T)
    pW, pb = net.per_example_gradients(X, T)
    for l in gW:
        all_pass([compare(pW[l].sum(axis=0), gW[l], FD_F64), compare(pb[l].sum(axis=0), gb[l], FD_F64)])
    all_pass([compare(pW[l][k], fd_param(net, X[k : k + 1], T[k : k + 1], "W", l), FD_F64) for l in gW])


# --- the same checks against planted mistakes: each must fail -----------------------------

PLANTED_NET = ArchSpec(
    sizes=(4, 3, 3, 3, 3), activations=("sigmoid", "tanh", "softplus", "sigmoid"), cost="squared_error", K=3, seed=7
)


def _no_sigma_prime_5(delta_next, W_next, act, z, a):
    return delta_next @ W_next  # (5) without σ'(z^l)


def _transposed_W_5(delta_next, W_next, act, z, a):
    return (delta_next @ W_next.T) * act.prime(z, a)  # (5) with W^{l+1} not transposed (square layers)


def _no_sigma_prime_4(cost, act, z_L, a_L, t):
    return cost.grad_a(a_L, t)  # (4) without σ'(z^L)


def _wrong_sign_4(cost, act, z_L, a_L, t):
    return -backprop.output_delta(cost, act, z_L, a_L, t)


PLANTED = {
    "eq1: δ with σ' missing in (5)": (
        check_eq1,
        "deltas_fn",
        lambda W, act, cost, fwd, T: _deltas_with(W, act, cost, fwd, T, _no_sigma_prime_5),
    ),
    "eq2: a^l used for a^{l-1}": (check_eq2, "weight_gradient", lambda d, a_prev: d.T @ np.ones_like(a_prev)),
    "eq2: per-example mean instead of sum": (check_eq2, "weight_gradient", lambda d, a_prev: d.T @ a_prev / len(d)),
    "eq3: bias not summed over k": (check_eq3, "bias_gradient", lambda d: d[0]),
    "eq4: σ' missing": (check_eq4, "output_delta", _no_sigma_prime_4),
    "eq4: wrong sign of (a − t)": (check_eq4, "output_delta", _wrong_sign_4),
    "eq5: σ' missing": (check_eq5, "hidden_delta", _no_sigma_prime_5),
    "eq5: W^{l+1} not transposed": (check_eq5, "hidden_delta", _transposed_W_5),
    "eq5: σ'(z^{l+1}) for σ'(z^l)": (
        check_eq5,
        "hidden_delta",
        lambda dn, Wn, act, z, a: (dn @ Wn) * act.prime(z, a)[:, ::-1],
    ),
}


def _deltas_with(W, act, cost, fwd, T, hidden):
    L = max(W)
    delta = {L: backprop.output_delta(cost, act[L], fwd.z[L], fwd.a[L], T)}
    for l in range(L - 1, 1, -1):
        delta[l] = hidden(delta[l + 1], W[l + 1], act[l], fwd.z[l], fwd.a[l])
    return delta


@pytest.mark.parametrize("name", PLANTED)
def test_planted_mistake_fails_its_equation_check(name):
    check, arg, wrong = PLANTED[name]
    net, X, T, fwd = setup(PLANTED_NET)
    assert all(r.passed for r in check(net, X, T, fwd)), "the correct equation must pass first"
    results = check(net, X, T, fwd, **{arg: wrong})
    assert not all(r.passed for r in results), f"planted mistake '{name}' went unnoticed"
    assert max(r.max_rel_err for r in results if not r.passed) > 1e-3
