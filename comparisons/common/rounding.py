r"""One rounding model for every comparison: the allowed difference is c·u·S.

u is the unit roundoff of the dtype (2⁻⁵³ for float64, 2⁻²⁴ for float32).  S is the size of the
rounding error a computation can make, obtained by running the network's own equations on
magnitudes.  Under the standard probabilistic model of rounding (Higham & Mary 2019), every
rounding multiplies its result by 1 + ε with ε independent, mean zero, |ε| ≤ u; to first order the
error of any computed quantity is then Σ_r c_r ε_r, one term per rounding r, c_r being how much the
quantity moves per unit relative change of the rounded value.  Here ε is taken uniform on [−u, u],
a strictly sub-Gaussian variable with variance u²/3, so that

.. math:: P\Big(\big|\textstyle\sum_r c_r\varepsilon_r\big| > \lambda\,u\,\sqrt{V/3}\Big) \le 2e^{-\lambda^2/2},
          \qquad V = \textstyle\sum_r c_r^2 .

S = √V is what this module computes, in units of u, layer by layer (a sum of squares, taken as ``l2`` of its
terms throughout, scaled so that no square under- or overflows: values from 1e−300 to 1e300 keep their bound):

- a dot product of n terms p_i (a row of a^{l−1} (W^l)ᵀ, of δ^{l+1} W^{l+1}, or of Σ_k δ a) rounds n
  products, Σ p_i² ≤ (Σ|p_i|)², and n − 1 partial sums, each a sum of some of the p_i and so, in any
  order, at most max(P, N) = (Σ|p_i| + |Σ p_i|)/2 (P, N: the sums of the positive and the negative
  terms): its own V ≤ (n − 1) max(P, N)² + (Σ|p_i|)², the standard γ_n |A||B| bound taken in the
  probabilistic (√n) form, with the partial sums' cancellation counted.  The errors its inputs bring are carried on
  squares where they are independent — over examples (each example's passes round on their own, unless two
  examples have equal rows of a^{l−1}: they then compute the same numbers from layer l on, and their errors,
  the same, add linearly within such a group, ``twins``) — and linearly where they may be correlated: δ's
  errors within one example (Minkowski: right for any correlation).  Within one example the forward pass's
  errors are carried exactly, as a covariance with W's signs (``comparisons.common.carry``): W Σ Wᵀ;
- an elementwise f(x) adds (k_f f)² for the k_f roundings of its formula (a library exp, tanh or log
  counts its largest error in u, measured: NumPy's float32 exp is off by up to 2.52 ulp = 5.04u) and carries
  f'(x)² V_x;
- σ' is counted by the terms it is computed from: a(1 − a) and 1 − a² are differences of nearly
  equal numbers near saturation, so they carry (1 − 2a)² V_a and (2a)² V_a, far more than (σ')²;
- the update w − η(μv + g) adds the roundings of μv, of the sum, of the product with η and of the
  difference, and carries η² V_g.

Two implementations that differ only in rounding differ by the difference of two such sums,
independent: V doubles.  float32 against a float64 oracle is one side alone (the oracle's own
error, u₆₄² V, is added, negligible).  Gradual underflow loses at most u·tiny per rounding; one
such term per rounding counted is added (NumPy and PyTorch on the CPU keep subnormals).

The one constant is c = λ/√3 with λ = 7: the probability that a single entry exceeds its bound
under the model is at most 2e^{−24.5} ≈ 5e−11, which keeps the expected number of false alarms of
a 100,000-architecture sweep (about 10⁹ entries compared) below 0.05.  It is a probabilistic bound,
not the worst case: the worst case adds the n roundings of a sum linearly (n instead of √n) and
would hide a relative error of 1e−5 in float32 gradients of 32-example sums, which the
probabilistic bound still shows (docs/tolerances.md gives the measured margin and detection rates).
"""

from __future__ import annotations

import numpy as np

from comparisons.common.carry import Carry

LAMBDA = 7.0
C = LAMBDA / np.sqrt(3.0)  # the allowed difference is C·u·S per side, S = √V

