"""`deltacheck gallery --out DIR`: diagnose every file of examples/mistakes/ and write DIR/mistakes.md."""
from __future__ import annotations

import sys

from .argtypes import int_at_least
from .reportio import atomic_dir, check_out_dir, write_text


def register(sub):
    p = sub.add_parser("gallery", help="diagnose the gallery of classic backprop mistakes and write mistakes.md",
                       description=__doc__)
    p.add_argument("--out", default="reports", help="output directory (default reports/)")
    p.add_argument("--archs", type=int_at_least(1), default=6, help="random networks per file (default 6)")
    p.add_argument("--seed", type=int_at_least(0), default=0, help="seed of the random networks (default 0)")
    p.set_defaults(run=run)


def run(args):
    from .gallery import EXAMPLES, markdown, run_gallery

    out = check_out_dir(args.out)
    rows = run_gallery(EXAMPLES, args.archs, args.seed)
    text = markdown(rows, args.archs, args.seed)
    with atomic_dir(out) as stage:
        write_text(stage / "mistakes.md", text)
    caught = sum(r.caught for r in rows)
    print(f"{caught} of {len(rows)} gallery files diagnosed as intended; report in {out}/mistakes.md", file=sys.stderr)
    return 0 if caught == len(rows) else 1
