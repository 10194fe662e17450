"""Bad input raises ValueError with one sentence naming the problem."""

import numpy as np
import pytest

from manual_bp import MLP, SGD, init_params

W, b = init_params([3, 4, 2], seed=0)
X = np.zeros((5, 3))
T = np.zeros((5, 2))


def net(**kw):
    args = dict(weights=W, biases=b, activations="sigmoid", cost="squared_error")
    args.update(kw)
    return MLP(**args)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(activations="swish"), "unknown activation 'swish'"),
        (dict(cost="hinge"), "unknown cost 'hinge'"),
        (dict(activations=["sigmoid"]), "got 1 activations for 2 layers"),
        (dict(activations=["softmax", "sigmoid"]), "softmax is allowed only at the output"),
        (dict(cost="cross_entropy"), "cross_entropy needs a softmax output"),
        (dict(cost="binary_cross_entropy", activations=["sigmoid", "relu"]), "needs a sigmoid output"),
        (dict(weights={2: W[2], 3: W[3].T}), r"W\[3\] has shape"),
        (dict(weights={2: W[2], 4: W[3]}), "keyed l = 2"),
        (dict(biases={2: b[2], 3: b[2]}), r"b\[3\] must have shape"),
        (dict(weights={2: np.full((4, 3), np.nan), 3: W[3]}), r"W\[2\] contains NaN or inf"),
        (dict(biases={2: b[2], 3: np.array([np.inf, 0])}), r"b\[3\] contains NaN or inf"),
        (dict(weights={2: W[2].astype(np.float32), 3: W[3]}), "dtype float64 but the network is float32"),
        (dict(weights={2: W[2].astype(complex), 3: W[3]}), "must be float32 or float64"),
        (dict(reduction="max"), "reduction must be"),
    ],
)
def test_bad_network(kwargs, match):
    with pytest.raises(ValueError, match=match):
        net(**kwargs)


@pytest.mark.parametrize(
    "sizes, match",
    [
        ([3, 0, 2], "width of layer l = 2 must be an integer >= 1"),
        ([3, 2.5], "width of layer l = 2"),
        ([3], "at least 2 layers"),
    ],
)
def test_bad_sizes(sizes, match):
    with pytest.raises(ValueError, match=match):
        MLP.init(sizes, "sigmoid", "squared_error")


@pytest.mark.parametrize(
    "Xb, Tb, match",
    [
        (np.zeros((5, 4)), T, r"X must have shape \(K, 3\)"),
        (np.zeros(3), T, r"X must have shape"),
        (X, np.zeros((4, 2)), r"T must have shape \(5, 2\)"),
        (X.astype(np.float32), T, "X has dtype float32"),
        (np.array([["a"] * 3] * 5), T, "X must hold real numbers"),
        (np.full((5, 3), np.nan), T, "X contains NaN or inf"),
        (X, np.full((5, 2), np.inf), "T contains NaN or inf"),
    ],
)
def test_bad_data(Xb, Tb, match):
    with pytest.raises(ValueError, match=match):
        net().gradients(Xb, Tb)


def test_integer_data_is_accepted_and_cast():
    g1 = net().gradients(X.astype(int), T.astype(int))
    g2 = net().gradients(X, T)
    np.testing.assert_array_equal(g1[0][2], g2[0][2])


@pytest.mark.parametrize("eta", [0, -0.1, float("nan"), float("inf"), "0.1", True])
def test_bad_eta(eta):
    with pytest.raises(ValueError, match="eta must be a finite number > 0"):
        SGD(eta)


@pytest.mark.parametrize("mu", [-0.1, 1.0, 2])
def test_bad_momentum(mu):
    with pytest.raises(ValueError, match=r"momentum must be a number in \[0, 1\)"):
        SGD(0.1, momentum=mu)


def test_messages_are_one_sentence():
    with pytest.raises(ValueError) as e:
        net(activations="swish")
    assert "\n" not in str(e.value)


def test_torch_ref_refuses_cuda_where_there_is_none():
    import torch

    from torch_ref import TorchMLP

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(ValueError, match="CUDA is not available"):
        TorchMLP(W, b, "sigmoid", "squared_error", device="cuda")
