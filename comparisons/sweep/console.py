"""What a sweep says on stderr: progress for whatever runs longer than a few seconds, and no warnings."""

from __future__ import annotations

import contextlib
import sys
import threading
import warnings

import numpy as np
from tqdm import tqdm

DELAY = 2.0  # s: a run shorter than this prints no bar at all


class Bar(tqdm):
    """tqdm on stderr after DELAY, redrawn every second so that the elapsed time moves while one
    long item (an architecture of many steps) runs.  ``total=None`` gives an elapsed-time line."""

    def __init__(self, total=None, desc="", unit="it", disable=False, **kw):
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


@contextlib.contextmanager
def quiet():
    """No NumPy floating-point warning or RuntimeWarning reaches the user: overflow in a diverging
    run is a finding the rows record (non-finite values), not a message on stderr."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield
