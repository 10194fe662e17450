"""No overflow warning and no NaN for |z| up to 1000, in both dtypes."""

import numpy as np
import pytest
from hypothesis import given
from strategies import float_arrays

from manual_bp import ACTIVATIONS, COSTS, MLP

Z = np.concatenate([np.linspace(-1000, 1000, 2001), [-1000.0, -745.2, -88.8, 0.0, 88.8, 745.2, 1000.0]])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_and_derivative_are_finite(name, dtype):
    act = ACTIVATIONS[name]
    z = np.stack([Z, -Z]).astype(dtype)  # (2, n): softmax acts across each row
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        a = act.fn(z)
        g = act.vjp(z, a, np.ones_like(z))
    assert a.dtype == dtype and np.all(np.isfinite(a)) and np.all(np.isfinite(g))


@given(float_arrays((3, 4)))
def test_every_cost_and_output_delta_is_finite_from_z(z):
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        for name, cost in COSTS.items():
            out = {"binary_cross_entropy": "sigmoid", "cross_entropy": "softmax"}.get(name, "sigmoid")
            a = ACTIVATIONS[out].fn(z)
            t = np.eye(4)[[0, 1, 2]]
            c = cost.fn(a, t, z)
            assert np.all(np.isfinite(c)) and np.all(c >= -1e-9)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "cost, out",
    [
        ("squared_error", "sigmoid"),
        ("binary_cross_entropy", "sigmoid"),
        ("cross_entropy", "softmax"),
        ("squared_error", "softplus"),
    ],
)
def test_network_with_z_near_1000_gives_finite_gradients(cost, out, dtype):
    net = MLP.init([4, 5, 3], ["sigmoid", out], cost, seed=0, dtype=dtype)
    net.W = {l: (w * 400).astype(dtype) for l, w in net.W.items()}  # pushes |z| to hundreds
    X = (np.array([[1, -1, 2, -2], [-2, 2, -1, 1]]) * 1.0).astype(dtype)
    T = np.eye(3, dtype=dtype)[[0, 2]]
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        z = net.forward(X).z[3]
        gW, gb = net.gradients(X, T)
        C = net.total_cost(X, T)
    assert np.abs(z).max() > 100
    assert np.isfinite(C) and all(np.all(np.isfinite(g)) for g in (*gW.values(), *gb.values()))
