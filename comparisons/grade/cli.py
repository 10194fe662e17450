"""`deltacheck grade DIR`: diagnose a whole class — each .py or .ipynb file in DIR, or each folder, is one student.

Every submission runs in its own child process with diagnose's time and memory limits, in a
scratch copy of its own, --jobs at a time.  Writes gradebook.csv, gradebook.md and
feedback/STUDENT.md into --out; --format gradescope treats DIR as one submission and writes
Gradescope's results.json.  Exit 0 when every submission was graded (whatever its score).
"""

from __future__ import annotations

import sys

from comparisons.common.argtypes import int_at_least
from comparisons.diagnose.limits import DEFAULT_ARCHS, add_limits


def register(sub):
    p = sub.add_parser("grade", help="diagnose every submission of a class and write a gradebook", description=__doc__)
    p.add_argument("folder", metavar="DIR", help="the class: one .py / .ipynb file or one folder per student")
    p.add_argument("--out", default="grades", help="output folder (default grades/)")
    p.add_argument("--jobs", type=int_at_least(1), default=2, help="submissions run at a time (default 2)")
    p.add_argument("--lang", choices=["en", "ja"], default="en", help="language of the feedback files (default en)")
    p.add_argument(
        "--format",
        choices=["gradebook", "gradescope"],
        default="gradebook",
        help="gradescope: DIR is one submission, and results.json is written beside the gradebook",
    )
    p.add_argument("--rubric", metavar="TOML", default=None, help="shares of eqs (2)–(5) (default 25 points each)")
    p.add_argument("--archs", type=int_at_least(0), default=DEFAULT_ARCHS, help="random networks per submission")
    p.add_argument("--seed", type=int_at_least(0), default=0, help="seed of the random networks (default 0)")
    add_limits(p, "each submission")
    p.add_argument("--no-timing", action="store_true", help="leave the seconds column empty: byte-identical reruns")
    p.set_defaults(run=run)


def run(args):
    from comparisons.common.reportio import atomic_dir, check_out_dir, write_text
    from comparisons.grade import report, rubric
    from comparisons.grade.run import grade

    shares = rubric.load(args.rubric)
    out = check_out_dir(args.out)
    single = args.format == "gradescope"
    rows = grade(args.folder, shares, args.jobs, args.archs, args.seed, args.timeout, args.max_memory, single)
    with atomic_dir(out) as stage:
        write_text(stage / "gradebook.csv", report.csv_text(rows, not args.no_timing))
        write_text(stage / "gradebook.md", report.markdown(rows, shares))
        (stage / "feedback").mkdir()
        for r in rows:
            write_text(stage / "feedback" / f"{r.student}.md", report.feedback(r, shares, args.lang))
        if single:
            write_text(stage / "results.json", report.gradescope(rows[0], shares))
        report.replace_folder(out / "feedback")
    per = sum(r.seconds for r in rows) / len(rows)
    print(
        f"{len(rows)} submissions graded ({per:.1f} s each on average); gradebook in {out}/gradebook.csv",
        file=sys.stderr,
    )
    return 0
