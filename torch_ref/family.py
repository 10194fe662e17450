"""G networks of one shape as one stack of parameters, trained at once by autograd and one optim.SGD.

W^l is one parameter of shape (G, n_l, n_{l-1}) and b^l one of (G, n_l); each layer is one
``torch.baddbmm`` over the stack.  The loss autograd differentiates is Σ_g C_T(g): member g's
parameters enter only its own C_T, so its gradient is ∂C_T(g)/∂w exactly, and torch.optim.SGD's
update is elementwise, so one optimizer over the stacked tensors is G optimizers side by side.
No derivative is written here either.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from . import validate
from .model import ACTIVATIONS, example_costs

# The same modules as TorchMLP's, but softmax over the last axis: the units of a (G, K, n_L) stack.
FAMILY_ACTIVATIONS = dict(ACTIVATIONS, softmax=lambda: nn.Softmax(dim=-1))


class TorchFamily(nn.Module):
    """G copies of TorchMLP's network, each with its own weights: W[l] (G, n_l, n_{l-1}), b[l] (G, n_l)."""

    def __init__(self, weights, biases, activations, cost, reduction="sum", device="cpu"):
        super().__init__()
        if not weights or any(np.ndim(w) != 3 for w in weights.values()):
            raise ValueError("weights must map each l = 2 … L to a stack of shape (G, n_l, n_{l-1})")
        G = len(next(iter(weights.values())))
        for g in range(G):  # every member checked as TorchMLP checks its parameters
            W, b, dtype = validate.check_params(
                {l: w[g] for l, w in weights.items()}, {l: v[g] for l, v in biases.items()}
            )
        self.G, self.L, self.dtype = G, len(W) + 1, dtype
        self.activations = validate.check_activations(activations, self.L, FAMILY_ACTIVATIONS)
        self.cost = validate.check_cost(cost, self.activations[-1])
        self.reduction = validate.check_reduction(reduction)
        self.device = torch.device(device)
        self.W = nn.ParameterDict({str(l): self._param(weights[l]) for l in range(2, self.L + 1)})
        self.b = nn.ParameterDict({str(l): self._param(biases[l]) for l in range(2, self.L + 1)})
        self.act = nn.ModuleDict({str(l): FAMILY_ACTIVATIONS[self.activations[l - 2]]() for l in range(2, self.L + 1)})

    def _param(self, x):
        return nn.Parameter(torch.tensor(np.asarray(x), device=self.device))  # a bit-for-bit copy

    def tensor(self, x):
        """``x`` as a tensor of the family's dtype on its device (a tensor is returned as it is)."""
        if isinstance(x, torch.Tensor):
            return x
        return torch.as_tensor(np.asarray(x), dtype=self.W["2"].dtype, device=self.device)

    def check_data(self, X, T=None):
        """X (G, K, n_1) and T (G, K, n_L) as tensors; ValueError naming a wrong shape.  Arrays are also checked
        member by member as TorchMLP checks them; tensors (the training loops pass them) for their shapes only."""
        n_1, n_L = self.W["2"].shape[-1], self.W[str(self.L)].shape[-2]
        if np.ndim(X) != 3 or np.shape(X)[0] != self.G or np.shape(X)[2] != n_1 or np.shape(X)[1] < 1:
            raise ValueError(f"X must have shape (G, K, {n_1}) with G = {self.G}, K >= 1, got {tuple(np.shape(X))}")
        K = np.shape(X)[1]
        if T is not None and tuple(np.shape(T)) != (self.G, K, n_L):
            raise ValueError(f"T must have shape ({self.G}, {K}, {n_L}) to match X, got {tuple(np.shape(T))}")
        if not isinstance(X, torch.Tensor) or not (T is None or isinstance(T, torch.Tensor)):
            for g in range(self.G):
                try:
                    validate.check_data(np.asarray(X[g]), None if T is None else np.asarray(T[g]), n_1, n_L, self.dtype)
                except ValueError as e:
                    raise ValueError(f"member {g}: {e}") from None
        return self.tensor(X), None if T is None else self.tensor(T)

    def forward(self, X, retain=True):
        """z[l] (G, K, n_l), with retained grad, and a[l] for every layer, from X (G, K, n_1)."""
        a, z = {1: self.check_data(X)[0]}, {}
        for l in range(2, self.L + 1):
            W, b = self.W[str(l)], self.b[str(l)]
            z[l] = torch.baddbmm(b.unsqueeze(1), a[l - 1], W.mT)  # (G, K, n_l): each member's own W^l, b^l
            if retain and z[l].requires_grad:
                z[l].retain_grad()
            a[l] = self.act[str(l)](z[l])
        return z, a

    def costs(self, X, T):
        """C_k of every member and example as a (G, K) tensor, with the forward pass (z, a)."""
        X, T = self.check_data(X, T)
        z, a = self.forward(X)
        return example_costs(self.cost, z[self.L], a[self.L], T), z, a

    def losses(self, X, T):
        """C_T of every member (or C_T / K), (G,), with the forward pass (z, a)."""
        c, z, a = self.costs(X, T)
        C = c.sum(dim=-1)
        return (C / X.shape[-2] if self.reduction == "mean" else C), z, a

    def total_cost(self, X, T):
        """C_T of every member as a NumPy array (G,)."""
        with torch.no_grad():
            return self.losses(X, T)[0].cpu().numpy()

    def gradients(self, X, T):
        """∂C/∂W^l (G, n_l, n_{l-1}), ∂C/∂b^l (G, n_l) and δ^l (G, K, n_l) from autograd, as NumPy dicts."""
        self.zero_grad(set_to_none=True)
        C, z, _ = self.losses(X, T)
        C.sum().backward()
        K = X.shape[-2] if self.reduction == "mean" else 1
        out = (
            {l: self.W[str(l)].grad for l in range(2, self.L + 1)},
            {l: self.b[str(l)].grad for l in range(2, self.L + 1)},
            {l: z[l].grad * K for l in z},
        )
        return tuple({l: v.detach().cpu().numpy() for l, v in d.items()} for d in out)

    def flat_parameters(self):
        """All parameters as one (G, P) tensor, each member's row W^2, b^2, …, W^L, b^L, which they become views of."""
        params = self.parameter_list()
        with torch.no_grad():
            flat = torch.cat([p.reshape(self.G, -1) for p in params], dim=1)  # (G, P)
            i = 0
            for p in params:
                n = p[0].numel()
                p.data = flat[:, i : i + n].view_as(p)
                i += n
        return flat

    def optimizer(self, eta, momentum=0.0):
        """One torch.optim.SGD over every stacked W^l, b^l: learning rate η, momentum μ."""
        return torch.optim.SGD(self.parameters(), lr=eta, momentum=momentum)

    def parameter_list(self):
        """W^2, b^2, …, W^L, b^L: the order of ``flat_parameters``' rows (the same Parameter objects throughout)."""
        if "_order" not in self.__dict__:
            self.__dict__["_order"] = [p for l in range(2, self.L + 1) for p in (self.W[str(l)], self.b[str(l)])]
        return self.__dict__["_order"]

    def flat_gradients(self):
        """Each parameter's .grad from the last backward pass as one (G, P) array, ``flat_parameters``' order."""
        return torch.cat([p.grad.reshape(self.G, -1) for p in self.parameter_list()], dim=1).cpu().numpy()

    def flat_velocity(self, optimizer):
        """torch.optim.SGD's momentum buffers as one (G, P) array, ``flat_parameters``' order; None before any."""
        bufs = [optimizer.state[p].get("momentum_buffer") for p in self.parameter_list()]
        if any(v is None for v in bufs):
            return None
        return torch.cat([v.reshape(self.G, -1) for v in bufs], dim=1).cpu().numpy()

    def step(self, optimizer, X, T, keep=False):
        """One torch.optim step of every member on its batch; returns each member's C before it, (G,).

        With ``keep`` it also returns the step's forward pass and autograd's δ^l = ∂C/∂z^l, as NumPy
        dicts (z, a, delta), for the rounding model of the comparison.
        """
        optimizer.zero_grad(set_to_none=True)
        C, z, a = self.losses(X, T)
        C.sum().backward()
        optimizer.step()
        if not keep:
            return C.detach().cpu().numpy()
        fwd = {k: {l: v.detach().cpu().numpy() for l, v in d.items()} for k, d in (("z", z), ("a", a))}
        delta = {l: v.grad.cpu().numpy() for l, v in z.items()}
        return C.detach().cpu().numpy(), fwd["z"], fwd["a"], delta
