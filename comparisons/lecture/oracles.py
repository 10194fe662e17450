"""Three independent oracles for the derivatives the lecture's equations claim.

Each oracle returns the same dict of NumPy arrays, none of them from manual_bp's backward pass:

- ``delta``: {l: ∂C_k/∂z^l[k]} (K, n_l) — what eq (1) defines δ^l to be;
- ``dC_da``: ∂C_k/∂a^L[k] (K, n_L) — the first factor of eq (4);
- ``pW``, ``pb``: {l: ∂C_k/∂W^l} (K, n_l, n_{l-1}) and {l: ∂C_k/∂b^l} (K, n_l) — eqs (2), (3);
- ``gW``, ``gb``: {l: ∂C_T/∂W^l}, {l: ∂C_T/∂b^l} — the sums over k.

autograd is torch_ref; finite differences and the complex step use only forward passes.
"""

from __future__ import annotations

import numpy as np

from comparisons.common.finite_diff import FD_STEP, rowwise_central_diff
from comparisons.common.tolerances import COMPLEX_STEP_F64, FD_F64, GRAD_F64
from comparisons.lecture import complex_step
from torch_ref import TorchMLP

ORACLES = ("autograd", "finite differences", "complex step")
TOLERANCES = {
    "autograd": ("GRAD_F64", GRAD_F64),
    "finite differences": ("FD_F64", FD_F64),
    "complex step": ("COMPLEX_STEP_F64", COMPLEX_STEP_F64),
}


def autograd(net, X, T):
    """Every derivative from torch autograd (TorchMLP, built from the same arrays)."""
    ref = TorchMLP(weights=net.W, biases=net.b, activations=net.activations, cost=net.cost.name)
    gW, gb, delta = ref.gradients(X, T)  # delta[l] = z^l.grad = ∂C_T/∂z^l, row k = ∂C_k/∂z^l[k]
    # ∂C_k/∂W^l one example at a time: K small backward passes, cheaper here than vmap's start-up
    per_k = [ref.gradients(X[k : k + 1], T[k : k + 1])[:2] for k in range(len(X))]
    pW = {l: np.stack([g[0][l] for g in per_k]) for l in gW}  # (K, n_l, n_{l-1})
    pb = {l: np.stack([g[1][l] for g in per_k]) for l in gb}  # (K, n_l)
    return dict(delta=delta, dC_da=ref.output_grad(X, T), pW=pW, pb=pb, gW=gW, gb=gb)


def _param_diff(net, X, T, params, l, h):
    """∂C_k/∂p for every entry p of params[l], by central differences of the K costs: (K, *shape)."""
    p = params[l]
    g = np.empty((len(X),) + p.shape)
    for idx in np.ndindex(p.shape):
        old = p[idx]
        p[idx] = old + h
        cp = net.costs(X, T)  # (K,)
        p[idx] = old - h
        cm = net.costs(X, T)
        p[idx] = old
        g[(slice(None),) + idx] = (cp - cm) / (2 * h)
    return g


def finite_differences(net, X, T, h=FD_STEP):
    """Every derivative by central differences (f(x+h) − f(x−h)) / 2h of manual_bp's forward pass."""
    fwd = net.forward(X)
    L = net.L
    delta = {l: rowwise_central_diff(lambda z, l=l: net.costs_from_z(l, z, T), fwd.z[l], h) for l in fwd.z}
    dC_da = rowwise_central_diff(lambda a: net.cost.fn(a, T, fwd.z[L]), fwd.a[L], h)
    pW = {l: _param_diff(net, X, T, net.W, l, h) for l in net.W}  # perturbs net.W[l] in place, restores it
    pb = {l: _param_diff(net, X, T, net.b, l, h) for l in net.b}
    # Σ_k of the same central differences is the central difference of C_T = Σ_k C_k.
    return derivatives(delta, dC_da, pW, pb)


def derivatives(delta, dC_da, pW, pb):
    """An oracle's answer: δ^l, ∂C/∂a^L, the per-example ∂C_k/∂W^l, ∂C_k/∂b^l and their sums over k."""
    return dict(delta=delta, dC_da=dC_da, pW=pW, pb=pb, gW={l: g.sum(axis=0) for l, g in pW.items()},
                gb={l: g.sum(axis=0) for l, g in pb.items()})  # fmt: skip


def complex_step_oracle(net, X, T, h=complex_step.CS_STEP):
    """Every derivative as Im f(x + ih) / h; NotApplicable for relu and leaky_relu."""
    cnet = complex_step.ComplexNet(net.W, net.b, net.activations, net.cost.name)
    fwd = net.forward(X)  # the real z^l and a^L at which to differentiate
    L = net.L
    delta = {l: complex_step.rowwise(lambda z, l=l: cnet.costs_from(l, z, T), fwd.z[l], h) for l in fwd.z}
    dC_da = complex_step.rowwise(lambda a: cnet.costs_from_a(a, T, fwd.z[L]), fwd.a[L], h)
    pW, pb = complex_step.param_grads(cnet, X, T, h)
    return derivatives(delta, dC_da, pW, pb)


def all_oracles(net, X, T):
    """{oracle name: its derivatives, or the sentence saying why it does not apply}."""
    out = {"autograd": autograd(net, X, T)}
    # The two numerical oracles are written not to overflow; should one still do so, its inf or NaN
    # is reported by equations.table as the oracle's own failure, not printed as a warning.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        out["finite differences"] = finite_differences(net, X, T)
        why = complex_step.applicable(net.activations)
        out["complex step"] = why if why else complex_step_oracle(net, X, T)
    return out
