r"""The slide's "微分地獄" example: ∂C_T/∂w_11^2 of the 12-3-2 network by the chain rule, term by term.

.. math::
    \frac{\partial C_T}{\partial w_{11}^2} = \sum_k \Big\{
      \frac{\partial C_k}{\partial a_1^3}\frac{\partial a_1^3}{\partial z_1^3}\frac{\partial z_1^3}{\partial a_1^2}
      \frac{\partial a_1^2}{\partial z_1^2}\frac{\partial z_1^2}{\partial w_{11}^2}
    + \frac{\partial C_k}{\partial a_2^3}\frac{\partial a_2^3}{\partial z_2^3}\frac{\partial z_2^3}{\partial a_1^2}
      \frac{\partial a_1^2}{\partial w_{11}^2} \Big\}

The slide prints ∂z_1^3/∂a_1^2 (= w_11^3) in the second term, where the path through
output unit 2 needs ∂z_2^3/∂a_1^2 (= w_21^3).  Both versions are evaluated here, factor by
factor, next to autograd.

Index translation (the lecture counts units from 1, the code from 0): w_ji^l is W[l][j-1, i-1],
z_j^l is z[l][:, j-1], a_j^l is a[l][:, j-1], x_i = a_i^1 is X[:, i-1], t_j is T[:, j-1].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from comparisons.common.checks import compare
from comparisons.common.tolerances import GRAD_F64


def factors(net, X, T):
    """Every factor of the expansion for every example k: {name: (K,) array}."""
    fwd = net.forward(X)
    z, a = fwd.z, fwd.a
    sp2 = net.act[2].prime(z[2], a[2])  # σ'(z^2) (K, 3)
    sp3 = net.act[3].prime(z[3], a[3])  # σ'(z^3) (K, 2)
    dC_da3 = net.cost.grad_a(a[3], T)  # ∂C_k/∂a^3 = a^3 − t (K, 2): 2乗誤差
    ones = np.ones(len(X))
    return {
        "∂C_k/∂a_1^3": dC_da3[:, 0],  # a_1^3 − t_1: unit 1 is column 0
        "∂a_1^3/∂z_1^3": sp3[:, 0],  # σ'(z_1^3)
        "∂z_1^3/∂a_1^2": net.W[3][0, 0] * ones,  # w_11^3 = W[3][0, 0]
        "∂a_1^2/∂z_1^2": sp2[:, 0],  # σ'(z_1^2)
        "∂z_1^2/∂w_11^2": X[:, 0],  # a_1^1 = x_1: pixel (0, 0)
        "∂C_k/∂a_2^3": dC_da3[:, 1],  # a_2^3 − t_2: unit 2 is column 1
        "∂a_2^3/∂z_2^3": sp3[:, 1],  # σ'(z_2^3)
        "∂z_2^3/∂a_1^2": net.W[3][1, 0] * ones,  # w_21^3 = W[3][1, 0]: row j-1 = 1, column i-1 = 0
        "∂a_1^2/∂w_11^2": sp2[:, 0] * X[:, 0],  # shorthand for ∂a_1^2/∂z_1^2 · ∂z_1^2/∂w_11^2
    }


FIRST = ["∂C_k/∂a_1^3", "∂a_1^3/∂z_1^3", "∂z_1^3/∂a_1^2", "∂a_1^2/∂z_1^2", "∂z_1^2/∂w_11^2"]
SECOND_PRINTED = ["∂C_k/∂a_2^3", "∂a_2^3/∂z_2^3", "∂z_1^3/∂a_1^2", "∂a_1^2/∂w_11^2"]  # as on the slide
SECOND_CORRECTED = ["∂C_k/∂a_2^3", "∂a_2^3/∂z_2^3", "∂z_2^3/∂a_1^2", "∂a_1^2/∂w_11^2"]


def term(f, names):
    """The product of the named factors, per example: (K,)."""
    return np.prod([f[n] for n in names], axis=0)


@dataclass(frozen=True)
class Verdict:
    """The corrected formula agrees with autograd to rounding, and the printed one does not.

    Where the printed and corrected totals coincide within the tolerance (e.g. a saturated
    network, whose every term is ≈ 0), the slide's slip makes no numerical difference: the
    printed formula cannot be told apart there, which is reported as such, not as a failure.
    The corrected total must agree with autograd in every case.
    """

    printed_rel: float  # |printed − autograd| / |autograd|
    corrected_rel: float
    printed_differs: bool
    corrected_agrees: bool
    distinguishable: bool = True  # printed and corrected totals differ beyond the tolerance

    @property
    def passed(self):
        """Both halves of the claim hold (the first only where the two totals can be told apart)."""
        return self.corrected_agrees and (self.printed_differs or not self.distinguishable)


def judge(printed, corrected, reference, tol=GRAD_F64):
    """Compare both values with ``reference`` under ``tol``: the printed must fail, the corrected pass."""
    p, c = compare(printed, reference, tol), compare(corrected, reference, tol)
    return Verdict(
        printed_rel=p.max_rel_err,
        corrected_rel=c.max_rel_err,
        printed_differs=not p.passed,
        corrected_agrees=c.passed,
        distinguishable=not compare(printed, corrected, tol).passed,
    )


@dataclass(frozen=True)
class Hell:
    """Everything the report shows for the example."""

    factors: dict  # name -> (K,)
    sums: dict  # Σ_k of term 1, term 2 printed, term 2 corrected, and the two totals
    autograd: float  # ∂C_T/∂w_11^2 from torch_ref
    backprop: float  # the same from eqs (2) and (5) of manual_bp
    dC1: float  # ∂C_1/∂w_11^2: what the slide's vector writes, the first example only
    k_shown: int  # the first example (0-based) with x_1 = 1, whose factors the report lists
    verdict: Verdict


def evaluate(net, X, T, autograd_gW):
    """The expansion at the current weights, both versions, next to autograd's ∂C_T/∂W^2[0, 0]."""
    f = factors(net, X, T)
    t1, t2p, t2c = term(f, FIRST), term(f, SECOND_PRINTED), term(f, SECOND_CORRECTED)  # each (K,)
    sums = {
        "term 1": t1.sum(),
        "term 2 (printed)": t2p.sum(),
        "term 2 (corrected)": t2c.sum(),
        "total (printed)": (t1 + t2p).sum(),
        "total (corrected)": (t1 + t2c).sum(),
    }
    ref = float(autograd_gW[2][0, 0])  # ∂C_T/∂w_11^2: layer 2, row j-1 = 0, column i-1 = 0
    gW, _ = net.gradients(X, T)
    pW, _ = net.per_example_gradients(X[:1], T[:1])  # C_1: example k = 1 is row 0
    lit = np.flatnonzero(X[:, 0] > 0.5)
    return Hell(
        factors=f,
        sums={k: float(v) for k, v in sums.items()},
        autograd=ref,
        backprop=float(gW[2][0, 0]),
        dC1=float(pW[2][0, 0, 0]),
        k_shown=int(lit[0]) if len(lit) else 0,
        verdict=judge(sums["total (printed)"], sums["total (corrected)"], ref),
    )
