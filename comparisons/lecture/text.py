"""`lecture.md` and `lecture.ja.md`: one renderer, the prose per language from comparisons.lecture.prose.

The lesson in the order a student needs it — notation, the example, the forward pass for image 1
(this module), 微分地獄, δ and (1)–(5) derived, the worked example (``derivation``), training and
why backprop is fast (``practice``) — then an appendix with every check (``appendix``).  Every
number comes through a placeholder, so the two reports carry the same numbers.
"""

from __future__ import annotations

import numpy as np

from comparisons.lecture import appendix, derivation, formulas, practice
from comparisons.lecture.data import side_by_side
from comparisons.lecture.markdown import arch, four, md_table, png, signed, tr
from comparisons.lecture.prose import STRINGS
from comparisons.lecture.training import SIZES


def render(run, lang, versions, files):
    """The whole report in ``lang`` ('en' or 'ja')."""
    S = STRINGS[lang]
    lines = [S["title"], "", S["intro"].format(command=run.command), S["versions"].format(**versions), ""]
    failed = [tr(S, name) for name, ok in run.checks.items() if not ok]
    if failed:  # the appendix has the tables; a failure is said before the lesson too
        lines += [S["failed_note"].format(bad=len(failed), n=len(run.checks), names=", ".join(failed)), ""]
    lines += [S["contents"], ""]
    lines += _notation(S, run) + _data(S, run, lang) + _forward(S, run)
    lines += derivation.hell(S, run) + derivation.equations(S, run, lang) + derivation.worked(S, run)
    lines += practice.training(S, run, lang) + practice.speed(S, run, lang)
    lines += appendix.render(S, run)
    lines += [S["files"].format(files=", ".join(f"`{f}`" for f in files)), ""]
    return "\n".join(lines)


def _notation(S, run):
    n1, n2, n3 = SIZES
    count = f"{n1}·{n2} + {n2} + {n2}·{n3} + {n3} = {n1 * n2 + n2 + n2 * n3 + n3}"
    n_params = sum(w.size + b.size for w, b in zip(run.initial.W.values(), run.initial.b.values()))
    v = dict(arch=arch(SIZES), n1=n1, n2=n2, n3=n3, K=len(run.X), n_params=n_params, count=count)
    out = [S["notation_h"], "", S["notation"].format(**v), ""]
    out += formulas.math(formulas.NEURON) + formulas.math(formulas.SIGMOID)
    out += ["", S["notation_cost"].format(**v), ""] + formulas.math(formulas.COST)
    out += ["", S["params"].format(**v), ""] + formulas.math(formulas.GRADIENT) + [""]
    return out + [S["inferred_h"], ""] + [f"- {s}" for s in S["inferred"]] + [""]


def _data(S, run, lang):
    im, K = run.images, len(run.X)
    clean = [sum(1 for d, kd in zip(im.digits, im.kind) if d == digit and kd == "clean") for digit in (0, 1)]
    noisy = [int((im.digits == digit).sum()) - clean[digit] for digit in (0, 1)]
    shown = _examples(im)
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
        f"![{S['data_alt']}]({png('lecture_dataset', lang)})",
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


def _forward(S, run):
    """Section 3: the weights image 1 needs (4 digits), then z, a and C_1, each as one would compute it."""
    w, net = run.worked, run.initial
    W2, b2, W3, b3 = net.W[2], net.b[2], net.W[3], net.b[3]
    black = [i for i in range(len(w.x)) if w.x[i] != 0]
    out = [S["fwd_h"].format(k=w.k), "", S["fwd"].format(k=w.k), ""]
    cols = [S["w_col"]] + [f"i = {i + 1}" for i in range(W2.shape[1])] + ["b_j^2"]
    rows = [(f"w_{j + 1}i^2", *(four(x) for x in W2[j]), four(b2[j])) for j in range(W2.shape[0])]
    out += md_table(cols, rows) + [""]
    rows = [(f"w_{j + 1}i^3", *(four(x) for x in W3[j]), four(b3[j])) for j in range(W3.shape[0])]
    out += md_table([S["w_col"], "i = 1", "2", "3", "b_j^3"], rows) + [""]
    out += ["```text", side_by_side([w.x], [f"k = {w.k}"]), "```", ""]
    out += [S["fwd_x"].format(k=w.k, black=", ".join(f"x_{i + 1}" for i in black), t=f"({w.t[0]:g}, {w.t[1]:g})")]
    out += ["", S["fwd_z2"], "", "```text"]
    for j in range(len(w.z2)):
        names = " + ".join(f"w_{j + 1},{i + 1}" for i in black)
        nums = signed([(W2[j, i], "") for i in black])
        bias = signed([(0.0, ""), (b2[j], "")])[2:]  # "+ b" or "− |b|"
        out += [f"z_{j + 1}^2 = ({names}) + b_{j + 1}^2", f"      = ({nums}) {bias} = {four(w.z2[j])}"]
        out += [f"a_{j + 1}^2 = σ({four(w.z2[j])}) = {four(w.a2[j])}", ""]
    out[-1] = "```"
    out += ["", S["fwd_z3"], "", "```text"]
    for j in range(len(w.z3)):
        terms = signed([(W3[j, i], f" × {four(w.a2[i])}") for i in range(len(w.a2))] + [(b3[j], "")])
        out += [f"z_{j + 1}^3 = {terms} = {four(w.z3[j])}"]
        out += [f"a_{j + 1}^3 = σ({four(w.z3[j])}) = {four(w.a3[j])}"]
    c = " + ".join(f"({w.t[j]:g} − {four(w.a3[j])})²" for j in range(len(w.a3)))
    out += [f"C_{w.k} = ½ {{{c}}} = {four(w.C)}", "```", ""]
    C_T = float(np.sum(run.initial.costs(run.X, run.T)))
    return out + [S["fwd_after"].format(k=w.k, C=four(w.C), C_T=four(C_T)), ""]
