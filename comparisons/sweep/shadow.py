"""The shadow run: how much a trajectory amplifies rounding-sized differences made along the way."""

from __future__ import annotations

import numpy as np

import manual_bp
from comparisons.sweep.flat import flat_params, fresh_net


def rounding_scale(net, X, T):
    """The magnitude of the terms each entry of ∂C/∂W^l, ∂C/∂b^l adds up: backprop on absolute values.

    |δ^L| is bounded by |a^L| + |t| (times |σ'(z^L)| where σ' is not cancelled), then
    |δ^l| = (|δ^{l+1}| |W^{l+1}|) ⊙ |σ'(z^l)| as in eq (5), and (2), (3) sum |δ^l|ᵀ|a^{l−1}| and |δ^l|.
    A gradient's rounding error is eps times these sums, not eps times the gradient: where its terms
    cancel, two implementations differ by far more than one ulp of the result.
    """
    fwd = manual_bp.backprop.forward(net.W, net.b, net.act, X)
    L, act = net.L, net.act
    d = np.abs(fwd.a[L]) + np.abs(T)  # (K, n_L)
    if net.cost.link != act[L].name and act[L].elementwise:
        d = d * np.abs(act[L].prime(fwd.z[L], fwd.a[L]))
    sW, sb = {}, {}
    for l in range(L, 1, -1):
        sW[l] = d.T @ np.abs(fwd.a[l - 1])  # (n_l, n_{l-1})
        sb[l] = d.sum(axis=0)  # (n_l,)
        if l > 2:
            d = (d @ np.abs(net.W[l])) * np.abs(act[l - 1].prime(fwd.z[l - 1], fwd.a[l - 1]))  # (K, n_{l-1})
    return sW, sb


class Shadow:
    """A second manual_bp run moved by one rounding error at the start and again after every step.

    How far it drifts from the main manual run, D_n = max_i |shadow_i − w_i|, measures how much
    this trajectory amplifies rounding-sized differences made along the way — as the two sides
    make them at every step.  Each nudge moves a parameter w by ±eps·(|w| + √K·η·s), s being the
    rounding scale of its gradient (``rounding_scale``) and √K the typical growth of a rounding
    error summed over the K examples of the batch, with random signs.  (A perturbation of
    the start alone can decay through a contracting stretch and miss an expansion later; one ulp
    of w misses the rounding of a gradient whose terms cancel.)  It is started only where the
    linear bound is exceeded, replayed from the shared start, then kept in lockstep.
    """

    def __init__(self, spec, W0, b0, batches, X, T, steps):
        self.rng = np.random.default_rng([spec.seed, 3])
        self.eps, self.eta = float(np.finfo(np.dtype(spec.dtype)).eps), spec.eta
        self.net = fresh_net(spec, W0, b0)
        self.train_step = manual_bp.TrainStep(self.net, manual_bp.SGD(spec.eta, spec.momentum))
        self.X, self.T = X, T
        self.nudge(None)
        for idx in batches[:steps]:
            self.step(idx)

    def nudge(self, idx):
        """Every parameter moved by one rounding error of its update, up or down at random."""
        sW, sb = rounding_scale(self.net, self.X[idx], self.T[idx]) if idx is not None else ({}, {})
        for d, s in ((self.net.W, sW), (self.net.b, sb)):
            for l, p in d.items():
                size = np.abs(p) + np.sqrt(len(idx) if idx is not None else 1) * self.eta * s.get(l, 0.0)
                p += (self.rng.choice([-self.eps, self.eps], size=p.shape) * size).astype(p.dtype)

    def step(self, idx):
        with np.errstate(all="ignore"):
            self.train_step(self.X[idx], self.T[idx])
            self.nudge(idx)

    def drift(self, w_main):
        """D_n: the shadow's largest distance from the main run."""
        return float(np.max(np.abs(flat_params(self.net.W, self.net.b) - w_main)))
