r"""A lecturer's own numbers ("C_T = …", "w_11^2 after 1 step = …", "δ_1^3 = …"), checked to their printed digits.

A claim agrees when rounding the right value to the claim's last printed decimal gives the claim:
|claim − value| ≤ ½·10^e for a claim written to 10^e.  A claim that disagrees is compared with the
same number computed with each of the usual slips (``slips.SLIPS``), and with the neighbouring
quantity (another index, another example, one update fewer); the ones it matches are named.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

_IDX2 = r"(?:(\d)(\d)|\{?(\d+),(\d+)\}?)"  # w_11, w_{1,2}, w_1,2
_IDX1 = r"\{?(\d+)\}?"
PATTERNS = [
    ("C_T", re.compile(r"C_T$")),
    ("C_k", re.compile(r"C_\{?(\d+)\}?$")),
    ("unit", re.compile(rf"(z|a|delta)_{_IDX1}\^\{{?(\d+)\}}?(?:\[(\d+)\])?$")),
    ("dw", re.compile(rf"dC_(T|\d+)/dw_{_IDX2}\^\{{?(\d+)\}}?$")),
    ("db", re.compile(rf"dC_(T|\d+)/db_{_IDX1}\^\{{?(\d+)\}}?$")),
    ("w", re.compile(rf"w_{_IDX2}\^\{{?(\d+)\}}?(?:after(\d+)steps?)?$")),
    ("b", re.compile(rf"b_{_IDX1}\^\{{?(\d+)\}}?(?:after(\d+)steps?)?$")),
]
FORMS = "C_T, C_1, z_1^2, a_2^3, δ_1^3, δ_1^3[2], ∂C_T/∂w_11^2, ∂C_1/∂b_2^3, w_11^2 after 1 step, b_1^3 after 2 steps"


@dataclass(frozen=True)
class Quantity:
    """One number of the lesson: kind C_T, C_k, z, a, delta, dw, db, w or b; l, j, i, k 1-based; after: steps."""

    kind: str
    l: int = 0
    j: int = 0
    i: int = 0
    k: int = 0  # the example, for C_k, z, a, δ and ∂C_k (0: C_T)
    after: int | None = None  # updates applied, for w and b (None: the initial value)


@dataclass(frozen=True)
class Claim:
    """The lecturer's text, what it names, and the number written."""

    text: str
    q: Quantity
    value: Decimal


def _normal(text):
    t = text.replace("δ", "delta").replace("∂", "d").replace("_{T}", "_T").replace("−", "-")
    return re.sub(r"\s+", "", t)


def parse_name(text, sizes, K, steps, what="claims"):
    """The Quantity that ``text`` names, checked against the network; ValueError (one sentence) otherwise."""
    t = _normal(text)
    found = [(kind, m) for kind, m in ((kind, pat.match(t)) for kind, pat in PATTERNS) if m]
    if not found:
        raise ValueError(f"{what}: {text!r} names no quantity; write one of {FORMS}")
    kind, m = found[0]
    g = list(m.groups())
    two = lambda a, b, c, d: (int(a), int(b)) if a else (int(c), int(d))  # noqa: E731
    if kind == "C_T":
        q = Quantity("C_T")
    elif kind == "C_k":
        q = Quantity("C_k", k=int(g[0]))
    elif kind == "unit":
        q = Quantity(g[0], l=int(g[2]), j=int(g[1]), k=int(g[3] or 1))
    elif kind == "dw":
        j, i = two(*g[1:5])
        q = Quantity("dw", l=int(g[5]), j=j, i=i, k=0 if g[0] == "T" else int(g[0]))
    elif kind == "db":
        q = Quantity("db", l=int(g[2]), j=int(g[1]), k=0 if g[0] == "T" else int(g[0]))
    elif kind == "w":
        j, i = two(*g[0:4])
        q = Quantity("w", l=int(g[4]), j=j, i=i, after=None if g[5] is None else int(g[5]))
    else:
        q = Quantity("b", l=int(g[1]), j=int(g[0]), after=None if g[2] is None else int(g[2]))
    _check_range(text, q, sizes, K, steps, what)
    return q


