"""The report's later sections: the equations as the slides state them, one image by hand, the oracles, paths."""

from __future__ import annotations

from comparisons.common import tolerances
from comparisons.common.finite_diff import FD_STEP
from comparisons.lecture import complex_step, formulas
from comparisons.lecture import enumeration_cost as paths_cost
from comparisons.lecture import path_sum as paths_sum
from comparisons.lecture.data import show
from comparisons.lecture.equations import EQUATIONS, ORACLE_NOT_FINITE
from comparisons.lecture.markdown import arch, err, hand, md_table, tr, val
from comparisons.lecture.oracles import TOLERANCES


def backprop(S, run):
    """Section 4: (1)–(4) quoted, (5) labelled as this project's, each with its matrix form; Σ_k; the procedure."""
    K = len(run.X)
    out = [S["bp_h"], "", S["bp"].format(K=K), ""]
    for e in ("(1)", "(2)", "(3)", "(4)", "(5)"):
        out += [S["eq_heads"][e], ""]
        if e == "(5)":
            out += [S["eq_notes"][e].format(), ""] + formulas.math(formulas.RECURRENCE)
        else:
            out += formulas.math(formulas.SLIDES[e]) + ["", S["eq_notes"][e].format()]
        out += ["", S["matrix_intro"].format(fn=f"backprop.{formulas.FUNCTIONS[e]}"), "", "```python"]
        out += [formulas.MATRIX[e], "```", ""]
    out += [S["per_image_h"], "", S["per_image"].format(K=K), "", S["procedure_h"], ""]
    return out + [f"{i}. {step.format()}" for i, step in enumerate(S["procedure"], 1)] + [""]


def worked(S, run, yn):
    """Section 5: image k by hand, from z and a to ∂C_k/∂w_11^2, the factored 微分地獄 terms, and Σ_k."""
    w, K = run.worked, len(run.X)
    out = [S["worked_h"].format(k=w.k), "", S["worked"].format(k=w.k), ""]
    out += ["```text", show(w.x), "```", ""]
    out += [f"x = ({', '.join(hand(x) for x in w.x)}), t = ({hand(w.t[0])}, {hand(w.t[1])})", ""]
    out += [S["worked_fwd"], ""]
    rows = [(2, j + 1, hand(w.z2[j]), hand(w.a2[j]), hand(w.sp2[j])) for j in range(len(w.z2))]
    rows += [(3, j + 1, hand(w.z3[j]), hand(w.a3[j]), hand(w.sp3[j])) for j in range(len(w.z3))]
    out += md_table(S["unit_cols"], rows) + ["", S["worked_cost"].format(k=w.k, C=hand(w.C)), ""]
    out += [S["worked_d3"], ""]
    out += [
        f"- δ_{j + 1}^3 = ({hand(w.a3[j])} − {hand(w.t[j])}) × {hand(w.sp3[j])} = {hand(w.delta3[j])}"
        for j in range(len(w.delta3))
    ]
    out += ["", S["worked_d2"], ""]
    W3 = run.initial.W[3]
    out += [
        f"- δ_{i + 1}^2 = ({hand(w.delta3[0])} × {hand(W3[0, i])} + {hand(w.delta3[1])} × {hand(W3[1, i])}) "
        f"× {hand(w.sp2[i])} = {hand(w.back[i])} × {hand(w.sp2[i])} = {hand(w.delta2[i])}"
        for i in range(len(w.delta2))
    ]
    out += ["", S["worked_w"].format(k=w.k, d21=hand(w.delta2[0]), x1=hand(w.x[0]), dw=hand(w.dCk_dw)), ""]
    out += [S["worked_hell"], ""] + formulas.math(formulas.FACTORED) + [""]
    sp, x1 = hand(w.sp2[0]), hand(w.x[0])
    out += [
        "```text",
        f"{S['term_sum']} = {hand(w.term1)} + {hand(w.term2)} = {hand(w.term1 + w.term2)}",
        f"(δ_1^3 w_11^3 + δ_2^3 w_21^3) σ'(z_1^2) x_1 = ({hand(w.delta3[0])} × {hand(w.w11_3)} + "
        f"{hand(w.delta3[1])} × {hand(w.w21_3)}) × {sp} × {x1} = {hand(w.factored)}",
        f"δ_1^2 x_1 = {hand(w.delta2[0])} × {x1} = {hand(w.dCk_dw)}",
        "```",
        "",
    ]
    n_lit = int((run.X[:, 0] != 0).sum())
    out += [
        S["worked_sum"].format(n_lit=n_lit, K=K, total=val(w.total), autograd=val(run.hell_initial.autograd)),
        "",
        S["worked_check"].format(k=w.k, ok=yn(w.agrees_with_manual_bp)),
        "",
    ]
    return out


