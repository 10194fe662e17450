"""The user's code in a child process, with a wall-clock limit, a memory limit, and its prints kept apart.

The child (``comparisons.diagnose.child``) answers on two pipes of its own, so nothing the
user's code does to stdin, stdout or stderr can touch the answers.  Its stdout and stderr go
into one pipe that a thread drains, keeping the head and the tail.  The time limit counts the
time spent waiting for the user's code, summed over every request; when it runs out, or the
output passes MAX_OUTPUT, the child's whole process group is killed.
"""

from __future__ import annotations

import collections
import contextlib
import os
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from comparisons.diagnose.limits import DEFAULT_MAX_MEMORY, DEFAULT_TIMEOUT, MAX_OUTPUT
from comparisons.diagnose.wire import Closed, Expired, recv, send

PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # the folder that holds comparisons/, for the child's imports
KEEP_LINES = 10  # lines of the user's output shown from its head, and as many from its tail
THREADS = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


class NoResult(Exception):
    """The child gave no answer: it ran out of time, ended, was killed or printed too much."""

    def __init__(self, reason, why):
        super().__init__(why)
        self.reason = reason  # timeout, exit, signal, output
        self.why = why


class Output:
    """The child's stdout and stderr, drained by a thread: the first and last lines, and the byte count."""

    def __init__(self, pipe):
        self.head, self.tail = [], collections.deque(maxlen=KEEP_LINES)
        self.lines = self.bytes = 0
        self.too_much = threading.Event()
        self.thread = threading.Thread(target=self._drain, args=(pipe,), daemon=True)
        self.thread.start()

    def _drain(self, pipe):
        partial = b""
        while chunk := pipe.read1(1 << 16):
            self.bytes += len(chunk)
            parts = (partial + chunk).split(b"\n")
            partial = parts.pop()[:4096]  # a line without its end yet: its start is what is shown
            for raw in parts:
                self._line(raw)
            if self.bytes > MAX_OUTPUT:
                self.too_much.set()
        if partial:
            self._line(partial)
        pipe.close()

    def _line(self, raw):
        self.lines += 1
        line = raw.decode("utf-8", "replace")[:200]
        if len(self.head) < KEEP_LINES:
            self.head.append(line)
        else:
            self.tail.append(line)

    def text(self):
        """The output to show, trimmed: '' when there was none."""
        self.thread.join(timeout=1.0)
        if not self.lines:
            return ""
        skipped = self.lines - len(self.head) - len(self.tail)
        gap = [f"… {skipped} more line(s) …"] if skipped > 0 else []
        size = f"{self.bytes / (1 << 20):.1f} MiB" if self.bytes >= 1 << 20 else f"{self.bytes} bytes"
        body = [f"  | {ln}" for ln in self.head] + [f"  {g}" for g in gap] + [f"  | {ln}" for ln in self.tail]
        return "\n".join([f"your code printed {self.lines} line(s), {size}" + (", trimmed:" if gap else ":")] + body)


class Child:
    """One child process; ``ask`` sends a request and waits for the reply within what is left of the time."""

    def __init__(
        self, cwd, timeout=DEFAULT_TIMEOUT, max_memory=DEFAULT_MAX_MEMORY, module="comparisons.diagnose.child"
    ):
        self.timeout, self.max_memory, self.used = timeout, max_memory, 0.0
        req_r, self.req = os.pipe()
        self.rep, rep_w = os.pipe()
        # PYTHONSAFEPATH: the working directory (the user's folder) is not put first on sys.path while the child
        # starts; the child adds the file's folder itself, just before importing it
        path = os.pathsep.join([str(PACKAGE_ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p])
        env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONDONTWRITEBYTECODE="1", PYTHONSAFEPATH="1", **THREADS)
        env["PYTHONPATH"] = path
        cpu = min(int(timeout) + 10, 2**31 - 1)  # the child's CPU-time backstop, should the parent die
        self.proc = subprocess.Popen(
            [sys.executable, "-m", module, str(req_r), str(rep_w), str(max_memory), str(cpu)] + [str(os.getpid())],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            pass_fds=(req_r, rep_w),
            cwd=cwd,
            env=env,
            start_new_session=True,  # its own process group: killed whole, whatever the user's code started
        )
        os.close(req_r)
        os.close(rep_w)
        self.output = Output(self.proc.stdout)

    def ask(self, op, *args):
        """The child's reply to (op, args); NoResult when it cannot give one."""
        self.send(op, *args)
        return self.reply()

    def send(self, op, *args):
        """Send a request; ``reply`` waits for its answer."""
        try:
            send(self.req, (op, args))
        except OSError:
            raise self._gone() from None

    def reply(self):
        """Wait for the reply to the last request within what is left of the time limit.

        The clock runs while the parent waits: time the parent spends elsewhere (importing torch
        while the child imports the user's file) is not charged to the user's code.
        """
        start = time.monotonic()
        deadline = start + self.timeout - self.used
        try:
            while not select.select([self.rep], [], [], max(0.0, min(0.1, deadline - time.monotonic())))[0]:
                if self.output.too_much.is_set():
                    self.kill()
                    raise NoResult("output", f"printed more than {MAX_OUTPUT >> 20} MiB; it was stopped there")
                if time.monotonic() >= deadline:
                    raise Expired
            return recv(self.rep, deadline)  # a message is under way: read it whole, within the same deadline
        except Expired:
            self.kill()
            raise NoResult("timeout", f"ran past --timeout {self.timeout:g} s") from None
        except Closed:
            raise self._gone() from None
        finally:
            self.used += time.monotonic() - start

    def _gone(self):
        """NoResult for a child that ended without replying."""
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
            code = self.proc.returncode
        if code is not None and code < 0:
            name = signal.Signals(-code).name
            extra = {
                "SIGKILL": " (out of memory, or killed from outside)",
                "SIGSEGV": " (a crash in C code, or a recursion too deep for the C stack)",
                "SIGXCPU": " (its CPU-time limit)",
            }.get(name, "")
            return NoResult("signal", f"was killed by {name}{extra}")
        return NoResult("exit", f"ended the process (exit status {code}: os._exit, or a C extension) before returning")

    def kill(self):
        """Kill the child's process group: the child and whatever the user's code started."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def close(self):
        """End the child and free its pipes."""
        for fd in (self.req, self.rep):
            with contextlib.suppress(OSError):
                os.close(fd)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=2)  # the child ends by itself once its request pipe is closed
        self.kill()
        self.output.thread.join(timeout=1.0)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
