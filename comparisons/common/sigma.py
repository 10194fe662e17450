r"""An activation σ under the rounding model (``comparisons.common.rounding``): its formula's own roundings, σ' counted
by the terms it is computed from, its slopes over z's allowed interval, and softmax's Jacobian with its signs.

Each elementwise σ adds (k_σ a)² for the k_σ roundings of its formula (a library exp, tanh or log counts its largest
error in u, measured) and carries z's error by its largest slope over the interval z's computed value may lie in (the
mean value theorem): at a relu kink either branch may be taken, at a saturated sigmoid / tanh the slope is taken at
the interval's point nearest 0.  σ' = a(1 − a) and 1 − a² are differences of nearly equal numbers near saturation:
they carry (1 − 2a)² V_a and (2a)² V_a, far more than (σ')².
"""

from __future__ import annotations

import numpy as np

from comparisons.common.carry import Carry
from comparisons.common.rounding import allowed, l2, l2dot, l2sum, second_order

KINKED = ("relu", "leaky_relu")  # σ' jumps at z = 0
EXPONENTIAL = ("sigmoid", "tanh", "softplus", "softmax")  # their results can underflow
# Roundings of each activation's formula, counted relative to |a|: a library function counts its largest error in u,
# measured on float32 over every 5th–7th number of its range against float64: NumPy's exp 2.52 ulp (5.04 u), scipy's
# expit 2.45 ulp (sigmoid: 5), tanh 1.37 ulp (4), logaddexp 1.53 ulp (softplus: 6, with its log's terms).
EXP_U = 5.04
FN_ROUNDINGS = {"sigmoid": 5, "tanh": 4, "relu": 0, "leaky_relu": 1, "identity": 0, "softplus": 6, "softmax": 4}


def prime(name, z, a, Sz, Sa, floor=0.0, u=0.0):
    """(σ'(z), S of σ') for an elementwise activation, σ' counted by the terms it is computed from.

    ``floor`` (tiny/u) is the absolute error of a result that underflows, in units of u.  a(1 − a) and 1 − a² move
    by (1 − 2a)e − e² and −2ae − e² with a's error e: the second-order e², with e at most C·u·√2·S_a, is
    2C²u S_a² in units of u (as in ``product``) — all there is at a = ½ or 0, where σ' is flat.  softplus' σ' = σ(z)
    moves by σ's largest slope over z's allowed difference times z's error (as ``slope`` takes it); ``u`` = 0:
    first order only."""
    if name == "sigmoid":
        s = a * (1.0 - a)
        return s, l2(np.sqrt(2.0) * s, floor, np.abs(1.0 - 2.0 * a) * Sa + second_order(u, Sa, Sa))
    if name == "tanh":
        s = 1.0 - a * a
        return s, l2(a * a, s, 2.0 * np.abs(a) * Sa + second_order(u, Sa, Sa))
    if name == "softplus":
        s = np.exp(-np.logaddexp(0.0, -z))  # σ(z), without overflow or a 0 where it is tiny
        steep = np.maximum(s * (1.0 - s), _sigmoid_prime(_steepest(z, allowed(Sz, u))))
        return s, l2(4.0 * s, floor, steep * Sz)
    if name == "relu":
        return (z > 0).astype(np.float64), np.zeros_like(z)
    if name == "leaky_relu":
        return np.where(z > 0, 1.0, 0.01), np.zeros_like(z)
    return np.ones_like(z), np.zeros_like(z)  # identity


def _steepest(z, near):
    """The point of [z − near, z + near] nearest 0: where σ' of sigmoid and tanh (and σ'' of softplus) is largest."""
    return np.sign(z) * np.maximum(np.abs(z) - near, 0.0)


def _sigmoid_prime(x):
    """σ(x)(1 − σ(x)) = e^{−|x|} / (1 + e^{−|x|})², without overflow."""
    e = np.exp(-np.abs(x))
    return e / np.square(1.0 + e)


