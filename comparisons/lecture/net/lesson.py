r"""The lesson's numbers for a lecturer's network, by manual_bp, each cross-checked by autograd.

.. math::
    z_j^l = \sum_i w_{ji}^l a_i^{l-1} + b_j^l, \quad \delta_j^L \ (4), \quad \delta_i^l \ (5), \quad
    \frac{\partial C_T}{\partial w_{ji}^l} = \sum_k \delta_j^l[k]\, a_i^{l-1}[k] \ (2), \quad
    w \leftarrow w - \eta\, \frac{\partial C_T}{\partial w}
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from comparisons.common.checks import compare
from comparisons.common.tolerances import GRAD_F64, trajectory_tolerance
from comparisons.lecture.net import claims as net_claims
from comparisons.lecture.net import slips
from comparisons.lecture.net.slips import Solution
from manual_bp import MLP, SGD
from torch_ref import TorchMLP

MAX_PATHS_SHOWN = 16  # the chain-rule expansion is written out term by term up to this many paths


@dataclass
class Lesson:
    """Everything the lesson prints: manual_bp's numbers, autograd's verdict on each, the claims checked."""

    nf: object  # the NetFile
    sol: Solution  # manual_bp: z, a, C_k, δ at the start; the parameters after each step
    gW: dict  # {l: (n_l, n_{l−1})}: ∂C_T/∂W^l by (2)
    gb: dict  # {l: (n_l,)}: ∂C_T/∂b^l by (3)
    C_T: list  # C_T before the first step and after each
    checks: list  # (what, max abs difference, tolerance name, passed): manual_bp against autograd; what is a
    # quantity's name, or ("after", "W" or "b", l, n) for the parameters after step n, or ("paths", j, l, i)
    paths: list  # (units j_l … j_L, term) of the chain-rule expansion of the chosen weight, example 1
    verdicts: list  # claims.Verdict per claim

    @property
    def passed(self):
        """Every cross-check agreed and every claim was right."""
        return all(c[3] for c in self.checks) and all(v.ok for v in self.verdicts)


def chain_rule_paths(sol, W, weight, k=0):
    """Each path term of ∂C_k/∂w_ji^l: δ_{j_L}^L Π_m w_{j_m j_{m−1}}^m σ'(z_{j_{m−1}}^{m−1}) · a_i^{l−1}.

    The sum over the paths (j = j_l, j_{l+1}, …, j_L) is the 微分地獄 expansion; it equals δ_j^l a_i^{l−1}.
    σ'(z) is read off δ: for the elementwise layers below L, σ'(z_i^l) = δ_i^l / Σ_j δ_j^{l+1} w_ji^{l+1}
    would divide by zero, so it is recomputed from the activation instead (``sp``).
    """
    l, j, i = weight
    L = max(W)
    out = []
    for tail in itertools.product(*(range(W[m].shape[0]) for m in range(l + 1, L + 1))):
        units = (j - 1, *tail)
        term = sol.delta[L][k, units[-1]] * sol.a[l - 1][k, i - 1]
        for m in range(l + 1, L + 1):
            term *= W[m][units[m - l], units[m - l - 1]] * sol.sp[m - 1][k, units[m - l - 1]]
        out.append((tuple(u + 1 for u in units), float(term)))
    return out


def run(nf):
    """The lesson for the NetFile ``nf``."""
    # cost_scale s multiplies C_k, hence every δ and gradient, exactly; a step of η on s·C is a step of s·η on C.
    s = nf.scale
    net = MLP(nf.W, nf.b, nf.activations, nf.cost, reduction=nf.reduction)
    ref = TorchMLP(weights=nf.W, biases=nf.b, activations=nf.activations, cost=nf.cost, reduction=nf.reduction)
    fwd = net.forward(nf.X)
    delta = {l: s * d for l, d in net.deltas(nf.X, nf.T).items()}  # (4), then (5); δ^l[k] of C_k
    gW, gb = (_times(s, g) for g in net.gradients(nf.X, nf.T))  # (2), (3) summed (or averaged) over k
    C = s * net.costs(nf.X, nf.T)  # (K,)
    rW, rb, rdelta = (_times(s, g) for g in ref.gradients(nf.X, nf.T))
    z_t, a_t = ref.forward(nf.X, retain=False)
    checks = [
        *(_row(f"z^{l}", fwd.z[l], z_t[l].detach().numpy(), GRAD_F64) for l in sorted(delta)),
        *(_row(f"a^{l}", fwd.a[l], a_t[l].detach().numpy(), GRAD_F64) for l in sorted(delta)),
        _row("C_k", C, s * ref.costs(nf.X, nf.T), GRAD_F64),
        *(_row(f"δ^{l}", delta[l], rdelta[l], GRAD_F64) for l in sorted(delta, reverse=True)),
        *(_row(f"∂C_T/∂W^{l}", gW[l], rW[l], GRAD_F64) for l in gW),
        *(_row(f"∂C_T/∂b^{l}", gb[l], rb[l], GRAD_F64) for l in gb),
    ]
    params = [_copy(net)]
    costs = [s * net.total_cost(nf.X, nf.T)]
    opt, opt_t = SGD(s * nf.eta), ref.optimizer(s * nf.eta)
    everyone = [np.arange(len(nf.X))]
    if not nf.update_biases:  # only the weights learn: torch.optim.SGD skips a parameter without a gradient
        for l in nf.b:
            ref.linear[str(l)].bias.requires_grad_(False)
    for n in range(1, nf.steps + 1):
        gW_n, gb_n = net.gradients(nf.X, nf.T)
        if not nf.update_biases:
            gb_n = {l: np.zeros_like(g) for l, g in gb_n.items()}
        opt.step(net, gW_n, gb_n)  # w ← w − η ∂C_T/∂w
        ref.train_steps(nf.X, nf.T, opt_t, everyone)  # torch.optim.SGD on autograd's gradient
        params.append(_copy(net))
        costs.append(s * net.total_cost(nf.X, nf.T))
        tol = trajectory_tolerance(np.float64, n)
        tW, tb = ref.weights(), ref.biases()
        name = f"trajectory_tolerance(float64, {n})"
        checks += [_row(("after", "W", l, n), net.W[l], tW[l], tol, name) for l in net.W]
        checks += [_row(("after", "b", l, n), net.b[l], tb[l], tol, name) for l in net.b]
    sp = {l: net.act[l].prime(fwd.z[l], fwd.a[l]) if net.act[l].name != "softmax" else None for l in delta}
    sol = Solution(fwd.z, dict(fwd.a), C, delta, params, net.scale(len(nf.X)))
    sol.sp = sp
    paths = chain_rule_paths(sol, nf.W, nf.weight) if _elementwise_below_L(net) else []
    if paths:
        l, j, i = nf.weight
        expected = delta[l][0, j - 1] * fwd.a[l - 1][0, i - 1]  # (2) for example 1
        checks.append(_row(("paths", j, l, i), sum(t for _, t in paths), expected, GRAD_F64))
    found = slips.all_slips(nf)
    verdicts = [net_claims.check(c, sol, found, nf.sizes, len(nf.X), nf.steps) for c in nf.claims]
    return Lesson(nf, sol, gW, gb, costs, checks, paths, verdicts)


def _times(s, d):
    return {l: s * v for l, v in d.items()}


def _elementwise_below_L(net):
    return all(net.act[l].name != "softmax" for l in range(2, net.L))


def _copy(net):
    return {l: w.copy() for l, w in net.W.items()}, {l: v.copy() for l, v in net.b.items()}


def _row(what, m, r, tol, tol_name="GRAD_F64"):
    res = compare(m, r, tol)
    return (what, res.max_abs_err, tol_name, res.passed)
