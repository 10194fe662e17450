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

V is what this module computes ("variance scale", in units of u²), layer by layer:

- a dot product of n terms p_i (a row of a^{l−1} (W^l)ᵀ, of δ^{l+1} W^{l+1}, or of Σ_k δ a) rounds n
  products and n − 1 partial sums, each at most Σ|p_i|: its own V ≤ n (Σ_i |p_i|)², the standard
  γ_n |A||B| bound taken in the probabilistic (√n) form; the errors its inputs bring are carried by
  the same product on squares, V_A (B∘B) + (A∘A) V_B;
- an elementwise f(x) adds (k_f f)² for the k_f roundings of its formula (a library exp, tanh or log
  counts 2: it is correct to within one ulp = 2u) and carries f'(x)² V_x;
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
C = LAMBDA / np.sqrt(3.0)  # the allowed difference is C·u·√V, per side

# Roundings of each activation's formula, counted relative to |a| (a library function: 2).
KINKED = ("relu", "leaky_relu")  # σ' jumps at z = 0
FN_ROUNDINGS = {"sigmoid": 4, "tanh": 4, "relu": 0, "leaky_relu": 1, "identity": 0, "softplus": 6, "softmax": 4}


def unit_roundoff(dtype):
    """u = eps / 2: the largest relative error of one rounding to nearest."""
    return float(np.finfo(np.dtype(dtype)).eps) / 2


def bound(V, dtype, sides=2, oracle_dtype=None):
    """The allowed |m − r| (elementwise): C·u·√(sides·V), plus the oracle's own share and the underflow floor."""
    u, tiny = unit_roundoff(dtype), float(np.finfo(np.dtype(dtype)).tiny)
    var = sides * u * u * V
    if oracle_dtype is not None:  # float32 against a float64 oracle: the oracle's own rounding too
        var = var + unit_roundoff(oracle_dtype) ** 2 * V
    return C * np.sqrt(var) + C * tiny


def _sq(x):
    return x * x


def dot(A, B, VA=None, VB=None):
    """V of A @ B (contracting the last axis of A with the second-last of B), given its inputs' V."""
    n = A.shape[-1]
    V = n * _sq(np.abs(A) @ np.abs(B))  # (…, m, p): n roundings of at most Σ|p_i| each
    if VA is not None:
        V += VA @ _sq(B)
    if VB is not None:
        V += _sq(A) @ VB
    return V


def summed(x, Vx, axis):
    """V of x.sum(axis): n − 1 partial sums of at most Σ|x| each, plus what each term brings."""
    n = x.shape[axis]
    return n * _sq(np.abs(x).sum(axis=axis)) + Vx.sum(axis=axis)


def product(x, y, Vx, Vy):
    """V of x ⊙ y (broadcasting)."""
    return _sq(x * y) + _sq(y) * Vx + _sq(x) * Vy


def prime(name, z, a, Vz, Va):
    """(σ'(z), V of σ') for an elementwise activation, σ' counted by the terms it is computed from."""
    if name == "sigmoid":
        s = a * (1.0 - a)
        return s, 2 * _sq(s) + _sq(1.0 - 2.0 * a) * Va
    if name == "tanh":
        s = 1.0 - a * a
        return s, _sq(a * a) + _sq(s) + _sq(2.0 * a) * Va
    if name == "softplus":
        s = np.exp(-np.logaddexp(0.0, -z))  # σ(z), without overflow or a 0 where it is tiny
        return s, 16 * _sq(s) + _sq(s * (1.0 - s)) * Vz
    if name == "relu":
        return (z > 0).astype(np.float64), np.zeros_like(z)
    if name == "leaky_relu":
        return np.where(z > 0, 1.0, 0.01), np.zeros_like(z)
    return np.ones_like(z), np.zeros_like(z)  # identity


def activation(name, z, a, Vz, near_kink=0.0):
    """V of a = σ(z): the formula's own roundings, and σ'(z)² V_z carried (softmax: its Jacobian, bounded)."""
    k = FN_ROUNDINGS[name]
    if name == "softmax":  # z − max z rounds relative to |z − m|, the sum of n exponentials n times
        n = z.shape[-1]
        shift = np.abs(z - z.max(axis=-1, keepdims=True))
        carried = _sq(a) * (Vz + (_sq(a) * Vz).sum(axis=-1, keepdims=True))
        return _sq(a) * (k * k + _sq(shift) + n) + carried
    s, _ = prime(name, z, a, Vz, np.zeros_like(z))
    if name in KINKED:  # within rounding of the kink either branch may be taken: slope 1 carried there
        s = np.where(np.abs(z) <= near_kink, 1.0, s)
    return _sq(k * a) + _sq(s) * Vz


