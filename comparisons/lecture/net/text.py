"""The --net lesson as Markdown, in English or Japanese: every number written out as one computes it on paper."""

from __future__ import annotations

from comparisons.lecture.markdown import arch, err, md_table, par
from comparisons.lecture.markdown import signed as markdown_signed
from comparisons.lecture.net import claims as net_claims
from comparisons.lecture.net.prose import STRINGS

SHOWN_EXAMPLES = 4  # the forward pass and δ are written out for the first few examples
SHOWN_STEPS = 3  # the parameters are printed after each of the first few steps


def num(x):
    """A value of the lesson, to 9 significant digits (a published worked example prints 8–9)."""
    return f"{x:.9g}"


def factor(x):
    """``num(x)`` as a factor of a product or a sum: a negative number in parentheses."""
    return par(x, num)


def label(S, what):
    """A cross-check's name in the lesson's language."""
    if isinstance(what, str):
        return what
    if what[0] == "after":
        return S["after_check"].format(what=what[1], l=what[2], n=what[3])
    _, j, l, i = what
    return S["paths_check"].format(j=j, l=l, i=i, l1=l - 1)


def signed(terms):
    """(number, rest) pairs as a sum written on paper, each number to 9 digits."""
    return markdown_signed(terms, num)


def _matrix(M):
    return "[" + "; ".join(", ".join(num(x) for x in row) for row in M) + "]"


def _vec(v):
    return "(" + ", ".join(num(x) for x in v) + ")"


def render(ls, lang, command, picture):
    """The whole lesson for ``ls`` (lesson.Lesson) in ``lang``; ``picture``: the network's PNG, beside it."""
    S, nf, s = STRINGS[lang], ls.nf, ls.sol
    n_checks, c = len(ls.checks), len(ls.verdicts)
    disagree = sum(not ch[3] for ch in ls.checks)
    wrong = sum(not v.ok for v in ls.verdicts)
    cl = "" if not c else (S["claims_bad"].format(bad=wrong, c=c) if wrong else S["claims_ok"].format(c=c))
    head = S["fail"].format(bad=disagree, n=n_checks) if disagree else S["ok"].format(n=n_checks, claims=cl)
    out = [S["title"].format(title=nf.title), "", head, "", S["command"].format(command=command), ""]
    out += _network(S, nf) + _forward(S, nf, s) + _deltas(S, nf, s) + _gradients(S, ls) + _chain(S, ls)
    out += _steps(S, ls) + _checks(S, ls)
    out[out.index(S["delta_h"]) + 1 : out.index(S["delta_h"]) + 1] = ["", f"![{S['picture']}]({picture})"]
    return "\n".join(out) + "\n"


def _network(S, nf):
    acts = ", ".join(S["names"].get(a, a) for a in dict.fromkeys(nf.activations))
    out = [S["net_h"], ""]
    out += [
        S["net"].format(
            arch=arch(nf.sizes),
            L=nf.L,
            acts=acts,
            cost=S["names"].get(nf.cost, nf.cost),
            K=len(nf.X),
            eta=nf.eta,
            steps=nf.steps,
        )
    ]
    out += ["", "```text"]
    out += [f"W^{l} = {_matrix(nf.W[l])}    b^{l} = {_vec(nf.b[l])}" for l in nf.W] + ["```", ""]
    out += [S["scale_note"].format(s=num(nf.scale)), ""] if nf.scale != 1 else []
    out += [S["data"], "", "```text"]
    out += [f"x[{k + 1}] = {_vec(x)}    t[{k + 1}] = {_vec(t)}" for k, (x, t) in enumerate(zip(nf.X, nf.T))]
    return out + ["```", ""]


