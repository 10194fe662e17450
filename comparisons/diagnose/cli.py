"""`deltacheck diagnose FILE.py[:NAME]`: run your own backprop against autograd; name the equation that fails.

NAME is a function backprop(W, b, X, T) returning (dW, db) or (dW, db, delta), dicts keyed by
the layer l = 2 … L (the lecture's convention); a class Network(sizes) with backprop(x, y)
(Nielsen's); a class with params W1, b1, … and gradient(x, t) (ゼロから作るDeep Learning's);
a class with params and loss(X, y=None), or affine_/relu_forward and _backward (CS231n's);
L_model_forward and L_model_backward (deeplearning.ai's).  FILE may be a .ipynb notebook.
Without NAME the file says which.  Your code runs in a separate process with a time and a
memory limit; everything it starts ends with the run.  Exit 0: it agrees; 1: a wrong result;
2: no result, or unusable input.
"""

from __future__ import annotations

from comparisons.common.argtypes import int_at_least
from comparisons.common.errors import UsageError
from comparisons.diagnose.limits import DEFAULT_ARCHS, DEFAULT_TIMEOUT, add_limits

GALLERY_DOC = """`deltacheck gallery --out DIR`: diagnose every file of examples/mistakes/ and write DIR/mistakes.md."""


def register(sub):
    register_diagnose(sub)
    register_gallery(sub)


def register_diagnose(sub):
    p = sub.add_parser(
        "diagnose",
        help="run your own backprop against autograd and name the equation that fails",
        description=__doc__,
    )
    p.add_argument("target", metavar="FILE.py[:NAME]", help="your file, and the function or class in it")
    p.add_argument(
        "--convention",
        choices=["lecture", "nielsen", "dlfs", "cs231n", "dlai", "cs231n-conv", "dlfs-conv"],
        default=None,
        help="how your code is called (default: told by what the file defines)",
    )
    p.add_argument(
        "--activation",
        default=None,
        help="σ of your layers (default: the file's ACTIVATION, else detected from a class's forward pass, "
        "else sigmoid; relu for dlfs)",
    )
    p.add_argument(
        "--output-activation",
        default=None,
        metavar="NAME",
        help="σ of your output layer where it differs from the others', e.g. identity for a linear output (default: "
        "the file's OUTPUT_ACTIVATION, else detected from a class, else --activation's; a cross-entropy fixes it)",
    )
    p.add_argument(
        "--cost",
        default=None,
        help="C of your code: squared_error, binary_cross_entropy (sigmoid output) or cross_entropy (softmax "
        "output) (default: the file's COST, else detected, else squared_error; cross_entropy for dlfs)",
    )
    p.add_argument(
        "--archs",
        type=int_at_least(0),
        default=None,  # None: not given (a conv file refuses it), DEFAULT_ARCHS for a dense one
        help=f"random networks besides the lecture's 12-3-2 (default {DEFAULT_ARCHS})",
    )
    p.add_argument(
        "--sizes",
        action="append",
        default=[],
        metavar="N1-…-NL",
        help="run only networks of these widths, each with K = 64, 1 and 10 (repeatable or comma-separated)",
    )
    p.add_argument("--seed", type=int_at_least(0), default=0, help="seed of the random networks and data (default 0)")
    add_limits(p)
    p.set_defaults(run=run_diagnose)


def run_diagnose(args):
    from comparisons.diagnose.conv.cli import run_conv_diagnose, wants_conv

    if wants_conv(args.target, args.convention):  # conv and pooling layers: CS231n's or ゼロから作る's
        return run_conv_diagnose(args)
    from comparisons.diagnose.cases import check_flags, parse_sizes
    from comparisons.diagnose.run import check
    from comparisons.diagnose.session import parse_target

    check_flags(args.activation, args.cost, args.output_activation)  # each flag alone, before the file is run
    target = parse_target(args.target)
    sizes = parse_sizes(args.sizes)
    archs = DEFAULT_ARCHS if args.archs is None else args.archs
    verdict = check(
        target,
        args.convention,
        args.activation,
        args.cost,
        archs,
        args.seed,
        sizes,
        args.timeout,
        args.max_memory,
        output=args.output_activation,
    )
    from comparisons.common.screen import visible

    # everything made inert: the user's exception messages, source lines and file names are in it too
    print(visible(verdict.header))
    text = visible(verdict.text(), keep="\n")
    print(text)
    last = visible(verdict.headline.splitlines()[0])
    if text.splitlines()[-1] != last:
        print(last)  # the verdict is the last line, whatever the user's code printed above it
    return verdict.exit_code


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
    from comparisons.diagnose.limits import refuse_past_limits

    try:
        refuse_past_limits(args.archs + 2, DEFAULT_TIMEOUT)
    except UsageError:
        raise UsageError(f"--archs {args.archs}: the networks of one file would not fit the {DEFAULT_TIMEOUT:g} s "
                         "each file is given; ask for fewer") from None  # fmt: skip
    from comparisons.diagnose.gallery import EXAMPLES, markdown, run_gallery

    rows = run_gallery(EXAMPLES, args.archs, args.seed)
    text = markdown(rows, args.archs, args.seed)
    with atomic_dir(out) as stage:
        write_text(stage / "mistakes.md", text)
    caught = sum(r.caught for r in rows)
    print(f"{caught} of {len(rows)} gallery files diagnosed as intended; report in {out}/mistakes.md")
    return 0 if caught == len(rows) else 1
