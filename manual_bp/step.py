"""One full training step: forward pass, δ by (4) and (5), gradients by (2) and (3), update.

``MLP.gradients`` followed by ``SGD.step`` is the readable reference; ``TrainStep`` does the
same arithmetic in the same order (the results agree bit for bit) but skips the input checks,
which the caller makes once (``MLP.check_data``; ``train`` does), and keeps the forward pass
so that the batch's cost needs no second one.  The equations are not repeated here: every
step calls backprop's functions, looked up on the module at each call, and
``optimizer.step``, so a replaced ``backprop.hidden_delta`` or ``SGD.update`` takes effect
here too.
"""

from __future__ import annotations

from . import backprop, validate


class TrainStep:
    """``step(X, T)``: one update of ``net`` by ``optimizer`` from the batch X (K, n_1), T (K, n_L).

    X and T must already be checked (``X, T = net.check_data(X, T)``); nothing is checked here,
    so that the step costs only its arithmetic.
    """

    def __init__(self, net, optimizer):
        self.net, self.optimizer = validate.check_net(net), validate.check_optimizer(optimizer)
        self.last = None  # (z^L, a^L, T) of the last batch, at the parameters before its update

    def __call__(self, X, T):
        net = self.net
        W, act, L = net.W, net.act, net.L
        fwd = backprop.forward(W, net.b, act, X)  # z^l, a^l (K, n_l) for l = 2 … L
        z, a = fwd.z, fwd.a
        s = net.scale(X.shape[-2])  # 1 for C_T, 1/K for its mean (K: rows of X)
        gW, gb = {}, {}
        delta = backprop.output_delta(net.cost, act[L], z[L], a[L], T)  # (K, n_L): (4)
        for l in range(L, 1, -1):  # δ^{l-1} needs W^l: every update waits for optimizer.step below
            gW[l] = backprop.weight_gradient(delta, a[l - 1])  # (n_l, n_{l-1}): (2)
            gb[l] = backprop.bias_gradient(delta)  # (n_l,): (3)
            if s != 1.0:
                gW[l] *= s
                gb[l] *= s
            if l > 2:
                delta = backprop.hidden_delta(delta, W[l], act[l - 1], z[l - 1], a[l - 1])  # (K, n_{l-1}): (5)
        self.optimizer.step(net, gW, gb)  # w ← w − η ∂C_T/∂w for every W^l, b^l, in place
        self.last = (z[L], a[L], T)  # only what batch_cost needs: the rest of the forward pass is freed now

    def batch_cost(self):
        """C of the last batch at the parameters before its update, from the forward pass it began with.

        A number; for a ``Family``, one per member, (G,).
        """
        z_L, a_L, T = self.last
        c = self.net.cost.fn(a_L, T, z_L)  # (K,), or (G, K)
        return c.sum(axis=-1) * self.net.scale(T.shape[-2])