def _forward(S, nf, s):
    out = [S["fwd_h"], ""]
    for k in range(min(len(nf.X), SHOWN_EXAMPLES)):
        out += [S["fwd"].format(k=k + 1), "", "```text"]
        for l in range(2, nf.L + 1):
            for j in range(nf.sizes[l - 1]):
                terms = [(nf.W[l][j, i], f" × {factor(s.a[l - 1][k, i])}") for i in range(nf.sizes[l - 2])]
                out.append(f"z_{j + 1}^{l} = {signed(terms + [(nf.b[l][j], '')])} = {num(s.z[l][k, j])}")
                out.append(f"a_{j + 1}^{l} = σ({num(s.z[l][k, j])}) = {num(s.a[l][k, j])}")
        if nf.cost == "squared_error":
            formula = " + ".join(f"½({num(nf.T[k, j])} − {num(s.a[nf.L][k, j])})²" for j in range(nf.sizes[-1]))
            formula = formula if nf.scale == 1 else f"{num(nf.scale)} × ({formula})"
        else:
            formula = nf.cost
        out += [S["cost_line"].format(k=k + 1, formula=formula, C=num(s.C[k])), "```", ""]
    C_T = num(s.C.sum() * s.reduce)
    total = S["total_mean"].format(K=len(nf.X), C_T=C_T) if nf.reduction == "mean" else S["total"].format(C_T=C_T)
    return out + [total, ""]


def _deltas(S, nf, s):
    L, out = nf.L, [S["delta_h"], ""]
    act = nf.activations[-1]
    linked = (nf.cost, act) in (("binary_cross_entropy", "sigmoid"), ("cross_entropy", "softmax"))
    for k in range(min(len(nf.X), SHOWN_EXAMPLES)):
        key = "d4_linked" if linked else "d4_softmax" if act == "softmax" else "d4"
        out += [S[key].format(k=k + 1, cost=nf.cost, act=act), "", "```text"]
        for j in range(nf.sizes[-1]):
            d = num(s.delta[L][k, j])
            if linked or act == "softmax" or nf.cost != "squared_error":
                out.append(f"δ_{j + 1}^{L} = {d}")
            else:
                a, t, sp = (factor(v) for v in (s.a[L][k, j], nf.T[k, j], s.sp[L][k, j]))
                times = "" if nf.scale == 1 else f"{num(nf.scale)} × "
                out.append(f"δ_{j + 1}^{L} = {times}({a} − {t}) × {sp} = {d}")
        out += ["```", ""]
        if L > 2:
            out += [S["d5"].format(), "", "```text"]
            for l in range(L - 1, 1, -1):
                for i in range(nf.sizes[l - 1]):
                    back = " + ".join(
                        f"{factor(s.delta[l + 1][k, j])} × {factor(nf.W[l + 1][j, i])}" for j in range(nf.sizes[l])
                    )
                    out.append(f"δ_{i + 1}^{l} = ({back}) × {num(s.sp[l][k, i])} = {num(s.delta[l][k, i])}")
            out += ["```", ""]
    return out


def _gradients(S, ls):
    nf, s = ls.nf, ls.sol
    K = len(nf.X)
    out = [S["grad_h"], "", S["grad"].format(sum_note=S["one_example"] if K == 1 else ""), "", "```text"]
    mean = f"(1/{K}) " if nf.reduction == "mean" else ""
    for l in nf.W:
        for j, i in ((j, i) for j in range(nf.sizes[l - 1]) for i in range(nf.sizes[l - 2])):
            if K == 1:
                d, a = factor(s.delta[l][0, j]), factor(s.a[l - 1][0, i])
                out.append(f"∂C_T/∂w_{j + 1}{i + 1}^{l} = {d} × {a} = {num(ls.gW[l][j, i])}")
            else:
                terms = f"{mean}Σ_k δ_{j + 1}^{l}[k] a_{i + 1}^{l - 1}[k]"
                out.append(f"∂C_T/∂w_{j + 1}{i + 1}^{l} = {terms} = {num(ls.gW[l][j, i])}")
        out += [f"∂C_T/∂b_{j + 1}^{l} = {num(ls.gb[l][j])}" for j in range(nf.sizes[l - 1])]
    return out + ["```", ""]