class Scales:
    """V of every quantity of one forward and backward pass at one state, from its values.

    W (G, n_l, n_{l−1}), b (G, n_l), X (G, K, n_1), T (G, K, n_L); z, a, delta the values of that pass
    (delta per example: ∂C_k/∂z^l, whatever the reduction; None for the costs alone), every array float64;
    u the unit roundoff.
    """

    def __init__(self, W, b, acts, cost, reduction, X, T, z, a, delta, u):
        self.L, self.K = max(W), X.shape[-2]
        self.acts, self.cost, self.reduction = dict(zip(range(2, self.L + 1), acts)), cost, reduction
        self.Vz, self.Va = {}, {1: np.zeros_like(X)}
        for l in range(2, self.L + 1):
            ones = np.ones(a[l - 1].shape[:-1] + (1,))
            A = np.concatenate([a[l - 1], ones], axis=-1)  # (G, K, n_{l−1} + 1): the bias as one more term
            B = np.concatenate([W[l], b[l][..., None]], axis=-1).swapaxes(-1, -2)
            VA = np.concatenate([self.Va[l - 1], 0 * ones], axis=-1)
            self.Vz[l] = dot(A, B, VA=VA)  # (G, K, n_l)
            near = C * u * np.sqrt(2 * self.Vz[l])  # |z| within this of 0: either side of a kink
            self.Va[l] = activation(self.acts[l], z[l], a[l], self.Vz[l], near)
        self.V_Ck = self._costs(z[self.L], a[self.L], T)  # (G, K)
        s = 1.0 / self.K if reduction == "mean" else 1.0
        self.V_CT = summed(self._Ck, self.V_Ck, -1) * s * s  # (G,)
        if reduction == "mean":
            self.V_CT += 4 * _sq(np.abs(self._Ck).sum(axis=-1)) * s * s
        if delta is None:  # the forward pass and the costs only
            return
        self.V_delta = self._deltas(W, z, a, T, delta)
        self.V_W, self.V_b = {}, {}
        for l in range(2, self.L + 1):
            d, Vd = delta[l], self.V_delta[l]
            self.V_W[l] = dot(d.swapaxes(-1, -2), a[l - 1], VA=Vd.swapaxes(-1, -2), VB=self.Va[l - 1]) * s * s
            self.V_b[l] = summed(d, Vd, -2) * s * s
            if reduction == "mean":  # the division by K rounds once more (and moves about in the other side)
                self.V_W[l] += 4 * _sq(np.abs(d).swapaxes(-1, -2) @ np.abs(a[l - 1])) * s * s
                self.V_b[l] += 4 * _sq(np.abs(d).sum(axis=-2)) * s * s

    def _costs(self, z_L, a_L, T):
        """V of each C_k (G, K), and the values C_k themselves (kept for C_T)."""
        Vz, Va, n = self.Vz[self.L], self.Va[self.L], T.shape[-1]
        if self.cost == "squared_error":
            d = a_L - T
            Vd = _sq(d) + Va
            sq = d * d
            V = n * _sq(sq.sum(axis=-1)) + (_sq(sq) + 4 * sq * Vd).sum(axis=-1)
            self._Ck = 0.5 * sq.sum(axis=-1)
            return V / 4
        if self.cost == "binary_cross_entropy":  # softplus(z) − t z per unit
            sp = np.logaddexp(0.0, z_L)
            terms = sp + np.abs(T * z_L)
            V = n * _sq(terms.sum(axis=-1)) + (36 * _sq(sp) + _sq(T * z_L) + _sq(a_L - T) * Vz).sum(axis=-1)
            self._Ck = (sp - T * z_L).sum(axis=-1)
            return V
        # cross_entropy: (Σ t) logsumexp(z) − Σ t z
        m = z_L.max(axis=-1)
        lse = m + np.log(np.exp(z_L - m[..., None]).sum(axis=-1))
        st = T.sum(axis=-1)
        V_lse = 4 * _sq(np.abs(m) + np.abs(lse - m)) + n + (_sq(a_L) * _sq(z_L - m[..., None])).sum(axis=-1)
        tz = T * z_L
        V = _sq(st) * V_lse + (1 + n) * _sq(lse * st) + n * _sq(np.abs(tz).sum(axis=-1)) + _sq(lse * st - tz.sum(-1))
        V += (_sq(a_L * st[..., None] - T) * Vz).sum(axis=-1)
        self._Ck = lse * st - tz.sum(axis=-1)
        return V

    def _deltas(self, W, z, a, T, delta):
        """V of δ^L by eq (4) and of δ^{L−1} … δ^2 by eq (5), on magnitudes."""
        L, name = self.L, self.acts[self.L]
        Va, Vz = self.Va[L], self.Vz[L]
        link = {"binary_cross_entropy": "sigmoid", "cross_entropy": "softmax"}.get(self.cost)
        if link == name:  # δ^L = a Σt − t (a − t for the binary cost)
            st = T.sum(axis=-1, keepdims=True) if self.cost == "cross_entropy" else 1.0
            V = {L: _sq(delta[L]) + _sq(a[L] * st) * (1 + T.shape[-1]) + _sq(st) * Va}
        else:  # squared error: g = a − t, then σ' (or softmax's Jacobian)
            g = a[L] - T
            Vg = _sq(g) + Va
            if name == "softmax":
                p = (a[L] * g).sum(axis=-1, keepdims=True)
                Vp = summed(a[L] * g, product(a[L], g, Va, Vg), -1)[..., None]
                h = g - p
                V = {L: product(a[L], h, Va, _sq(h) + Vg + Vp)}
            else:
                s, Vs = prime(name, z[L], a[L], Vz, Va)
                V = {L: product(g, s, Vg, Vs)}
        for l in range(L - 1, 1, -1):
            back = delta[l + 1] @ W[l + 1]  # (G, K, n_l): Σ_j δ_j^{l+1} w_ji^{l+1}
            Vback = dot(delta[l + 1], W[l + 1], VA=V[l + 1])
            s, Vs = prime(self.acts[l], z[l], a[l], self.Vz[l], self.Va[l])
            V[l] = product(back, s, Vback, Vs)
        return V


def update(w_new, v_prev, v_new, eta, momentum, V_g):
    """(V of the new w, V of the new v): v = μ v_prev + g (just g at the first step and without momentum),
    then w − η v; w and v_prev are exact (the state both sides start from)."""
    V_v = V_g if v_prev is None else _sq(momentum * v_prev) + _sq(v_new) + V_g  # μ v_prev, the sum
    V_w = _sq(w_new) + _sq(eta * v_new) + eta * eta * V_v  # η v, the difference
    return V_w, V_v
