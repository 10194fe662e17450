"""The convolutional network in PyTorch: nn.Conv2d, MaxPool2d / AvgPool2d, nn.Flatten, nn.Linear, autograd alone.

``layers`` is a list of dicts, numbered l = 2 … L in order: {"kind": "conv", "filters", "size",
"stride", "pad", "activation"}, {"kind": "pool", "mode": "max" | "avg", "size", "stride"},
{"kind": "dense", "units", "activation"}.  No derivative is written here.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..model import ACTIVATIONS, _loss_from_z, _numpy
from .base import ConvNet, kept


class TorchCNN(ConvNet):
    """The same network as manual_bp.conv.CNN, from the same arrays (W[l] (F, C, k, k) or (n_l, n_{l-1}))."""

    def __init__(self, image, layers, weights, biases, cost, reduction="sum"):
        super().__init__()
        self.image, self.specs, self.cost, self.reduction = tuple(image), list(layers), cost, reduction
        self.L = len(self.specs) + 1
        self.layer, self.act = nn.ModuleDict(), nn.ModuleDict()
        dtype = torch.from_numpy(np.asarray(weights[min(weights)])).dtype
        flat = False
        for l, spec in enumerate(self.specs, start=2):
            kind = spec["kind"]
            if kind == "conv":
                F, C, k, _ = weights[l].shape
                mod = nn.Conv2d(C, F, k, stride=spec["stride"], padding=spec["pad"], dtype=dtype)
            elif kind == "pool":
                Pool = nn.MaxPool2d if spec["mode"] == "max" else nn.AvgPool2d
                mod = Pool(spec["size"], stride=spec["stride"])
            else:
                n_l, n_prev = weights[l].shape
                lin = nn.Linear(n_prev, n_l, dtype=dtype)
                mod = lin if flat else nn.Sequential(nn.Flatten(), lin)  # the first dense layer flattens the maps
                flat = True
            if kind != "pool":
                with torch.no_grad():  # bit-for-bit copies of manual_bp's arrays
                    self.linear_of(mod).weight.copy_(torch.from_numpy(np.asarray(weights[l])))
                    self.linear_of(mod).bias.copy_(torch.from_numpy(np.asarray(biases[l])))
                self.act[str(l)] = ACTIVATIONS[spec["activation"]]()
            self.layer[str(l)] = mod

    @staticmethod
    def linear_of(mod):
        """The module holding a layer's weight and bias (the Linear after a Flatten)."""
        return mod[1] if isinstance(mod, nn.Sequential) else mod

    def params_of(self):
        """{l: (weight, bias)} of the conv and dense layers."""
        return {int(k): (self.linear_of(m).weight, self.linear_of(m).bias) for k, m in self.layer.items()
                if not isinstance(m, (nn.MaxPool2d, nn.AvgPool2d))}  # fmt: skip

    def forward(self, X, retain=True):
        """z[l] (with retained grad) and a[l] for every layer; a pooling layer's z^l = a^l is its output."""
        a, z = {1: self.tensor(X)}, {}
        for l in range(2, self.L + 1):
            z[l] = kept(self.layer[str(l)](a[l - 1]), retain)
            a[l] = self.act[str(l)](z[l]) if str(l) in self.act else z[l]
        return z, a

    def loss(self, X, T):
        """The reduced cost with its forward pass."""
        z, a = self.forward(X)
        t = self.tensor(T)
        C = _loss_from_z(self.cost, z[self.L], a[self.L], t)
        return (C / t.shape[0] if self.reduction == "mean" else C), z, a

    def total_cost(self, X, T):
        """C_T (or its mean) as a float."""
        with torch.no_grad():
            return float(self.loss(X, T)[0])

    def gradients(self, X, T):
        """∂C/∂W^l, ∂C/∂b^l and δ^l = z^l.grad (× K for the mean: the per-example δ) from autograd, as NumPy."""
        self.zero_grad(set_to_none=True)
        C, z, _ = self.loss(X, T)
        C.backward()
        K = z[self.L].shape[0] if self.reduction == "mean" else 1
        p = self.params_of()
        return _numpy({l: w.grad for l, (w, _) in p.items()}), _numpy({l: b.grad for l, (_, b) in p.items()}), \
            _numpy({l: v.grad * K for l, v in z.items()})  # fmt: skip

    def step(self, optimizer, X, T):
        """One torch.optim step on (X, T); returns the batch's C before the step."""
        optimizer.zero_grad(set_to_none=True)
        C = self.loss(X, T)[0]
        C.backward()
        optimizer.step()
        return float(C.detach())
