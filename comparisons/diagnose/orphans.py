"""The sessions open in this process, and what their keepers leave: this process as a subreaper while any is open.

A keeper killed by the user's code hands its orphans to the nearest subreaper: this process,
while a session is open (``subreaper_on``); ``sweep_orphans`` kills and reaps them when that
session closes.  ``stop_all`` ends every open session's child at once (an interrupt in the
gallery, which runs several in threads) and refuses new ones until ``resume``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading

from comparisons.diagnose import keeper

LIVE = {}  # keeper pid -> its Child, for the sessions open in this process (the gallery runs several in threads)
LOCK = threading.Lock()
STOPPING = threading.Event()
_PREVIOUS = []  # this process's subreaper flag before the first open session set it


def stop_all():
    """Stop every open session's child and start no new one until ``resume`` (an interrupt): threads return."""
    STOPPING.set()
    for child in list(LIVE.values()):
        child.stop()


def resume():
    """Let sessions start again after ``stop_all``."""
    STOPPING.clear()


def subreaper_on():
    """Make this process a child subreaper while sessions are open: a killed keeper's orphans come here."""
    if not LIVE and not _PREVIOUS:
        _PREVIOUS.append(keeper.is_subreaper())
        keeper.prctl(keeper.PR_SET_CHILD_SUBREAPER, 1)


def subreaper_off():
    if not LIVE and _PREVIOUS:
        keeper.prctl(keeper.PR_SET_CHILD_SUBREAPER, int(_PREVIOUS.pop()))


def start_time(pid):
    return keeper.processes().get(pid, (0, "", 0))[2]


def sweep_orphans(since):
    """Kill and reap every process re-parented here that started after ``since`` (a killed keeper's), but keepers.

    They can only be the user's: this process is a subreaper only while a session is open.
    """
    me = os.getpid()
    for _ in range(100):
        table = keeper.processes()
        mine = [p for p, (pp, _, t) in table.items() if pp == me and t >= since and p not in LIVE]
        orphans = mine + [d for p in mine for d in keeper.descendants(p, table)]
        if not orphans:
            return
        for pid in orphans:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        for pid in mine:  # zombies too: nobody else will wait for them
            with contextlib.suppress(OSError):
                os.waitpid(pid, 0)
