"""The limits diagnose puts on user code, and their parser: the standard library only, so that --help stays quick."""

from __future__ import annotations

import re

DEFAULT_TIMEOUT = 60.0  # seconds of the user's code in all (import and every network)
DEFAULT_MAX_MEMORY = 2 << 30  # address space of the child: numpy needs ≈ 0.1 GiB, torch ≈ 0.7 GiB
MIN_MEMORY = 256 << 20  # Python and NumPy alone take ≈ 0.1 GiB of address space
MAX_OUTPUT = 1 << 20  # bytes the user's code may print before it is stopped: debug prints stay far below
UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def parse_size(text):
    """'2G', '512M', '1.5GiB' or a number of bytes -> bytes; ValueError below MIN_MEMORY or unreadable."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*", str(text), flags=re.I)
    if not m:
        raise ValueError(f"must be a size such as 2G or 512M, got {text!r}")
    n = int(float(m.group(1)) * UNITS[m.group(2).upper()])
    if n < MIN_MEMORY:
        raise ValueError(f"must be at least 256M (Python and NumPy alone take 0.1G), got {text!r}")
    return n