KINKED = ("relu", "leaky_relu")  # σ' jumps at z = 0
EXPONENTIAL = ("sigmoid", "tanh", "softplus", "softmax")  # their results can underflow
# Roundings of each activation's formula, counted relative to |a|: a library function counts its largest error in u,
# measured on float32 over every 5th–7th number of its range against float64: NumPy's exp 2.52 ulp (5.04 u), scipy's
# expit 2.45 ulp (sigmoid: 5), tanh 1.37 ulp (4), logaddexp 1.53 ulp (softplus: 6, with its log's terms).
EXP_U = 5.04
FN_ROUNDINGS = {"sigmoid": 5, "tanh": 4, "relu": 0, "leaky_relu": 1, "identity": 0, "softplus": 6, "softmax": 4}


def unit_roundoff(dtype):
    """u = eps / 2: the largest relative error of one rounding to nearest."""
    return float(np.finfo(np.dtype(dtype)).eps) / 2


def bound(S, dtype, sides=2, oracle_dtype=None):
    """The allowed |m − r| (elementwise): C·u·√sides·S, plus the oracle's own share and the underflow floor."""
    u, tiny = unit_roundoff(dtype), float(np.finfo(np.dtype(dtype)).tiny)
    u_all = np.sqrt(sides * u * u + (unit_roundoff(oracle_dtype) ** 2 if oracle_dtype is not None else 0.0))
    with np.errstate(over="ignore", invalid="ignore"):
        return C * u_all * S + C * tiny


def allowed(S, u):
    """An S's allowed difference between two sides, C·u·√2·S, without the underflow floor: the interval over which a
    σ's slope (softmax's Jacobian) is taken."""
    return C * u * np.sqrt(2.0) * S


def second_order(u, Sx, Sy):
    """e_x e_y with each e at most C·u·√2·S, in units of u: 2C²u S_x S_y."""
    return 2.0 * C * C * u * Sx * Sy


def l2(*terms):
    """√(Σ t²) elementwise (broadcasting): from the squares where their sum is safely normal, else scaled by the
    largest term, so that values from 1e−300 to 1e300 keep their result."""
    with np.errstate(over="ignore", under="ignore"):
        acc = np.square(terms[0])
        for t in terms[1:]:
            acc = acc + np.square(t)
    out = np.array(np.sqrt(acc), ndmin=0)
    if acc.size == 0 or (acc.min() > 1e-280 and acc.max() < 1e280):  # NaN fails both
        return out
    risky = ~((acc > 1e-280) & (acc < 1e280))  # a square may have under- or overflowed (0 and NaN too) …
    exact = acc == 0
    if exact.any():  # … but not where every term is exactly 0 (relu's zeros, exact inputs): 0 is right there
        for t in terms:
            exact &= np.asarray(t) == 0
        risky &= ~exact
    if risky.any():
        out[risky] = l2sum(np.stack([np.abs(np.broadcast_to(t, acc.shape)[risky]) for t in terms]), 0)
    return out


def _scale(m):
    return np.where((m > 0) & np.isfinite(m), m, 1.0)


def l2sum(x, axis):
    """√(Σ x²) along ``axis`` for x ≥ 0, scaled by the largest term."""
    m = _scale(x.max(axis=axis, keepdims=True))
    return np.sqrt(np.square(x / m).sum(axis=axis)) * np.squeeze(m, axis)


def l2dot(X, Y):
    """√((X∘X) @ (Y∘Y)) for X, Y ≥ 0, from the squares where their products are safely normal, else each scaled by its
    largest entry along the contracted axis.

    Where X's and Y's large entries sit at different k, the products that matter can still underflow once
    squared; the result then falls below its lower bound (X @ Y)/√n (Cauchy–Schwarz), and X @ Y, an upper
    bound computed without squares, is taken instead.
    """
    l1 = X @ Y
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        acc = np.square(X) @ np.square(Y)
    fast = np.sqrt(acc)
    if ((fast * np.sqrt(X.shape[-1]) >= l1) & (acc < 1e280) & ((acc > 1e-280) | (l1 == 0))).all():
        return fast  # every sum of squares safely normal (or an exact 0): nothing under- or overflowed
    r, c = _scale(X.max(axis=-1, keepdims=True)), _scale(Y.max(axis=-2, keepdims=True))
    fast = np.sqrt(np.square(X / r) @ np.square(Y / c)) * r * c
    return np.where(fast * np.sqrt(X.shape[-1]) < l1, l1, fast)


