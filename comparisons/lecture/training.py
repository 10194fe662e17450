"""The lecture's 勾配降下法 on its own example: manual_bp and torch.optim.SGD from the same start.

The network is 12-3-2 with sigmoid units, 2乗誤差, C_T summed over the 64 images, and
full-batch steps Δw = −η ∂C_T/∂w with 学習係数 η.

The verdict judges every step alone, as the sweep does: at step n manual_bp starts from torch's
parameters before it and takes one step, and its gradient, parameters and C_T are compared with
torch's under the rounding model of that one step (``comparisons.common.scales``); the bound never
grows with n.  The two free runs, each on its own from the start, are the lesson's curves and their
final distance is information: rounding, carried on by the update map, never a pass or a failure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from comparisons.common.checks import agree
from comparisons.common.errors import UsageError
from comparisons.common.progress import Bar
from comparisons.common.rounding import bound, step_limits
from comparisons.common.scales import Scales
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

    costs: pd.DataFrame  # step, C_T manual_bp, C_T torch, |difference| of the two free runs
    max_param_diff: float  # max |w_manual − w_torch| after the last step of the free runs: information
    params_passed: bool  # every step's gradient and parameters, from torch's state, within the step's bound
    costs_passed: bool  # every step's C_T at torch's state within its bound
    worst: float  # the largest share of a step's bound used (≤ 1 passes)
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
    rW, rb = ref.weights(), ref.biases()
    if not all(np.isfinite(p).all() for p in [*net.W.values(), *net.b.values(), *rW.values(), *rb.values()]):
        raise UsageError(f"--eta {eta:g}: gradient descent overflowed float64 within {steps} steps (the weights "
                         "reached inf or NaN); take a smaller η")  # fmt: skip
    used_params, used_costs = local_steps(seed, eta, steps, X, T)
    pairs = [*zip(net.W.values(), rW.values()), *zip(net.b.values(), rb.values())]
    drift = max(float(np.max(np.abs(p - q))) for p, q in pairs)  # the free runs' distance: information
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
        max_param_diff=drift,
        params_passed=bool(np.all(used_params <= 1.0)),
        costs_passed=bool(np.all(used_costs <= 1.0)),
        worst=float(max(used_params.max(initial=0.0), used_costs.max(initial=0.0))),
        accuracy_manual=accuracy(net.forward(X).a[net.L], digits),
        accuracy_torch=accuracy(a_t, digits),
        held_manual=accuracy(net.forward(held[0]).a[net.L], held[1]),
        held_torch=accuracy(a_th, held[1]),
        net=net,
    )


def local_steps(seed, eta, steps, X, T):
    """(used (steps,) of the gradient and parameters, used (steps,) of C_T): each step from torch's state.

    torch trains from the start; before each of its steps its parameters, forward pass and δ are kept, and
    manual_bp — a fresh ``MLP`` on those parameters, its ``gradients`` and ``SGD.step`` — takes that one step.
    The allowed differences are the rounding model's for that step, from torch's values: ``Scales`` on the
    stack of every step's pass, then the update w − η ∂C_T/∂w (``step_limits``, the sweep's too); ``agree`` compares."""
    if steps == 0:
        return np.zeros(0), np.zeros(0)
    start = lecture_net(seed)
    ref = TorchMLP(weights=start.W, biases=start.b, activations=start.activations, cost="squared_error")
    opt = ref.optimizer(eta)
    keep = {k: [] for k in ("W", "b", "z", "a", "delta", "gW", "gb", "W_r", "b_r", "C_r", "gW_m", "gb_m", "W_m",
                            "b_m", "C_m")}  # fmt: skip
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            W, b = ref.weights(), ref.biases()
            z, a = (_numpy(d) for d in ref.forward(X, retain=False))
            gW, gb, delta = ref.gradients(X, T)
            C_r = ref.step(opt, X, T)  # C_T at the state before the step, then torch.optim's update
            net = MLP({l: w.copy() for l, w in W.items()}, {l: v.copy() for l, v in b.items()}, start.activations,
                      "squared_error")  # fmt: skip
            C_m = net.total_cost(X, T)
            gW_m, gb_m = net.gradients(X, T)
            SGD(eta).step(net, gW_m, gb_m)  # w ← w − η ∂C_T/∂w, in place
            for k, v in dict(W=W, b=b, z=z, a=a, delta=delta, gW=gW, gb=gb, W_r=ref.weights(), b_r=ref.biases(),
                             C_r=C_r, gW_m=gW_m, gb_m=gb_m, W_m=net.W, b_m=net.b, C_m=C_m).items():  # fmt: skip
                keep[k].append(v)
        st = {k: _stack(v) for k, v in keep.items()}  # every array gets a leading axis of steps
        Xs, Ts = np.broadcast_to(X, (steps, *X.shape)), np.broadcast_to(T, (steps, *T.shape))  # (steps, K, n)
        S = Scales(st["W"], st["b"], list(start.activations), "squared_error", "sum", Xs, Ts, st["z"], st["a"],
                   st["delta"], np.float64)  # fmt: skip
        used = []
        for l in start.W:
            for key, S_g in (("W", S.S_W[l]), ("b", S.S_b[l])):
                g, new = st[f"g{key}"][l], st[f"{key}_r"][l]  # torch's gradient and parameters after the step
                lim_g, lim_w, _ = step_limits(S_g, new, None, g, eta, 0.0, np.float64)
                used.append(agree(st[f"g{key}_m"][l], g, lim_g)[0])  # ∂C_T/∂w, eqs (2) and (3)
                used.append(agree(st[f"{key}_m"][l], new, lim_w)[0])  # w − η ∂C_T/∂w
        used_C = agree(st["C_m"][:, None], st["C_r"][:, None], bound(S.S_CT, np.float64)[:, None])[0]
    return np.max(used, axis=0) if used else np.zeros(steps), used_C


def _numpy(d):
    return {l: v.detach().cpu().numpy() for l, v in d.items()}


def _stack(values):
    """A list over steps of floats or {l: array} as one array or {l: (steps, …) array}."""
    if isinstance(values[0], dict):
        return {l: np.stack([v[l] for v in values]).astype(np.float64) for l in values[0]}
    return np.asarray(values, np.float64)


def no_hidden_layer(seed, eta, steps, X, T, digits, held):
    """Accuracy (training, held-out) of a 12-2 sigmoid network, no hidden layer, trained as the lecture's."""
    net = MLP.init(sizes=NO_HIDDEN, activations="sigmoid", cost="squared_error", seed=seed)
    train(net, X, T, SGD(eta), full_batch(len(X), steps))
    return accuracy(net.forward(X).a[net.L], digits), accuracy(net.forward(held[0]).a[net.L], held[1])


def every_k(costs, k):
    """The rows of steps 0, k, 2k, … and the last step."""
    keep = (costs["step"] % k == 0) | (costs["step"] == costs["step"].iloc[-1])
    return costs[keep]
