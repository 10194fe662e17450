"""Progress on stderr, the one helper every command's bars go through: a tqdm bar only where someone
watches it (stderr a terminal, or ``--progress``), never redrawn into a log file or a pipe."""

from __future__ import annotations

import sys
import threading

from tqdm import tqdm

DELAY = 2.0  # s: a run shorter than this prints no bar at all


def add_progress_flags(p):
    """``--progress`` / ``--no-progress`` on parser ``p``: bars forced on or off (default: only on a terminal)."""
    g = p.add_mutually_exclusive_group()
    g.add_argument(
        "--progress", action="store_true", help="progress bars on stderr even when it is not a terminal (a log, a pipe)"
    )
    g.add_argument("--no-progress", action="store_true", help="no progress bar, even on a terminal")


def chosen(args):
    """True (``--progress``), False (``--no-progress``) or None (neither: a bar only on a terminal)."""
    if getattr(args, "no_progress", False):
        return False
    return True if getattr(args, "progress", False) else None


def shown(show=None):
    """Whether to draw bars: ``show`` when given, else whether stderr is a terminal."""
    if show is not None:
        return bool(show)
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty and isatty())


class Bar(tqdm):
    """tqdm on stderr after DELAY, only where ``shown(show)``; redrawn every second so that the elapsed time
    moves while one long item (an architecture of many steps) runs.  ``total=None`` gives an elapsed-time line."""

    def __init__(self, total=None, desc="", unit="it", show=None, **kw):
        disable = not shown(show)
        super().__init__(
            total=total, desc=desc, unit=unit, file=sys.stderr, delay=DELAY, miniters=0, disable=disable,
            dynamic_ncols=True, **kw,
        )  # fmt: skip
        self._lock_n = threading.Lock()  # update(0) from the ticker must not race update(1)
        self._stop = threading.Event()
        self._ticker = None
        if not disable:
            self._ticker = threading.Thread(target=self._tick, name="progress-ticker", daemon=True)
            self._ticker.start()

    def _tick(self):
        while not self._stop.wait(1.0):
            self.update(0)

    def update(self, n=1):
        with self._lock_n:
            return super().update(n)

    def close(self):
        stop = getattr(self, "_stop", None)
        if stop is not None:
            stop.set()
            if self._ticker is not None and self._ticker is not threading.current_thread():
                self._ticker.join()
        super().close()
