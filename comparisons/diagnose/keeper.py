"""The keeper: a child subreaper between diagnose and the process that runs the user's code.

Run as ``python -I -S keeper.py CONTROL STATUS FD,… -- CHILD_ARGV…`` by ``isolation.Child`` (the
standard library only: it starts in milliseconds).  Every process the user's code starts,
whatever it does (a new session, a double fork, killing its own parent), stays below the
keeper: an orphan is re-parented to the nearest subreaper, which is the keeper.  The FDs are
the child's (its request and reply pipes): the keeper closes its copies, so that the child's
end is seen at once.  When the parent closes CONTROL, or dies, the keeper kills every
descendant, reaps them, and exits; the child's own exit status goes to STATUS as soon as it
ends ("exit N" or "signal N").  SIGINT, SIGTERM and SIGHUP are ignored: only the parent ends
the keeper, so cleaning up cannot be skipped.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import select
import signal
import sys
import time

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
PR_GET_CHILD_SUBREAPER = 37


def prctl(option, value):
    """Linux's prctl(2) through libc; False where there is none (then the process group is the fallback)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl(option, ctypes.c_ulong(value), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def is_subreaper():
    """Whether this process is a child subreaper now (False where that cannot be asked)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        flag = ctypes.c_int(0)
        return libc.prctl(PR_GET_CHILD_SUBREAPER, ctypes.byref(flag), 0, 0, 0) == 0 and flag.value != 0
    except (OSError, AttributeError):
        return False


def processes():
    """{pid: (ppid, state, start time in clock ticks)} of every process, from /proc ({} where there is none)."""
    table = {}
    with contextlib.suppress(OSError):
        for name in os.listdir("/proc"):
            if name.isdigit():
                with contextlib.suppress(OSError, ValueError, IndexError):
                    with open(f"/proc/{name}/stat", "rb") as f:
                        rest = f.read().rsplit(b")", 1)[1].split()  # after the command name, which may hold spaces
                    table[int(name)] = (int(rest[1]), rest[0].decode(), int(rest[19]))
    return table


def descendants(root, table=None):
    """The pids below ``root`` that are not yet zombies, from /proc."""
    table = processes() if table is None else table
    children = {}
    for pid, (ppid, _, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    out, todo = [], list(children.get(root, []))
    while todo:
        pid = todo.pop()
        if table[pid][1] != "Z":
            out.append(pid)
        todo += children.get(pid, [])
    return out


def reap(child, status_fd):
    """Reap every ended child; report ``child``'s own end on ``status_fd``.  True when no child is left."""
    while True:
        try:
            pid, code = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return True
        if pid == 0:
            return False
        if pid == child:
            how = f"signal {os.WTERMSIG(code)}" if os.WIFSIGNALED(code) else f"exit {os.waitstatus_to_exitcode(code)}"
            with contextlib.suppress(OSError):
                os.write(status_fd, how.encode() + b"\n")


def kill_all(child, status_fd):
    """SIGKILL every descendant, again and again until none is left (a killed one's children come here)."""
    deadline = time.monotonic() + 10.0
    while time.monotonic() < deadline:
        pids = descendants(os.getpid())
        if not pids and not os.path.isdir("/proc"):
            with contextlib.suppress(OSError):
                os.killpg(child, signal.SIGKILL)  # no /proc: the child's process group is all that can be named
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        if reap(child, status_fd) and not pids:
            return
        time.sleep(0.005)


def main(argv):
    control, status = int(argv[1]), int(argv[2])
    command = argv[argv.index("--") + 1 :]
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, signal.SIG_IGN)
    prctl(PR_SET_CHILD_SUBREAPER, 1)
    os.set_inheritable(control, False)  # the user's code never sees these two
    os.set_inheritable(status, False)
    child = os.fork()
    if child == 0:
        try:
            os.setpgid(0, 0)
            for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                signal.signal(s, signal.SIG_DFL)
            prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # the keeper killed: the child goes at once, its own go here
            os.execv(command[0], command)
        finally:
            os._exit(127)
    for fd in [0] + [int(f) for f in argv[3].split(",") if f]:
        with contextlib.suppress(OSError):
            os.close(fd)
    while True:
        ready = select.select([control], [], [], 0.05)[0]
        reap(child, status)
        if ready:
            try:
                data = os.read(control, 64)
            except OSError:
                data = b""
            if not data or b"k" in data:
                break
    kill_all(child, status)
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv)
