"""The lecture's 勾配降下法 on its own example: manual_bp and torch.optim.SGD from the same start.

The network is 12-3-2 with sigmoid units, 2乗誤差, C_T summed over the 64 images, and
full-batch steps Δw = −η ∂C_T/∂w with 学習係数 η.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from comparisons.common.checks import compare
from comparisons.common.errors import UsageError
from comparisons.common.progress import Bar
from comparisons.common.tolerances import trajectory_tolerance
from comparisons.lecture.data import accuracy
from manual_bp import MLP, SGD, full_batch, train
from torch_ref import TorchMLP

SIZES = [12, 3, 2]  # n_1, n_2, n_3: 12 pixels, 3 hidden units, one output unit per digit
NO_HIDDEN = [12, 2]  # the same without the hidden layer: a linear rule through a sigmoid


def lecture_net(seed):
    """The lecture network at its initial weights (manual_bp.MLP.init with ``seed``)."""
    return MLP.init(sizes=SIZES, activations="sigmoid", cost="squared_error", seed=seed)


@dataclass(frozen=True)
class Training:
    """Both runs, step by step, and how far apart they ended."""

    costs: pd.DataFrame  # step, C_T manual_bp, C_T torch, |difference|
    max_param_diff: float  # max |w_manual − w_torch| over every W^l and b^l after the last step
    params_passed: bool  # within trajectory_tolerance(float64, steps)
    costs_passed: bool  # every step's C_T within the same bound
    accuracy_manual: float
    accuracy_torch: float
    held_manual: float  # accuracy on the held-out images
    held_torch: float
    net: MLP  # manual_bp's network after training


def counted(batches, bar):
    """The batches, one by one, moving ``bar`` on after each step."""
    for idx in batches:
        yield idx
        bar.update()


def run(seed, eta, steps, X, T, digits, held, progress=False):
    """Train both from the same initial arrays for ``steps`` full-batch steps of rate ``eta``.

    ``held`` is (X, digits) of the held-out images, on which both trained networks are scored.

    ``progress`` (True, False, or None: only on a terminal): a bar on stderr counts the steps of both.
    """
    net = lecture_net(seed)
    ref = TorchMLP(weights=net.W, biases=net.b, activations=net.activations, cost="squared_error")
    C0 = net.total_cost(X, T)
    with (
        Bar(total=2 * steps, desc="training (manual_bp, then torch)", unit="step", show=progress, leave=False) as bar,
        np.errstate(over="ignore", invalid="ignore"),
    ):  # an η that overflows is refused below, not warned
        hist_m = [C0] + train(net, X, T, SGD(eta), counted(full_batch(len(X), steps), bar))
        hist_t = [ref.total_cost(X, T)] + ref.train_steps(
            X, T, ref.optimizer(eta), counted(full_batch(len(X), steps), bar)
        )
    hist_m, hist_t = np.array(hist_m), np.array(hist_t)  # (steps + 1,): step 0 is the start
    tol = trajectory_tolerance(np.float64, steps)
    rW, rb = ref.weights(), ref.biases()
    if not all(np.isfinite(p).all() for p in [*net.W.values(), *net.b.values(), *rW.values(), *rb.values()]):
        raise UsageError(f"--eta {eta:g}: gradient descent overflowed float64 within {steps} steps (the weights "
                         "reached inf or NaN); take a smaller η")  # fmt: skip
    res = [compare(net.W[l], rW[l], tol) for l in net.W] + [compare(net.b[l], rb[l], tol) for l in net.b]
    costs = pd.DataFrame(
        {
            "step": np.arange(steps + 1),
            "C_T_manual_bp": hist_m,
            "C_T_torch": hist_t,
            "abs_diff": np.abs(hist_m - hist_t),
        }
    )
    with_ref = TorchMLP(weights=rW, biases=rb, activations=net.activations, cost="squared_error")
    a_t = with_ref.forward(X, retain=False)[1][net.L].detach().numpy()  # (K, 2)
    a_th = with_ref.forward(held[0], retain=False)[1][net.L].detach().numpy()
    return Training(
        costs=costs,
        max_param_diff=max(r.max_abs_err for r in res),
        params_passed=all(r.passed for r in res),
        costs_passed=compare(hist_m, hist_t, tol).passed,
        accuracy_manual=accuracy(net.forward(X).a[net.L], digits),
        accuracy_torch=accuracy(a_t, digits),
        held_manual=accuracy(net.forward(held[0]).a[net.L], held[1]),
        held_torch=accuracy(a_th, held[1]),
        net=net,
    )


def no_hidden_layer(seed, eta, steps, X, T, digits, held):
    """Accuracy (training, held-out) of a 12-2 sigmoid network, no hidden layer, trained as the lecture's."""
    net = MLP.init(sizes=NO_HIDDEN, activations="sigmoid", cost="squared_error", seed=seed)
    train(net, X, T, SGD(eta), full_batch(len(X), steps))
    return accuracy(net.forward(X).a[net.L], digits), accuracy(net.forward(held[0]).a[net.L], held[1])


def every_k(costs, k):
    """The rows of steps 0, k, 2k, … and the last step."""
    keep = (costs["step"] % k == 0) | (costs["step"] == costs["step"].iloc[-1])
    return costs[keep]
