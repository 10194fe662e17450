"""Resource limits: memory and time as arguments, the memory available, and the one-line refusal.

A command estimates what a run needs before any work starts and calls ``refuse_if_over``:
past the limit the user gets one line naming the argument and both numbers, exit code 2,
and nothing is written.  The limits are deliberate maxima that ``--max-memory`` and
``--max-time`` raise; a MemoryError that happens anyway is reported the same way
(``resource_errors``), never as a finding about the implementations.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
from pathlib import Path

from comparisons.common.errors import UsageError

DEFAULT_MAX_TIME = 3600.0  # s: a run estimated to take longer is refused unless --max-time is raised
UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40, "P": 2**50}
SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def memory_size(text):
    """An argparse type: bytes from '8G', '512M', '1.5TiB' or a plain number of bytes (units of 1024)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([KMGTP]?)(?:i?B)?\s*", text, flags=re.I)
    if not m or float(m.group(1)) <= 0:
        raise argparse.ArgumentTypeError(f"must be a size > 0 such as 512M, 16G or 2T, got {text!r}")
    return int(float(m.group(1)) * UNITS[m.group(2).upper()])


def duration(text):
    """An argparse type: seconds from '90s', '30m', '2h', '1d' or a plain number of seconds."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([smhd]?)\s*", text)
    if not m or float(m.group(1)) <= 0:
        raise argparse.ArgumentTypeError(f"must be a duration > 0 such as 90s, 30m or 2h, got {text!r}")
    return float(m.group(1)) * SECONDS[m.group(2)]


def available_memory():
    """Bytes this process can still take: MemAvailable, lowered to a cgroup's limit where one is set."""
    avail = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                avail = int(line.split()[1]) * 1024  # the kernel writes kB
    if avail is None:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            avail = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    with contextlib.suppress(OSError, ValueError):  # cgroup v2: a container's own limit
        cg = Path("/sys/fs/cgroup")
        limit = (cg / "memory.max").read_text().strip()
        if limit != "max":
            free = int(limit) - int((cg / "memory.current").read_text())
            avail = free if avail is None else min(avail, free)
    return max(0, avail) if avail is not None else None


def fmt_bytes(n):
    """'7.3 TiB', '22 GiB', '800 TiB', '640 MiB'."""
    for unit, size in (("PiB", 2**50), ("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return _two_digits(n / size, unit)
    return f"{int(n)} B"


def fmt_seconds(s):
    """'40 s', '12 min', '3.1 h', '2500 days'."""
    for unit, size, least in (("days", 86400, 2 * 86400), ("h", 3600, 3600), ("min", 60, 120)):
        if s >= least:
            return _two_digits(s / size, unit)
    return _two_digits(s, "s")


def _two_digits(v, unit):
    return f"{v:.0f} {unit}" if v >= 10 else f"{v:.2g} {unit}"


def refuse_if_over(what, need_bytes, need_seconds, max_memory=None, max_time=DEFAULT_MAX_TIME):
    """UsageError naming ``what`` when the run needs more memory or time than allowed.

    ``max_memory`` None means the memory available now; ``what`` names the argument(s)
    and what in them makes the run large, e.g. "--spec: its sizes".
    """
    if max_memory is None:
        avail = available_memory()
        if avail is not None and need_bytes > avail:
            raise UsageError(
                f"{what} need about {fmt_bytes(need_bytes)} of memory, more than the {fmt_bytes(avail)} available; "
                "raise --max-memory to try anyway"
            )
    elif need_bytes > max_memory:
        raise UsageError(
            f"{what} need about {fmt_bytes(need_bytes)} of memory, more than --max-memory {fmt_bytes(max_memory)}; "
            "raise --max-memory to try anyway"
        )
    if need_seconds > max_time:
        raise UsageError(
            f"{what} would take about {fmt_seconds(need_seconds)}, more than --max-time {fmt_seconds(max_time)}; "
            "raise --max-time to try anyway"
        )


def _out_of_memory_types():
    """MemoryError, and torch's OutOfMemoryError (a RuntimeError) where torch is loaded."""
    torch = sys.modules.get("torch")
    return (MemoryError,) + ((torch.OutOfMemoryError,) if hasattr(torch, "OutOfMemoryError") else ())


@contextlib.contextmanager
def resource_errors(what, need_bytes):
    """Turn running out of memory (here or in a worker) into a UsageError naming ``what``."""
    from concurrent.futures.process import BrokenProcessPool

    try:
        yield
    except BrokenProcessPool:
        raise UsageError(
            f"{what}: a worker process was killed (by the system, most often for lack of memory; "
            f"the estimate was about {fmt_bytes(need_bytes)}); ask for less, or free memory"
        ) from None
    except _out_of_memory_types():
        raise UsageError(
            f"{what}: ran out of memory (the estimate was about {fmt_bytes(need_bytes)}); ask for less, or free memory"
        ) from None
