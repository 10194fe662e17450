"""One network: the user's dW, db, δ against torch_ref's, and the first equation that fails.

Backprop runs eq (4) at l = L, eq (5) down to l = 2, and eqs (2), (3) at each layer, so the
layers are scanned from L down and, at each, δ^l before dW^l and db^l.  Without a returned δ,
dW^l and db^l stand in for it: both wrong means δ^l is wrong (eq (4) or (5)); db^l right and
dW^l wrong means eq (2); the reverse, eq (3).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from comparisons.common.checks import compare
from comparisons.common.spec import make_problem
from comparisons.common.tolerances import gradient_tolerance
from torch_ref import TorchMLP

TOL = gradient_tolerance(np.float64)
SYMBOL = {"delta": "δ", "dW": "dW", "db": "db"}
REF = {"delta": "∂C/∂z^{l}", "dW": "∂C_T/∂W^{l}", "db": "∂C_T/∂b^{l}"}


@dataclass
class Ref:
    """torch_ref's side of one network: inputs, gradients, δ and the forward pass, all NumPy."""

    W: dict
    b: dict
    X: np.ndarray  # (K, n_1)
    T: np.ndarray  # (K, n_L)
    dW: dict  # ∂C_T/∂W^l (n_l, n_{l-1})
    db: dict  # ∂C_T/∂b^l (n_l,)
    delta: dict  # ∂C/∂z^l (K, n_l), row k for example k
    z: dict
    a: dict
    L: int
    K: int
    tol: object = TOL  # the bound: float64's, or float32's where the user's code computes in float32


def reference(case):
    """Build the case's network in torch_ref from make_problem's arrays; autograd gives the rest."""
    W, b, X, T, _ = make_problem(case.spec)
    net = TorchMLP(W, b, list(case.spec.activations), case.spec.cost)
    rW, rb, rdelta = net.gradients(X, T)
    z, a = net.forward(X, retain=False)
    z = {l: v.detach().numpy() for l, v in z.items()}
    a = {l: v.detach().numpy() for l, v in a.items()}
    return Ref(W=W, b=b, X=X, T=T, dW=rW, db=rb, delta=rdelta, z=z, a=a, L=case.L, K=case.K)


@dataclass
class Check:
    """One returned tensor against its reference."""

    status: str  # ok, missing, shape, transposed, nonfinite, factor, value
    err: float  # max|m − r| / max|r|: the error relative to the tensor's size
    tol_used: float  # the error as a multiple of the tolerance (≤ 1 passes)
    shape: tuple = ()
    factor: float = 1.0  # status factor: m = factor · r
    bad: str = ""  # status nonfinite: "NaN", "inf" or "NaN and inf", and in how many entries
    note: str = ""  # status shape: the shape in the user's own terms ("nabla_b[-1] has shape (2,), expected (2, 1)")


def delta_eq(l, L):
    """The equation that makes δ^l: (4) at the output layer, (5) below it."""
    return "4" if l == L else "5"


def lead(eq, l, L=None):
    """'eq (4) fails at the output layer l = 3: ' or 'eq (N) fails at layer l = 2: '."""
    if eq == "4" and l == L:
        return f"eq (4) fails at the output layer l = {L}: "
    return f"eq ({eq}) fails at layer l = {l}: "


def delta_lead(l, L):
    """The lead for a wrong δ^l."""
    return lead(delta_eq(l, L), l, L)


def recurrence_wrong(l):
    """The blame when δ^{l+1} agrees and δ^l does not."""
    return f" while δ^{l + 1} agrees — the recurrence from layer {l + 1} to {l} is wrong"


def rel_err(m, r):
    """max|m − r| / max|r| (absolute when r is all zero)."""
    return float(np.max(np.abs(m - r)) / max(float(np.max(np.abs(r))), 1e-300)) if r.size else 0.0


