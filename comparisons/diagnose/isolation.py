"""The user's code in a child process, with a wall-clock limit, a memory limit, and its prints kept apart.

The child (``comparisons.diagnose.child``) answers on two pipes of its own, so nothing the
user's code does to stdin, stdout or stderr can touch the answers.  Its stdout and stderr go
into one pipe the parent reads while it waits, keeping the head and the tail, shown fenced and
with every control character escaped.  The time limit is wall-clock time from the start; when
it runs out, or the output passes MAX_OUTPUT, or a reply is not deltacheck's, the child is
killed.  The child runs below a keeper (``keeper.py``), a child subreaper that kills everything
the user's code started when the run ends, however it ends; while a session is open this
process is a subreaper too, for what a killed keeper leaves.
"""

from __future__ import annotations

import collections
import contextlib
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from comparisons.common.screen import visible
from comparisons.diagnose import orphans
from comparisons.diagnose.limits import DEFAULT_MAX_MEMORY, DEFAULT_TIMEOUT, MAX_OUTPUT
from comparisons.diagnose.wire import Closed, Corrupt, Expired, recv, send

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
    """The child's stdout and stderr, read by the parent whenever it waits: the first and last lines, the byte count.

    Read in the parent's own wait (not a thread), and drained after every reply: what the code
    printed before it returned is all counted before the reply is used, so the limit is exact.
    """

    def __init__(self, fd):
        self.fd = fd
        os.set_blocking(fd, False)
        self.head, self.tail = [], collections.deque(maxlen=KEEP_LINES)
        self.lines = self.bytes = 0
        self.partial, self.closed = b"", False

    @property
    def too_much(self):
        """True once the code printed more than MAX_OUTPUT bytes."""
        return self.bytes > MAX_OUTPUT

    def drain(self, wait=0.0):
        """Read what is in the pipe now (up to ``wait`` s for the end of file); True at end of file."""
        deadline = time.monotonic() + wait
        while not self.closed:
            try:
                chunk = os.read(self.fd, 1 << 16)
            except BlockingIOError:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                    break
                continue
            except OSError:
                chunk = b""
            if not chunk:
                self.closed = True
                if self.partial:
                    self._line(self.partial)
                os.close(self.fd)
                break
            self.bytes += len(chunk)
            if self.bytes > MAX_OUTPUT + (1 << 16):
                continue  # past the limit: counted, no longer kept
            parts = (self.partial + chunk).split(b"\n")
            self.partial = parts.pop()[:4096]  # a line without its end yet: its start is what is shown
            for raw in parts:
                self._line(raw)
        return self.closed

    def _line(self, raw):
        self.lines += 1
        line = visible(raw.decode("utf-8", "replace"))[:200]
        if len(self.head) < KEEP_LINES:
            self.head.append(line)
        else:
            self.tail.append(line)

    def text(self):
        """The output to show, trimmed and fenced: '' when there was none."""
        if not self.lines:
            return ""
        skipped = self.lines - len(self.head) - len(self.tail)
        gap = [f"  … {skipped} more line(s) …"] if skipped > 0 else []
        size = f"{self.bytes / (1 << 20):.1f} MiB" if self.bytes >= 1 << 20 else f"{self.bytes} bytes"
        body = [f"  {FENCE} {ln}" for ln in self.head] + gap + [f"  {FENCE} {ln}" for ln in self.tail]
        title = f"your code printed {self.lines} line(s), {size}{', trimmed' if gap else ''}"
        return "\n".join([f"{title} (control characters escaped), between the fences:", "  ┌──"] + body + ["  └──"])


FENCE = "│"


