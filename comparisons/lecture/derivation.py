"""Sections 4–6 of the lesson: 微分地獄 as printed and corrected, δ and (1)–(5) derived, image 1 by hand."""

from __future__ import annotations

import numpy as np

from comparisons.lecture import formulas
from comparisons.lecture.chain_rule_slide import FIRST, SECOND_CORRECTED, SECOND_PRINTED, term
from comparisons.lecture.markdown import four, md_table, par, png, signed

CONTRIBUTIONS_PER_LINE = 6


def hell(S, run):
    """Section 4: the slide's formula whole as printed, whole corrected, each factor for image 1, the slips."""
    h, w = run.hell_initial, run.worked
    k, f = h.k_shown, h.factors
    out = [S["hell_h"], "", S["hell"], "", S["as_printed"], ""] + formulas.math(formulas.HELL_PRINTED)
    out += ["", S["corrected"], ""] + formulas.math(formulas.HELL_CORRECTED) + ["", S["hell_slip"], ""]
    out += formulas.math(formulas.TERM2_PRINTED) + formulas.math(formulas.TERM2_CORRECTED) + [""]
    out += [S["hell_table"].format(k=k + 1), ""]
    cells = lambda names: [f"{n} = {four(f[n][k])}" for n in names]  # noqa: E731
    cols = [cells(FIRST), cells(SECOND_PRINTED), cells(SECOND_CORRECTED)]
    rows = [(i + 1, *(c[i] if i < len(c) else "—" for c in cols)) for i in range(len(FIRST))]
    names = (FIRST, SECOND_PRINTED, SECOND_CORRECTED)
    rows.append((S["product_row"].format(k=k + 1), *(four(term(f, n)[k]) for n in names)))
    sums = ("term 1", "term 2 (printed)", "term 2 (corrected)")
    rows.append((S["sum_row"].format(K=len(run.X)), *(four(h.sums[n]) for n in sums)))
    out += md_table(S["factor_cols"], rows) + [""]
    out += [
        S["hell_totals"].format(
            printed=four(h.sums["total (printed)"]), corrected=four(h.sums["total (corrected)"]), w=w.k
        ),
        "",
    ]
    out += [S["c1"], ""] + formulas.math(formulas.SLIDE_FIRST_ROW)
    out += ["", S["c1_after"].format(c1=four(h.dC1), x1=int(run.X[0, 0]), ct=four(h.autograd)), ""]
    return out + [S["index_slips"], ""]


def equations(S, run, lang):
    """Section 5: δ introduced as the slides do, then (1)–(5), each derived by the chain rule; two pictures."""
    K = len(run.X)
    out = [S["bp_h"], "", S["bp"], ""]
    out += [S["eq_heads"]["(1)"], ""] + formulas.math(formulas.SLIDES["(1)"]) + ["", S["why_delta"], ""]
    for e in ("(2)", "(3)", "(4)"):
        out += [S["eq_heads"][e], ""] + formulas.math(formulas.SLIDES[e]) + ["", S["derive"][e], ""]
        out += formulas.math(formulas.DERIVATIONS[e]) + ["", S["eq_notes"][e], ""]
    out += [S["eq_heads"]["(5)"], "", S["eq_notes"]["(5)"], ""] + formulas.math(formulas.RECURRENCE)
    out += ["", S["derive"]["(5)"], ""] + formulas.math(formulas.DERIVATIONS["(5)"]) + ["", S["derive_5_after"], ""]
    out += [S["picture_net"].format(k=run.worked.k), "", f"![{S['net_alt']}]({png('lecture_network', lang)})", ""]
    out += [S["picture_graph"], "", f"![{S['graph_alt']}]({png('lecture_graph', lang)})", ""]
    out += [S["per_image_h"], "", S["per_image"].format(K=K), "", S["procedure_h"], ""]
    out += [f"{i}. {step}" for i, step in enumerate(S["procedure"], 1)] + ["", S["in_code"], "", "```python"]
    for e in ("(4)", "(5)", "(2)", "(3)"):
        out += [S["eq_tag"].format(e=e), formulas.MATRIX[e]]
    return out + ["```", ""]


def worked(S, run):
    """Section 6: δ^3, δ^2, ∂C_1/∂w_11^2, the 微分地獄 terms factored, the sum over k, and one update."""
    w, K, W3 = run.worked, len(run.X), run.initial.W[3]
    out = [S["worked_h"].format(k=w.k), "", S["worked"].format(k=w.k), "", S["worked_d3"], "", "```text"]
    out += [
        f"δ_{j + 1}^3 = ({four(w.a3[j])} − {w.t[j]:g}) × {four(w.sp3[j])} = {four(w.delta3[j])}"
        for j in range(len(w.delta3))
    ]
    out += ["```", "", S["worked_d2"], "", "```text"]
    out += [
        f"δ_{i + 1}^2 = ({signed([(w.delta3[0], f' × {par(W3[0, i])}'), (w.delta3[1], f' × {par(W3[1, i])}')])}) "
        f"× {four(w.sp2[i])} = {four(w.back[i])} × {four(w.sp2[i])} = {four(w.delta2[i])}"
        for i in range(len(w.delta2))
    ]
    out += ["```", "", S["worked_w"].format(k=w.k, d21=four(w.delta2[0]), x1=f"{w.x[0]:g}", dw=four(w.dCk_dw)), ""]
    out += [S["worked_hell"], ""] + formulas.math(formulas.FACTORED) + ["", "```text"]
    out += [
        f"{S['term_sum']} = {signed([(w.term1, ''), (w.term2, '')])} = {four(w.term1 + w.term2)}",
        f"(δ_1^3 w_11^3 + δ_2^3 w_21^3) σ'(z_1^2) x_1 = "
        f"({signed([(w.delta3[0], f' × {par(w.w11_3)}'), (w.delta3[1], f' × {par(w.w21_3)}')])}) "
        f"× {four(w.sp2[0])} × {w.x[0]:g} = {four(w.factored)}",
        f"δ_1^2 x_1 = {four(w.delta2[0])} × {w.x[0]:g} = {four(w.dCk_dw)}",
        "```",
        "",
    ]
    lit = np.flatnonzero(run.X[:, 0] != 0)
    out += [S["worked_sum"].format(n_lit=len(lit), K=K), "", "```text"]
    cells = [f"k={k + 1:>2}: {four(w.contributions[k]):>10}" for k in lit]
    out += ["   ".join(cells[i : i + CONTRIBUTIONS_PER_LINE]) for i in range(0, len(cells), CONTRIBUTIONS_PER_LINE)]
    out += [f"Σ_k δ_1^2[k] x_1[k] = ∂C_T/∂w_11^2 = {four(w.total)}", "```", ""]
    out += [S["worked_update"].format(eta=f"{w.eta:g}"), ""] + formulas.math(formulas.UPDATE_W11) + ["", "```text"]
    g = four(w.total) if w.total >= 0 else f"({four(w.total)})"
    out += [f"w_11^2 ← {four(w.w11)} − {w.eta:g} × {g} = {four(w.w11_new)}", "```", ""]
    c1 = run.training.costs["C_T_manual_bp"].iloc[1] if len(run.training.costs) > 1 else float("nan")
    return out + [S["worked_after"].format(C0=four(run.training.costs["C_T_manual_bp"].iloc[0]), C1=four(c1)), ""]
