"""TrainStep (the fast path that `train` uses) is the readable path bit for bit, and goes through
backprop's equations and SGD.update at every call, so that a planted bug still shows."""

import numpy as np
import pytest

from manual_bp import MLP, SGD, TrainStep, backprop

ARCH = dict(sizes=[7, 6, 5, 3], activations=["sigmoid", "relu", "tanh"], cost="squared_error")


def problem(dtype="float64", reduction="sum", K=9):
    net = MLP.init(**ARCH, seed=4, dtype=dtype, reduction=reduction)
    rng = np.random.default_rng(5)
    X, T = rng.standard_normal((K, 7)).astype(dtype), rng.random((K, 3)).astype(dtype)
    return net, X, T


def fast_and_readable(steps, momentum, **kw):
    """Parameters after ``steps`` steps of TrainStep and of gradients + SGD.step, as bytes."""
    fast, X, T = problem(**kw)
    slow, _, _ = problem(**kw)
    step, opt = TrainStep(fast, SGD(0.05, momentum)), SGD(0.05, momentum)
    for i in range(steps):
        idx = np.arange(len(X)) if i % 2 == 0 else np.arange(0, len(X), 2)  # two batch sizes
        step(X[idx], T[idx])
        opt.step(slow, *slow.gradients(X[idx], T[idx]))
    return (
        [fast.W[l].tobytes() + fast.b[l].tobytes() for l in fast.W],
        [slow.W[l].tobytes() + slow.b[l].tobytes() for l in slow.W],
    )


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("reduction", ["sum", "mean"])
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_train_step_is_gradients_then_sgd_bit_for_bit(dtype, reduction, momentum):
    fast, slow = fast_and_readable(6, momentum, dtype=dtype, reduction=reduction)
    assert fast == slow


def _wrong_hidden(delta_next, W_next, act, z, a):
    return delta_next @ W_next  # σ' missing in (5)


def _wrong_output(cost, act, z_L, a_L, t):
    return a_L - t  # σ' missing in (4)


@pytest.mark.parametrize(
    "target, name, wrong",
    [
        (backprop, "hidden_delta", _wrong_hidden),
        (backprop, "output_delta", _wrong_output),
        (SGD, "update", lambda self, key, p, g: p.__isub__(self.eta * 1.001 * g)),
    ],
)
def test_planted_bug_reaches_the_train_step(monkeypatch, target, name, wrong):
    step_once = lambda: fast_and_readable(1, 0.0)[0]  # noqa: E731
    before = step_once()
    monkeypatch.setattr(target, name, wrong)
    assert step_once() != before
