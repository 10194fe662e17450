"""Gradient descent on C_T: the lecture's Δw = −η ∂C_T/∂w, with optional momentum."""

from __future__ import annotations

import numpy as np

from . import validate
from .step import TrainStep


class SGD:
    r"""Gradient descent with learning rate η and classical momentum μ.

    .. math:: v \leftarrow \mu v + \nabla C, \quad w \leftarrow w - \eta v

    μ = 0 is the lecture's update Δw = −η ∂C_T/∂w.  With μ > 0 this is the rule of
    torch.optim.SGD(momentum=μ, dampening=0, nesterov=False), whose first step sets
    v = ∇C; keeping the same rule is what lets two trajectories be compared exactly.
    """

    def __init__(self, eta, momentum=0.0):
        self.eta = validate.check_eta(eta)
        self.momentum = validate.check_momentum(momentum)
        self.v = {}  # velocity per parameter, keyed ("W", l) / ("b", l)

    def update(self, key, p, g):
        """One parameter p (in place) from its gradient g; ``key`` names its velocity."""
        if self.momentum:
            v = self.v.get(key)
            if v is None:
                self.v[key] = v = g.copy()  # the first step sets v = ∇C, as torch does
            else:
                v *= self.momentum  # μv, in place
                v += g  # v ← μv + ∇C
            g = v
        p -= self.eta * g  # in place: w ← w + Δw with Δw = −η ∂C/∂w

    def step(self, net, gW, gb):
        """One update of every W[l] and b[l] of ``net`` from the gradients gW, gb."""
        W, b = validate.parameters(net)
        for l in W:
            self.update(("W", l), W[l], gW[l])
            self.update(("b", l), b[l], gb[l])


def full_batch(K, steps):
    """The lecture's full-batch schedule: every step uses all K examples."""
    K, steps = validate.check_int("K", K, 1), validate.check_int("steps", steps, 0)
    return [np.arange(K)] * steps


def train(net, X, T, optimizer, batches):
    """One optimizer step per entry of ``batches`` (index arrays into the rows of X).

    Returns C_T over the whole of X after each step (the reduction of ``net`` applies); for a
    ``Family``, whose X is (G, K, n_1), every member takes the same rows and C_T is (G,).
    Each step is ``TrainStep``: the arithmetic of ``net.gradients`` then ``optimizer.step``,
    with buffers reused and the data checked once, here.
    """
    validate.check_net(net)
    validate.check_optimizer(optimizer)
    X, T = net.check_data(X, T)
    batches = validate.check_batches(batches, X.shape[-2])  # a list: all of them before the first update
    step = TrainStep(net, optimizer)
    history = []
    for idx in batches:
        step(X[..., idx, :], T[..., idx, :])  # rows idx: examples are the second-last axis, also in a family
        history.append(net.total_cost(X, T, check=False))
    return history
