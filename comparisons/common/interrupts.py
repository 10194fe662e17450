"""SIGTERM and SIGHUP unwind like Ctrl-C, so that workers are ended and staged reports removed.

Python ends a process on SIGTERM or SIGHUP at once, skipping every ``finally``: workers
would outlive their parent and a staging directory would stay behind.  Inside
``terminate_on_signals`` those signals raise ``Terminated`` (a KeyboardInterrupt) instead;
the CLI turns it into one line and the exit status 128 + signal number.  While torch is being
imported the signal is sent again a moment later instead: raised into torch's C++ module
initialisation, an exception aborts the process ("terminate called after throwing …").
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading

SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


class Terminated(KeyboardInterrupt):
    """The process was asked to stop by ``signum``."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


RETRY = 0.05  # seconds: a signal that arrived during torch's import is sent again after this
_asked = None  # the signal that asked this run to stop, once Terminated has been raised for it


def _importing_torch(frame):
    """Whether ``frame`` runs inside the import of a torch module (a module body of torch on the stack)."""
    while frame is not None:
        if frame.f_code.co_name == "<module>" and str(frame.f_globals.get("__name__", "")).split(".")[0] == "torch":
            return True
        frame = frame.f_back
    return False


def _raise(signum, frame):
    if _importing_torch(frame):  # an exception thrown into torch's C++ import code aborts the process: ask again soon
        retry = threading.Timer(RETRY, os.kill, (os.getpid(), signum))
        retry.daemon = True
        retry.start()
        return
    global _asked
    _asked = signum
    raise Terminated(signum)


def stop_if_asked():
    """Raise Terminated again where the one the signal raised was swallowed on its way (a library's bare except):
    the long loops call this, so a run asked to stop stops at its next step whatever caught the first one."""
    if _asked is not None:
        raise Terminated(_asked)


@contextlib.contextmanager
def terminate_on_signals():
    """Within the block, SIGTERM and SIGHUP raise Terminated in the main thread; the old handlers after."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers; elsewhere the defaults stay
        return
    global _asked
    old = {s: signal.signal(s, _raise) for s in SIGNALS}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        _asked = None