class Child:
    """One child process below a keeper; ``ask`` sends a request and waits for the reply within the time left.

    ``timeout`` is wall-clock time from the start: the parent's own set-up and every wait count.
    """

    def __init__(
        self, cwd, timeout=DEFAULT_TIMEOUT, max_memory=DEFAULT_MAX_MEMORY, module="comparisons.diagnose.child"
    ):
        if orphans.STOPPING.is_set():
            raise NoResult("signal", "was not started: the run is being interrupted")
        self.timeout, self.max_memory = timeout, max_memory
        self.deadline = time.monotonic() + timeout
        self.seq, self.sent_at = 0, 0.0
        req_r, self.req = os.pipe()
        self.rep, rep_w = os.pipe()
        out_r, out_w = os.pipe()
        self.status, status_w = os.pipe()
        control_r, self.control = os.pipe()
        # PYTHONSAFEPATH: the working directory (the user's folder) is not put first on sys.path while the child
        # starts; the child adds the file's folder itself, just before importing it
        path = os.pathsep.join([str(PACKAGE_ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p])
        env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONDONTWRITEBYTECODE="1", PYTHONSAFEPATH="1", **THREADS)
        env["PYTHONPATH"] = path
        cpu = min(int(timeout) + 10, 2**31 - 1)  # the child's CPU-time backstop
        child = [sys.executable, "-m", module, str(req_r), str(rep_w), str(max_memory), str(cpu)]
        with orphans.LOCK:  # no sweep of another session's may take this keeper, half-started, for an orphan
            orphans.subreaper_on()
            self.proc = self._start_keeper(child, req_r, rep_w, out_w, status_w, control_r, cwd, env)
            orphans.LIVE[self.proc.pid] = self
        self.started = orphans.start_time(self.proc.pid)
        for fd in (req_r, rep_w, out_w, status_w, control_r):
            os.close(fd)
        os.set_blocking(self.req, False)  # a request is written within the deadline, never blocked on
        self.output = Output(out_r)
        self.ended = None  # the child's own end, from the keeper: "exit N" or "signal N"

    @staticmethod
    def _start_keeper(child, req_r, rep_w, out_w, status_w, control_r, cwd, env):
        return subprocess.Popen(
            [sys.executable, "-I", "-S", str(KEEPER), str(control_r), str(status_w), f"{req_r},{rep_w}", "--", *child],
            stdin=subprocess.DEVNULL,
            stdout=out_w,
            stderr=out_w,
            pass_fds=(req_r, rep_w, control_r, status_w),
            cwd=cwd,
            env=env,
            start_new_session=True,  # no signal meant for diagnose's terminal reaches it: the parent ends it
        )

    def ask(self, op, *args):
        """The child's reply to (op, args); NoResult when it cannot give one."""
        self.send(op, *args)
        return self.reply()

    def send(self, op, *args):
        """Send a request; ``reply`` waits for its answer."""
        self.seq += 1
        self.sent_at = time.monotonic()
        try:
            send(self.req, (op, args), self.seq, max(self.deadline, self.sent_at + 1.0))
        except Expired:
            self.kill()
            raise NoResult("timeout", f"ran past --timeout {self.timeout:g} s (it stopped reading)") from None
        except OSError:
            raise self._gone() from None

    def reply(self):
        """Wait for the reply to the last request until the deadline, reading the child's output meanwhile."""
        try:
            return self._reply()
        except NoResult:
            self.kill()
            raise

    def _reply(self):
        try:
            while True:
                wait = max(0.0, min(0.1, self.deadline - time.monotonic()))
                ready = select.select([self.rep] + ([] if self.output.closed else [self.output.fd]), [], [], wait)[0]
                self._check_output()
                if self.rep in ready:
                    break
                if time.monotonic() >= self.deadline:
                    raise Expired
            _, reply = recv(self.rep, max(self.deadline, time.monotonic() + 1.0), self.seq)  # read it whole
            self._check_output()  # everything printed before the reply is in the pipe now
            return reply
        except Expired:
            if self.sent_at >= self.deadline:  # the parent's own work took the time: say so, not blame the code
                raise NoResult("timeout", f"was not run: --timeout {self.timeout:g} s was spent before (starting "
                               "Python and torch, on a busy machine?); raise --timeout") from None  # fmt: skip
            raise NoResult("timeout", f"ran past --timeout {self.timeout:g} s") from None
        except Corrupt as e:
            how = "it wrote into the reply pipe or replaced what writes the reply, such as np.save"
            why = f"garbled deltacheck's reply: {how} ({str(e)[:80]}); it was stopped there"
            raise NoResult("corrupt", why) from None
        except Closed:
            raise self._gone() from None

    def _check_output(self):
        self.output.drain()
        if self.output.too_much:
            raise NoResult("output", f"printed more than {MAX_OUTPUT >> 20} MiB; it was stopped there")

    def _gone(self):
        """NoResult for a child that ended without replying: how it ended, as the keeper saw it."""
        ready = select.select([self.status], [], [], 2.0)[0]
        how = (os.read(self.status, 64).decode(errors="replace").split() if ready else []) or ["gone", "0"]
        kind, code = how[0], int(how[1]) if how[1:] and how[1].lstrip("-").isdigit() else 0
        self.kill()
        if kind == "signal":
            name = signal.Signals(code).name if code in signal.Signals._value2member_map_ else f"signal {code}"
            extra = {
                "SIGKILL": " (out of memory, or killed from outside)",
                "SIGSEGV": " (a crash in C code, or a recursion too deep for the C stack)",
                "SIGXCPU": " (its CPU-time limit)",
            }.get(name, "")
            return NoResult("signal", f"was killed by {name}{extra}")
        if kind == "gone":
            return NoResult("signal", "ended without a word from the process that watched over it (the code stopped or "
                            "killed its parent)")  # fmt: skip
        return NoResult("exit", f"ended the process (exit status {code}: os._exit, or a C extension) before returning")

    def stop(self):
        """Tell the keeper to kill the child and all it started (returns at once; ``kill`` waits)."""
        control, self.control = self.control, None
        if control is not None:
            with contextlib.suppress(OSError):
                os.close(control)  # the keeper kills every descendant and exits

    def kill(self):
        """End the child and everything it started: the keeper kills them all, then the parent checks."""
        self.stop()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:  # the keeper stopped (SIGSTOP from the user's code): end it here
            with contextlib.suppress(OSError):
                os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        with orphans.LOCK:
            orphans.LIVE.pop(self.proc.pid, None)
            orphans.sweep_orphans(self.started)

    def close(self):
        """End the child, free its pipes, and read what it printed to the end."""
        for fd in (self.req, self.rep):
            with contextlib.suppress(OSError):
                os.close(fd)
        self.kill()
        self.output.drain(wait=1.0)
        with contextlib.suppress(OSError):
            os.close(self.status)
        if not self.output.closed:
            with contextlib.suppress(OSError):
                os.close(self.output.fd)
        with orphans.LOCK:
            orphans.subreaper_off()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


KEEPER = Path(__file__).with_name("keeper.py")
