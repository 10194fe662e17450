"""Sections 7–8 of the lesson: training (why C_T jumps, why δ shrinks) and why backpropagation is fast."""

from __future__ import annotations

from comparisons.lecture import formulas
from comparisons.lecture.markdown import arch, four, md_table, pct, png
from comparisons.lecture.training import NO_HIDDEN, SIZES

SHOWN_STEPS = (0, 1, 2, 5, 10, 20, 50, 100, 200, 300, 1000)  # C_T in the text at these steps (and the last)
SETTLED = 0.9  # training accuracy from which the outputs are said to sit near their targets (chance is 0.5)


def training(S, run, lang):
    """Section 7: the update, the ball, η on a sum of 64 costs, the jumps of C_T, saturation, accuracy."""
    t, r = run.training, run.rises
    K = len(run.X)
    out = [S["gd_h"], "", S["gd"], ""] + formulas.math(formulas.UPDATE) + ["", S["ball"], ""]
    out += [S["gd_run"].format(steps=run.steps, eta=f"{run.eta:g}"), ""]
    c = t.costs["C_T_manual_bp"].to_numpy()
    steps = [n for n in SHOWN_STEPS if n < len(c)] + ([len(c) - 1] if len(c) - 1 not in SHOWN_STEPS else [])
    out += md_table([S["step"]] + [str(n) for n in steps], [("C_T", *(four(c[n]) for n in steps))]) + [""]
    out += [f"![{S['training_alt']}]({png('lecture_training', lang)})", ""]
    out += [S["jumps_h"], ""]
    if r.count:
        ratio = f"{r.worst_ratio:.2f}"
        rose = (S["rose"] if r.count > 1 else S["rose_once"]).format(
            n=r.count, first=r.first, last=r.last, ratio=ratio, at=r.worst_step
        )
        out += [S["jumps"].format(rose=rose, after=_after(S, c[r.last :], run.steps))]
    else:
        out += [S["no_jumps"].format(steps=run.steps)]
    out += ["", S["sum_eta"].format(K=K, eta=f"{run.eta:g}", mean_eta=f"{K * run.eta:g}"), ""]
    out += formulas.math(formulas.SUM_GRADIENT) + ["", S["overshoot"], ""]
    s0, s1 = run.saturation
    out += [S["saturation_h"], "", S["saturation"], ""] + formulas.math(formulas.SIGMOID_BOUND) + [""]
    rows = [
        (
            l,
            four(s0.max_sigma_prime[l]),
            four(s0.mean_abs_delta[l]),
            four(s1.max_sigma_prime[l]),
            four(s1.mean_abs_delta[l]),
            four(s1.max_abs_z[l]),
        )
        for l in sorted(s0.max_sigma_prime, reverse=True)
    ]
    out += md_table(S["saturation_cols"], rows) + [""]
    sp3 = four(s1.max_sigma_prime[3])
    after = (S["settled"] if t.accuracy_manual >= SETTLED else S["stuck"]).format(
        steps=run.steps, sp3=sp3, acc=pct(t.accuracy_manual), eta=f"{run.eta:g}"
    )
    out += [S["saturation_after"].format(ratio0=four(s0.mean_abs_delta[2] / s0.mean_abs_delta[3]), after=after), ""]
    names = [s.format(arch=arch(SIZES), arch_lin=arch(NO_HIDDEN)) for s in S["acc_rows"]]
    accs = [(t.accuracy_manual, t.held_manual), run.no_hidden]
    cols = [col.format(K=K, n_held=len(run.held.X)) for col in S["acc_cols"]]
    out += [S["acc"].format(steps=run.steps, eta=f"{run.eta:g}"), ""]
    return out + md_table(cols, [(nm, pct(a), pct(b)) for nm, (a, b) in zip(names, accs)]) + ["", S["acc_after"], ""]


def _after(S, c, steps):
    """What C_T did after its last rise (``c``: C_T from that step to the end): fell at every step, stood still
    throughout, or fell with steps that changed nothing."""
    d = c[1:] - c[:-1]
    if (d < 0).all():
        return S["after_steady"].format(steps=steps)
    if (d == 0).all():
        return S["after_flat"].format(steps=steps, C=four(c[-1]))
    return S["after_fall"].format(steps=steps)


def speed(S, run, lang):
    """Section 8: the whole gradient of one image by backprop, by finite differences, by path enumeration."""
    g = run.gradient_cost
    rows = [
        (S["by_backprop"], g.backprop, "1"),
        (S["by_fd"].format(P=g.params), g.finite_differences, f"{g.finite_differences / g.backprop:.0f}"),
        (S["by_paths"], g.paths, f"{g.paths / g.backprop:.1f}"),
    ]
    out = [S["speed_h"], "", S["speed"].format(arch=arch(SIZES), P=g.params, F=g.forward), ""]
    out += md_table(S["speed_cols"], rows) + ["", S["speed_why"], ""]
    ct = run.cost_table
    out += [S["growth"].format(K=len(run.X)), ""]
    rows = [
        (r.depth, r.width, r.path_terms, r.madds_paths, r.madds_backprop, f"{r.ratio:.1f}") for r in ct.itertuples()
    ]
    out += md_table(S["growth_cols"], rows) + ["", f"![{S['paths_alt']}]({png('lecture_paths', lang)})", ""]
    return out
