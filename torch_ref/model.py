"""The lecture's network in PyTorch: nn.Linear, activation modules, F losses, optim.SGD.

No derivative is written here: every gradient, δ^l = ∂C/∂z^l included, comes from
autograd, which is what makes this an independent witness for manual_bp.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import validate

# torch's Softplus returns z itself above threshold=20, off the exact log(1+e^z) by up to
# e^{-20} ≈ 2e-9. Above 40, e^{-z} < 5e-18 is below float64 rounding of z, so the exact
# function and its gradient are unchanged and e^z still cannot overflow.
SOFTPLUS_THRESHOLD = 40.0

ACTIVATIONS = {
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.01),
    "identity": nn.Identity,
    "softplus": lambda: nn.Softplus(threshold=SOFTPLUS_THRESHOLD),
    "softmax": lambda: nn.Softmax(dim=1),
}


def _loss_from_z(cost, z_L, a_L, t):
    """C_T = Σ_k C_k from torch.nn.functional; cross-entropies from z^L for stability."""
    if cost == "squared_error":
        return 0.5 * F.mse_loss(a_L, t, reduction="sum")
    if cost == "binary_cross_entropy":
        return F.binary_cross_entropy_with_logits(z_L, t, reduction="sum")
    if cost == "cross_entropy":
        return F.cross_entropy(z_L, t, reduction="sum")  # t holds class probabilities per row
    raise ValueError(f"unknown cost {cost!r}")


def example_costs(cost, z_L, a_L, t):
    """C_k of every example, the unreduced losses summed over the output units: (K,), or (G, K) for a stack."""
    if cost == "squared_error":
        return 0.5 * F.mse_loss(a_L, t, reduction="none").sum(dim=-1)
    if cost == "binary_cross_entropy":
        return F.binary_cross_entropy_with_logits(z_L, t, reduction="none").sum(dim=-1)
    n_L = z_L.shape[-1]  # F.cross_entropy takes (N, n_L): a stack's examples are flattened and put back
    return F.cross_entropy(z_L.reshape(-1, n_L), t.reshape(-1, n_L), reduction="none").view(z_L.shape[:-1])


def _loss_from_a(cost, a_L, t):
    """The same C_T written as a function of a^L, for ∂C/∂a^L."""
    if cost == "squared_error":
        return 0.5 * F.mse_loss(a_L, t, reduction="sum")
    if cost == "binary_cross_entropy":
        return F.binary_cross_entropy(a_L, t, reduction="sum")
    return F.nll_loss(torch.log(a_L), t, reduction="sum")  # cross_entropy: −Σ t log a


def _array(x):
    """A NumPy array of ``x`` (a CPU or device tensor included)."""
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else x


def _numpy(d):
    return {l: v.detach().cpu().numpy() for l, v in d.items()}


class TorchMLP(nn.Module):
    """The same network as manual_bp.MLP, from the same arrays, keyed by layer l = 2 … L."""

    def __init__(self, weights, biases, activations, cost, reduction="sum", device="cpu"):
        super().__init__()
        W, b, dtype = validate.check_params(weights, biases)
        L = len(W) + 1
        self.activations = validate.check_activations(activations, L, ACTIVATIONS)
        self.cost = validate.check_cost(cost, self.activations[-1])
        self.reduction = validate.check_reduction(reduction)
        self.L = L
        self.device = validate.check_device(device)
        self.dtype = dtype  # the NumPy dtype, float32 or float64
        self.sizes = [W[2].shape[1]] + [W[l].shape[0] for l in range(2, L + 1)]  # [n_1, …, n_L]
        self.linear = nn.ModuleDict()
        self.act = nn.ModuleDict()
        for l in range(2, L + 1):
            n_l, n_prev = W[l].shape
            lin = nn.Linear(n_prev, n_l, dtype=torch.from_numpy(W[l]).dtype, device=self.device)
            with torch.no_grad():  # bit-for-bit copies of manual_bp's arrays
                lin.weight.copy_(torch.from_numpy(W[l]))
                lin.bias.copy_(torch.from_numpy(b[l]))
            self.linear[str(l)] = lin
            self.act[str(l)] = ACTIVATIONS[self.activations[l - 2]]()

    def tensor(self, x):
        """``x`` as a tensor of the network's dtype on its device (a tensor is returned as it is)."""
        if isinstance(x, torch.Tensor):
            return x
        return torch.as_tensor(np.asarray(x), dtype=self.linear["2"].weight.dtype, device=self.device)

    def check_data(self, X, T=validate.NO_T):
        """X (K, n_1) and T (K, n_L) checked as manual_bp checks them, as tensors; ValueError otherwise (T left out:
        X alone).

        Arrays are checked in full (real, finite, the network's dtype; integers are cast).
        Tensors are taken as already checked (``tensor`` made them) but for their shapes,
        which cost nothing to read; the training loops pass tensors at every step.
        """
        n_1, n_L = self.sizes[0], self.sizes[-1]
        if isinstance(X, torch.Tensor) and (T is validate.NO_T or isinstance(T, torch.Tensor)):
            validate.check_shapes(tuple(X.shape), None if T is validate.NO_T else tuple(T.shape), n_1, n_L)
            return X, None if T is validate.NO_T else T
        X, T = validate.check_data(_array(X), T if T is validate.NO_T else _array(T), n_1, n_L, self.dtype)
        return self.tensor(X), None if T is None else self.tensor(T)

    def forward(self, X, retain=True):
        """z[l] (with retained grad) and a[l] for every layer, as tensors."""
        a = {1: self.check_data(X)[0]}
        z = {}
        for l in range(2, self.L + 1):
            z[l] = self.linear[str(l)](a[l - 1])
            if retain and z[l].requires_grad:
                z[l].retain_grad()
            a[l] = self.act[str(l)](z[l])
        return z, a

    def loss(self, X, T):
        """The reduced cost (C_T, or C_T / K) with the forward pass it came from."""
        X, t = self.check_data(X, T)
        z, a = self.forward(X)
        C = _loss_from_z(self.cost, z[self.L], a[self.L], t)
        if self.reduction == "mean":
            C = C / t.shape[0]
        return C, z, a

    def costs(self, X, T):
        """C_k for every example, shape (K,): the unreduced losses summed over the output units."""
        with torch.no_grad():
            z, a = self.forward(X, retain=False)
            return example_costs(self.cost, z[self.L], a[self.L], self.tensor(T)).cpu().numpy()

    def total_cost(self, X, T):
        """C_T (or its mean) as a float."""
        with torch.no_grad():
            return float(self.loss(X, T)[0])

    def gradients(self, X, T):
        """∂C/∂W^l, ∂C/∂b^l and δ^l from autograd, as NumPy dicts keyed by l.

        δ^l is z^l.grad, i.e. ∂C_T/∂z^l, whose row k is ∂C_k/∂z^l[k] (the lecture's δ of
        example k).  With reduction='mean' autograd gives ∂(C_T/K)/∂z; it is multiplied
        back by K so that δ keeps the lecture's per-example meaning.
        """
        self.zero_grad(set_to_none=True)
        C, z, _ = self.loss(X, T)
        C.backward()
        K = z[self.L].shape[0] if self.reduction == "mean" else 1
        rW = {l: self.linear[str(l)].weight.grad for l in range(2, self.L + 1)}
        rb = {l: self.linear[str(l)].bias.grad for l in range(2, self.L + 1)}
        rdelta = {l: z[l].grad * K for l in z}
        return _numpy(rW), _numpy(rb), _numpy(rdelta)

    def output_grad(self, X, T):
        """∂C_T/∂a^L from autograd, shape (K, n_L)."""
        X, T = self.check_data(X, T)
        _, a = self.forward(X)
        a_L = a[self.L].detach().requires_grad_(True)
        _loss_from_a(self.cost, a_L, T).backward()
        return a_L.grad.cpu().numpy()

    def per_example_gradients(self, X, T):
        """∂C_k/∂W^l (K, n_l, n_{l-1}) and ∂C_k/∂b^l (K, n_l) by torch.func.vmap over grad."""
        params = {k: v.detach() for k, v in self.named_parameters()}

        def cost_k(p, x, t):
            z, a = torch.func.functional_call(self, p, (x[None],), {"retain": False})
            return _loss_from_z(self.cost, z[self.L], a[self.L], t[None])  # C_k of one example

        X, T = self.check_data(X, T)
        grads = torch.func.vmap(torch.func.grad(cost_k), in_dims=(None, 0, 0))(params, X, T)
        gW = {l: grads[f"linear.{l}.weight"] for l in range(2, self.L + 1)}
        gb = {l: grads[f"linear.{l}.bias"] for l in range(2, self.L + 1)}
        return _numpy(gW), _numpy(gb)

    def weights(self):
        """W[l] as NumPy copies."""
        return {l: self.linear[str(l)].weight.detach().cpu().numpy().copy() for l in range(2, self.L + 1)}

    def biases(self):
        """b[l] as NumPy copies."""
        return {l: self.linear[str(l)].bias.detach().cpu().numpy().copy() for l in range(2, self.L + 1)}

    def flat_parameters(self):
        """All parameters in one contiguous vector, W^2, b^2, …, W^L, b^L, which they become views of.

        torch.optim updates parameters in place, so after this the vector always holds the
        current values and can be read without a copy at every step.
        """
        params = list(self.parameters())
        with torch.no_grad():
            flat = torch.cat([p.reshape(-1) for p in params])
            i = 0
            for p in params:
                p.data = flat[i : i + p.numel()].view_as(p)
                i += p.numel()
        return flat

    def optimizer(self, eta, momentum=0.0):
        """torch.optim.SGD over W^2, b^2, …, W^L, b^L with learning rate η and momentum μ."""
        return torch.optim.SGD(
            self.parameters(), lr=validate.check_eta(eta), momentum=validate.check_momentum(momentum)
        )

    def step(self, optimizer, X, T):
        """One torch.optim step on the batch (X, T): autograd's backward, then ``optimizer.step()``.

        Returns the batch's C at the parameters before the step, as a float.
        """
        validate.check_optimizer(optimizer)
        optimizer.zero_grad(set_to_none=True)
        C = self.loss(X, T)[0]
        C.backward()
        optimizer.step()
        return float(C.detach())

    def train_steps(self, X, T, optimizer, batches):
        """One optimizer step per index array in ``batches``; returns C after each step on all of X."""
        validate.check_optimizer(optimizer)
        Xt, Tt = self.check_data(X, T)
        history = []
        for idx in validate.check_batches(batches, len(Xt)):
            idx = torch.as_tensor(np.asarray(idx), device=self.device)
            self.step(optimizer, Xt[idx], Tt[idx])
            history.append(self.total_cost(Xt, Tt))
        return history
