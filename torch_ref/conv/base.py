"""What one conv network and a stacked family of them share: reading their tensors out, their optimizer, δ kept."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..model import example_costs


def kept(z, retain):
    """z^l with its gradient retained when ``retain`` (δ^l = z^l.grad after backward)."""
    if retain and not z.requires_grad and torch.is_grad_enabled():
        z.requires_grad_(True)  # pooling straight on the input: nothing below needs a gradient, δ^l does
    if retain and z.requires_grad:
        z.retain_grad()
    return z


class ConvNet(nn.Module):
    """A conv network's common methods; ``params_of`` and ``forward`` are the subclass's, ``stack`` shows a tensor of
    W^l's or b^l's layout (which = 0 or 1) as the arrays were given (one network: as it is)."""

    def stack(self, l, which, t):
        return t

    def tensor(self, x):
        """``x`` as a tensor of the network's dtype (a tensor is returned as it is)."""
        if isinstance(x, torch.Tensor):
            return x
        w = next(iter(self.params_of().values()))[0]
        return torch.as_tensor(np.asarray(x), dtype=w.dtype)

    def costs(self, X, T):
        """C_k for every example, (K,) — of every member, (G, K)."""
        with torch.no_grad():
            z, a = self.forward(X, retain=False)
            return example_costs(self.cost, z[self.L], a[self.L], self.tensor(T)).numpy()

    def weights(self):
        """W[l] as NumPy copies, as given."""
        return {l: self.stack(l, 0, w.detach()).numpy().copy() for l, (w, _) in self.params_of().items()}

    def biases(self):
        """b[l] as NumPy copies, as given."""
        return {l: self.stack(l, 1, b.detach()).numpy().copy() for l, (_, b) in self.params_of().items()}

    def optimizer(self, eta, momentum=0.0):
        """torch.optim.SGD over every weight and bias."""
        return torch.optim.SGD(self.parameters(), lr=eta, momentum=momentum)

    def velocities(self, optimizer):
        """{("W", l) / ("b", l): the momentum buffer as NumPy, as given} (empty before the first step or without
        momentum)."""
        out = {}
        for l, (w, b) in self.params_of().items():
            for which, key, p in ((0, ("W", l), w), (1, ("b", l), b)):
                buf = optimizer.state.get(p, {}).get("momentum_buffer")
                if buf is not None:
                    out[key] = self.stack(l, which, buf.detach()).numpy().copy()
        return out
