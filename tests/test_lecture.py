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


def separating_pixels(X, digits):
    """The pixels i whose value alone tells the digits apart: the two classes' values at i never meet."""
    return [i + 1 for i in range(X.shape[1]) if not set(X[digits == 0, i]) & set(X[digits == 1, i])]


def test_dataset_shapes_and_balance(data):
    X, T, digits = data
    assert X.shape == (64, 12) and T.shape == (64, 2) and digits.shape == (64,)
    assert set(np.unique(X)) <= {0.0, 1.0}
    assert (digits == 0).sum() == (digits == 1).sum() == 32
    assert np.array_equal(T, np.eye(2)[digits])  # t = (1, 0) for a 0, (0, 1) for a 1
    assert len({tuple(x) for x in X}) == 64  # 64 distinct images
    assert np.array_equal(X, lecture_data.dataset()[0])  # deterministic
    assert X[0, 0] == 1  # image k = 1 has x_1 = 1, so ∂C_1/∂w_11^2 = δ_1^2 x_1 is not 0 for a trivial reason


def test_no_single_pixel_separates_the_digits(data):
    X, _, digits = data
    held = lecture_data.held_out_images()
    assert separating_pixels(X, digits) == []
    assert separating_pixels(np.vstack([X, held.X]), np.r_[digits, held.digits]) == []
    assert lecture_data.single_pixel_accuracy(X, digits).max() < 0.9


def test_the_separating_pixel_check_can_fail(data):
    X, _, digits = data
    planted = X.copy()
    planted[:, 7] = digits  # x_8 black exactly for the 1s, as in the project's first data set
    assert separating_pixels(planted, digits) == [8]
    assert lecture_data.single_pixel_accuracy(planted, digits)[7] == 1.0


def test_clean_images_follow_the_rules():
    zeros, ones = lecture_data.clean_images(0), lecture_data.clean_images(1)
    assert len(zeros) == 16 and len(ones) == 14
    for m, (img, _) in enumerate(zeros):
        assert all(img[r, c] == 1 for r, c in lecture_data.RING)
        assert [img[r, c] for r, c in lecture_data.CORNERS] == [1 - (m >> q & 1) for q in range(4)]
        assert img.sum() == 6 + 4 - bin(m).count("1")
    columns = [int(np.flatnonzero(img.sum(axis=0) >= 4)[0]) for img, _ in ones]  # the full column: the stroke
    assert columns == [1] * 8 + [0] * 2 + [2] * 4  # middle, shifted left, shifted right
    with pytest.raises(ValueError, match="digit must be 0 or 1"):
        lecture_data.clean_images(2)


def test_noisy_images_are_one_flip_of_their_own_digit_and_held_out_images_are_new(data):
    X, _, digits = data
    tr, held = lecture_data.training_images(), lecture_data.held_out_images()
    clean = {d: [img.ravel() for img, _ in lecture_data.clean_images(d)] for d in (0, 1)}
    dist = lambda x, d: min(int(np.abs(x - c).sum()) for c in clean[d])  # noqa: E731
    for im in (tr, held):
        for x, d, kind in zip(im.X, im.digits, im.kind):
            assert dist(x, d) == (0 if kind == "clean" else 1)
            if kind == "noisy":
                assert dist(x, 1 - d) > 1  # never a flip of the other digit
    assert {tuple(x) for x in held.X}.isdisjoint({tuple(x) for x in X})
    assert len(held.X) == len({tuple(x) for x in held.X}) == 224


def test_perceptron_proves_separability_or_finds_nothing(data):
    X, _, digits = data
    assert lecture_data.perceptron_epochs(X, digits) is not None  # these images are linearly separable
    xor = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    assert lecture_data.perceptron_epochs(xor, np.array([0, 0, 1, 1]), max_epochs=50) is None


def test_show_prints_4_by_3():
    img = lecture_data.clean_images(0)[15][0]  # the ring without corners
    assert lecture_data.show(img) == ".#.\n#.#\n#.#\n.#."
    assert lecture_data.show(lecture_data.clean_images(1)[0][0].ravel()) == "##.\n.#.\n.#.\n###"


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
    # the slide's ∂C_1: image 1 alone, not zero (x_1 = 1), and far from ∂C_T
    assert X[0, 0] == 1 and h.dC1 != 0.0 and abs(h.dC1 - h.autograd) > 0.1 * abs(h.autograd)
    assert h.dC1 == net.per_example_gradients(X[:1], T[:1])[0][2][0, 0, 0]


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
    net = lecture_train.run(0, 50.0, 20, X, T, digits, (X, digits)).net
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


# --- the oracles stay finite where manual_bp does: an oracle's overflow is never a disagreement --


def _exact_prime(name, z):
    """σ'(z) written with e^{−|z|} only: exact in float64 where a(1 − a) cancels."""
    e = np.exp(-np.abs(z))
    return {
        "sigmoid": e / (1 + e) ** 2,
        "softplus": np.where(z >= 0, 1 / (1 + e), e / (1 + e)),
        "tanh": 4 * e**2 / (1 + e**2) ** 2,
    }[name]


