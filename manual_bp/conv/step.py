"""One training step of a CNN and the loop over a schedule: δ, gradients, then the lecture's optimizer.

The update is manual_bp's ``SGD.step`` itself (it walks ``net.W``, conv kernels included); only the
row indexing differs from ``manual_bp.train``: an image batch is X[..., idx, :, :, :] of (..., K, C, H, W),
the examples on axis −4 for a ``CNNFamily``'s (G, K, C, H, W) as for one CNN's (K, C, H, W).
"""

from __future__ import annotations

from manual_bp import validate


class ConvTrainStep:
    """``step(X, T)``: one update of ``net`` (a CNN or a CNNFamily) by ``optimizer`` from a checked batch."""

    def __init__(self, net, optimizer):
        self.net, self.optimizer = net, optimizer

    def __call__(self, X, T):
        gW, gb = self.net.gradients(X, T)  # (2), (3) and their conv analogues, from δ by (4), (5')
        self.optimizer.step(self.net, gW, gb)  # w ← w − η ∂C_T/∂w for every W^l, b^l, in place


def train(net, X, T, optimizer, batches):
    """One optimizer step per index array in ``batches``; returns C_T over all of X after each step.

    For a ``CNNFamily`` every member takes the same examples of its own X and each C_T is (G,).
    """
    X, T = net.check_data(X, T)
    step = ConvTrainStep(net, optimizer)
    history = []
    for idx in validate.check_batches(batches, X.shape[-4]):
        step(X[..., idx, :, :, :], T[..., idx, :])  # examples idx: axis −4 of X, −2 of T, also in a family
        history.append(net.total_cost(X, T, check=False))
    return history
