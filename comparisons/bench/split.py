"""manual_bp's step taken apart: its matrix products alone and its update alone, so that the bench can
split the step's time into GEMM, elementwise (the rest: σ, σ', bias, δ^L, sums, Python) and update."""

from __future__ import annotations

import manual_bp
from comparisons.bench.sides import copy_net
from manual_bp import backprop


def gemm_flops(sizes, K):
    """Flops of the step's matrix products: 2K·(2·Σ_{l=2}^{L} n_l·n_{l−1} + Σ_{l=3}^{L} n_l·n_{l−1}).

    z^l (forward) and ∂C/∂W^l = (δ^l)ᵀ a^{l−1} (eq 2) at every layer l = 2 … L, and δ^{l−1} = δ^l W^l
    (eq 5) for l = 3 … L only: δ^1 is never formed."""
    products = [n_l * n_prev for n_prev, n_l in zip(sizes[:-1], sizes[1:])]  # l = 2 … L
    return 2 * K * (2 * sum(products) + sum(products[1:]))


def gemm_step(net, X, T):
    """The step's matrix products alone, on the operands of one step, each allocating its result as the step does."""
    fwd = backprop.forward(net.W, net.b, net.act, X)
    delta = backprop.deltas(net.W, net.act, net.cost, fwd, T)
    W, a, L = net.W, fwd.a, net.L

    def step():
        for l in range(2, L + 1):
            a[l - 1] @ W[l].T  # (K, n_l): z^l without its bias
            delta[l].T @ a[l - 1]  # (n_l, n_{l-1}): (2)
            if l > 2:
                delta[l] @ W[l]  # (K, n_{l-1}): (5) without σ'

    return step


def update_step(net, X, T, eta):
    """The step's update alone: ``SGD(η).step`` with one step's gradients, on a copy of the parameters."""
    scratch = copy_net(net)
    gW, gb = scratch.gradients(X, T)
    opt = manual_bp.SGD(eta)
    return lambda: opt.step(scratch, gW, gb)