@pytest.mark.parametrize("name", ["sigmoid", "softplus", "tanh"])
def test_complex_step_activations_are_finite_and_exact_for_z_up_to_1000(name):
    """Im σ(z + ih)/h must be σ'(z) with no overflow warning (pytest turns warnings into errors).

    Below ≈ 1e−288, h·σ'(z) underflows to 0 in the imaginary part: hence the absolute 1e−280.
    """
    z = np.array([[-1000.0, -700.0, -30.0, -1.0, 0.0, 1.0, 30.0, 700.0, 1000.0]])
    h = complex_step.CS_STEP
    out = complex_step.ACTIVATIONS[name](z + 1j * h)
    act = MLP.init([1, 1], name, "squared_error").act[2]
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out.real, act.fn(z.copy()), rtol=1e-15, atol=1e-15)  # logaddexp: absolute
    np.testing.assert_allclose(out.imag / h, _exact_prime(name, z), rtol=1e-14, atol=1e-280)


def test_the_naive_complex_sigmoid_would_overflow_where_the_safe_one_does_not():
    z = np.array([[-1000.0 + 1e-20j]])
    with pytest.raises(RuntimeWarning, match="overflow"):
        1.0 / (1.0 + np.exp(-z))  # the formula this module used before: e^{1000} overflows
    assert np.isfinite(complex_step.ACTIVATIONS["sigmoid"](z)).all()


def test_binary_cross_entropy_complex_cost_is_finite_for_large_z():
    z = np.array([[800.0 + 1e-20j, -800.0 + 0j]])
    c = complex_step.COSTS["binary_cross_entropy"](None, np.array([[0.0, 1.0]]), z)
    np.testing.assert_allclose(c.real, [1600.0])


@pytest.mark.parametrize("eta", [200.0, 500.0])
def test_every_oracle_is_finite_on_a_network_saturated_by_a_large_eta(data, eta):
    from comparisons.lecture import training as lecture_train

    X, T, digits = data
    net = lecture_train.run(0, eta, 30, X, T, digits, (X, digits)).net
    assert max(np.abs(z).max() for z in net.forward(X).z.values()) > 100  # saturated indeed
    o = oracles.all_oracles(net, X, T)
    for name in oracles.ORACLES:
        for key in ("delta", "pW", "pb", "gW", "gb"):
            assert all(np.all(np.isfinite(v)) for v in o[name][key].values()), (name, key)
    df = lecture_equations.table(net, X, T, o, "trained")
    assert df["passed"].all() and not (df["note"] == lecture_equations.ORACLE_NOT_FINITE).any()


def test_a_non_finite_numerical_oracle_is_reported_as_its_own_not_as_a_disagreement(data, initial):
    X, T, _ = data
    net, o = initial
    broken = {name: dict(v) for name, v in o.items()}
    broken["complex step"]["delta"] = {l: np.full_like(d, np.inf) for l, d in o["complex step"]["delta"].items()}
    df = lecture_equations.table(net, X, T, broken, "initial")
    cs = df[df["oracle"] == "complex step"]
    assert (cs["note"] == lecture_equations.ORACLE_NOT_FINITE).all() and len(cs) > 0
    assert df["passed"].all()
    # autograd is the other implementation: its inf is a real disagreement and fails
    broken["autograd"]["delta"] = {l: np.full_like(d, np.inf) for l, d in o["autograd"]["delta"].items()}
    df = lecture_equations.table(net, X, T, broken, "initial")
    assert not df[df["oracle"] == "autograd"]["passed"].all()


@pytest.mark.parametrize("eta", [1.0, 3.0])
def test_training_is_judged_step_by_step_and_passes_where_only_rounding_differs(data, eta):
    """η = 1 and 3 drive the free runs 1e−8 and more apart (rounding amplified while training is unstable): each
    step judged from torch's state still agrees, within the bound of that one step; the drift is information."""
    from comparisons.lecture import training as lecture_train

    X, T, digits = data
    t = lecture_train.run(0, eta, 300, X, T, digits, (X, digits))
    assert t.params_passed and t.costs_passed and 0 < t.worst <= 1.0, t.worst


@pytest.mark.parametrize("where", ["eta", "gradient"])
def test_a_planted_training_bug_fails_the_step_checks(data, monkeypatch, where):
    """η off by 1 % in manual_bp's SGD, or a gradient off by 1e-6 relative: the step checks fail, not the drift."""
    import manual_bp
    from comparisons.lecture import training as lecture_train

    X, T, digits = data
    if where == "eta":
        step = manual_bp.SGD.step
        monkeypatch.setattr(manual_bp.SGD, "step", lambda self, net, gW, gb: step(
            manual_bp.SGD(self.eta * 1.01), net, gW, gb))  # fmt: skip
    else:
        gradients = manual_bp.MLP.gradients
        monkeypatch.setattr(manual_bp.MLP, "gradients", lambda self, X, T: tuple(
            {l: g * (1 + 1e-6) for l, g in d.items()} for d in gradients(self, X, T)))  # fmt: skip
    t = lecture_train.run(0, 1.0, 10, X, T, digits, (X, digits))
    assert not t.params_passed and t.worst > 1.0
