"""The memory of one manual_bp step: tracemalloc's peak against what eqs (1)–(5) need at once."""

from __future__ import annotations

import gc
import tracemalloc

import manual_bp

PYTHON_SLACK = 64 * 2**10  # bytes of Python objects (dicts, the Forward record) allowed in the bound


def step_memory(net, X, T, eta=1e-3):
    """tracemalloc peak of one manual step, and what eqs (1)–(5) need at once: (peak, needed, allowed) bytes.

    Peak: the most bytes allocated at one time during one TrainStep call; W, b, X and T exist
    beforehand and count in neither figure.
    Needed: z^l, a^l (K, n_l) of every layer, kept from the forward pass for δ; ∂C/∂W^l, ∂C/∂b^l
    of every layer, since no update may start before δ^2 is formed (it needs W^3); and the
    larger of two adjacent δ's (δ^l is a product of δ^{l+1}, which lives until it is formed)
    and η·∂C/∂W for the largest W (the update's product).  Allowed on top: one activation-sized
    temporary per layer (σ'(z^l) and the like), Σ_l K·n_l elements, and PYTHON_SLACK.
    """
    sizes, item = net.sizes, net.dtype.itemsize
    K = len(X)
    widths = list(sizes[1:])  # n_2 … n_L: layers with z, a and δ
    act = sum(K * n for n in widths) * item
    params = sum(W.size + net.b[l].size for l, W in net.W.items()) * item
    two_deltas = max([K * (m + n) for m, n in zip(widths[:-1], widths[1:])] + [K * widths[-1]]) * item
    update = max(W.size for W in net.W.values()) * item
    needed = 2 * act + params + max(two_deltas, update)
    step = manual_bp.TrainStep(net, manual_bp.SGD(eta / K))
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        step(X, T)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    return peak, needed, act + PYTHON_SLACK