def equations(S, run, yn):
    """Section 6: each equation on its own against autograd, finite differences and the complex step."""
    out = [
        S["eq_h"],
        "",
        S["eq"].format(
            h_fd=f"{FD_STEP:g}",
            h_cs=f"{complex_step.CS_STEP:g}",
            analytic=", ".join(complex_step.ACTIVATIONS),
            not_analytic=", ".join(complex_step.NOT_ANALYTIC),
        ),
        "",
    ]
    eq = run.equations
    for e in EQUATIONS:
        sub = eq[eq["equation"] == e]
        g = sub.groupby(["point", "oracle"], sort=False).agg(
            a=("max_abs_err", "max"),
            r=("max_rel_err", "max"),
            t=("tolerance", "first"),
            p=("passed", "all"),
            skipped=("note", lambda s: bool((s == ORACLE_NOT_FINITE).any())),
        )
        rows = [
            (
                S["initial_w"] if pt == "initial" else S["trained_w"],
                tr(S, o),
                err(x.a),
                err(x.r),
                f"`{x.t}`",
                S["oracle_not_finite"] if x.skipped else yn(x.p),
            )
            for (pt, o), x in g.iterrows()
        ]
        out += [f"### {S['eq_names'][e]}", ""] + md_table(S["eq_cols"], rows) + [""]
    notes = eq[eq["equation"] == "all"]
    out += [f"- {tr(S, r.oracle)}: {r.note}" for r in notes.itertuples()] + ([""] if len(notes) else [])
    if (eq["note"] == ORACLE_NOT_FINITE).any():
        out += [f"- {S['oracle_not_finite']}: {ORACLE_NOT_FINITE}", ""]
    out += [S["pass_rule"], ""]
    tols = (
        [("GRAD_F64", tolerances.GRAD_F64)]
        + [t for t in TOLERANCES.values() if t[0] != "GRAD_F64"]
        + [("PATHS_F64", tolerances.PATHS_F64)]
    )
    out += [S["tol_h"], ""] + md_table(S["tol_cols"], [(f"`{nm}`", err(t.rtol), err(t.atol)) for nm, t in tols]) + [""]
    return out


def paths(S, run, yn):
    """Section 7: path enumeration against backprop, and its cost as networks grow."""
    ct = run.cost_table
    out = [
        S["paths_h"],
        "",
        S["paths"].format(
            arch=arch(run.paths_sizes), terms=run.paths_terms, err=err(run.paths_max_abs), ok=yn(run.paths_passed)
        ),
        "",
        S["paths_table"].format(limit=f"{paths_sum.MAX_PATH_TERMS:,}", K=paths_cost.K),
        "",
    ]
    rows = [
        (
            r.depth,
            r.width,
            r.path_terms,
            r.madds_paths,
            r.madds_backprop,
            f"{r.ratio:.1f}",
            yn(r.passed) if r.enumerated else S["refused"],
            err(r.max_abs_err),
        )
        for r in ct.itertuples()
    ]
    out += md_table(S["paths_cols"], rows) + [""]
    big = ct[~ct["enumerated"]]
    if len(big):
        try:
            paths_sum.check_size([int(s) for s in big.iloc[0]["sizes"].split("-")])
        except ValueError as e:
            out += [S["refusal"].format(msg=e), ""]
    return out