def check(m, r, tol=TOL, K=None):
    """Classify ``m`` against the reference ``r`` within ``tol`` (K: the examples, for the factors K and 1/K).

    A multiple of ``r`` is a finding of its own (``factor``) where being one says something: a factor of a classic
    mistake (−1, 2, 1/2, K, 1/K), or any factor in a tensor of 3 entries or more.  Two vectors of 1 or 2 entries are
    multiples by chance or by a constraint (a softmax's db^L of 2 classes sums to 0): a value difference, said so."""
    if m is None:
        return Check("missing", np.inf, np.inf)
    if m.shape != r.shape:
        if r.ndim == 2 and m.shape == r.shape[::-1] and compare(m.T, r, tol).passed:
            return Check("transposed", np.inf, np.inf, m.shape)
        return Check("shape", np.inf, np.inf, m.shape)
    if not np.all(np.isfinite(m)):
        return Check("nonfinite", np.inf, np.inf, m.shape, bad=nonfinite_text(m))
    res = compare(m, r, tol)
    err = rel_err(m, r)
    if res.passed:
        return Check("ok", err, res.tol_used, m.shape)
    if r.ndim == 2 and r.shape[0] == r.shape[1] and compare(m.T, r, tol).passed:
        return Check("transposed", err, res.tol_used, m.shape)
    rr = float(np.sum(r * r))
    c = float(np.sum(m * r)) / rr if rr > 0 else 0.0
    named = K is not None and named_factor(c, K) is not None
    if c != 0 and abs(c - 1) > 1e-6 and (named or r.size >= 3) and compare(m, c * r, tol).passed:
        return Check("factor", err, res.tol_used, m.shape, c)
    return Check("value", err, res.tol_used, m.shape)


def nonfinite_text(m):
    """'NaN in 6 of 6 entries', 'inf in 1 of 6 entries' or 'NaN and inf in 3 of 6 entries'."""
    nan, inf = np.isnan(m), np.isinf(m)
    what = " and ".join(w for w, mask in (("NaN", nan), ("inf", inf)) if mask.any())
    return f"{what} in {int(np.sum(nan | inf))} of {m.size} entries"


def named_factor(c, K):
    """'−1', '1/K = 1/64', 'K = 64', '2' or '1/2' where ``c`` is one of the classic mistakes' factors, else None."""
    for value, text in ((-1.0, "−1"), (1.0 / K, f"1/K = 1/{K}"), (float(K), f"K = {K}"), (2.0, "2"), (0.5, "1/2")):
        if abs(c - value) <= 1e-9 * abs(value):
            return text
    return None


def factor_text(c, K):
    """'−1', '1/K = 1/64', '2' or the number."""
    return named_factor(c, K) or f"{c:.4g}"


def phrase(name, l, c, ref):
    """What is wrong with tensor ``name`` at layer ``l``, in words."""
    sym, want = f"{SYMBOL[name]}^{l}", REF[name].format(l=l)
    shape = ref.__dict__[name][l].shape
    if c.status == "missing":
        return f"{sym} is missing from the returned {name}"
    if c.status == "transposed":
        return f"{sym} is the transpose of {want}" + (
            f" (shape {c.shape}, expected {shape})" if c.shape != shape else ""
        )
    if c.status == "shape" and c.note:
        return f"{sym} has the wrong shape: {c.note}"
    if c.status == "shape":
        extra = (
            f" — δ^{l} itself, not summed over the examples k" if name == "db" and c.shape == (ref.K,) + shape else ""
        )
        return f"{sym} has shape {c.shape}, expected {shape}{extra}"
    if c.status == "nonfinite":
        return f"{sym} contains {c.bad}"
    if c.status == "factor":
        return f"{sym} is exactly {factor_text(c.factor, ref.K)} × {want}"
    return f"{sym} differs from {want} (rel err {c.err:.2g})"


@dataclass
class Finding:
    """The first equation that fails on one network."""

    eq: str  # "2", "3", "4", "5", or "" (an exception: no equation)
    layer: int
    text: str  # the verdict sentence
    tensor: str  # delta, dW or db: the tensor whose check named the equation
    check: Check = None


def scan(out, ref, notes=None):
    """(Finding or None, checks): the first failing equation, scanning l = L … 2."""
    dW, db, delta = out
    L = ref.L
    checks = {}
    for name, d in (("delta", delta), ("dW", dW), ("db", db)):
        if d is not None:
            for l in range(2, L + 1):
                checks[name, l] = check(d.get(l), ref.__dict__[name][l], ref.tol, ref.K)
                if checks[name, l].status == "shape":
                    checks[name, l].note = (notes or {}).get((name, l), "")
    grads_ok = all(c.status == "ok" for (n, _), c in checks.items() if n != "delta")
    for l in range(L, 1, -1):
        f = _layer_finding(l, checks, ref, delta is not None, grads_ok)
        if f:
            return f, checks
    return None, checks


