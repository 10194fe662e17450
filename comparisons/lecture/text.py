"""`lecture.md` and `lecture.ja.md`: one renderer; the prose per language from comparisons.lecture.prose.

Every number comes through a placeholder, so the two reports carry the same numbers.  This
module renders the head, the notation, the data, gradient descent and 微分地獄; ``sections``
the equations, the worked example, the oracles and the path count.
"""

from __future__ import annotations

from comparisons.common import tolerances
from comparisons.lecture import formulas, sections
from comparisons.lecture.chain_rule_slide import FIRST, SECOND_CORRECTED, SECOND_PRINTED, term
from comparisons.lecture.data import side_by_side
from comparisons.lecture.markdown import arch, err, hand, md_table, pct, short, tr, val
from comparisons.lecture.prose import STRINGS
from comparisons.lecture.training import NO_HIDDEN, SIZES, every_k


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
    lines += _notation(S, run) + _data(S, run) + _gd(S, run, yn) + _hell(S, run)
    lines += sections.backprop(S, run) + sections.worked(S, run, yn)
    lines += sections.equations(S, run, yn) + sections.paths(S, run, yn)
    lines += [S["files"].format(files=", ".join(f"`{f}`" for f in files)), ""]
    return "\n".join(lines)


def _notation(S, run):
    n1, n2, n3 = SIZES
    count = f"{n1}·{n2} + {n2} + {n2}·{n3} + {n3} = {n1 * n2 + n2 + n2 * n3 + n3}"
    n_params = sum(w.size + b.size for w, b in zip(run.initial.W.values(), run.initial.b.values()))
    v = dict(arch=arch(SIZES), n1=n1, n2=n2, n3=n3, K=len(run.X), n_params=n_params, count=count)
    return (
        [S["notation_h"], "", S["notation"].format(**v), ""]
        + formulas.math(formulas.NEURON)
        + formulas.math(formulas.SIGMOID)
        + ["", S["notation_cost"].format(**v), ""]
        + formulas.math(formulas.COST)
        + ["", S["notation_code"].format(**v), "", S["params"].format(**v), ""]
        + formulas.math(formulas.GRADIENT)
        + [""]
    )


def _data(S, run):
    im, K = run.images, len(run.X)
    clean = [sum(1 for d, kd in zip(im.digits, im.kind) if d == digit and kd == "clean") for digit in (0, 1)]
    noisy = [int((im.digits == digit).sum()) - clean[digit] for digit in (0, 1)]
    shown = _examples(im)
    px = int(run.pixel_acc.argmax())
    linear = (
        S["linear_yes"].format(epochs=run.perceptron)
        if run.perceptron
        else S["linear_no"].format(epochs=1000)  # data.perceptron_epochs' max_epochs
    )
    v = dict(K=K, n0=int((im.digits == 0).sum()), c0=clean[0], c1=clean[1], z0=noisy[0], z1=noisy[1])
    return [
        S["data_h"].format(K=K),
        "",
        S["data"].format(**v),
        "",
        "```text",
        side_by_side([im.X[k] for k in shown], [f"k = {k + 1}: {im.digits[k]}" for k in shown]),
        "```",
        "",
        S["data_after"].format(px=px + 1, px_acc=pct(run.pixel_acc[px]), K=K, linear=linear, n_held=len(run.held.X)),
        "",
    ]


def _examples(im):
    """Indices of a few images to show: per digit, the first clean, one of each stroke, the first noisy."""
    picks = []
    for d in (0, 1):
        seen = set()
        for k in range(len(im.X)):
            if im.digits[k] != d:
                continue
            tag = (im.kind[k], im.source[k].split(",")[0])
            if tag not in seen:
                seen.add(tag)
                picks.append(k)
    return picks


