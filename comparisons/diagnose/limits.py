"""The limits diagnose puts on user code, and their parser: the standard library only, so that --help stays quick."""

from __future__ import annotations

import argparse

from comparisons.common.argtypes import positive_float
from comparisons.common.limits import memory_size

DEFAULT_TIMEOUT = 60.0  # seconds of the user's code in all (import and every network)
DEFAULT_MAX_MEMORY = 2 << 30  # address space of the child: numpy needs ≈ 0.1 GiB, torch ≈ 0.7 GiB
MIN_MEMORY = 256 << 20  # Python and NumPy alone take ≈ 0.1 GiB of address space
MAX_MEMORY = 1 << 50  # 1 PiB: far past any machine, and still a limit the kernel takes (RLIMIT_AS < 2**63)
MAX_OUTPUT = 1 << 20  # bytes the user's code may print before it is stopped: debug prints stay far below
DEFAULT_ARCHS = 6  # random networks besides the lecture's 12-3-2


def add_limits(parser, whose="your code"):
    """--timeout and --max-memory, as diagnose and grade take them."""
    parser.add_argument(
        "--timeout",
        type=positive_float,
        default=DEFAULT_TIMEOUT,
        help=f"seconds the whole diagnosis of {whose} may take, starting torch and the import included "
        f"(default {DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument(
        "--max-memory",
        type=memory_limit,
        default=DEFAULT_MAX_MEMORY,
        metavar="SIZE",
        help=f"address space of the process running {whose}, e.g. 512M (default {DEFAULT_MAX_MEMORY >> 30}G)",
    )


class LimitError(argparse.ArgumentTypeError, ValueError):
    """A bad limit: argparse's one line on the command line, a ValueError through the Python API."""


def memory_limit(text):
    """An argparse type: common.limits.memory_size's '2G', '512M', '1.5GiB' or bytes, at least MIN_MEMORY."""
    n = memory_size(text)
    if n < MIN_MEMORY:
        raise LimitError(f"must be at least 256M (Python and NumPy alone take 0.1G), got {text!r}")
    if n > MAX_MEMORY:
        raise LimitError(f"must be at most 1024T (a limit of address space the system can set), got {text!r}")
    return n


# A diagnosis's own work, measured: 200 random networks of the lecture's convention took 2 s beyond the
# start (10 ms each: the reference from autograd, the call, the comparison); halved, so that a refusal
# means the run would certainly not fit.  Starting Python, torch and the child takes about 2 s more.
NETWORK_SECONDS = 5e-3
START_SECONDS = 1.0
CASE_BYTES = 2000  # one planned network kept until the verdict: its spec, its row of the verdict


def refuse_past_limits(networks, timeout, what="--archs", timeout_flag="--timeout"):
    """UsageError naming ``what`` when ``networks`` could not be diagnosed within ``timeout`` or in memory."""
    from comparisons.common.errors import UsageError
    from comparisons.common.limits import available_memory, fmt_bytes, fmt_seconds

    seconds = START_SECONDS + networks * NETWORK_SECONDS
    if seconds > timeout:
        raise UsageError(
            f"{what}: {networks} networks would take at least {fmt_seconds(seconds)}, more than {timeout_flag} "
            f"{timeout:g} s covers; ask for fewer, or raise {timeout_flag}"
        )
    avail = available_memory()
    if avail is not None and networks * CASE_BYTES > avail:
        raise UsageError(
            f"{what}: {networks} networks need about {fmt_bytes(networks * CASE_BYTES)} of memory, more than the "
            f"{fmt_bytes(avail)} available; ask for fewer"
        )