def sum_roundings(n, abs_sum, signed_sum):
    """S of a sum's own roundings, n terms p_i: n products and n − 1 partial sums.

    A partial sum adds some of the p_i, whatever the order (sequential, pairwise, a BLAS's blocks and lanes), so it
    lies between −N and P, the sums of the negative and positive terms: it is at most max(P, N) =
    (Σ|p_i| + |Σp_i|)/2 in size, between half of Σ|p_i| (terms that cancel) and all of it.  The products' roundings
    add Σ p_i² ≤ (Σ|p_i|)²."""
    return l2(np.sqrt(np.maximum(n - 1, 0)) * 0.5 * (abs_sum + np.abs(signed_sum)), abs_sum)


def forward_carry(own, inherited, B):
    """S of the error a^{l−1} (K, n) brings into a^{l−1} B, from its two parts.

    ``own``: layer l−1's own roundings (its dot products and σ), distinct roundings for each unit, hence
    independent across the units: their variances add, Σ_i b_i² own_i².  ``inherited``: what a^{l−1} carried from
    the layers below, shared by its units, so added linearly (Minkowski): Σ_i |b_i| inherited_i.  The two come
    from disjoint roundings and add in quadrature.  (All of it carried linearly, as ``dot`` does, bounds the same
    error and overstates the own part up to √n times.)
    """
    return l2(l2dot(own, np.abs(B)), inherited @ np.abs(B))  # l2dot: √(own² @ B²), scaled against under/overflow


def twins(a):
    """rep (…, K): for each example k the first example whose row of ``a`` (…, K, n) equals its own (k itself where
    none does), or None where every row is distinct.

    Two examples with equal rows of a^{l−1} compute the same numbers from there on, on each side: their rounding
    errors are the same, not independent.  Rows are matched by a hash of their bits (−0 taken as +0: it computes
    the same numbers), then compared in full."""
    K = a.shape[-2]
    bits = np.ascontiguousarray(a + 0.0, dtype=np.float64).view(np.uint64)
    odd = (np.arange(bits.shape[-1], dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)) | np.uint64(1)
    with np.errstate(over="ignore"):
        h = ((bits ^ (bits >> np.uint64(29))) * odd).sum(axis=-1)  # (…, K): wraps, exact, order-free
    eq = h[..., :, None] == h[..., None, :]
    if not (eq.sum(axis=-1) > 1).any():
        return None
    rep = eq.argmax(axis=-1)  # the first example with the same hash
    same = (np.take_along_axis(a, rep[..., None], axis=-2) == a).all(axis=-1)
    rep = np.where(same, rep, np.arange(K))
    return None if (rep == np.arange(K)).all() else rep


def pooled(x, rep, how=np.add):
    """x (…, K, m) gathered per group of ``twins``: ``how`` (np.add or np.maximum) of the group's rows in its first
    example's row, 0 in the others'."""
    K, m = x.shape[-2:]
    lead = int(np.prod(x.shape[:-2], dtype=np.int64))
    out = np.zeros((lead * K, m))
    index = (np.arange(lead)[:, None] * K + rep.reshape(lead, K)).ravel()
    how.at(out, index, np.broadcast_to(x, rep.shape + (m,)).reshape(lead * K, m))
    return out.reshape(rep.shape + (m,))


def dot(A, B, SA=None, SB=None, examples=False, rep=None):
    """S of A @ B (contracting the last axis of A with the second-last of B), given its inputs' S.

    Its own n roundings are new and independent of the inputs' errors: their S add in quadrature.  The errors
    the inputs bring add linearly where they may be correlated — the units of one example share the roundings
    upstream of them, and |Σ_i b_i e_i| has S at most Σ_i |b_i| S_i (Minkowski) for any correlation — and in
    quadrature over ``examples``: each example's forward and backward pass makes roundings of its own, except the
    examples ``rep`` (``twins`` of B's rows) groups, which compute the same numbers: linearly within a group
    (A's entries and S summed, B's S its largest), in quadrature between groups.
    """
    n = A.shape[-1]
    mix = l2dot if examples else np.matmul
    absA, absB = np.abs(A), np.abs(B)
    carried = 0.0
    if examples and rep is not None:
        gather = lambda x: pooled(x.swapaxes(-1, -2), rep).swapaxes(-1, -2)  # noqa: E731  A's K is its last axis
        SA = None if SA is None else gather(SA)
        absA, SB = (gather(absA), pooled(SB, rep, np.maximum)) if SB is not None else (absA, SB)
    if SA is not None:
        carried = l2(carried, mix(SA, absB)) if examples else carried + mix(SA, absB)
    if SB is not None:
        carried = l2(carried, mix(absA, SB)) if examples else carried + mix(absA, SB)
    return l2(sum_roundings(n, np.abs(A) @ absB, A @ B), carried)


def summed(x, Sx, axis, examples=False, rep=None):
    """S of x.sum(axis): its own roundings (``sum_roundings``), plus what each term brings (as in ``dot``)."""
    if examples and rep is not None:  # examples on ``axis`` (−2 or −1): each ``twins`` group linearly
        Sx = pooled(Sx, rep) if axis == -2 else pooled(Sx[..., None], rep)[..., 0]
    carried = l2sum(Sx, axis) if examples else Sx.sum(axis=axis)
    return l2(sum_roundings(x.shape[axis], np.abs(x).sum(axis=axis), x.sum(axis=axis)), carried)


def product(x, y, Sx, Sy, u=0.0):
    """S of x ⊙ y (broadcasting): its own rounding, and the factors' errors, added linearly.

    (x + e_x)(y + e_y) − xy also holds e_x e_y: second order, but all there is where x and y both vanish at the
    reference's values (δ behind two saturated layers, say); with e at most C·u·√2·S it is 2C²u S_x S_y in units of u.
    """
    return l2(x * y, np.abs(y) * Sx + np.abs(x) * Sy + second_order(u, Sx, Sy))


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


def affine(A, W, b, own, inherited):
    """(new, came) of z = A Wᵀ + b, A (…, n) with its error split as in ``forward_carry``: z's own roundings (the bias
    as one more term of each sum), and what A's errors bring."""
    B = _with_bias(W, b)
    zero = np.zeros(A.shape[:-1] + (1,))
    came = forward_carry(*(np.concatenate([S, zero], axis=-1) for S in (own, inherited)), B)
    return _own_sums(A, B), came


def own_sums(A, W, b):
    """S of z = A Wᵀ + b's own roundings (as in ``dot``), the bias as one more term of each sum."""
    return _own_sums(A, _with_bias(W, b))


def _with_bias(W, b):
    """[W b]ᵀ (…, n + 1, m): the bias as one more term of each sum."""
    return np.concatenate([W, b[..., None]], axis=-1).swapaxes(-1, -2)


def _own_sums(A, B):
    A1 = np.concatenate([A, np.ones(A.shape[:-1] + (1,))], axis=-1)  # (…, n + 1)
    return sum_roundings(A1.shape[-1], np.abs(A1) @ np.abs(B), A1 @ B)


def split(name, z, a, Sz, new, came, u, floor):
    """(S_a, own, inherited, slope) of a = σ(z) for an elementwise σ: S_a whole; this layer's own roundings (its sums'
    ``new`` and σ's formula); what z brought from below (``came``) times σ's largest slope over z's allowed
    difference."""
    near = allowed(Sz, u)  # z's allowed difference: σ's slopes are taken over z ± near
    s = slope(name, z, a, near)
    return (activation(name, z, a, Sz, near, floor, s), activation(name, z, a, new, near, floor, s),
            np.abs(s) * came, s)  # fmt: skip


