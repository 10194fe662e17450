"""`lecture.md` and `lecture.ja.md`: one renderer, the sentences from lecture_strings."""

from __future__ import annotations

import math

from comparisons.common import tolerances
from comparisons.common.finite_diff import FD_STEP
from comparisons.lecture import complex_step
from comparisons.lecture import path_cost as paths_cost
from comparisons.lecture import path_sum as paths
from comparisons.lecture.data import COLS, ROWS, show
from comparisons.lecture.equations import EQUATIONS
from comparisons.lecture.oracles import TOLERANCES
from comparisons.lecture.strings import STRINGS
from comparisons.lecture.training import SIZES, every_k


def val(x):
    """A computed value, to 15 significant digits."""
    return f"{x:.15g}"


def err(x):
    """An error or a tolerance, to 3 significant digits; NaN as —."""
    return "—" if isinstance(x, float) and math.isnan(x) else f"{x:.2e}"


def md_table(cols, rows):
    """A Markdown table of already formatted cells."""
    out = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    return out + ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]


def tr(S, name):
    """``name`` in the report's language (unchanged where no translation is listed)."""
    return S["names"].get(name, name)


def arch(sizes):
    """12-3-2 style."""
    return "-".join(map(str, sizes))


def render(run, lang, versions, files):
    """The whole report in ``lang`` ('en' or 'ja')."""
    S = STRINGS[lang]
    checks = run.checks
    n, ok = len(checks), sum(checks.values())
    head = S["verdict_ok"].format(n=n) if ok == n else S["verdict_fail"].format(bad=n - ok, ok=ok, n=n)
    if run.indistinct:
        head += " " + S["verdict_indistinct"].format(u=len(run.indistinct))
    yn = lambda b: S["yes"] if b else S["no"]  # noqa: E731
    lines = [S["title"], "", head, "", S["intro"].format(command=run.command), S["versions"].format(**versions), ""]
    lines += md_table(
        [S["check"], S["passed"]],
        [(tr(S, name), S["indistinct"] if name in run.indistinct else yn(p)) for name, p in checks.items()],
    ) + [""]
    lines += _data(S, run) + _training(S, run, yn) + _hell(S, run) + _equations(S, run, yn) + _paths(S, run, yn)
    lines += [S["files"].format(files=", ".join(f"`{f}`" for f in files)), ""]
    return "\n".join(lines)


def _data(S, run):
    ka = int(run.X[:, 0].argmax()) + 1  # 1-based k: the first image with x_1 = 1 (a 0) …
    kb = int((run.digits == 1).argmax()) + 1  # … and the first 1
    return [
        S["data_h"].format(K=len(run.X)),
        "",
        S["data"].format(
            K=len(run.X),
            r=ROWS,
            c=COLS,
            n0=int((run.digits == 0).sum()),
            n1=int((run.digits == 1).sum()),
            nL=run.T.shape[1],
            ka=ka,
            kb=kb,
        ),
        "",
        "```",
        f"k = {ka}",
        show(run.X[ka - 1]),
        "",
        f"k = {kb}",
        show(run.X[kb - 1]),
        "```",
        "",
        S["net"].format(arch=arch(SIZES), K=len(run.X), seed=run.seed),
        "",
    ]


def _training(S, run, yn):
    tr = run.training
    rows = [
        (int(r.step), val(r.C_T_manual_bp), val(r.C_T_torch), err(r.abs_diff))
        for r in every_k(tr.costs, run.k).itertuples()
    ]
    tol = tolerances.trajectory_tolerance("float64", run.steps)
    return (
        [S["gd_h"], "", S["gd"].format(steps=run.steps, eta=run.eta, k=run.k), ""]
        + md_table(S["gd_cols"], rows)
        + [
            "",
            S["gd_after"].format(
                steps=run.steps,
                diff=err(tr.max_param_diff),
                tol=f"rtol {err(tol.rtol)}, atol {err(tol.atol)}",
                ok=yn(tr.params_passed and tr.costs_passed),
                K=len(run.X),
                acc_m=f"{tr.accuracy_manual:.4f}",
                acc_t=f"{tr.accuracy_torch:.4f}",
            ),
            "",
        ]
    )


