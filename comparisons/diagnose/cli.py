"""`deltacheck diagnose FILE.py[:FUNCTION]`: run your own backprop against autograd; name the equation that fails.

FUNCTION (default backprop) takes (W, b, X, T) and returns (dW, db) or (dW, db, delta), dicts
keyed by the layer l = 2 … L.  Exit 0: it agrees; 1: a wrong backprop; 2: unusable input.
"""

from __future__ import annotations

import sys

from comparisons.common.argtypes import int_at_least

GALLERY_DOC = """`deltacheck gallery --out DIR`: diagnose every file of examples/mistakes/ and write DIR/mistakes.md."""

DEFAULT_ARCHS = 6


def register(sub):
    register_diagnose(sub)
    register_gallery(sub)


def register_diagnose(sub):
    p = sub.add_parser(
        "diagnose",
        help="run your own backprop(W, b, X, T) against autograd and name the equation that fails",
        description=__doc__,
    )
    p.add_argument("target", metavar="FILE.py[:FUNCTION]", help="your file, and the function in it (default backprop)")
    p.add_argument(
        "--activation", default=None, help="σ of your function's layers (default: the file's ACTIVATION, else sigmoid)"
    )
    p.add_argument(
        "--cost",
        default=None,
        help="C of your function: squared_error, binary_cross_entropy (sigmoid output) "
        "or cross_entropy (softmax output) (default: the file's COST, else squared_error)",
    )
    p.add_argument(
        "--archs",
        type=int_at_least(1),
        default=DEFAULT_ARCHS,
        help=f"random networks besides the lecture's 12-3-2 (default {DEFAULT_ARCHS})",
    )
    p.add_argument("--seed", type=int_at_least(0), default=0, help="seed of the random networks and data (default 0)")
    p.set_defaults(run=run_diagnose)


def run_diagnose(args):
    from comparisons.diagnose.cases import plan, settings
    from comparisons.diagnose.user_code import load

    user = load(args.target)  # the arguments first: a bad one answers before torch is imported
    activation, cost = settings(user, args.activation, args.cost)
    cases = plan(args.archs, args.seed, activation, cost)
    from comparisons.diagnose.verdict import diagnose

    verdict = diagnose(user, cases)
    print(f"deltacheck diagnose {user.shown}:{user.name} (activation {activation}, cost {cost})")
    print(verdict.text())
    return 0 if verdict.passed else 1


def register_gallery(sub):
    p = sub.add_parser(
        "gallery",
        help="diagnose the gallery of classic backprop mistakes and write mistakes.md",
        description=GALLERY_DOC,
    )
    p.add_argument("--out", default="reports", help="output directory (default reports/)")
    p.add_argument("--archs", type=int_at_least(1), default=6, help="random networks per file (default 6)")
    p.add_argument("--seed", type=int_at_least(0), default=0, help="seed of the random networks (default 0)")
    p.set_defaults(run=run_gallery)


def run_gallery(args):
    from comparisons.common.reportio import atomic_dir, check_out_dir, write_text

    out = check_out_dir(args.out)  # before torch is imported: a bad --out answers at once
    from comparisons.diagnose.gallery import EXAMPLES, markdown, run_gallery

    rows = run_gallery(EXAMPLES, args.archs, args.seed)
    text = markdown(rows, args.archs, args.seed)
    with atomic_dir(out) as stage:
        write_text(stage / "mistakes.md", text)
    caught = sum(r.caught for r in rows)
    print(f"{caught} of {len(rows)} gallery files diagnosed as intended; report in {out}/mistakes.md", file=sys.stderr)
    return 0 if caught == len(rows) else 1
