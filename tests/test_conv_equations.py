"""manual_bp.conv: the loops and the vectorised form agree, autograd agrees, torch's tie rule is pinned."""

import dataclasses
import re

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from manual_bp.conv import CNN, Conv, Dense, Pool, loops
from manual_bp.conv import conv as vconv
from manual_bp.conv import pool as vpool
from torch_ref import TorchCNN

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


@st.composite
def conv_case(draw):
    """A random conv layer's input, kernel, bias and δ: channels, filters, k, stride 1 or 2, padding 0–2."""
    k, s, p = draw(st.integers(1, 4)), draw(st.integers(1, 2)), draw(st.integers(0, 2))
    H, W = draw(st.integers(max(1, k - 2 * p), 8)), draw(st.integers(max(1, k - 2 * p), 8))
    K, C, F = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    a = rng.standard_normal((K, C, H, W))
    w, b = rng.standard_normal((F, C, k, k)), rng.standard_normal(F)
    Ho, Wo = vconv.out_size(H, k, s, p), vconv.out_size(W, k, s, p)
    return a, w, b, rng.standard_normal((K, F, Ho, Wo)), s, p


@given(conv_case())
def test_conv_loops_equal_vectorised(case):
    a, w, b, delta, s, p = case
    k = w.shape[-1]
    np.testing.assert_allclose(
        loops.conv_forward(w, b, a, s, p), vconv.conv_forward(w, b, a, s, p), rtol=1e-12, atol=1e-12
    )
    np.testing.assert_allclose(loops.weight_gradient(delta, a, k, s, p), vconv.conv_weight_gradient(delta, a, k, s, p),
                               rtol=1e-12, atol=1e-12)  # fmt: skip
    np.testing.assert_allclose(loops.bias_gradient(delta), vconv.conv_bias_gradient(delta), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(loops.input_gradient(delta, w, a.shape, s, p),
                               vconv.conv_input_gradient(delta, w, a.shape, s, p), rtol=1e-12, atol=1e-12)  # fmt: skip


@given(conv_case())
def test_conv_equations_against_autograd(case):
    a, w, b, delta, s, p = case
    at, wt, bt = (torch.tensor(x, requires_grad=True) for x in (a, w, b))
    z = torch.nn.functional.conv2d(at, wt, bt, stride=s, padding=p)
    (z * torch.tensor(delta)).sum().backward()  # C = Σ δ z: ∂C/∂z = δ
    np.testing.assert_allclose(vconv.conv_forward(w, b, a, s, p), z.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(vconv.conv_weight_gradient(delta, a, w.shape[-1], s, p), wt.grad, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(vconv.conv_bias_gradient(delta), bt.grad, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(vconv.conv_input_gradient(delta, w, a.shape, s, p), at.grad, rtol=1e-10, atol=1e-12)


@st.composite
def pool_case(draw):
    """Maps with ties (small integers) or without, window q, stride s ≤ q (overlapping windows included)."""
    q = draw(st.integers(1, 3))
    s = draw(st.integers(1, q))
    K, C, H, W = draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(q, 7)), draw(st.integers(q, 7))
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    a = rng.integers(0, 3, (K, C, H, W)).astype(float) if draw(st.booleans()) else rng.standard_normal((K, C, H, W))
    return a, q, s, rng


@given(pool_case())
def test_pooling_loops_vectorised_and_torch_agree(case):
    a, q, s, rng = case
    z, arg = vpool.max_pool(a, q, s)
    delta = rng.standard_normal(z.shape)
    at = torch.tensor(a, requires_grad=True)
    zt = torch.nn.functional.max_pool2d(at, q, s)
    (zt * torch.tensor(delta)).sum().backward()
    np.testing.assert_array_equal(z, zt.detach().numpy())
    np.testing.assert_allclose(vpool.max_pool_delta(delta, arg, a.shape, q, s), at.grad, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(loops.max_pool_delta(delta, a, q, s), at.grad, rtol=1e-12, atol=1e-12)
    at.grad = None
    zt = torch.nn.functional.avg_pool2d(at, q, s)
    (zt * torch.tensor(delta)).sum().backward()
    np.testing.assert_allclose(vpool.avg_pool(a, q, s), zt.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(vpool.avg_pool_delta(delta, a.shape, q, s), at.grad, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(loops.avg_pool_delta(delta, a.shape, q, s), at.grad, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_torch_sends_a_tie_to_the_first_maximum_in_scan_order(dtype):
    """Pinned: the rule manual_bp copies.  Every window below is a tie; torch picks its top-left unit."""
    x = torch.zeros(1, 1, 4, 4, dtype=dtype, requires_grad=True)
    torch.nn.MaxPool2d(2, 2)(x).sum().backward()
    first = np.zeros((4, 4))
    first[::2, ::2] = 1
    np.testing.assert_array_equal(x.grad[0, 0].numpy(), first)
    _, arg = vpool.max_pool(np.zeros((1, 1, 4, 4)), 2, 2)
    np.testing.assert_array_equal(vpool.max_pool_delta(np.ones((1, 1, 2, 2)), arg, (1, 1, 4, 4), 2, 2)[0, 0], first)


def test_a_tie_sent_to_the_last_maximum_is_told_apart():
    """The tie test can fail: routing to the last maximum differs from torch on a tie."""
    a = np.zeros((1, 1, 2, 2))
    last = np.zeros((1, 1, 2, 2))
    last[0, 0, 1, 1] = 1
    _, arg = vpool.max_pool(a, 2, 2)
    assert not np.array_equal(vpool.max_pool_delta(np.ones((1, 1, 1, 1)), arg, a.shape, 2, 2), last)


LAYERS = [Conv(3, 3, 1, 1, "relu"), Pool("max", 2, 2), Conv(4, 2, 2, 0, "tanh"), Pool("avg", 1, 1),
          Dense(5, "sigmoid"), Dense(3, "softmax")]  # fmt: skip


def torch_twin(net):
    layers = [dict(kind=type(x).__name__.lower(), **dataclasses.asdict(x)) for x in net.layers]
    return TorchCNN(net.image, layers, net.W, net.b, net.cost.name, net.reduction)


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_cnn_gradients_and_deltas_equal_autograd(reduction):
    net = CNN.init((2, 7, 7), LAYERS, "cross_entropy", seed=1, reduction=reduction)
    X = np.random.default_rng(0).standard_normal((4, 2, 7, 7))
    T = np.eye(3)[[0, 1, 2, 0]]
    gW, gb = net.gradients(X, T)
    rW, rb, rdelta = torch_twin(net).gradients(X, T)
    delta = net.deltas(X, T)
    for l in rW:
        np.testing.assert_allclose(gW[l], rW[l], rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(gb[l], rb[l], rtol=1e-10, atol=1e-13)
    for l in rdelta:
        np.testing.assert_allclose(delta[l], rdelta[l], rtol=1e-10, atol=1e-13)


def test_cnn_training_uses_the_lectures_optimizer():
    from manual_bp import SGD
    from manual_bp.conv import train

    net = CNN.init((1, 6, 6), [Conv(2, 3), Pool(), Dense(2, "sigmoid")], "squared_error", seed=2)
    ref = torch_twin(net)
    X = np.random.default_rng(3).standard_normal((5, 1, 6, 6))
    T = np.random.default_rng(4).random((5, 2))
    history = train(net, X, T, SGD(0.1, momentum=0.9), [np.arange(5)] * 3)
    opt = ref.optimizer(0.1, 0.9)
    for _ in range(3):
        ref.step(opt, X, T)
    assert history[0] > history[-1]
    for l in net.W:
        np.testing.assert_allclose(net.W[l], ref.weights()[l], rtol=1e-10, atol=1e-13)


def test_a_window_that_does_not_fit_is_refused():
    with pytest.raises(ValueError, match="does not fit"):
        CNN.init((1, 2, 2), [Conv(1, 3), Dense(1, "identity")], "squared_error")


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Pool("min"), "Pool mode must be 'max' or 'avg', got 'min'"),
        (lambda: Conv(2, 0), "Conv size must be an integer >= 1, got 0"),
        (lambda: Conv(0, 3), "Conv filters must be an integer >= 1, got 0"),
        (lambda: Conv(2, 3, stride=0), "Conv stride must be an integer >= 1, got 0"),
        (lambda: Conv(2, 3, pad=-1), "Conv pad must be an integer >= 0, got -1"),
        (lambda: Pool("max", 2, 0), "Pool stride must be an integer >= 1, got 0"),
        (lambda: Dense(0), "Dense units must be an integer >= 1, got 0"),
        (lambda: Conv(2, 2.5), "Conv size must be an integer >= 1, got float 2.5"),
    ],
)
def test_a_layer_that_cannot_exist_is_refused_by_name(make, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        make()
