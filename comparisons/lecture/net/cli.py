"""`deltacheck lecture --net FILE`: read the file, compute and cross-check the lesson, write it."""

from __future__ import annotations

import shlex

from comparisons.common.errors import UsageError

MD = {"en": "{stem}.md", "ja": "{stem}.ja.md"}


def run(args):
    """Exit 0: every number agrees with autograd and every stated number is right; 1 otherwise; 2 bad input."""
    from comparisons.common.reportio import atomic_dir, check_out_dir, write_text
    from comparisons.lecture.net import file as net_file

    try:
        nf = net_file.read(args.net)
    except ValueError as e:
        raise UsageError(f"--net {e}") from None
    out = check_out_dir(args.out)
    import torch

    from comparisons.lecture.net import lesson, text
    from comparisons.lecture.net.picture import network

    torch.set_num_threads(1)
    try:
        ls = lesson.run(nf)
    except ValueError as e:  # manual_bp's own checks, e.g. a cost that needs another output activation
        raise UsageError(f"--net {args.net}: {e}") from None
    langs = ["en", "ja"] if args.lang == "both" else [args.lang]
    command = f"deltacheck lecture --net {shlex.quote(str(args.net))} --out {shlex.quote(str(args.out))}"
    with atomic_dir(out) as stage:
        for lang in langs:
            png = f"{nf.name}_network{'' if lang == 'en' else '.ja'}.png"
            write_text(stage / MD[lang].format(stem=nf.name), text.render(ls, lang, command, png))
            network(ls, lang, stage / png)
    wrong = [v.claim.text for v in ls.verdicts if not v.ok]
    disagree = [text.label(text.STRINGS["en"], c[0]) for c in ls.checks if not c[3]]
    print(
        f"{nf.name}: {len(ls.checks) - len(disagree)} of {len(ls.checks)} numbers agree with autograd"
        + (f", {len(ls.verdicts) - len(wrong)} of {len(ls.verdicts)} stated numbers right" if ls.verdicts else "")
        + (f"; wrong: {', '.join(wrong)}" if wrong else "")
        + (f"; disagree: {', '.join(disagree)}" if disagree else "")
        + f"; lesson in {out}/{MD[langs[0]].format(stem=nf.name)}"
    )
    return 0 if ls.passed else 1
