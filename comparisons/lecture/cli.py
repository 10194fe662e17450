"""`deltacheck lecture`: the lecture's own example, each equation against three oracles, in English and Japanese."""

from __future__ import annotations

import shlex
import sys

from comparisons.common.argtypes import int_at_least, positive_float, widths
from comparisons.common.errors import UsageError
from comparisons.common.progress import add_progress_flags, chosen

# The most gradient-descent steps run without --max-steps.  Every step's C_T is kept for both
# implementations and written to lecture_training.csv (≈ 70 bytes a step), and a step of both
# takes ≈ 0.2 ms on one core here: 100,000 steps ≈ 20–40 s and a 7 MB CSV.  More is allowed,
# deliberately, with --max-steps.
MAX_STEPS = 100_000
CSV_BYTES_PER_STEP = 70


# The dense lesson's own options with their defaults; the worked CNN example (--conv) is fixed and takes none of them.
LESSON = dict(eta=0.2, steps=300, max_steps=MAX_STEPS, seed=0, paths="12-3-2", net=None, verbose=False)


def register(sub):
    p = sub.add_parser(
        "lecture",
        help="validate the lecture itself: its network, each equation, its 微分地獄 formula",
        description=__doc__,
    )
    p.add_argument("--out", default="reports", help="output directory (default reports/)")
    p.add_argument("--lang", choices=["en", "ja", "both"], default="both", help="report language(s) (default both)")
    p.add_argument("--eta", type=positive_float, default=LESSON["eta"], help="learning rate η (学習係数) (default 0.2)")
    p.add_argument(
        "--steps",
        type=int_at_least(1),
        default=LESSON["steps"],
        help="gradient-descent steps (default 300, at most --max-steps)",
    )
    p.add_argument(
        "--max-steps",
        type=int_at_least(1),
        default=LESSON["max_steps"],
        help=f"the most --steps allowed (default {MAX_STEPS:,}); raise it to run longer deliberately",
    )
    p.add_argument(
        "--seed", type=int_at_least(0), default=LESSON["seed"], help="seed of the initial weights (default 0)"
    )
    p.add_argument(
        "--paths",
        default=LESSON["paths"],
        metavar="SIZES",
        help="network n_1-…-n_L on which path enumeration is checked against backprop (default 12-3-2, "
        "the lecture's, on its images); refused when it has too many paths",
    )
    p.add_argument(
        "--net",
        metavar="FILE",
        help="a lecturer's own small network (TOML or JSON, docs/lecture.md): its lesson, cross-checked, instead",
    )
    p.add_argument("--verbose", action="store_true", help="print the measured times of path enumeration on stderr")
    add_progress_flags(p)
    p.add_argument(
        "--conv", action="store_true", help="instead: one 6×6 digit worked through a small CNN (δ per layer)"
    )
    p.set_defaults(run=run)


def parse_sizes(text):
    """'12-3-2' as [12, 3, 2]; UsageError for anything else or a network path enumeration refuses."""
    try:
        sizes = list(widths(text))
    except ValueError as e:
        raise UsageError(f"--paths {e}") from None
    from comparisons.lecture.path_sum import check_size  # NumPy only: refused before torch is imported

    try:
        check_size(sizes)
    except ValueError as e:
        raise UsageError(f"--paths: {e}") from None
    return sizes


def check_steps(steps, max_steps):
    """UsageError (one line) when ``steps`` is above the limit ``max_steps``."""
    if steps > max_steps:
        mb = steps * CSV_BYTES_PER_STEP / 1e6
        raise UsageError(
            f"--steps {steps}: more than the limit of {max_steps:,} steps (every step's C_T is kept and written, "
            f"about {mb:,.0f} MB of CSV here); pass --max-steps {steps} to run it deliberately"
        )


def command_line(args):
    """The canonical command that reproduces this run."""
    limit = f" --max-steps {args.max_steps}" if args.steps > MAX_STEPS else ""
    return (
        f"deltacheck lecture --out {shlex.quote(str(args.out))} --lang {args.lang} --eta {args.eta:g} "
        f"--steps {args.steps}{limit} --seed {args.seed} --paths {args.paths}"
    )


def refuse_lesson_flags(args, mode, why, keep=()):
    """UsageError for the first of the lesson's options given to ``mode`` (--conv, --net), which sets its own."""
    for name, default in LESSON.items():
        if name not in keep and getattr(args, name) != default:
            flag = "--" + name.replace("_", "-")
            raise UsageError(f"{flag} does not apply to {mode}: {why}; drop {flag}")


def run(args):
    if args.conv:
        from comparisons.lecture.conv.cli import run_conv_lecture

        refuse_lesson_flags(args, "--conv", "the worked CNN example is fixed (one 6×6 digit, its weights from a fixed "
                            "seed)")  # fmt: skip
        return run_conv_lecture(args)
    if args.net is not None:
        from comparisons.lecture.net.cli import run as net_run

        refuse_lesson_flags(args, "--net", "the file sets its own η, steps and data", keep=("net",))
        return net_run(args)
    from comparisons.common.reportio import atomic_dir, check_out_dir

    check_steps(args.steps, args.max_steps)  # the arguments first: a bad one answers before torch is imported
    out = check_out_dir(args.out)
    sizes = parse_sizes(args.paths)
    import torch

    from comparisons.lecture import run as lecture_run
    from comparisons.lecture.report import MD, write

    langs = ["en", "ja"] if args.lang == "both" else [args.lang]
    # One thread: the network is tiny, and a fixed thread count fixes torch's reduction order,
    # hence every digit of the report, whatever the machine's core count.
    torch.set_num_threads(1)
    r = lecture_run.run(command_line(args), args.eta, args.steps, args.seed, sizes, progress=chosen(args))
    with atomic_dir(out) as stage:
        write(stage, r, langs)
    if args.verbose:
        for (n, d), (tp, tb) in sorted(r.times.items()):
            print(f"width {n} depth {d}: path enumeration {tp:.3g} s, backprop {tb:.3g} s", file=sys.stderr)
    bad = [name for name, ok in r.checks.items() if not ok]
    print(
        f"{len(r.checks) - len(bad)} of {len(r.checks)} lecture checks pass"
        + (f"; failed: {', '.join(bad)}" if bad else "")
        + f"; report in {out}/{MD[langs[0]]}"
    )
    return 1 if bad else 0
