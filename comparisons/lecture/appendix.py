"""The lesson's appendix: every check, with its tolerance and verdict, kept out of the main text."""

from __future__ import annotations

from comparisons.common import tolerances
from comparisons.common.finite_diff import FD_STEP
from comparisons.lecture import complex_step
from comparisons.lecture import enumeration_cost as paths_cost
from comparisons.lecture import path_sum as paths_sum
from comparisons.lecture.equations import EQUATIONS, ORACLE_NOT_FINITE
from comparisons.lecture.markdown import arch, err, md_table, pct, short, tr, val
from comparisons.lecture.oracles import TOLERANCES
from comparisons.lecture.training import SIZES, every_k


def render(S, run):
    """Appendix A: the verdict, then each check in the order the lesson uses its numbers."""
    yn = lambda b: S["yes"] if b else S["no"]  # noqa: E731
    checks = run.checks
    n, ok = len(checks), sum(checks.values())
    head = S["verdict_ok"].format(n=n) if ok == n else S["verdict_fail"].format(bad=n - ok, ok=ok, n=n)
    if run.indistinct:
        head += " " + S["verdict_indistinct"].format(u=len(run.indistinct))
    out = [S["app_h"], "", S["app"], "", S["a_checks_h"], "", head, ""]
    out += md_table(
        [S["check"], S["passed"]],
        [(tr(S, name), S["indistinct"] if name in run.indistinct else yn(p)) for name, p in checks.items()],
    ) + [""]
    return out + _training(S, run, yn) + _hell(S, run) + _worked(S, run, yn) + _oracles(S, run, yn)


def _training(S, run, yn):
    t = run.training
    costs = [
        (int(r.step), val(r.C_T_manual_bp), val(r.C_T_torch), err(r.abs_diff))
        for r in every_k(t.costs, run.k).itertuples()
    ]
    out = [S["a_train_h"], "", S["a_train"].format(steps=run.steps, eta=f"{run.eta:g}", k=run.k), ""]
    out += md_table(S["gd_cols"], costs) + [""]
    out += [
        S["gd_after"].format(
            steps=run.steps,
            diff=err(t.max_param_diff),
            worst=f"{t.worst:.2g}",
            ok=yn(t.params_passed and t.costs_passed),
        ),
        "",
        S["a_acc"].format(acc=pct(t.accuracy_torch), held=pct(t.held_torch)),
        "",
    ]
    gW, gb = run.gradient
    out += [S["a_grad"].format(seed=run.seed), ""]
    rows = [(f"∂C_T/∂w_{j + 1}i^2", *(short(x) for x in gW[2][j])) for j in range(gW[2].shape[0])]
    out += md_table(S["grad_cols"], rows) + [""]
    rows = [(f"∂C_T/∂w_{j + 1}i^3", *(short(x) for x in gW[3][j])) for j in range(gW[3].shape[0])]
    rows += [(f"∂C_T/∂b_j^{l}", *(short(x) for x in gb[l])) for l in (2, 3)]
    cols = S["grad_cols"][:1] + ["i (w), j (b) = 1", "2", "3"]
    return out + md_table(cols, [r + ("",) * (4 - len(r)) for r in rows]) + [""]


def _hell(S, run):
    h0, h1 = run.hell_initial, run.hell_trained
    names = ["term 1", "term 2 (printed)", "term 2 (corrected)", "total (printed)", "total (corrected)"]
    rows = [(tr(S, nm), val(h0.sums[nm]), val(h1.sums[nm])) for nm in names]
    rows += [
        (S["autograd_row"], val(h0.autograd), val(h1.autograd)),
        (S["backprop_row"], val(h0.backprop), val(h1.backprop)),
    ]
    out = [S["a_hell_h"], "", S["hell_sums"], ""] + md_table(S["sums_cols"], rows) + [""]
    for point, h in ((S["initial_w"], h0), (S["trained_w"], h1)):
        v = h.verdict
        key = "hell_verdict" if v.distinguishable else "hell_same"
        out += [
            "- "
            + S[key].format(
                point=point,
                p_rel=err(v.printed_rel),
                c_rel=err(v.corrected_rel),
                p_ok=S["differs"] if v.printed_differs else S["not_differs"],
                c_ok=S["agrees"] if v.corrected_agrees else S["not_agrees"],
            )
        ]
    return out + ["", S["a_c1"].format(c1=val(h0.dC1), ct=val(h0.autograd)), ""]


def _worked(S, run, yn):
    w = run.worked
    return [
        S["a_worked_h"],
        "",
        S["worked_check"].format(k=w.k, total=val(w.total), w11=val(w.w11_new), ok=yn(w.agrees_with_manual_bp)),
        "",
    ]


def _oracles(S, run, yn):
    """Each equation on its own against autograd, finite differences and the complex step; path enumeration."""
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
        out += [f"#### {S['eq_names'][e]}", ""] + md_table(S["eq_cols"], rows) + [""]
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
    return out + _paths(S, run, yn) + _data(S, run)


def _paths(S, run, yn):
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
        (r.depth, r.width, r.path_terms, S["did"] if r.enumerated else S["refused"], err(r.max_abs_err))
        + ((yn(r.passed),) if r.enumerated else ("—",))
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


def _data(S, run):
    px = int(run.pixel_acc.argmax())
    linear = (
        S["linear_yes"].format(epochs=run.perceptron) if run.perceptron else S["linear_no"].format(epochs=1000)
    )  # 1000: data.perceptron_epochs' max_epochs
    return [
        S["a_data_h"],
        "",
        S["a_data"].format(
            px=px + 1, px_acc=f"{100 * run.pixel_acc[px]:.1f} %", K=len(run.X), linear=linear, n_held=len(run.held.X)
        ),
        "",
        S["a_data_arch"].format(arch=arch(SIZES)),
        "",
    ]
