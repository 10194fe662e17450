"""The shared start: every manual_bp output against autograd's before any training step.

Each W^l, b^l, δ^l and C_T is checked for, in order: presence and shape, dtype (the network's,
which is torch's), finiteness, value (the gradient tolerance), and in float32 against a
float64 oracle.  A row's ``caught_by`` names the first check that failed, "" when all pass.
"""

from __future__ import annotations

import numpy as np
import torch

import manual_bp
from comparisons.common.checks import compare
from comparisons.common.tolerances import F32_ORACLE_FLOOR, F32_ORACLE_RATIO, cost_tolerance, gradient_tolerance
from torch_ref import TorchFamily, TorchMLP

GRAD_COLUMNS = [
    "arch",
    "tensor",
    "layer",
    "shape",
    "max_abs_err",
    "max_rel_err",
    "ref_norm",
    "tol_used",
    "oracle_used",
    "passed",
    "caught_by",
    "error",
]


def row(arch, tensor, layer, shape="", caught_by="", error="", **values):
    """One gradients.csv row; a failing row when ``caught_by`` names a check."""
    fail = dict(max_abs_err=np.inf, max_rel_err=np.inf, ref_norm=np.nan, tol_used=np.inf)
    base = fail if caught_by else dict(max_abs_err=0.0, max_rel_err=0.0, ref_norm=0.0, tol_used=0.0)
    out = dict(arch=arch, tensor=tensor, layer=layer, shape=shape, **base, oracle_used=np.nan)
    out.update(values)
    out.update(passed=not caught_by, caught_by=caught_by, error=error)
    return out


# σ' taken from a where it is a difference of nearly equal numbers: 1 − a² (tanh) and (1 − a)·a (sigmoid),
# alike on both sides.  Near saturation σ' is tiny, and one ulp of a (the two sides' tanh and sigmoid
# differ by that) moves it by eps·|a·dσ'/da|, far more than eps·σ': |σ'| + |a·dσ'/da| is the scale of
# its rounding, 1 + a² for tanh and a(1 − a) + a|1 − 2a| for the sigmoid.  Every other σ' is exact
# or computed without cancelling.
PRIME_TERMS = {"tanh": lambda a: 1.0 + a * a, "sigmoid": lambda a: a * (1.0 - a) + a * np.abs(1.0 - 2.0 * a)}


def prime_terms(act, z, a):
    """The scale of σ'(z^l)'s rounding, elementwise (K, n_l): |σ'| itself but where it cancels."""
    return PRIME_TERMS[act.name](a) if act.name in PRIME_TERMS else np.abs(act.prime(z, a))


def delta_terms(W, act, cost, z, a, T):
    """The scale of each δ^l entry's rounding: eqs (4) and (5) on magnitudes, σ' by ``prime_terms``.

    δ^L = a − t for the linked costs, or (a − t) ⊙ σ'(z^L), then eq (5)
    δ^l = (δ^{l+1} W^{l+1}) ⊙ σ'(z^l) gives (terms^{l+1} |W^{l+1}|) ⊙ prime_terms.
    """
    L = max(W)
    d = np.abs(a[L] - T)  # (K, n_L)
    if cost.link != act[L].name and act[L].elementwise:
        d = d * prime_terms(act[L], z[L], a[L])
    terms = {L: d}
    for l in range(L - 1, 1, -1):
        d = (d @ np.abs(W[l + 1])) * prime_terms(act[l], z[l], a[l])  # (K, n_l)
        terms[l] = d
    return terms


