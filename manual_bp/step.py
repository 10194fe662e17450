"""One full training step (forward, δ, gradients, update) with buffers reused across steps.

``MLP.gradients`` followed by ``SGD.step`` is the readable reference; ``TrainStep`` does the
same arithmetic in the same order (the results agree bit for bit) but writes z^l, a^l and
∂C_T/∂W^l, ∂C_T/∂b^l into arrays it keeps per batch size K, and skips the input checks,
which the caller makes once (``MLP.check_data``; ``train`` does).  The equations are not
repeated here: every step calls backprop's functions, looked up on the module at each call,
and ``optimizer.step``, so a replaced ``backprop.hidden_delta`` or ``SGD._update`` takes
effect here too.
"""

from __future__ import annotations

import numpy as np

from . import backprop


class Buffers:
    """z[l], a[l] (K, n_l) and gW[l] (n_l, n_{l-1}), gb[l] (n_l,) for l = 2 … L, for one K."""

    def __init__(self, net, K):
        self.K = K
        self.z = {l: np.empty((K, W.shape[0]), net.dtype) for l, W in net.W.items()}  # (K, n_l)
        self.a = {l: np.empty((K, W.shape[0]), net.dtype) for l, W in net.W.items()}  # (K, n_l)
        self.gW = {l: np.empty_like(W) for l, W in net.W.items()}  # (n_l, n_{l-1})
        self.gb = {l: np.empty_like(b) for l, b in net.b.items()}  # (n_l,)

    @property
    def nbytes(self):
        """Bytes held by the buffers."""
        return sum(x.nbytes for d in (self.z, self.a, self.gW, self.gb) for x in d.values())


class TrainStep:
    """``step(X, T)``: one update of ``net`` by ``optimizer`` from the batch X (K, n_1), T (K, n_L).

    X and T must already be checked (``X, T = net.check_data(X, T)``); nothing is checked here,
    so that the step costs only its arithmetic.  Buffers are made on the first batch of each
    size K and kept; ``memory()`` reports their size.
    """

    def __init__(self, net, optimizer):
        self.net, self.optimizer = net, optimizer
        self.buffers = {}  # K -> Buffers

    def buffers_for(self, K):
        """The buffers for batches of K examples, made on first use."""
        buf = self.buffers.get(K)
        if buf is None:
            buf = self.buffers[K] = Buffers(self.net, K)
        return buf

    def __call__(self, X, T):
        net = self.net
        W, b, act, L = net.W, net.b, net.act, net.L
        K = X.shape[0]
        buf = self.buffers_for(K)
        z, a = buf.z, {**buf.a, 1: X}  # a^1 = X (K, n_1), no copy
        for l in range(2, L + 1):
            backprop.layer_forward(W[l], b[l], act[l], a[l - 1], out=(z[l], a[l]))  # (K, n_l) each
        s = net._scale(K)
        delta = backprop.output_delta(net.cost, act[L], z[L], a[L], T)  # (K, n_L): (4)
        for l in range(L, 1, -1):  # δ^{l-1} needs W^l: every update waits for optimizer.step below
            gW = backprop.weight_gradient(delta, a[l - 1], out=buf.gW[l])  # (n_l, n_{l-1}): (2)
            gb = backprop.bias_gradient(delta, out=buf.gb[l])  # (n_l,): (3)
            if s != 1.0:
                gW *= s
                gb *= s
            if l > 2:
                delta = backprop.hidden_delta(delta, W[l], act[l - 1], z[l - 1], a[l - 1])  # (K, n_{l-1}): (5)
        self.optimizer.step(net, buf.gW, buf.gb)  # w ← w − η ∂C_T/∂w for every W^l, b^l, in place

    def batch_cost(self, T):
        """C of the last batch (targets T) at the parameters before the last update, from its z^L, a^L."""
        buf, L = self.buffers[len(T)], self.net.L
        c = self.net.cost.fn(buf.a[L], T, buf.z[L])  # (K,): the forward pass the step began with
        return float(c.sum() * self.net._scale(len(T)))
