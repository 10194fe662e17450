"""What grade writes: gradebook.csv and gradebook.md, one feedback file per student, Gradescope's results.json."""

from __future__ import annotations

import csv
import io
import json

from comparisons.grade.rubric import EQUATIONS, TITLE, held

COLUMNS = ["student", "file", "convention", "verdict", "equation", "layer", "hint", "seconds", "score", "out_of"]
VERDICT_JA = {"pass": "合格", "fail": "誤りあり", "error": "結果なし", "unusable": "実行できず"}
EQ_JA = {
    "2": "式 (2)（重みに関する偏微分 ∂C/∂w_ji^l = δ_j^l a_i^{l−1}）",
    "3": "式 (3)（バイアスに関する偏微分 ∂C/∂b_j^l = δ_j^l）",
    "4": "式 (4)（出力層のユニットの誤差 δ_j^L）",
    "5": "式 (5)（ユニットの誤差の逆漸化式 δ^l = ((W^{l+1})ᵀ δ^{l+1}) ⊙ σ'(z^l)）",
}


def _number(x):
    return f"{x:g}"


def csv_text(rows, timing=True):
    """gradebook.csv: one row per student."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for r in rows:
        secs = f"{r.seconds:.1f}" if timing else ""
        w.writerow(
            [r.student, r.file, r.convention, r.verdict, r.equation, r.layer or "", r.hint, secs]
            + [_number(r.points), _number(r.out_of)]
        )
    return buf.getvalue()


def _cell(text):
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(rows, shares):
    """gradebook.md: the class at a glance, then each student's headline."""
    counts = {s: sum(r.verdict == s for r in rows) for s in ("pass", "fail", "error", "unusable")}
    lines = [
        "# Gradebook",
        "",
        f"{len(rows)} submissions: {counts['pass']} pass, {counts['fail']} fail, {counts['error']} gave no result, "
        f"{counts['unusable']} could not be run.  Rubric: "
        + ", ".join(f"eq ({e}) {_number(shares[e])}" for e in EQUATIONS)
        + " points.",
        "",
        "| student | file | convention | verdict | equation | layer | score |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        eq = f"({r.equation})" if r.equation else "—"
        lines.append(
            f"| {_cell(r.student)} | `{_cell(r.file)}` | {r.convention or '—'} | {r.verdict} | {eq} "
            f"| {r.layer or '—'} | {_number(r.points)} / {_number(r.out_of)} |"
        )
    for r in rows:
        lines += ["", f"## {r.student}", "", r.headline] + ([f"hint: {r.hint}"] if r.hint else [])
    return "\n".join(lines) + "\n"


def feedback(row, shares, lang="en"):
    """One student's feedback: the score per equation, then the whole diagnosis."""
    ok = set(held(row.verdict, row.equation))
    if lang == "ja":
        head = [f"# {row.student} さんへのフィードバック", "", f"提出ファイル: `{row.file}`", ""]
        head.append(f"判定: {VERDICT_JA[row.verdict]}　得点: {_number(row.points)} / {_number(row.out_of)}")
        head += ["", summary(row, "ja"), ""]
        table = [f"- {EQ_JA[e]}: {'○' if e in ok else '×'}（{_number(shares[e] * (e in ok))} 点）" for e in EQUATIONS]
        tail = ["", "診断の全文（deltacheck diagnose の出力）:", ""]
    else:
        head = [f"# Feedback for {row.student}", "", f"File: `{row.file}`", ""]
        head.append(f"Verdict: {row.verdict}; score {_number(row.points)} / {_number(row.out_of)}")
        head += ["", summary(row, "en"), ""]
        table = [f"- {TITLE[e]}: {_number(shares[e] if e in ok else 0)} of {_number(shares[e])}" for e in EQUATIONS]
        tail = ["", "The whole diagnosis (as `deltacheck diagnose` prints it):", ""]
    return "\n".join(head + table + tail + ["```", row.text, "```"]) + "\n"


SUMMARY = {  # what the verdict means for the student, by case: pass, placed (a named equation), fail, error, unusable
    "en": {
        "pass": "Every gradient agrees with PyTorch autograd: eqs (2)–(5) hold on every network tried.",
        "placed": "Eq ({eq}) fails at layer l = {layer}; the equations before it in backprop's order hold. "
        "Fix it and run deltacheck diagnose again: a second mistake behind it would show then.",
        "fail": "Your code raises an exception or computes a wrong forward pass: fix that first (see the traceback).",
        "error": "Your code gave no result (it hung, ended its process, ran out of memory or printed without end).",
        "unusable": "Your submission could not be run as any of the conventions deltacheck reads.",
    },
    "ja": {
        "pass": "すべての勾配が PyTorch の自動微分と一致しました。"
        "試したどのネットワークでも式 (2)〜(5) が成り立ちます。",
        "placed": "第 {layer} 層で{eq_ja}が成り立っていません。誤差逆伝播法で先に計算する式は正しく計算できています。"
        "ここを直してからもう一度 deltacheck diagnose を実行してください。ほかに誤りがあれば、そのときに見つかります。",
        "fail": "コードが例外を出したか、順伝播の計算が違っています。まずトレースバックが示す行を直してください。",
        "error": "結果が返りませんでした（無限ループ、プロセスの終了、メモリ不足、または大量の出力）。",
        "unusable": "deltacheck が読める書き方（講義、Nielsen、ゼロから作る、CS231n、deeplearning.ai）"
        "では実行できませんでした。",
    },
}


def summary(r, lang):
    """One paragraph on what the verdict means, in ``lang``."""
    case = "placed" if r.verdict == "fail" and r.equation in EQUATIONS else r.verdict
    return SUMMARY[lang][case].format(eq=r.equation, layer=r.layer, eq_ja=EQ_JA.get(r.equation, ""))


def gradescope(row, shares):
    """Gradescope's results.json for one submission: the score and one test per equation."""
    ok = set(held(row.verdict, row.equation))
    tests = [
        {
            "name": TITLE[e],
            "score": shares[e] if e in ok else 0.0,
            "max_score": shares[e],
            "output": "holds" if e in ok else (row.headline + (f"\nhint: {row.hint}" if row.hint else "")),
        }
        for e in EQUATIONS
    ]
    doc = {"score": row.points, "output": row.text, "tests": tests, "visibility": "visible"}
    return json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def replace_folder(path):
    """Remove ``path`` so that the staged folder of the same name can take its place."""
    import shutil

    shutil.rmtree(path, ignore_errors=True)