def slope(name, z, a, near=0.0):
    r"""The factor an elementwise σ carries z's error by: the largest |σ'| over [z − near, z + near].

    z's computed value lies within ``near`` (the allowed difference) of the reference's, so by the mean value
    theorem |σ(z + e) − σ(z)| ≤ max_{|ξ−z|≤near} |σ'(ξ)| |e|.  σ'(z) alone is the first-order slope, and too small
    where σ bends within ``near``: at a relu kink (either branch may be taken: 1), or at a saturated sigmoid / tanh
    whose z rounds far (the slope at the interval's point nearest 0).
    """
    return slopes(name, z, a, near)[1]


def slopes(name, z, a, near=0.0):
    """(lo, hi): the smallest and the largest σ' over [z − near, z + near] (every σ here is increasing: both ≥ 0)."""
    s, _ = prime(name, z, a, np.zeros_like(z), np.zeros_like(z))
    if name in KINKED:
        at = np.abs(z) <= near
        return np.where(at, 0.0 if name == "relu" else 0.01, s), np.where(at, 1.0, s)
    far = np.abs(z) + near  # the interval's point farthest from 0: σ' of sigmoid and tanh smallest there
    if name == "sigmoid":
        return np.minimum(s, _sigmoid_prime(far)), np.maximum(s, _sigmoid_prime(_steepest(z, near)))
    if name == "tanh":  # tanh'(x) = 4σ'(2x)
        steep = 4.0 * _sigmoid_prime(2.0 * _steepest(z, near))
        return np.minimum(s, 4.0 * _sigmoid_prime(2.0 * far)), np.maximum(s, steep)
    if name == "softplus":  # σ' = sigmoid, increasing
        sig = lambda x: np.exp(-np.logaddexp(0.0, -x))  # noqa: E731
        return np.minimum(s, sig(z - near)), np.maximum(s, sig(z + near))
    return s, s


def activation(name, z, a, Sz, near=0.0, floor=0.0, s=None):
    """S of a = σ(z): the formula's own roundings, and σ'(z) S_z carried (softmax: its Jacobian, bounded).

    An exponential's result may underflow (torch's sigmoid gives 0 where NumPy's gives a subnormal): ``floor``
    (tiny/u) counts that absolute error for every function that exponentiates.  ``s``: ``slope``'s result, when
    the caller has it already."""
    if name == "softmax":
        return softmax(z, a, Carry.linear(Sz), floor=floor, near=near)  # z's error all carried linearly
    s = slope(name, z, a, near) if s is None else s
    return l2(formula(name, a, floor), s * Sz)


def formula(name, a, floor=0.0):
    """S of an elementwise σ's own roundings: k_σ|a| for its formula, and ``floor`` where it exponentiates."""
    return l2(FN_ROUNDINGS[name] * a, floor if name in EXPONENTIAL else 0.0)


def box_top(z, eps):
    """a_i's largest value on z's box of half width ``eps`` (…, 1): exp(z_i − max z + 2ε), at most 1."""
    return np.exp(np.minimum(0.0, z - z.max(axis=-1, keepdims=True) + 2.0 * eps))


def spread(z, J, near):
    r"""The largest |J(ξ) − J(z)| of softmax's Jacobian over z's allowed box |ξ_j − z_j| ≤ ε, ε = max_j near_j.

    On the box each z_i − z_j moves by at most 2ε, so each a_i by a factor within e^{±2ε} and each entry of J, a
    product of two of them (J_ii = a_i Σ_{j≠i} a_j), by a factor within e^{±4ε}: |ΔJ| ≤ |J| (e^{4ε} − 1), ≈ 4ε|J|
    where z is known to far below 1 (to first order nothing).  Where it is not (a diverging run), the entries'
    largest values on the box bound it instead: a_i ≤ exp(z_i − max z + 2ε), and no entry exceeds ¼."""
    eps = np.broadcast_to(near, z.shape).max(axis=-1, keepdims=True)  # (…, 1)
    hi = box_top(z, eps)
    rest = np.minimum(1.0, hi.sum(axis=-1, keepdims=True) - hi)  # 1 − a_i's
    n = z.shape[-1]
    box = np.minimum(0.25, hi[..., :, None] * np.where(np.eye(n, dtype=bool), rest[..., :, None], hi[..., None, :]))
    with np.errstate(over="ignore", invalid="ignore"):
        return np.fmin(box, np.abs(J) * np.expm1(4.0 * eps)[..., None])  # |J|·∞ = NaN where J = 0: fmin takes box


def softmax(z, a, zc, M=None, floor=0.0, near=None):
    r"""S of M·(the error of a = softmax(z)), per unit i: M (…, m, n) a linear map applied to a's error
    (M = I: a itself; eq (4)'s δ^L = M e_a for a cost built on a), a = e / Σ_j e_j, e_j = exp(z_j − m).

    To first order a's error is J (e_z + ε∘own) − a η_s + a∘η, with J = diag(a) − a aᵀ softmax's Jacobian
    (symmetric), ε_j exp's and the shift's relative error (own_j = |z_j − m| + EXP_U units of u: a saturated
    unit, J_ii = a_i(1 − a_i) → 0, barely moves), η_s the sum's n roundings (common to every unit) and η_i the
    division's.  z's error is ``zc`` (a ``Carry``): its covariance goes through MJ with its signs, so one
    example's cancellations are kept (the sum over i of J's rows is 0: m's shift cancels), its linear part
    through |MJ|.  As σ's slope is taken over z's allowed difference (``slopes``), J is taken over z's box
    (``near``): by the mean value theorem the error is J(ξ) e for some ξ there, and |M| ``spread`` times z's S is
    added linearly.  (Scales passes no box for an example whose logits are known only to more than ±1:
    comparisons.sweep.kinks recomputes it with the reference's logits, as it does a tie whose winner differs.)
    """
    n = z.shape[-1]
    J = a[..., :, None] * (np.eye(n) - a[..., None, :])  # (…, n, n): ∂a_i/∂z_j = a_i(δ_ij − a_j)
    MJs = J if M is None else M @ J  # with its signs
    box = 0.0 if near is None else spread(z, J, near) if M is None else np.abs(M) @ spread(z, J, near)
    MJ = np.abs(MJs) + box
    Ma = a if M is None else (M @ a[..., None])[..., 0]  # the sum's rounding, common to every unit
    div = np.abs(a) if M is None else l2sum(np.abs(M * a[..., None, :]), -1)  # the division's: √(Σ_j (M_ij a_j)²)
    own = np.abs(z - z.max(axis=-1, keepdims=True)) + EXP_U  # ε_j in units of u: the shift's rounding, then exp's
    independent = l2dot(MJ, own[..., None])[..., 0]  # √(Σ_j (MJ)_ij² own_j²)
    came = zc.mapped_sd(MJs) + (MJ @ zc.lin[..., None])[..., 0]  # z's error: Σ with the signs, lin linearly
    if near is not None:
        came = came + (box @ zc.sd[..., None])[..., 0]  # J's move over the box times Σ's part
    return l2(independent, came, np.sqrt(n) * np.abs(Ma), div, floor)


def split(name, z, a, Sz, new, came, u, floor):
    """(S_a, own, inherited, slope) of a = σ(z) for an elementwise σ: S_a whole; this layer's own roundings (its sums'
    ``new`` and σ's formula); what z brought from below (``came``) times σ's largest slope over z's allowed
    difference."""
    near = allowed(Sz, u)  # z's allowed difference: σ's slopes are taken over z ± near
    s = slope(name, z, a, near)
    return (activation(name, z, a, Sz, near, floor, s), activation(name, z, a, new, near, floor, s),
            np.abs(s) * came, s)  # fmt: skip