def _chain(S, ls):
    nf, s = ls.nf, ls.sol
    l, j, i = nf.weight
    w = f"w_{j}{i}^{l}"
    out = [S["chain_h"].format(w=w), ""]
    if not ls.paths:
        return out + [S["chain_none"], ""]
    out += [S["chain"].format(w=w, i=i, l1=l - 1), "", "```text"]
    for units, term in ls.paths[:16]:
        L = nf.L
        f = [f"δ_{units[-1]}^{L}"]
        for m in range(L, l, -1):
            f += [f"w_{units[m - l]}{units[m - l - 1]}^{m}", f"σ'(z_{units[m - l - 1]}^{m - 1})"]
        f.append(f"a_{i}^{l - 1}")
        vals = [factor(s.delta[L][0, units[-1] - 1])]
        for m in range(L, l, -1):
            vals += [
                factor(nf.W[m][units[m - l] - 1, units[m - l - 1] - 1]),
                factor(s.sp[m - 1][0, units[m - l - 1] - 1]),
            ]
        vals.append(factor(s.a[l - 1][0, i - 1]))
        out.append(f"{' · '.join(f)} = {' × '.join(vals)} = {num(term)}")
    out += ["```", ""]
    if len(ls.paths) > 16:
        out += [S["chain_more"].format(more=len(ls.paths) - 16, n=len(ls.paths)), ""]
    total = sum(t for _, t in ls.paths)
    d, a = factor(s.delta[l][0, j - 1]), factor(s.a[l - 1][0, i - 1])
    return out + [S["chain_sum"].format(n=len(ls.paths), total=num(total), j=j, l=l, i=i, l1=l - 1, d=d, a=a), ""]


def _steps(S, ls):
    nf = ls.nf
    W0, b0 = nf.W, nf.b
    W1, b1 = ls.sol.params[1]
    out = [S["step_h"], "", S["step1"].format(eta=nf.eta), "", "```text"]
    for l in nf.W:
        for j, i in ((j, i) for j in range(nf.sizes[l - 1]) for i in range(nf.sizes[l - 2])):
            g = factor(ls.gW[l][j, i])
            out.append(f"w_{j + 1}{i + 1}^{l} = {num(W0[l][j, i])} − {num(nf.eta)} × {g} = {num(W1[l][j, i])}")
        for j in range(nf.sizes[l - 1]) if nf.update_biases else ():
            out.append(f"b_{j + 1}^{l} = {num(b0[l][j])} − {num(nf.eta)} × {factor(ls.gb[l][j])} = {num(b1[l][j])}")
    if not nf.update_biases:
        out.append(S["fixed_biases"])
    out += ["```", "", S["later"], "", "```text"]
    for n in range(min(nf.steps, SHOWN_STEPS) + 1):
        W, b = ls.sol.params[n]
        head = S["initial"] if n == 0 else S["after"].format(n=n)
        out.append(f"{head}: C_T = {num(ls.C_T[n])}")
        out += [f"  W^{l} = {_matrix(W[l])}    b^{l} = {_vec(b[l])}" for l in W]
    if nf.steps > SHOWN_STEPS:
        out.append(f"{S['after'].format(n=nf.steps)}: C_T = {num(ls.C_T[-1])}")
    return out + ["```", ""]


def _checks(S, ls):
    yn = lambda b: S["yes"] if b else S["no"]  # noqa: E731
    rows = [(label(S, what), err(d), f"`{tol}`", yn(ok)) for what, d, tol, ok in ls.checks]
    out = [S["check_h"], "", S["check"], ""] + md_table(S["check_cols"], rows) + [""]
    if not ls.verdicts:
        return out
    rows = []
    for v in ls.verdicts:
        slips = "; ".join(S["slips"][key].format(**kw) for key, kw in v.slips)
        rows.append(
            (
                f"`{v.claim.text}`",
                str(v.claim.value),
                num(v.right),
                net_claims.rounded(v.claim.value, v.right),
                S["right"] if v.ok else S["wrong"],
                "" if v.ok else (slips or S["no_slip"]),
            )
        )
    return out + [S["claims_h"], ""] + md_table(S["claims_cols"], rows) + [""]
