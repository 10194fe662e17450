"""The lecture's own example: its data set, its network against three oracles, its 微分地獄 formula."""

import numpy as np
import pytest

from comparisons.common.checks import compare
from comparisons.common.tolerances import COMPLEX_STEP_F64, GRAD_F64
from comparisons.lecture import chain_rule_slide as hell
from comparisons.lecture import complex_step, oracles
from comparisons.lecture import data as lecture_data
from comparisons.lecture import equations as lecture_equations
from comparisons.lecture.training import lecture_net
from manual_bp import MLP


@pytest.fixture(scope="module")
def data():
    return lecture_data.dataset()


@pytest.fixture(scope="module")
def initial(data):
    X, T, _ = data
    net = lecture_net(0)
    return net, oracles.all_oracles(net, X, T)


# --- the data set is what lecture_data's docstring says ------------------------------------


def test_dataset_shapes_and_balance(data):
    X, T, digits = data
    assert X.shape == (64, 12) and T.shape == (64, 2) and digits.shape == (64,)
    assert set(np.unique(X)) <= {0.0, 1.0}
    assert (digits == 0).sum() == (digits == 1).sum() == 32
    assert np.array_equal(T, np.eye(2)[digits])  # t = (1, 0) for a 0, (0, 1) for a 1
    assert len({tuple(x) for x in X}) == 64  # 64 distinct images, none shared by the two digits
    assert np.array_equal(X, lecture_data.dataset()[0])  # deterministic


def test_each_image_is_its_core_plus_the_optional_pixels_of_the_bits_of_m(data):
    X, _, digits = data
    for k in range(64):
        d, m = int(digits[k]), k % 32
        img = X[k].reshape(4, 3)  # x_i is pixel ((i−1)//3, (i−1)%3)
        assert all(img[r, c] == 1 for r, c in lecture_data.CORE[d])
        assert [img[r, c] for r, c in lecture_data.OPTIONAL[d]] == [m >> q & 1 for q in range(5)]
        assert img.sum() == len(lecture_data.CORE[d]) + bin(m).count("1")
    assert np.all(X[digits == 0][:, 7] == 0) and np.all(X[digits == 1][:, 7] == 1)  # pixel (2, 1) tells them apart


def test_show_prints_4_by_3():
    assert lecture_data.show(lecture_data.image(0, 0)) == ".#.\n#.#\n#.#\n.#."
    assert lecture_data.show(lecture_data.image(1, 31).ravel()) == "###\n##.\n.#.\n###"
    with pytest.raises(ValueError, match="digits are 0 and 1"):
        lecture_data.image(2, 0)


# --- the lecture network's gradients agree with all three oracles --------------------------


def test_lecture_network_agrees_with_all_three_oracles(data, initial):
    X, T, _ = data
    net, o = initial
    df = lecture_equations.table(net, X, T, o, "initial")
    assert set(df["oracle"]) == set(oracles.ORACLES)
    assert set(df["equation"]) == set(lecture_equations.EQUATIONS)
    assert df["passed"].all(), df[~df["passed"]].to_string()


def test_an_equation_with_a_planted_mistake_fails_for_every_oracle(data, initial, monkeypatch):
    X, T, _ = data
    net, o = initial
    monkeypatch.setattr("manual_bp.backprop.hidden_delta", lambda dn, Wn, act, z, a: dn @ Wn)  # (5) without σ'
    df = lecture_equations.table(net, X, T, o, "initial")
    bad = df[~df["passed"]]
    # (5) alone is fed the oracle's δ, so it fails by itself; (1) and Σ_k run manual_bp's whole
    # backward pass, which uses (5); (2), (3), (4) are fed the oracle's δ and stay right.
    assert set(bad["oracle"]) == set(oracles.ORACLES) and set(bad["equation"]) == {"(1)", "(5)", "Σ_k"}


