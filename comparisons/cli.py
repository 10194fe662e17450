"""The `deltacheck` command (also `python -m comparisons`).

Each subcommand lives in its own module with ``register(subparsers)``; bad input is one
line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys

from comparisons.common.errors import UsageError

# Subcommand modules, in the order `deltacheck --help` lists them.
COMMANDS = [
    "comparisons.sweep.cli",
    "comparisons.bench.cli",
    "comparisons.lecture.cli",
    "comparisons.diagnose.cli",
    "comparisons.grade.cli",
]


class Parser(argparse.ArgumentParser):
    """argparse with its errors as one line and exit code 2, and no abbreviated options."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)  # --arch must not silently mean --archs
        super().__init__(*args, **kwargs)

    def error(self, message):
        raise UsageError(f"{self.prog}: {message}")


def build_parser():
    """The parser with every subcommand registered."""
    parser = Parser(
        prog="deltacheck", description="The lecture's δ-backprop (manual_bp) held against PyTorch autograd (torch_ref)."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True
    for name in COMMANDS:
        importlib.import_module(name).register(sub)
    return parser


def main(argv=None):
    """Parse, run, and map bad input to exit code 2."""
    try:
        args = build_parser().parse_args(argv)
        return args.run(args)
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as e:  # Ctrl-C, or SIGTERM / SIGHUP as common.interrupts.Terminated
        signum = getattr(e, "signum", signal.SIGINT)
        print(f"interrupted ({signal.Signals(signum).name}); previous reports left as they were", file=sys.stderr)
        return 128 + signum
