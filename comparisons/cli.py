"""The `deltacheck` command (also `python -m comparisons`).

Each subcommand lives in its own module with ``register(subparsers)``; bad input is one
line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import signal
import sys
from importlib import metadata

from comparisons.common.errors import UsageError
from comparisons.common.interrupts import terminate_on_signals
from comparisons.common.screen import visible

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


def package_version():
    """deltacheck's installed version, from its metadata (nothing imported)."""
    try:
        return metadata.version("deltacheck")
    except metadata.PackageNotFoundError:
        return "unknown (not installed: pip install -e .)"


def build_parser():
    """The parser with every subcommand registered."""
    parser = Parser(
        prog="deltacheck", description="The lecture's δ-backprop (manual_bp) held against PyTorch autograd (torch_ref)."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True
    for name in COMMANDS:
        importlib.import_module(name).register(sub)
    return parser


def main(argv=None):
    """Parse, run, and map bad input to exit code 2."""
    for stream in (sys.stdout, sys.stderr):  # a terminal that cannot show δ gets \u03b4, not a traceback
        with contextlib.suppress(AttributeError, ValueError, OSError):
            stream.reconfigure(errors="backslashreplace")
    try:
        with terminate_on_signals():  # every command: SIGTERM and SIGHUP unwind as Ctrl-C does
            args = build_parser().parse_args(argv)
            return args.run(args)
    except UsageError as e:
        with contextlib.suppress(OSError):  # one line, inert: it may quote a user's file name or exception
            print(f"error: {visible(str(e))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as e:  # Ctrl-C, or SIGTERM / SIGHUP as common.interrupts.Terminated
        signum = getattr(e, "signum", signal.SIGINT)
        with contextlib.suppress(OSError):  # SIGHUP: the terminal may be gone
            print(f"interrupted ({signal.Signals(signum).name}); nothing half-written (earlier reports as they were)",
                  file=sys.stderr)  # fmt: skip
        return 128 + signum
    except BrokenPipeError:  # stdout piped into a program that stopped reading (| head): quiet, as SIGPIPE would be
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 128 + signal.SIGPIPE