class Scales:
    """S of every quantity of one forward and backward pass at one state, from its values.

    W (G, n_l, n_{l−1}), b (G, n_l), X (G, K, n_1), T (G, K, n_L); z, a, delta the values of that pass
    (delta per example: ∂C_k/∂z^l, whatever the reduction; None for the costs alone), every array float64;
    dtype the computation's.  Leading axes beyond G (a stack of steps) are welcome.  X_own, X_inh: the S of X's
    error where X is computed (the dense layers of a conv net, comparisons.sweep.conv.rounding), by where it arose.
    """

    def __init__(self, W, b, acts, cost, reduction, X, T, z, a, delta, dtype, X_own=None, X_inh=None):
        self.u = u = unit_roundoff(dtype)
        self.fmax = float(np.finfo(np.dtype(dtype)).max)
        self.floor = float(np.finfo(np.dtype(dtype)).tiny) / u  # an underflowing result's error, in units of u
        self.L, self.K = max(W), X.shape[-2]
        self.acts, self.cost, self.reduction = dict(zip(range(2, self.L + 1), acts)), cost, reduction
        # a^l's error within an example as a covariance and a linear part (``Carry``); X is exact unless it is a conv
        # net's flattened maps (X_own: the roundings of their own layer, distinct per unit; X_inh: what they
        # inherited, of any correlation)
        c = Carry.start(np.zeros_like(X) if X_own is None else X_own, np.zeros_like(X) if X_inh is None else X_inh)
        self.Sz, self.Sa = {}, {1: c.S()}
        for l in range(2, self.L + 1):
            cz = c.affine(W[l], own_sums(a[l - 1], W[l], b[l]))
            self.Sz[l] = self.edge(cz.S())  # (G, K, n_l)
            name = self.acts[l]
            if l == self.L:  # z^L's allowed difference: the costs' slopes (softmax's J) are taken over it
                self.near = allowed(self.Sz[l], u)
                self.undetermined = np.zeros(z[l].shape[:-1], bool)  # (…, K)
            if name == "softmax":  # (always the output layer)  # the output layer: nothing is carried further
                self.z_carry = cz  # z^L's error, for δ^L's Jacobian
                # an example whose logits are known only to more than ±1 has an output rounding does not determine
                # (e^{z_j} not even to a factor e²): no bound describes it, the check recomputes it with the
                # reference's logits (comparisons.sweep.kinks); J's spread is taken where they are known to ±1
                self.undetermined = self.near.max(axis=-1) > 1.0
                self.near_J = np.where(self.undetermined[..., None], 0.0, self.near)
                self.Sa[l] = self.edge(softmax(z[l], a[l], cz, floor=self.floor, near=self.near_J))
                continue
            lo, hi = slopes(name, z[l], a[l], allowed(self.Sz[l], u))  # σ' over z's allowed interval
            c = cz.through(lo, hi, formula(name, a[l], self.floor))
            self.Sa[l] = self.edge(c.S())
        self.S_Ck = self._costs(z[self.L], a[self.L], T)  # (G, K)
        s = 1.0 / self.K if reduction == "mean" else 1.0
        rep = {l: twins(a[l]) for l in range(1, self.L)}  # examples that compute the same numbers from layer l on
        self.S_CT = self.edge(summed(self._Ck, self.S_Ck, -1, examples=True, rep=rep[self.L - 1])) * s  # (G,)
        if reduction == "mean":  # the division by K rounds once more (and moves about in the other side)
            self.S_CT = l2(self.S_CT, 2.0 * self.edge(np.abs(self._Ck).sum(axis=-1)) * s)
        if delta is None:  # the forward pass and the costs only
            return
        self.S_delta = self._deltas(W, z, a, T, delta)
        self.S_W, self.S_b = {}, {}
        for l in range(2, self.L + 1):
            d, Sd = delta[l], self.S_delta[l]
            dT, SdT = d.swapaxes(-1, -2), Sd.swapaxes(-1, -2)
            self.S_W[l] = dot(dT, a[l - 1], SA=SdT, SB=self.Sa[l - 1], examples=True, rep=rep[l - 1]) * s  # eq (2)
            self.S_b[l] = summed(d, Sd, -2, examples=True, rep=rep[l - 1]) * s  # eq (3): Σ over k
            if reduction == "mean":
                self.S_W[l] = l2(self.S_W[l], 2.0 * (np.abs(d).swapaxes(-1, -2) @ np.abs(a[l - 1])) * s)
                self.S_b[l] = l2(self.S_b[l], 2.0 * np.abs(d).sum(axis=-2) * s)

    def edge(self, S):
        """S, or inf where the computation's magnitudes reach the dtype's largest number: an intermediate there may
        overflow on one side only (and inf · 0 = NaN), which no rounding bound describes — nothing to compare."""
        return np.where(self.fmax <= S, np.inf, S)

    def _costs(self, z_L, a_L, T):
        """S of each C_k (G, K), and the values C_k themselves (kept for C_T)."""
        Sz, Sa, n = self.Sz[self.L], self.Sa[self.L], T.shape[-1]
        if self.cost == "squared_error":
            d = a_L - T
            sq = d * d
            Sd = l2(d, Sa)
            self._Ck = 0.5 * sq.sum(axis=-1)
            # ½(d + e)² − ½d² = d e + ½e²: where a fits t exactly (d = 0) the first-order term vanishes and the
            # second-order one, ½e² with e at most C·u·√2·S_d, is all there is: it is counted, in units of u.
            second = 0.5 * (C * np.sqrt(2.0) * self.u) * np.square(Sd)
            return 0.5 * l2(np.sqrt(n) * sq.sum(axis=-1), l2sum(l2(sq, 2.0 * np.abs(d) * Sd), -1)) + second.sum(-1)
        if self.cost == "binary_cross_entropy":
            # softplus(z) − t z per unit; a library writes softplus as max(z, 0) + log(1 + e^{−|z|}) and the like,
            # whose terms are |z| and the 1 inside the log: it rounds relative to them, not to the (tiny) result.
            sp = np.logaddexp(0.0, z_L)
            tz = T * z_L
            self._Ck = (sp - tz).sum(axis=-1)
            unit = l2(6.0 * sp, 1.0 + np.abs(z_L), tz)
            parts = np.sqrt(n) * (sp + np.abs(tz)).sum(axis=-1)
            moved = np.minimum(1.0, slope("sigmoid", z_L, a_L, self.near) * self.near)  # a's move over z's interval
            return l2(parts, l2sum(unit, -1), ((np.abs(a_L - T) + moved) * Sz).sum(axis=-1))
        # cross_entropy: (Σ t) logsumexp(z) − Σ t z
        m = z_L.max(axis=-1)
        lse = m + np.log(np.exp(z_L - m[..., None]).sum(axis=-1))
        st = T.sum(axis=-1)
        S_lse = l2(2.0 * (np.abs(m) + np.abs(lse - m)), np.sqrt(n), l2sum(np.abs(a_L * (z_L - m[..., None])), -1))
        tz = T * z_L
        self._Ck = lse * st - tz.sum(axis=-1)
        # ∂C_k/∂z_j = a_j Σt − t_j, taken over z's box (``spread``'s bound on a_j's move: a_j (e^{2ε} − 1), or its
        # largest value there): the mean value theorem, as for J
        eps = self.near.max(axis=-1, keepdims=True)
        with np.errstate(over="ignore", invalid="ignore"):
            moved = np.fmin(box_top(z_L, eps), a_L * np.expm1(2.0 * eps))
        grad = np.abs(a_L * st[..., None] - T) + np.abs(st[..., None]) * moved
        return l2(np.abs(st) * S_lse, np.sqrt(1.0 + n) * np.abs(lse * st), np.sqrt(n) * np.abs(tz).sum(axis=-1),
                  self._Ck, (grad * Sz).sum(axis=-1))  # fmt: skip

    def _deltas(self, W, z, a, T, delta):
        """S of δ^L by eq (4) and of δ^{L−1} … δ^2 by eq (5), on magnitudes."""
        L, name = self.L, self.acts[self.L]
        Sa, Sz = self.Sa[L], self.Sz[L]
        link = {"binary_cross_entropy": "sigmoid", "cross_entropy": "softmax"}.get(self.cost)
        if link == name == "sigmoid":  # δ^L = a − t: the difference's one rounding, and a's error
            S = {L: l2(delta[L], Sa)}
        elif link == name:  # δ^L = a Σt − t: Σt's sum, the product a·Σt and the difference, and a's error times Σt
            st = T.sum(axis=-1, keepdims=True)
            S = {L: l2(delta[L], np.abs(a[L] * st) * np.sqrt(1.0 + T.shape[-1]), np.abs(st) * Sa)}
        else:  # squared error: g = a − t, then σ' (or softmax's Jacobian)
            g = a[L] - T
            Sg = l2(g, Sa)
            if name == "softmax":
                S = {L: self._softmax_delta(z[L], a[L], T, g, Sa)}
            else:
                s, Ss = prime(name, z[L], a[L], Sz, Sa, self.floor, self.u)
                S = {L: product(g, s, Sg, Ss, self.u)}
        for l in range(L - 1, 1, -1):
            back = delta[l + 1] @ W[l + 1]  # (G, K, n_l): Σ_j δ_j^{l+1} w_ji^{l+1}
            Sback = self.edge(dot(delta[l + 1], W[l + 1], SA=S[l + 1]))
            s, Ss = prime(self.acts[l], z[l], a[l], self.Sz[l], self.Sa[l], self.floor, self.u)
            S[l] = product(back, s, Sback, Ss, self.u)
        return S

    def _softmax_delta(self, z, a, T, g, Sa):
        r"""S of δ^L = a ∘ (g − p), g = a − t, p = Σ_j a_j g_j (eq (4) with softmax's Jacobian), one Jacobian.

        δ_i = a_i² − a_i t_i − a_i Σ_j a_j² + a_i Σ_j a_j t_j, so a's error e enters as M e with
        M = diag(h + a) − a (g + a)ᵀ, h = g − p, and M·J is taken with its signs (``softmax``): a saturated output
        and its nearly cancelling p keep their cancellation, which |a| |h| carried apart would lose.  δ's own
        roundings: g_j's (carried by ∂δ_i/∂g_j = J_ij), p's n products and sum, h's, the product's.  The
        second-order terms of e (e_i², 2e_i Σ a_j e_j, a_i Σ e_j², e_i Σ t_j e_j) are counted, in units of u."""
        n = a.shape[-1]
        p = (a * g).sum(axis=-1, keepdims=True)
        h = g - p
        M = np.eye(n) * (h + a)[..., None] - a[..., :, None] * (g + a)[..., None, :]  # (…, n, n): ∂δ_i/∂a_j
        carried = softmax(z, a, self.z_carry, M=M, floor=self.floor, near=self.near_J)
        J = a[..., :, None] * (np.eye(n) - a[..., None, :])
        own_g = l2sum(np.abs(J * g[..., None, :]), -1)  # g_j's rounding, carried by ∂δ_i/∂g_j = J_ij
        own_p = a * sum_roundings(n, np.abs(a * g).sum(-1, keepdims=True), p)
        own = l2(own_g, own_p, np.sqrt(2.0) * a * h)  # h's rounding and the product's, each |a_i h_i| = |δ_i|
        e = C * np.sqrt(2.0) * Sa  # a's allowed difference, in units of u
        aS, tS, S2 = (np.sum(x, axis=-1, keepdims=True) for x in (a * e, np.abs(T) * e, e * e))
        second = self.u * (e * e + 2.0 * e * aS + a * S2 + e * tS)
        return l2(carried, own) + second


def update(w_new, v_prev, v_new, eta, momentum, S_g):
    """(S of the new w, S of the new v): v = μ v_prev + g (just g at the first step and without momentum),
    then w − η v; w and v_prev are exact (the state both sides start from)."""
    S_v = S_g if v_prev is None else l2(momentum * v_prev, v_new, S_g)  # μ v_prev, the sum
    S_w = l2(w_new, eta * v_new, eta * S_v)  # η v, the difference
    return S_w, S_v
