"""`deltacheck lecture --conv`: write lecture_conv.md and lecture_conv.ja.md, the worked CNN example."""

from __future__ import annotations

import shlex


def run_conv_lecture(args):
    from comparisons.common.reportio import atomic_dir, check_out_dir, write_text

    out = check_out_dir(args.out)
    import torch

    from comparisons.lecture.conv.markdown import render
    from comparisons.lecture.conv.worked import work

    torch.set_num_threads(1)  # a fixed reduction order: the same digits on every machine
    w = work(0)
    command = f"deltacheck lecture --conv --lang {args.lang} --out {shlex.quote(str(args.out))}"
    langs = ["en", "ja"] if args.lang == "both" else [args.lang]
    with atomic_dir(out) as stage:
        for lang in langs:
            write_text(stage / ("lecture_conv.md" if lang == "en" else "lecture_conv.ja.md"), render(w, command, lang))
    ok = w.autograd_err <= 1e-12  # rounding alone: the same equations, in another order
    names = ", ".join(f"{out}/lecture_conv{'' if lang == 'en' else '.ja'}.md" for lang in langs)
    print(
        f"worked CNN example {'agrees' if ok else 'DISAGREES'} with autograd (max difference "
        f"{w.autograd_err:.1e}); written to {names}"
    )  # fmt: skip  (the verdict: stdout)
    return 0 if ok else 1
