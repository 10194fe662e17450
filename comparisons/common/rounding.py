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

S = √V is what this module computes with ``sigma`` (an activation), ``carry`` (the forward pass's covariance) and
``scales`` (the whole pass), in units of u, layer by layer (a sum of squares, taken as ``l2`` of its
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

LAMBDA = 7.0
C = LAMBDA / np.sqrt(3.0)  # the allowed difference is C·u·S per side, S = √V


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


def update(w_new, v_prev, v_new, eta, momentum, S_g):
    """(S of the new w, S of the new v): v = μ v_prev + g (just g at the first step and without momentum),
    then w − η v; w and v_prev are exact (the state both sides start from)."""
    S_v = S_g if v_prev is None else l2(momentum * v_prev, v_new, S_g)  # μ v_prev, the sum
    S_w = l2(w_new, eta * v_new, eta * S_v)  # η v, the difference
    return S_w, S_v


def step_limits(S_g, w_new, v_prev, v_new, eta, momentum, dtype):
    """The allowed differences of one training step, from the S of its gradient: (gradient, new w, new v).

    Every check of a step (the sweep's, the lecture's) takes them from here: the same pass's S_g, then ``update``."""
    S_w, S_v = update(w_new, v_prev, v_new, eta, momentum, S_g)
    return bound(S_g, dtype), bound(S_w, dtype), bound(S_v, dtype)
