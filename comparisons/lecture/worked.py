r"""One image worked by hand: the forward pass, δ^3 by (4), δ^2 by the recurrence, then (2).

Everything is written out unit by unit for image k of the 12-3-2 network, with plain NumPy
on that image's vectors, as one would on paper:

.. math::
    z_j^2 = \sum_i w_{ji}^2 x_i + b_j^2,\quad a_j^2 = \sigma(z_j^2),\quad
    z_j^3 = \sum_i w_{ji}^3 a_i^2 + b_j^3,\quad a_j^3 = \sigma(z_j^3)

    \delta_j^3 = (a_j^3 - t_j)\,\sigma'(z_j^3) \ (4), \qquad
    \delta_i^2 = (\delta_1^3 w_{1i}^3 + \delta_2^3 w_{2i}^3)\,\sigma'(z_i^2) \ (5), \qquad
    \partial C_k/\partial w_{11}^2 = \delta_1^2 x_1 \ (2)

with σ'(z) = σ(z)(1 − σ(z)).  The two corrected 微分地獄 terms of the same image are
(δ_1^3 w_11^3 + δ_2^3 w_21^3) σ'(z_1^2) x_1 once factored: the chain rule becomes the recurrence.
Summed over k it is ∂C_T/∂w_11^2, and one update w_11^2 ← w_11^2 − η ∂C_T/∂w_11^2 ends the example.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from comparisons.common.checks import compare
from comparisons.common.tolerances import GRAD_F64
from manual_bp import MLP, SGD


def sigmoid(z):
    """σ(z) = 1/(1 + e^{−z}), written as e^{−log(1 + e^{−z})} so that no |z| overflows."""
    return np.exp(-np.logaddexp(0.0, -z))


@dataclass(frozen=True)
class Worked:
    """Every number of the worked example for image k (1-based), each array over its units j."""

    k: int
    x: np.ndarray  # (12,)
    t: np.ndarray  # (2,)
    z2: np.ndarray  # (3,)
    a2: np.ndarray  # (3,)
    z3: np.ndarray  # (2,)
    a3: np.ndarray  # (2,)
    C: float  # C_k = ½ Σ_j (t_j − a_j^3)²
    dC_da3: np.ndarray  # (2,): a_j^3 − t_j
    sp3: np.ndarray  # (2,): σ'(z_j^3) = a_j^3 (1 − a_j^3)
    delta3: np.ndarray  # (2,): (4)
    back: np.ndarray  # (3,): Σ_j δ_j^3 w_ji^3
    sp2: np.ndarray  # (3,): σ'(z_i^2)
    delta2: np.ndarray  # (3,): (5)
    w11_3: float  # w_11^3
    w21_3: float  # w_21^3
    dCk_dw: float  # ∂C_k/∂w_11^2 = δ_1^2 x_1, (2)
    term1: float  # the slide's first term for image k
    term2: float  # the corrected second term for image k
    factored: float  # (δ_1^3 w_11^3 + δ_2^3 w_21^3) σ'(z_1^2) x_1
    contributions: np.ndarray  # (K,): δ_1^2[k] x_1[k] for every image, manual_bp's δ
    total: float  # Σ_k of them: ∂C_T/∂w_11^2
    eta: float  # η
    w11: float  # w_11^2 before the update
    w11_new: float  # w_11^2 − η ∂C_T/∂w_11^2
    agrees_with_manual_bp: bool  # δ^2, δ^3 of image k and the updated w_11^2 equal manual_bp's to GRAD_F64


def first_with_x1(X):
    """The first image k (1-based) whose x_1 is not 0; ValueError if every x_1 is 0."""
    lit = np.flatnonzero(X[:, 0] != 0)
    if not len(lit):
        raise ValueError("X has no image with x_1 ≠ 0, so ∂C_k/∂w_11^2 = δ_1^2 x_1 is 0 for every k")
    return int(lit[0]) + 1


def work(net, X, T, eta, k=None):
    """The worked example for image ``k`` (1-based; default: the first with x_1 ≠ 0) at ``net``'s weights."""
    k = first_with_x1(X) if k is None else k
    x, t = X[k - 1], T[k - 1]  # (12,), (2,)
    W2, b2, W3, b3 = net.W[2], net.b[2], net.W[3], net.b[3]
    z2 = W2 @ x + b2  # (3,): z_j^2 = Σ_i w_ji^2 x_i + b_j^2
    a2 = sigmoid(z2)
    z3 = W3 @ a2 + b3  # (2,): z_j^3 = Σ_i w_ji^3 a_i^2 + b_j^3
    a3 = sigmoid(z3)
    dC_da3 = a3 - t  # ∂C/∂a_j^3 for C = ½ Σ_j (t_j − a_j^3)²
    sp3 = a3 * (1 - a3)  # da_j^3/dz_j^3 = σ'(z_j^3)
    delta3 = dC_da3 * sp3  # (4)
    back = W3.T @ delta3  # (3,): Σ_j δ_j^3 w_ji^3, i.e. δ_1^3 w_1i^3 + δ_2^3 w_2i^3
    sp2 = a2 * (1 - a2)
    delta2 = back * sp2  # (5)
    deltas = net.deltas(X, T)  # manual_bp, every image: the sum over k and the cross-check
    ok = compare(delta2, deltas[2][k - 1], GRAD_F64).passed and compare(delta3, deltas[3][k - 1], GRAD_F64).passed
    contributions = deltas[2][:, 0] * X[:, 0]  # (K,): (2) for w_11^2, image by image
    w11_new = W2[0, 0] - eta * contributions.sum()  # the update Δw_11^2 = −η ∂C_T/∂w_11^2, by hand
    stepped = MLP(net.W, net.b, net.activations, net.cost.name)
    SGD(eta).step(stepped, *stepped.gradients(X, T))  # manual_bp's own first step
    ok = ok and compare(w11_new, stepped.W[2][0, 0], GRAD_F64).passed
    return Worked(
        k=k,
        x=x,
        t=t,
        z2=z2,
        a2=a2,
        z3=z3,
        a3=a3,
        C=float(0.5 * np.sum((t - a3) ** 2)),
        dC_da3=dC_da3,
        sp3=sp3,
        delta3=delta3,
        back=back,
        sp2=sp2,
        delta2=delta2,
        w11_3=float(W3[0, 0]),
        w21_3=float(W3[1, 0]),
        dCk_dw=float(delta2[0] * x[0]),
        term1=float(dC_da3[0] * sp3[0] * W3[0, 0] * sp2[0] * x[0]),
        term2=float(dC_da3[1] * sp3[1] * W3[1, 0] * (sp2[0] * x[0])),  # the slide's ∂a_1^2/∂w_11^2 as one factor
        factored=float((delta3[0] * W3[0, 0] + delta3[1] * W3[1, 0]) * sp2[0] * x[0]),
        contributions=contributions,
        total=float(contributions.sum()),
        eta=float(eta),
        w11=float(W2[0, 0]),
        w11_new=float(w11_new),
        agrees_with_manual_bp=ok,
    )
