"""The training steps the bench times: manual_bp's and its three baselines, each a closure over its own copy
of one shared start (weights bit for bit, the same X and T), cost C_T = ½ Σ_k Σ_j (t_j − a_j^L)², plain SGD.

- ``manual``: ``manual_bp.TrainStep(net, SGD(η))``, the data checked once beforehand.
- ``torch_plain``: the fastest plain torch step found — leaf tensors with ``requires_grad``, ``F.linear``,
  ``torch.autograd.grad`` and one ``torch._foreach_add_`` update; no nn.Module, no optimizer.
- ``torch_compiled``: the same step with its forward pass and cost under ``torch.compile`` (backward by
  AOTAutograd); the whole step under compile breaks its graph at ``autograd.grad`` and was slower still.
- ``torch_module``: the project's one torch step, ``TorchMLP.step(optimizer, X, T)`` with
  ``TorchMLP.optimizer(η)`` (nn.Linear modules, autograd's ``backward``, ``torch.optim.SGD``).
- ``numpy_floor``: a naive δ-backprop in twenty lines of NumPy (plain matmuls, no checks, no stability guard).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F

import manual_bp
from torch_ref import TorchMLP

COST = "squared_error"
BASELINES = ("torch_plain", "torch_compiled", "torch_module", "numpy_floor")
TORCH_ACT = {"sigmoid": torch.sigmoid, "relu": torch.relu}


class Side(NamedTuple):
    """A step to time, and its parameters [W^2, b^2, …, W^L, b^L], the arrays or tensors it updates in place."""

    step: Callable
    params: list


def problem(sizes, K, dtype, activation, seed=0):
    """The shared start: manual_bp.MLP, and X (K, n_1), T (K, n_L) checked once, outside any timed step."""
    net = manual_bp.MLP.init(list(sizes), activation, COST, seed=seed, dtype=dtype)
    rng = np.random.default_rng(seed + 1)
    X = rng.random((K, sizes[0])).astype(dtype)  # (K, n_1)
    T = rng.random((K, sizes[-1])).astype(dtype)  # (K, n_L)
    X, T = net.check_data(X, T)
    return net, X, T


def copy_net(net):
    """A manual_bp.MLP with its own copies of ``net``'s parameters."""
    W, b = net.params()
    return manual_bp.MLP(W, b, net.activations, net.cost.name)


def manual(net, X, T, eta):
    """manual_bp's step: TrainStep with SGD(η) on its own copy of the parameters."""
    own = copy_net(net)
    step = manual_bp.TrainStep(own, manual_bp.SGD(eta))
    return Side(partial(step, X, T), [p for l in sorted(own.W) for p in (own.W[l], own.b[l])])  # partial: no frame


def _leaves(net):
    """[W^2, b^2, …, W^L, b^L] as fresh leaf tensors with requires_grad."""
    return [torch.tensor(p, requires_grad=True) for l in sorted(net.W) for p in (net.W[l], net.b[l])]


def _plain_cost(X, T, activation, *params):
    """C_T = ½ Σ (t − a^L)² from the forward pass z^l = a^{l−1} (W^l)ᵀ + b^l, a^l = σ(z^l)."""
    sigma, a = TORCH_ACT[activation], X
    for W, b in zip(params[::2], params[1::2]):
        a = sigma(F.linear(a, W, b))  # (K, n_l)
    return 0.5 * F.mse_loss(a, T, reduction="sum")


def _torch_step(cost, net, X, T, eta):
    params = _leaves(net)
    data = [p.detach() for p in params]  # the same storage: updated in place outside autograd
    Xt, Tt, act = torch.from_numpy(X), torch.from_numpy(T), net.activations[0]

    def step():
        g = torch.autograd.grad(cost(Xt, Tt, act, *params), params)
        torch._foreach_add_(data, g, alpha=-eta)  # w ← w − η ∂C_T/∂w, one fused update

    return Side(step, data)


def torch_plain(net, X, T, eta):
    """The fastest plain torch step: autograd.grad of the cost, one _foreach_add_ update."""
    return _torch_step(_plain_cost, net, X, T, eta)


def torch_compiled(net, X, T, eta):
    """torch_plain with its forward pass and cost compiled (dynamo state reset first, so no recompile limit)."""
    import torch._dynamo

    torch._dynamo.reset()
    cost, warm = torch.compile(_plain_cost, dynamic=False), _leaves(net)
    C = cost(torch.from_numpy(X), torch.from_numpy(T), net.activations[0], *warm)  # compiles here, outside
    torch.autograd.grad(C, warm)  # the timing (an error surfaces here), on leaves of its own: nothing moves
    return _torch_step(cost, net, X, T, eta)


def torch_module(net, X, T, eta):
    """torch_ref's step: ``TorchMLP.step(optimizer, X, T)``, the project's single torch training step."""
    ref = TorchMLP(net.W, net.b, net.activations, COST)
    opt = ref.optimizer(eta)
    Xt, Tt = ref.tensor(X), ref.tensor(T)
    return Side(partial(ref.step, opt, Xt, Tt), list(ref.parameters()))


FLOOR_ACT = {
    "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda z, a: a * (1 - a)),
    "relu": (lambda z: np.maximum(z, 0), lambda z, a: z > 0),
}


def numpy_floor(net, X, T, eta):
    """A naive δ-backprop step in NumPy: what a first attempt writes, the floor manual_bp must not lose to."""
    W = [net.W[l].copy() for l in sorted(net.W)]
    b = [net.b[l].copy() for l in sorted(net.W)]
    sigma, sigma_prime = FLOOR_ACT[net.activations[0]]

    def step():
        z, a = [], [X]
        for Wl, bl in zip(W, b):
            z.append(a[-1] @ Wl.T + bl)  # (K, n_l)
            a.append(sigma(z[-1]))
        delta = (a[-1] - T) * sigma_prime(z[-1], a[-1])  # (K, n_L): (4)
        for i in reversed(range(len(W))):
            gW, gb = delta.T @ a[i], delta.sum(axis=0)  # (2), (3)
            if i:
                delta = (delta @ W[i]) * sigma_prime(z[i - 1], a[i])  # (5), before W[i] moves
            W[i] -= eta * gW
            b[i] -= eta * gb

    return Side(step, [p for pair in zip(W, b) for p in pair])


def baselines(net, X, T, eta, skip_compile=None):
    """{name: Side} for every baseline, and {name: why not} for those left out (``skip_compile``, the reason
    to leave out torch.compile) or that could not be built (torch.compile without a working toolchain)."""
    steps, errors = {}, {}
    for name, make in (
        ("torch_plain", torch_plain),
        ("torch_compiled", torch_compiled),
        ("torch_module", torch_module),
        ("numpy_floor", numpy_floor),
    ):
        if name == "torch_compiled" and skip_compile:
            errors[name] = f"not run ({skip_compile})"
            continue
        try:
            steps[name] = make(net, X, T, eta)
        except Exception as e:  # torch.compile may fail on a machine without a working C++ toolchain
            errors[name] = f"{type(e).__name__}: {e}".splitlines()[0][:200]
    return steps, errors