def _hell(S, run):
    h0, h1 = run.hell_initial, run.hell_trained
    k = h0.k_shown
    out = [S["hell_h"], "", S["hell"].format(k=k + 1), ""]
    out += md_table(S["factor_cols"], [(name, val(v[k])) for name, v in h0.factors.items()]) + [""]
    f = h0.factors
    out += [
        S["shorthand"].format(
            k=k + 1, sp=val(f["∂a_1^2/∂z_1^2"][k]), x1=val(f["∂z_1^2/∂w_11^2"][k]), prod=val(f["∂a_1^2/∂w_11^2"][k])
        ),
        "",
    ]
    rows = [(tr(S, name), val(h0.sums[name]), val(h1.sums[name])) for name in h0.sums]
    rows += [
        (S["autograd_row"], val(h0.autograd), val(h1.autograd)),
        (S["backprop_row"], val(h0.backprop), val(h1.backprop)),
    ]
    out += [S["hell_sums"].format(K=len(run.X)), ""] + md_table(S["sums_cols"], rows) + [""]
    for point, h in ((S["initial_w"], h0), (S["trained_w"], h1)):
        v = h.verdict
        out += [
            "- "
            + S["hell_verdict" if v.distinguishable else "hell_same"].format(
                point=point,
                p_rel=err(v.printed_rel),
                c_rel=err(v.corrected_rel),
                p_ok=S["differs"] if v.printed_differs else S["not_differs"],
                c_ok=S["agrees"] if v.corrected_agrees else S["not_agrees"],
            )
        ]
    out += ["", S["c1"].format(c1=val(h0.dC1), x1=int(run.X[0, 0]), ct=val(h0.autograd)), ""]
    return out


def _equations(S, run, yn):
    analytic = ", ".join(a for a in complex_step.ACTIVATIONS)
    out = [
        S["eq_h"],
        "",
        S["eq"].format(
            h_fd=f"{FD_STEP:g}",
            h_cs=f"{complex_step.CS_STEP:g}",
            analytic=analytic,
            not_analytic=", ".join(complex_step.NOT_ANALYTIC),
        ),
        "",
    ]
    eq = run.equations
    for e in EQUATIONS:
        sub = eq[eq["equation"] == e]
        g = sub.groupby(["point", "oracle"], sort=False).agg(
            a=("max_abs_err", "max"), r=("max_rel_err", "max"), t=("tolerance", "first"), p=("passed", "all")
        )
        rows = [
            (S["initial_w"] if pt == "initial" else S["trained_w"], tr(S, o), err(x.a), err(x.r), f"`{x.t}`", yn(x.p))
            for (pt, o), x in g.iterrows()
        ]
        out += [f"### {S['eq_names'][e]}", ""] + md_table(S["eq_cols"], rows) + [""]
    notes = eq[eq["equation"] == "all"]
    out += [f"- {tr(S, r.oracle)}: {r.note}" for r in notes.itertuples()] + ([""] if len(notes) else [])
    out += [S["pass_rule"], ""]
    tols = (
        [("GRAD_F64", tolerances.GRAD_F64)]
        + [t for t in TOLERANCES.values() if t[0] != "GRAD_F64"]
        + [("PATHS_F64", tolerances.PATHS_F64)]
    )
    out += [S["tol_h"], ""] + md_table(S["tol_cols"], [(f"`{nm}`", err(t.rtol), err(t.atol)) for nm, t in tols]) + [""]
    return out


def _paths(S, run, yn):
    ct = run.cost_table
    out = [
        S["paths_h"],
        "",
        S["paths"].format(
            arch=arch(run.paths_sizes), terms=run.paths_terms, err=err(run.paths_max_abs), ok=yn(run.paths_passed)
        ),
        "",
    ]
    out += [S["paths_table"].format(limit=f"{paths.MAX_PATH_TERMS:,}", K=paths_cost.K), ""]
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
            paths.check_size([int(s) for s in big.iloc[0]["sizes"].split("-")])
        except ValueError as e:
            out += [S["refusal"].format(msg=e), ""]
    return out
