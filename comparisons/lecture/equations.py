"""Each of the lecture's equations (1)–(5) on its own, and the sums over k, against each oracle.

To check one equation alone, its right-hand side is fed the oracle's values, never
manual_bp's: e.g. eq (5) is applied to the oracle's δ^{l+1} and must give the oracle's δ^l.
A mistake in one equation therefore shows up in that equation's table, not in all of them.
Only eq (1) checks manual_bp's whole backward pass (its δ^l, from (4) and (5)).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from comparisons.common.checks import compare
from comparisons.lecture.oracles import ORACLES, TOLERANCES
from manual_bp import backprop

EQUATIONS = ["(1)", "(2)", "(3)", "(4)", "(5)", "Σ_k"]
# A numerical oracle (finite differences, complex step) whose own arithmetic left an inf or NaN
# has not measured anything: its rows say so and are not a disagreement between the
# implementations (only autograd against manual_bp can be that).
ORACLE_NOT_FINITE = "the oracle's own values are not all finite here (its overflow, not an equation's): not compared"


def claims(net, X, T, o):
    """(equation, quantity, left side by the equation, right side from oracle ``o``) for every layer."""
    fwd = net.forward(X)
    z, a, L = fwd.z, fwd.a, net.L
    delta_bp = net.deltas(X, T)  # (K, n_l) per layer: eqs (4) then (5), manual_bp
    gW, gb = net.gradients(X, T)  # ∂C_T by (2), (3) summed over k
    out = []
    for l in range(2, L + 1):
        out.append(("(1)", f"δ^{l}", delta_bp[l], o["delta"][l]))
    for l in range(2, L + 1):
        # (2): δ_j^l[k] a_i^{l-1}[k] with the oracle's δ, for every k: (K, n_l, n_{l-1})
        out.append(
            ("(2)", f"∂C_k/∂W^{l}", backprop.weight_gradient(o["delta"][l], a[l - 1], per_example=True), o["pW"][l])
        )
    for l in range(2, L + 1):
        out.append(("(3)", f"∂C_k/∂b^{l}", backprop.bias_gradient(o["delta"][l], per_example=True), o["pb"][l]))
    # (4): ∂C/∂a^L ⊙ σ'(z^L), both factors as the equation writes them
    out.append(("(4)", f"δ^{L}", o["dC_da"] * net.act[L].prime(z[L], a[L]), o["delta"][L]))
    for l in range(L - 1, 1, -1):
        out.append(
            (
                "(5)",
                f"δ^{l} from δ^{l + 1}",
                backprop.hidden_delta(o["delta"][l + 1], net.W[l + 1], net.act[l], z[l], a[l]),
                o["delta"][l],
            )
        )
    for l in range(2, L + 1):
        out.append(("Σ_k", f"∂C_T/∂W^{l}", gW[l], o["gW"][l]))
        out.append(("Σ_k", f"∂C_T/∂b^{l}", gb[l], o["gb"][l]))
    return out


def finite(o):
    """Every array of the oracle's dict ``o`` is finite."""
    arrays = [v for v in o.values() if isinstance(v, np.ndarray)]
    arrays += [a for v in o.values() if isinstance(v, dict) for a in v.values()]
    return all(np.all(np.isfinite(a)) for a in arrays)


def table(net, X, T, oracles, point):
    """One row per (equation, quantity, oracle): largest errors, tolerance name, pass/fail."""
    rows = []
    for name in ORACLES:
        o = oracles[name]
        tol_name, tol = TOLERANCES[name]
        if isinstance(o, str):  # the oracle does not apply; the sentence says why
            rows.append(_row(point, "all", "—", name, tol_name, note=o))
            continue
        own_overflow = name != "autograd" and not finite(o)
        with np.errstate(over="ignore", invalid="ignore"):  # an inf of the oracle's, fed to an equation
            todo = claims(net, X, T, o)
        for eq, what, lhs, rhs in todo:
            if own_overflow:
                rows.append(_row(point, eq, what, name, tol_name, note=ORACLE_NOT_FINITE))
                continue
            r = compare(lhs, rhs, tol)
            rows.append(_row(point, eq, what, name, tol_name, r.max_abs_err, r.max_rel_err, r.passed))
    return pd.DataFrame(rows)


def _row(point, eq, what, oracle, tol_name, abs_err=float("nan"), rel_err=float("nan"), passed=True, note=""):
    """One row of lecture_equations.csv; an oracle that does not apply or overflowed passes with a note."""
    return dict(point=point, equation=eq, quantity=what, oracle=oracle, max_abs_err=abs_err, max_rel_err=rel_err,
                tolerance=tol_name, passed=passed, note=note)  # fmt: skip


def summary(df):
    """Per equation, point and oracle: the largest errors and whether every layer passed."""
    g = df.groupby(["equation", "point", "oracle"], sort=False)
    return g.agg(
        max_abs_err=("max_abs_err", "max"),
        max_rel_err=("max_rel_err", "max"),
        tolerance=("tolerance", "first"),
        passed=("passed", "all"),
    ).reset_index()