def _gd(S, run, yn):
    t = run.training
    gW, gb = run.gradient
    v = dict(eta=run.eta, seed=run.seed, n_params=sum(g.size for g in (*gW.values(), *gb.values())))
    out = [S["gd_h"], "", S["gd"], ""] + formulas.math(formulas.UPDATE) + ["", S["gd_eta"].format(**v), ""]
    rows = [(f"∂C_T/∂w_{j + 1}i^2", *(short(x) for x in gW[2][j])) for j in range(gW[2].shape[0])]
    out += md_table(S["grad_cols"], rows) + [""]
    rows = [(f"∂C_T/∂w_{j + 1}i^3", *(short(x) for x in gW[3][j])) for j in range(gW[3].shape[0])]
    rows += [(f"∂C_T/∂b_j^{l}", *(short(x) for x in gb[l])) for l in (2, 3)]
    out += md_table(S["grad_cols"][:1] + ["i (w), j (b) = 1", "2", "3"], [r + ("",) * (4 - len(r)) for r in rows]) + [
        ""
    ]
    costs = [
        (int(r.step), val(r.C_T_manual_bp), val(r.C_T_torch), err(r.abs_diff))
        for r in every_k(t.costs, run.k).itertuples()
    ]
    out += [S["gd_run"].format(steps=run.steps, eta=run.eta, k=run.k), ""] + md_table(S["gd_cols"], costs) + [""]
    tol = tolerances.trajectory_tolerance("float64", run.steps)
    out += [
        S["gd_after"].format(
            steps=run.steps,
            diff=err(t.max_param_diff),
            tol=f"rtol {err(tol.rtol)}, atol {err(tol.atol)}",
            ok=yn(t.params_passed and t.costs_passed),
        ),
        "",
    ]
    names = [s.format(arch=arch(SIZES), arch_lin=arch(NO_HIDDEN)) for s in S["acc_rows"]]
    accs = [(t.accuracy_manual, t.held_manual), (t.accuracy_torch, t.held_torch), run.no_hidden]
    cols = [c.format(K=len(run.X), n_held=len(run.held.X)) for c in S["acc_cols"]]
    out += md_table(cols, [(nm, pct(a), pct(b)) for nm, (a, b) in zip(names, accs)]) + [""]
    return out + [S["acc_after"].format(steps=run.steps, eta=run.eta), ""]


def _hell(S, run):
    h0, h1 = run.hell_initial, run.hell_trained
    k, f = h0.k_shown, h0.factors
    out = [S["hell_h"], "", S["hell"], ""] + formulas.math(formulas.HELL_PRINTED) + ["", S["hell_terms"], ""]
    out += formulas.math(formulas.TERM2_PRINTED) + formulas.math(formulas.TERM2_CORRECTED) + [""]
    out += [S["hell_table"].format(k=k + 1), ""]
    cells = lambda names: [f"{n} = {hand(f[n][k])}" for n in names]  # noqa: E731
    cols = [cells(FIRST), cells(SECOND_PRINTED), cells(SECOND_CORRECTED)]
    rows = [(i + 1, *(c[i] if i < len(c) else "—" for c in cols)) for i in range(len(FIRST))]
    rows.append(
        (
            S["product_row"].format(k=k + 1),
            *(hand(term(f, names)[k]) for names in (FIRST, SECOND_PRINTED, SECOND_CORRECTED)),
        )
    )
    rows.append(
        (
            S["sum_row"].format(K=len(run.X)),
            *(val(h0.sums[n]) for n in ("term 1", "term 2 (printed)", "term 2 (corrected)")),
        )
    )
    out += md_table(S["factor_cols"], rows) + [""]
    names = ["total (printed)", "total (corrected)"]
    rows = [(tr(S, nm), val(h0.sums[nm]), val(h1.sums[nm])) for nm in names]
    rows += [
        (S["autograd_row"], val(h0.autograd), val(h1.autograd)),
        (S["backprop_row"], val(h0.backprop), val(h1.backprop)),
    ]
    out += [S["hell_sums"], ""] + md_table(S["sums_cols"], rows) + [""]
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
    out += ["", S["c1"], ""] + formulas.math(formulas.SLIDE_FIRST_ROW)
    out += ["", S["c1_after"].format(c1=val(h0.dC1), x1=int(run.X[0, 0]), ct=val(h0.autograd)), ""]
    return out