def _check_range(text, q, sizes, K, steps, what):
    L = len(sizes)
    low = 1 if q.kind == "a" else 2  # a^1 = x; z, δ and the parameters start at l = 2
    if q.kind in ("z", "a", "delta", "dw", "db", "w", "b") and not low <= q.l <= L:
        raise ValueError(f"{what}: {text!r}: layer l = {q.l} is not one of {low} … {L}")
    if q.l and not 1 <= q.j <= sizes[q.l - 1]:
        raise ValueError(f"{what}: {text!r}: unit j = {q.j}, but layer {q.l} has n_{q.l} = {sizes[q.l - 1]} units")
    if q.kind in ("dw", "w") and not 1 <= q.i <= sizes[q.l - 2]:
        raise ValueError(f"{what}: {text!r}: unit i = {q.i}, but layer {q.l - 1} has {sizes[q.l - 2]} units")
    if q.k and not 1 <= q.k <= K:
        raise ValueError(f"{what}: {text!r}: example k = {q.k}, but there are K = {K}")
    if q.after is not None and not 0 <= q.after <= steps:
        raise ValueError(f"{what}: {text!r}: {q.after} steps, but the file's steps = {steps}")


def value(q, s):
    """The number ``q`` names in the solution ``s`` (slips.Solution or the lesson's own)."""
    k = q.k - 1
    if q.kind == "C_T":
        return float(s.C.sum() * s.reduce)
    if q.kind == "C_k":
        return float(s.C[k])
    if q.kind in ("z", "a", "delta"):
        return float(getattr(s, q.kind)[q.l][k, q.j - 1])
    if q.kind == "dw":
        d = s.delta[q.l][:, q.j - 1] * s.a[q.l - 1][:, q.i - 1]  # (K,): (2) per example
        return float(d.sum() * s.reduce if q.k == 0 else d[k])
    if q.kind == "db":
        d = s.delta[q.l][:, q.j - 1]  # (K,): (3) per example
        return float(d.sum() * s.reduce if q.k == 0 else d[k])
    W, b = s.params[q.after or 0]  # params[0]: the initial ones
    return float(W[q.l][q.j - 1, q.i - 1] if q.kind == "w" else b[q.l][q.j - 1])


def exponent(d):
    """The claim's last printed decimal place e (10^e), e.g. −8 for 0.35891648."""
    return d.as_tuple().exponent


def agrees(claimed, x):
    """Rounding ``x`` to the claim's last printed decimal gives the claim."""
    half = 0.5 * 10.0 ** exponent(claimed)
    return bool(np.isfinite(x) and abs(float(claimed) - x) <= half * (1 + 1e-9) + 1e-15 * abs(x))


def rounded(claimed, x):
    """``x`` to the claim's printed decimals."""
    e = exponent(claimed)
    return f"{x:.{max(0, -e)}f}" if e <= 0 else f"{x:.0f}"


def neighbours(q, sizes, K, steps):
    """(slip key, its values, Quantity) for what a slip of index, layer, example or step would give instead."""
    out = []
    L = len(sizes)
    if q.kind in ("w", "dw") and q.i != q.j and q.j <= sizes[q.l - 2] and q.i <= sizes[q.l - 1]:
        out.append(("swapped", dict(l=q.l, j=q.j, i=q.i), _with(q, j=q.i, i=q.j)))
    if q.kind in ("z", "a", "delta", "dw", "db", "w", "b"):
        for l in (q.l - 1, q.l + 1):
            if 2 <= l <= L and q.j <= sizes[l - 1] and (q.kind not in ("dw", "w") or q.i <= sizes[l - 2]):
                out.append(("layer", dict(other=l, l=q.l), _with(q, l=l)))
    if q.kind in ("dw", "db") and q.k == 0 and K > 1:
        out.append(("C_1_gradient", {}, _with(q, k=1)))
    if q.kind == "C_T" and K > 1:
        out.append(("C_1_cost", {}, Quantity("C_k", k=1)))
    if q.after:
        out.append(("one_update_fewer", dict(n=q.after, m=q.after - 1), _with(q, after=q.after - 1)))
    return out


def _with(q, **kw):
    return Quantity(**{**q.__dict__, **kw})


@dataclass(frozen=True)
class Verdict:
    """A claim checked: the right value, whether the claim agrees, and the slips it matches."""

    claim: Claim
    right: float
    ok: bool
    slips: list  # (key of prose SLIPS, format values)


def check(claim, lesson_solution, slip_solutions, sizes, K, steps):
    """The claim against the lesson's value; where wrong, every slip (key, its values) whose number it matches."""
    right = value(claim.q, lesson_solution)
    if agrees(claim.value, right):
        return Verdict(claim, right, True, [])
    found = [(key, {}) for key, s in slip_solutions.items() if agrees(claim.value, value(claim.q, s))]
    found += [
        (key, kw)
        for key, kw, q in neighbours(claim.q, sizes, K, steps)
        if agrees(claim.value, value(q, lesson_solution))
    ]
    if claim.q.kind in ("delta", "dw", "db") and agrees(claim.value, -right):
        found.append(("sign", {}))  # t − a for a − t: every δ, hence every gradient, changes sign
    return Verdict(claim, right, False, found)
