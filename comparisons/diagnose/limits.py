"""The limits diagnose puts on user code, and their parser: the standard library only, so that --help stays quick."""

from __future__ import annotations

import argparse

from comparisons.common.argtypes import positive_float
from comparisons.common.limits import memory_size

DEFAULT_TIMEOUT = 60.0  # seconds of the user's code in all (import and every network)
DEFAULT_MAX_MEMORY = 2 << 30  # address space of the child: numpy needs ≈ 0.1 GiB, torch ≈ 0.7 GiB
MIN_MEMORY = 256 << 20  # Python and NumPy alone take ≈ 0.1 GiB of address space
MAX_OUTPUT = 1 << 20  # bytes the user's code may print before it is stopped: debug prints stay far below
DEFAULT_ARCHS = 6  # random networks besides the lecture's 12-3-2


def add_limits(parser, whose="your code"):
    """--timeout and --max-memory, as diagnose and grade take them."""
    parser.add_argument(
        "--timeout",
        type=positive_float,
        default=DEFAULT_TIMEOUT,
        help=f"seconds {whose} may run in all, import included (default {DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument(
        "--max-memory",
        type=memory_limit,
        default=DEFAULT_MAX_MEMORY,
        metavar="SIZE",
        help=f"address space of the process running {whose}, e.g. 512M (default {DEFAULT_MAX_MEMORY >> 30}G)",
    )


def memory_limit(text):
    """An argparse type: common.limits.memory_size's '2G', '512M', '1.5GiB' or bytes, at least MIN_MEMORY."""
    n = memory_size(text)
    if n < MIN_MEMORY:
        raise argparse.ArgumentTypeError(f"must be at least 256M (Python and NumPy alone take 0.1G), got {text!r}")
    return n
