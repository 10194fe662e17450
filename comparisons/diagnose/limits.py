"""The limits diagnose puts on user code, and their parser: the standard library only, so that --help stays quick."""

from __future__ import annotations

import argparse

from comparisons.common.limits import memory_size

DEFAULT_TIMEOUT = 60.0  # seconds of the user's code in all (import and every network)
DEFAULT_MAX_MEMORY = 2 << 30  # address space of the child: numpy needs ≈ 0.1 GiB, torch ≈ 0.7 GiB
MIN_MEMORY = 256 << 20  # Python and NumPy alone take ≈ 0.1 GiB of address space
MAX_OUTPUT = 1 << 20  # bytes the user's code may print before it is stopped: debug prints stay far below
DEFAULT_ARCHS = 6  # random networks besides the lecture's 12-3-2


def memory_limit(text):
    """An argparse type: common.limits.memory_size's '2G', '512M', '1.5GiB' or bytes, at least MIN_MEMORY."""
    n = memory_size(text)
    if n < MIN_MEMORY:
        raise argparse.ArgumentTypeError(f"must be at least 256M (Python and NumPy alone take 0.1G), got {text!r}")
    return n