@pytest.mark.parametrize(
    "acts, cost",
    [
        (["tanh", "softplus", "sigmoid"], "binary_cross_entropy"),
        (["identity", "sigmoid", "softmax"], "cross_entropy"),
        (["softplus", "tanh", "identity"], "squared_error"),
    ],
)
def test_complex_step_is_exact_to_rounding_for_analytic_networks(acts, cost):
    net = MLP.init([3, 4, 3, 2], acts, cost, seed=3)
    rng = np.random.default_rng(3)
    X, T = rng.standard_normal((5, 3)), np.eye(2)[rng.integers(0, 2, 5)]
    cs = oracles.complex_step_oracle(net, X, T)
    gW, gb = net.gradients(X, T)
    for l in gW:
        assert compare(cs["gW"][l], gW[l], COMPLEX_STEP_F64).passed
        assert compare(cs["gb"][l], gb[l], COMPLEX_STEP_F64).passed


def test_complex_step_refuses_relu_and_says_why():
    net = MLP.init([3, 2, 2], ["relu", "sigmoid"], "squared_error", seed=0)
    with pytest.raises(complex_step.NotApplicable, match="relu is not analytic"):
        oracles.complex_step_oracle(net, np.ones((1, 3)), np.ones((1, 2)))
    o = oracles.all_oracles(net, np.ones((2, 3)), np.ones((2, 2)))
    assert o["complex step"] == "complex step not applicable: relu is not analytic"


# --- the 微分地獄 formula: printed differs, corrected agrees ---------------------------------


def test_printed_formula_differs_and_corrected_agrees(data, initial):
    X, T, _ = data
    net, o = initial
    h = hell.evaluate(net, X, T, o["autograd"]["gW"])
    assert h.verdict.passed and h.verdict.printed_differs and h.verdict.corrected_agrees
    assert h.verdict.printed_rel > 1e-3  # a real difference, far above rounding
    assert compare(h.sums["total (corrected)"], h.backprop, GRAD_F64).passed
    assert h.autograd == o["autograd"]["gW"][2][0, 0]  # w_11^2 is W[2][0, 0]
    assert h.dC1 == 0.0 and X[0, 0] == 0  # the slide's ∂C_1: example 1 has x_1 = 0


def test_the_check_fails_when_printed_and_corrected_are_swapped(data, initial):
    X, T, _ = data
    net, o = initial
    h = hell.evaluate(net, X, T, o["autograd"]["gW"])
    swapped = hell.judge(h.sums["total (corrected)"], h.sums["total (printed)"], h.autograd)
    assert not swapped.passed
    assert not swapped.printed_differs and not swapped.corrected_agrees


def test_where_printed_and_corrected_coincide_the_check_is_undecided_not_failed(data):
    """A saturated net (η = 50, 20 steps): every term ≈ 1e-140, the two totals cannot be told apart."""
    from comparisons.lecture import training as lecture_train

    X, T, digits = data
    net = lecture_train.run(0, 50.0, 20, X, T, digits).net
    h = hell.evaluate(net, X, T, oracles.autograd(net, X, T)["gW"])
    assert compare(h.sums["total (printed)"], h.sums["total (corrected)"], GRAD_F64).passed  # the slip is invisible
    v = h.verdict
    assert not v.distinguishable and not v.printed_differs and v.corrected_agrees and v.passed
    # the corrected total must still agree with autograd: a wrong reference fails, even here
    wrong = hell.judge(h.sums["total (printed)"], h.sums["total (corrected)"], 2 * h.autograd + 1.0)
    assert not wrong.distinguishable and not wrong.corrected_agrees and not wrong.passed


def test_distinguishable_totals_still_require_the_printed_one_to_differ():
    v = hell.judge(1.0, 2.0, 1.0)  # the printed equals autograd and the corrected does not
    assert v.distinguishable and not v.passed
    v = hell.judge(2.0, 1.0, 1.0)
    assert v.distinguishable and v.printed_differs and v.corrected_agrees and v.passed


def test_printed_and_corrected_differ_only_by_w21_for_w11(data):
    """With w_21^3 set equal to w_11^3 the slide's slip is harmless: the index translation is right."""
    X, T, _ = data
    net = lecture_net(0)
    net.W[3][1, 0] = net.W[3][0, 0]  # w_21^3 := w_11^3
    f = hell.factors(net, X, T)
    assert np.array_equal(hell.term(f, hell.SECOND_PRINTED), hell.term(f, hell.SECOND_CORRECTED))
    gW, _ = net.gradients(X, T)
    assert compare(np.sum(hell.term(f, hell.FIRST) + hell.term(f, hell.SECOND_PRINTED)), gW[2][0, 0], GRAD_F64).passed
