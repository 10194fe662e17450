"""A pool worker dies with its parent, however the parent ends (SIGKILL included).

Linux delivers a chosen signal to a process whose parent dies (prctl PR_SET_PDEATHSIG);
elsewhere, and as a second line, a thread watches os.getppid() and exits when the worker
has been handed to another parent.  Ctrl-C reaches the whole process group: workers ignore
SIGINT and leave it to the parent, which ends them (runner.kill_workers).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
WATCH_SECONDS = 0.5


def tie_to_parent(parent):
    """Call first thing in a worker forked or spawned by the process whose pid is ``parent``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("SIGTERM", "SIGHUP"):  # a forked worker inherits the parent's handlers: back to dying
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)
    threading.Thread(target=_watch, args=(parent,), name="parent-watch", daemon=True).start()


def _watch(parent):
    while os.getppid() == parent:
        time.sleep(WATCH_SECONDS)
    os._exit(1)
