"""G convolutional networks of one architecture as one stack of parameters, trained at once by autograd and one SGD.

A conv layer is one ``nn.Conv2d(G·C, G·F, k, groups=G)`` over the members' maps side by side,
(K, G·C, H, W): with groups = G, output channels g·F … g·F + F − 1 (member g's F filters) read only
input channels g·C … g·C + C − 1 (member g's C channels), so it is G convolutions side by side, and
its weight (G·F, C, k, k) is the stack (G, F, C, k, k) flattened.  Pooling acts per channel on the
same layout; a dense layer is a stacked W^l (G, n_l, n_{l-1}) and one ``torch.baddbmm``, as in
torch_ref.family.  The loss autograd differentiates is Σ_g C_T(g), so member g's gradient is its own
and one torch.optim.SGD (elementwise) is G optimizers side by side.  No derivative is written here.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..family import FAMILY_ACTIVATIONS
from ..model import example_costs
from .base import ConvNet, kept


class StackedLinear(nn.Module):
    """G dense layers side by side: weight (G, n_l, n_{l-1}), bias (G, n_l), (G, K, n_{l-1}) → (G, K, n_l)."""

    def __init__(self, weight, bias):
        super().__init__()
        self.weight, self.bias = nn.Parameter(weight), nn.Parameter(bias)

    def forward(self, a):
        return torch.baddbmm(self.bias.unsqueeze(1), a, self.weight.mT)  # each member's own W^l, b^l


class TorchCNNFamily(ConvNet):
    """G copies of TorchCNN's network, each with its own weights: W[l] (G, F, C, k, k) or (G, n_l, n_{l-1}),
    b[l] (G, F) or (G, n_l); data X (G, K, C, H, W), T (G, K, n_L)."""

    def __init__(self, image, layers, weights, biases, cost, reduction="sum"):
        super().__init__()
        self.image, self.specs, self.cost, self.reduction = tuple(image), list(layers), cost, reduction
        self.L = len(self.specs) + 1
        sizes = {f"{name}[{l}]": np.shape(d[l])[0] for name, d in (("W", weights), ("b", biases)) for l in d}
        first = min(sizes)
        self.G, odd = sizes[first], next((k for k, n in sizes.items() if n != sizes[first]), None)
        if odd is not None:
            raise ValueError(f"{odd} stacks {sizes[odd]} networks but {first} stacks {self.G}: every stack needs one G")
        self.layer, self.act = nn.ModuleDict(), nn.ModuleDict()
        self.stacked = {}  # {l: (W^l's stacked shape, b^l's)}, the layout the parameters are shown in
        dtype = torch.from_numpy(np.asarray(weights[min(weights)])).dtype
        for l, spec in enumerate(self.specs, start=2):
            kind = spec["kind"]
            if kind == "pool":
                Pool = nn.MaxPool2d if spec["mode"] == "max" else nn.AvgPool2d
                self.layer[str(l)] = Pool(spec["size"], stride=spec["stride"])  # per channel: G·C maps, no weights
                continue
            W, b = (torch.tensor(np.asarray(x)) for x in (weights[l], biases[l]))  # bit-for-bit copies
            self.stacked[l] = (tuple(W.shape), tuple(b.shape))
            if kind == "conv":
                G, F, C, k, _ = W.shape
                mod = nn.Conv2d(G * C, G * F, k, stride=spec["stride"], padding=spec["pad"], groups=G, dtype=dtype)
                with torch.no_grad():
                    mod.weight.copy_(W.reshape(G * F, C, k, k))  # filter g·F + f is member g's filter f
                    mod.bias.copy_(b.reshape(G * F))
            else:
                mod = StackedLinear(W.to(dtype), b.to(dtype))
            self.layer[str(l)] = mod
            self.act[str(l)] = FAMILY_ACTIVATIONS[spec["activation"]]()

    def params_of(self):
        """{l: (weight, bias)} of the conv and dense layers, as torch holds them (a conv's weight (G·F, C, k, k))."""
        return {l: (self.layer[str(l)].weight, self.layer[str(l)].bias) for l in self.stacked}

    def stack(self, l, which, t):
        """``t`` (W^l's or b^l's layout, which = 0 or 1) as the stack (G, …) it was given as."""
        return t.reshape(self.stacked[l][which])

    def forward(self, X, retain=True):
        """z[l] (with retained grad) and a[l] for every layer, (G, K, F, H', W') or (G, K, n_l), from X (G, K, C, H, W);
        a pooling layer's z^l = a^l is its output."""
        a, z = {1: self.tensor(X)}, {}
        if a[1].dim() != 5 or a[1].shape[0] != self.G or tuple(a[1].shape[2:]) != self.image:
            raise ValueError(f"X must have shape (G, K, {', '.join(map(str, self.image))}) with G = {self.G}, "
                             f"got {tuple(a[1].shape)}")  # fmt: skip
        for l in range(2, self.L + 1):
            mod, prev = self.layer[str(l)], a[l - 1]
            if isinstance(mod, StackedLinear):
                z[l] = mod(prev.flatten(2))  # (G, K, C·H·W) in nn.Flatten's order per example → (G, K, n_l)
            else:
                maps = mod(prev.transpose(0, 1).flatten(1, 2))  # (K, G·C, H, W) → (K, G·F, H', W')
                z[l] = maps.unflatten(1, (self.G, -1)).transpose(0, 1)  # (G, K, F, H', W'), a view
            kept(z[l], retain)
            a[l] = self.act[str(l)](z[l]) if str(l) in self.act else z[l]
        return z, a

    def losses(self, X, T):
        """C_T of every member (or C_T / K), (G,), with the forward pass (z, a)."""
        z, a = self.forward(X)
        t = self.tensor(T)
        C = example_costs(self.cost, z[self.L], a[self.L], t).sum(dim=-1)
        return (C / t.shape[1] if self.reduction == "mean" else C), z, a

    def total_cost(self, X, T):
        """C_T (or its mean) of every member, NumPy (G,)."""
        with torch.no_grad():
            return self.losses(X, T)[0].numpy()

    def gradients(self, X, T):
        """∂C/∂W^l, ∂C/∂b^l stacked (G, …) and δ^l = z^l.grad (G, K, …) (× K for the mean: the per-example δ) from
        autograd on Σ_g C(g), as NumPy dicts."""
        self.zero_grad(set_to_none=True)
        C, z, _ = self.losses(X, T)
        C.sum().backward()
        K = z[self.L].shape[1] if self.reduction == "mean" else 1
        p = self.params_of()
        return {l: self.stack(l, 0, w.grad).numpy() for l, (w, _) in p.items()}, \
            {l: self.stack(l, 1, b.grad).numpy() for l, (_, b) in p.items()}, \
            {l: (v.grad * K).numpy() for l, v in z.items()}  # fmt: skip

    def step(self, optimizer, X, T):
        """One torch.optim step of every member on its own batch; returns each member's C before the step, (G,)."""
        optimizer.zero_grad(set_to_none=True)
        C = self.losses(X, T)[0]
        C.sum().backward()
        optimizer.step()
        return C.detach().numpy()
