"""TorchMLP refuses what MLP refuses, with the same one-sentence ValueError."""

import numpy as np
import pytest
import torch

from manual_bp import MLP, SGD, full_batch, init_params, train
from torch_ref import TorchMLP

W, b = init_params([3, 4, 2], seed=0)
X = np.zeros((5, 3))
T = np.zeros((5, 2))
BASE = dict(weights=W, biases=b, activations="sigmoid", cost="squared_error")


def nan_at(a, i=0):
    a = a.copy()
    a.flat[i] = np.nan
    return a


# What is wrong with the network: the keyword arguments that differ from BASE.
BAD_NETWORKS = {
    "unknown activation": dict(activations="foo"),
    "unknown activation in a list": dict(activations=["sigmoid", "swish"]),
    "activation not a string": dict(activations=[3, "sigmoid"]),
    "too few activations": dict(activations=["sigmoid"]),
    "softmax hidden": dict(activations=["softmax", "sigmoid"]),
    "unknown cost": dict(cost="hinge"),
    "cost not a string": dict(cost=None),
    "cross entropy without softmax": dict(cost="cross_entropy"),
    "binary cross entropy without sigmoid": dict(cost="binary_cross_entropy", activations=["sigmoid", "relu"]),
    "W widths do not chain": dict(weights={2: W[2], 3: W[3].T}),
    "W keys skip a layer": dict(weights={2: W[2], 4: W[3]}),
    "b of the wrong width": dict(biases={2: b[2], 3: b[2]}),
    "W 1-D": dict(weights={2: W[2].ravel(), 3: W[3]}),
    "W with zero width": dict(weights={2: np.zeros((0, 3)), 3: W[3]}),
    "NaN in W": dict(weights={2: nan_at(W[2]), 3: W[3]}),
    "inf in b": dict(biases={2: b[2], 3: np.array([np.inf, 0])}),
    "int weights": dict(weights={2: W[2].astype(int), 3: W[3]}),
    "float16 weights": dict(weights={2: W[2].astype(np.float16), 3: W[3]}),
    "complex weights": dict(weights={2: W[2].astype(complex), 3: W[3]}),
    "mismatched dtypes": dict(weights={2: W[2].astype(np.float32), 3: W[3]}),
    "string weights": dict(weights={2: W[2], 3: np.array([["a"] * 4] * 2)}),
    "weights not a dict": dict(weights=[W[2], W[3]]),
    "weights empty": dict(weights={}, biases={}),
    "unknown reduction": dict(reduction="max"),
}

# What is wrong with the data given to gradients(X, T).
BAD_DATA = {
    "X width wrong": (np.zeros((5, 4)), T),
    "X 1-D": (np.zeros(3), T),
    "K = 0": (np.zeros((0, 3)), np.zeros((0, 2))),
    "T rows differ": (X, np.zeros((4, 2))),
    "T width wrong": (X, np.zeros((5, 3))),
    "X float32 into float64": (X.astype(np.float32), T),
    "X strings": (np.array([["a"] * 3] * 5), T),
    "NaN in X": (nan_at(X), T),
    "inf in T": (X, np.full((5, 2), np.inf)),
}


@pytest.mark.parametrize("case", list(BAD_NETWORKS))
def test_a_bad_network_gets_the_same_message_on_both_sides(case):
    kw = {**BASE, **BAD_NETWORKS[case]}
    with pytest.raises(ValueError) as manual:
        MLP(**kw)
    with pytest.raises(ValueError) as ref:
        TorchMLP(**kw)
    assert str(ref.value) == str(manual.value)
    assert "\n" not in str(ref.value)


@pytest.mark.parametrize("case", list(BAD_DATA))
@pytest.mark.parametrize("method", ["gradients", "total_cost", "per_example_gradients"])
def test_bad_data_gets_the_same_message_on_both_sides(case, method):
    Xb, Tb = BAD_DATA[case]
    with pytest.raises(ValueError) as manual:
        getattr(MLP(**BASE), method)(Xb, Tb)
    with pytest.raises(ValueError) as ref:
        getattr(TorchMLP(**BASE), method)(Xb, Tb)
    assert str(ref.value) == str(manual.value)


@pytest.mark.parametrize(
    "batches",
    [full_batch(100, 2), [np.array([0, 1]), np.array([], dtype=int)], [np.array([0.5])], [np.array([-1])], 3],
    ids=["more rows than X", "an empty batch", "float indices", "negative index", "not a list"],
)
def test_bad_batches_get_the_same_message_in_train_and_train_steps(batches):
    net, ref = MLP(**BASE), TorchMLP(**BASE)
    W0 = net.params()[0]
    with pytest.raises(ValueError) as manual:
        train(net, X, T, SGD(0.1), batches)
    with pytest.raises(ValueError) as torch_err:
        ref.train_steps(X, T, ref.optimizer(0.1), batches)
    assert str(torch_err.value) == str(manual.value)
    assert "batches" in str(manual.value)
    for l in W0:  # refused before the first update
        np.testing.assert_array_equal(net.W[l], W0[l])
        np.testing.assert_array_equal(ref.weights()[l], W0[l])


def test_integer_data_is_cast_on_both_sides_and_tensors_are_accepted():
    net, ref = MLP(**BASE), TorchMLP(**BASE)
    Xi, Ti = np.ones((5, 3), dtype=int), np.ones((5, 2), dtype=int)
    gW = net.gradients(Xi, Ti)[0]
    rW = ref.gradients(Xi, Ti)[0]
    tW = ref.gradients(torch.ones(5, 3, dtype=torch.float64), torch.ones(5, 2, dtype=torch.float64))[0]
    for l in gW:
        np.testing.assert_allclose(rW[l], gW[l], rtol=1e-12)
        np.testing.assert_array_equal(tW[l], rW[l])


def test_a_tensor_of_the_wrong_width_is_refused_too():
    with pytest.raises(ValueError, match=r"X must have shape \(K, 3\)"):
        TorchMLP(**BASE).gradients(torch.zeros(5, 4, dtype=torch.float64), torch.zeros(5, 2, dtype=torch.float64))


@pytest.mark.parametrize("device", ["tpu", "", "cpu:x"])
def test_an_unknown_device_is_named(device):
    with pytest.raises(ValueError, match="unknown device"):
        TorchMLP(**BASE, device=device)


def test_batches_from_a_generator_are_taken_one_by_one_on_both_sides():
    """A generator (one that moves a progress bar, say) is not drained before training starts."""
    taken = []

    def counted(batches):
        for idx in batches:
            yield idx
            taken.append(len(taken))

    net, ref = MLP(**BASE), TorchMLP(**BASE)
    bad = [np.arange(5), np.arange(5), np.array([7])]
    with pytest.raises(ValueError, match=r"batches\[2\] holds row 7 but X has 5 rows"):
        train(net, X, T, SGD(0.1), counted(bad))
    assert taken == [0, 1]  # two steps taken, one at a time, before the bad batch was reached
    taken.clear()
    with pytest.raises(ValueError, match=r"batches\[2\] holds row 7 but X has 5 rows"):
        ref.train_steps(X, T, ref.optimizer(0.1), counted(bad))
    assert taken == [0, 1]
