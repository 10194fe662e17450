"""One training step of a CNN: manual_bp.conv's vectorised (im2col) step against the fastest plain torch step.

Both sides start from the same weights and data, cost C_T = Σ_k C_k (cross-entropy over a softmax output),
plain SGD.  ``manual``: ``ConvTrainStep(CNN, SGD(η))``.  ``torch_plain``: leaf tensors with requires_grad,
F.conv2d, F.max_pool2d, F.linear, ``torch.autograd.grad`` and one ``torch._foreach_add_`` update — no
nn.Module, no optimizer.  Timed interleaved at 1 thread (NumPy's BLAS and torch alike), in one run.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import torch
import torch.nn.functional as F

import manual_bp
from comparisons.bench.run import thread_count
from comparisons.bench.timing import best_ratio, measure
from manual_bp.conv import CNN, Conv, ConvTrainStep, Dense, Pool

ETA = 1e-3
CASES = {
    "28×28 (MNIST-sized): conv 8@3×3, max pool 2, dense 10; K = 64":
        ((1, 28, 28), [Conv(8, 3, 1, 1, "relu"), Pool("max", 2, 2), Dense(10, "softmax")], 64),
    "32×32×3 (CIFAR-sized): conv 16@3×3, pool, conv 32@3×3 stride 2, pool, dense 10; K = 32":
        ((3, 32, 32), [Conv(16, 3, 1, 1, "relu"), Pool("max", 2, 2), Conv(32, 3, 2, 1, "relu"),
                       Pool("avg", 2, 2), Dense(10, "softmax")], 32),
}  # fmt: skip


def problem(image, layers, K, seed=0):
    """The CNN and X (K, C, H, W), one-hot T (K, 10), checked once outside any timed step."""
    net = CNN.init(image, layers, "cross_entropy", seed=seed, dtype=np.float32)
    rng = np.random.default_rng(seed + 1)
    X = rng.random((K, *image)).astype(np.float32)
    T = np.eye(10, dtype=np.float32)[rng.integers(0, 10, K)]
    return net, *net.check_data(X, T)


def manual_step(net, X, T):
    """manual_bp's step on its own copy of the parameters."""
    W, b = net.params()
    own = CNN(net.image, net.layers, W, b, "cross_entropy")
    step = ConvTrainStep(own, manual_bp.SGD(ETA))
    return partial(step, X, T)


def torch_plain_step(net, X, T, params=None):
    """The fastest plain torch step: functional layers, autograd.grad, one foreach update (of ``params``)."""
    if params is None:
        params = [torch.tensor(p, requires_grad=True) for l in sorted(net.W) for p in (net.W[l], net.b[l])]
    Xt, Tt = torch.from_numpy(X.copy()), torch.from_numpy(T.copy())
    layers = net.layers

    def step():
        a, i = Xt, 0
        for layer in layers:
            if isinstance(layer, Conv):
                a = torch.relu(F.conv2d(a, params[i], params[i + 1], stride=layer.stride, padding=layer.pad))
                i += 2
            elif isinstance(layer, Pool):
                pool = F.max_pool2d if layer.mode == "max" else F.avg_pool2d
                a = pool(a, layer.size, layer.stride)
            else:
                a = F.linear(a.flatten(1), params[i], params[i + 1])
                i += 2
        C = F.cross_entropy(a, Tt, reduction="sum")
        grads = torch.autograd.grad(C, params)
        with torch.no_grad():
            torch._foreach_add_(params, grads, alpha=-ETA)

    return step


def same_step(net, X, T):
    """max |manual − torch| over the parameters after one step of each, relative to max |w|: both time the same step."""
    W, b = net.params()
    own = CNN(net.image, net.layers, W, b, "cross_entropy")
    ConvTrainStep(own, manual_bp.SGD(ETA))(X, T)
    params = [torch.tensor(p, requires_grad=True) for l in sorted(net.W) for p in (net.W[l], net.b[l])]
    torch_plain_step(net, X, T, params)()
    mine = [p for l in sorted(own.W) for p in (own.W[l], own.b[l])]
    scale = max(float(np.abs(p).max()) for p in mine)
    return max(float(np.abs(m - t.detach().numpy()).max()) for m, t in zip(mine, params)) / scale


def run_conv_bench(settings):
    """One row per case: each side's median ms at 1 thread and manual ÷ torch_plain (fastest runs)."""
    rows = []
    with thread_count(1):
        for name, (image, layers, K) in CASES.items():
            net, X, T = problem(image, layers, K)
            t = measure({"manual": manual_step(net, X, T), "torch_plain": torch_plain_step(net, X, T)}, settings)
            rows.append(dict(case=name, dtype="float32", threads=1,
                             manual_ms=1e3 * t["manual"].stats()["median"],
                             torch_plain_ms=1e3 * t["torch_plain"].stats()["median"],
                             manual_over_torch=best_ratio(t["manual"], t["torch_plain"]),
                             noisy=t["manual"].noisy or t["torch_plain"].noisy,
                             step_difference=same_step(net, X, T)))  # fmt: skip
    return rows


def markdown(command, rows):
    """bench_conv.md: one line per case, the ratio measured in this run."""
    import pandas as pd

    table = pd.DataFrame(rows).drop(columns=["dtype", "threads"]).to_markdown(index=False, floatfmt=".3g")
    return "\n".join([
        "# deltacheck bench --conv: a CNN training step, manual_bp against the fastest plain torch step",
        "",
        f"Command: `{command}`",
        "",
        "float32, 1 thread for NumPy's BLAS and for torch. `manual` is manual_bp.conv's vectorised (im2col) step, "
        "ConvTrainStep with SGD; `torch_plain` the fastest plain torch step (F.conv2d, F.max_pool2d / "
        "F.avg_pool2d, F.linear, torch.autograd.grad, one torch._foreach_add_). `manual_over_torch` is the "
        "ratio of the two sides' fastest runs, both timed interleaved in this run; "
        "`step_difference` is max |manual − torch| over the parameters after one step of each, over max |w| "
        "(both sides time the same step); `noisy`: the interquartile range over 20 % of the median, or a stall.",
        "",
        table,
        "",
    ])  # fmt: skip