class Oracle:
    """autograd in float64 on the float32 problem's numbers (upcast exactly): the truth float32 is judged by."""

    def __init__(self, W, b, delta, cost, a, terms):
        """From float64 autograd's ∂C_T/∂W^l, ∂C_T/∂b^l, δ^l, C_T and a^l, and δ^l's rounding scale (delta_terms)."""
        self.W, self.b, self.delta, self.cost = W, b, delta, cost
        # The rounding scale of each entry: the sum of the magnitudes it adds up.
        self.scale = {
            "W": {l: d.T @ np.abs(a[l - 1]) for l, d in terms.items()},  # (n_l, n_{l-1})
            "b": {l: d.sum(axis=0) for l, d in terms.items()},  # (n_l,)
            "delta": {l: np.maximum(np.abs(delta[l]).max(), d) for l, d in terms.items()},  # (K, n_l)
        }

    @classmethod
    def of(cls, net, X, T):
        """The oracle of ``net`` (a float32 manual_bp.MLP) on X, T; of a manual_bp.Family, a list, one per member."""
        up = lambda d: {l: v.astype(np.float64) for l, v in d.items()}  # noqa: E731
        W64, stacked = up(net.W), isinstance(net, manual_bp.Family)
        ref = (TorchFamily if stacked else TorchMLP)(W64, up(net.b), net.activations, net.cost.name)
        X64, T64 = X.astype(np.float64), T.astype(np.float64)
        W, b, delta = ref.gradients(X64, T64)
        C_T = ref.total_cost(X64, T64)
        with torch.no_grad():
            z, a = ref.forward(X64, retain=False)
        z, a = ({l: v.numpy() for l, v in d.items()} for d in (z, a))
        terms = delta_terms(W64, net.act, net.cost, z, a, T64)  # eqs (4), (5) on magnitudes: stacks broadcast
        if not stacked:
            return cls(W, b, delta, C_T, a, terms)
        each = lambda d, g: {l: v[g] for l, v in d.items()}  # noqa: E731
        return [cls(each(W, g), each(b, g), each(delta, g), float(C_T[g]), each(a, g), each(terms, g))
                for g in range(net.G)]  # fmt: skip

    def used(self, tensor, l, m, r):
        """max over entries of |m − o| / (RATIO·max|r − o| + FLOOR·eps32·(|o| + s)): ≤ 1 passes."""
        o = self.cost if tensor == "C_T" else getattr(self, tensor)[l]
        s = abs(o) if tensor == "C_T" else self.scale[tensor][l]
        m, r = np.asarray(m, np.float64), np.asarray(r, np.float64)
        eps = float(np.finfo(np.float32).eps)
        bound = F32_ORACLE_RATIO * np.max(np.abs(r - o)) + F32_ORACLE_FLOOR * eps * (np.abs(o) + s)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(bound > 0, np.abs(m - o) / bound, np.where(m == o, 0.0, np.inf))
        return float(np.max(ratio))


def tensor_row(arch, tensor, l, m, r, tol, dtype, oracle=None):
    """One tensor: shape, dtype, finiteness, value, then (float32) the oracle; the first failure named."""
    shape = "x".join(map(str, np.shape(r)))
    if m is None:
        return row(arch, tensor, l, shape, "shape", f"{tensor}^{l} missing")
    m_arr = np.asarray(m)
    if m_arr.shape != np.shape(r):
        return row(arch, tensor, l, shape, "shape", f"shape {m_arr.shape}, expected {np.shape(r)}")
    if tensor != "C_T" and m_arr.dtype != dtype:
        return row(arch, tensor, l, shape, "dtype", f"dtype {m_arr.dtype}, expected {np.dtype(dtype)} (torch's)")
    if not np.all(np.isfinite(m_arr)):
        return row(arch, tensor, l, shape, "finite", "NaN or inf")
    res = compare(m_arr, r, tol)
    values = dict(max_abs_err=res.max_abs_err, max_rel_err=res.max_rel_err, ref_norm=res.ref_norm)
    values["tol_used"] = res.tol_used
    if oracle is not None:
        values["oracle_used"] = oracle.used(tensor, l, m_arr, r)
    caught = "value" if not res.passed else "oracle" if values.get("oracle_used", 0.0) > 1.0 else ""
    out = row(arch, tensor, l, shape, **values)
    out.update(passed=not caught, caught_by=caught)
    return out


def start_rows(arch, net, ref, X, T, Xt, Tt):
    """Rows for W^l, b^l, δ^l, C_k and C_T of manual_bp (on X, T) against autograd (on its own Xt, Tt)."""
    oracle = Oracle.of(net, X, T) if net.dtype == np.float32 else None
    gW, gb = net.gradients(X, T)
    manual = dict(W=gW, b=gb, delta=net.deltas(X, T), C_k=net.costs(X, T), C_T=net.total_cost(X, T))
    rW, rb, rdelta = ref.gradients(Xt, Tt)
    reference = dict(W=rW, b=rb, delta=rdelta, C_k=ref.costs(Xt, Tt), C_T=ref.total_cost(Xt, Tt))
    return compare_start(arch, manual, reference, net.dtype, oracle)


def compare_start(arch, manual, reference, dtype, oracle=None):
    """One row per W^l, b^l, δ^l, then C_k and C_T: dicts of what manual_bp and autograd gave at the start."""
    tol = gradient_tolerance(dtype)
    rows = []
    for name in ("W", "b", "delta"):
        for l in sorted(reference[name]):
            rows.append(tensor_row(arch, name, l, manual[name].get(l), reference[name][l], tol, dtype, oracle))
    for name, o in (("C_k", None), ("C_T", oracle)):
        rows.append(tensor_row(arch, name, 0, manual[name], reference[name], cost_tolerance(dtype), dtype, o))
    return rows