def _layer_finding(l, checks, ref, has_delta, grads_ok):
    L = ref.L
    above = recurrence_wrong(l) if l < L else ""
    if has_delta and checks["delta", l].status != "ok":
        c = checks["delta", l]
        tail = (
            "; dW and db agree, so only the returned δ is off "
            "(it must hold δ^l[k] = ∂C_k/∂z^l[k], one row per example k)"
            if grads_ok
            else ""
        )
        return Finding(delta_eq(l, L), l, delta_lead(l, L) + phrase("delta", l, c, ref) + above + tail, "delta", c)
    cw, cb = checks["dW", l], checks["db", l]
    if cw.status == "ok" and cb.status == "ok":
        return None
    for_all = [c.factor for c in (cw, cb) if c.status == "factor"]
    if (
        ref.K > 1
        and len(for_all) == 2
        and any(all(abs(f - m) <= 1e-9 * m for f in for_all) for m in (1 / ref.K, ref.K))
    ):
        return Finding("2", l, lead("2", l) + f"{phrase('dW', l, cw, ref)}, and db^{l} likewise (eq (3))", "dW", cw)
    wrong = ("value", "factor", "nonfinite", "missing")
    inferred = not has_delta and cw.status in wrong and cb.status in wrong
    if inferred:
        what = {"missing": "are both missing"}.get(
            cw.status if cw.status == cb.status else "",
            f"both differ from autograd's (rel err {max(cw.err, cb.err):.2g})",
        )
        if cw.status == cb.status == "factor" and abs(cw.factor - cb.factor) <= 1e-9 * abs(cb.factor):
            what = f"are both exactly {factor_text(cw.factor, ref.K)} × autograd's"
        if "nonfinite" in (cw.status, cb.status):  # NaN or inf is named, in the tensor that holds it, first
            first, second = (("dW", cw), ("db", cb)) if cw.status == "nonfinite" else (("db", cb), ("dW", cw))
            what = f"are both wrong: {phrase(first[0], l, first[1], ref)}; {phrase(second[0], l, second[1], ref)}"
        later = f" while layer {l + 1}'s agree" if l < L else ""
        rec = recurrence_wrong(l).split(" agrees")[1] if l < L else ""  # " — the recurrence … is wrong"
        text = (
            delta_lead(l, L) + f"dW^{l} and db^{l} {what}{later}, so δ^{l} is wrong{rec} "
            f"(inferred from dW and db: no δ returned)"
        )
        worse = cw if cw.status == "nonfinite" or (cb.status != "nonfinite" and cw.err > cb.err) else cb
        return Finding(delta_eq(l, L), l, text, "delta-inferred", worse)  # the table's rel err is the headline's
    why = f"δ^{l} agrees" if has_delta else f"db^{l} agrees, so δ^{l} is right"
    if cw.status != "ok":
        also = f"; db^{l} fails too (eq (3)): {phrase('db', l, cb, ref)}" if cb.status != "ok" else f"; {why}"
        return Finding("2", l, lead("2", l) + f"{phrase('dW', l, cw, ref)}{also}", "dW", cw)
    why = f"δ^{l} agrees" if has_delta else f"dW^{l} agrees"
    return Finding("3", l, lead("3", l) + f"{phrase('db', l, cb, ref)}; {why}", "db", cb)


def lowest_precision(raw):
    """np.float32 when any array in the user's result is float32 (or float16), else np.float64."""
    if isinstance(raw, np.ndarray):
        return np.float32 if raw.dtype.kind == "f" and raw.dtype.itemsize < 8 else np.float64
    items = raw.values() if isinstance(raw, dict) else raw if isinstance(raw, (list, tuple)) else ()
    return np.float32 if any(lowest_precision(v) is np.float32 for v in items) else np.float64


def largest(checks):
    """(rel err, tol_used, 'dW^3') of the passing check closest to its tolerance."""
    best = (0.0, 0.0, "")
    for (name, l), c in sorted(checks.items()):
        if c.status == "ok" and c.tol_used >= best[1]:
            best = (c.err, c.tol_used, f"{SYMBOL[name]}^{l}")
    return best
