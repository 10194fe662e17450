"""A command stopped by a signal: one line, 128 + the signal, no process left (the user's code's neither), no staged
file, and earlier reports intact — `sweep --jobs 2` in every way, every other command by one of the signals."""

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from comparisons import cli
from comparisons.common.reportio import STAGE_PREFIX, atomic_dir

ROOT = Path(__file__).resolve().parents[1]
EARLIER = ["sweep", "--archs", "2", "--steps", "2", "--seed", "5", "--no-progress"]
# Each worker takes 5 architectures of 20000 steps at a time, about a minute of work: a parent that
# waited for its workers' tasks instead of ending them would time out.
LONG = ["sweep", "--jobs", "2", "--family", "1", "--archs", "40", "--steps", "20000", "--seed", "1", "--no-progress"]


def snapshot(d):
    """Every entry of ``d`` with its bytes (directories as None)."""
    return {p.name: (p.read_bytes() if p.is_file() else None) for p in sorted(Path(d).iterdir())}


def gone(procs, timeout=10.0):
    """The processes of ``procs`` still running (zombies count as ended) after up to ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        alive = []
        for p in procs:
            try:
                if p.status() != psutil.STATUS_ZOMBIE:
                    alive.append(p)
            except psutil.NoSuchProcess:
                pass
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.1)


def workers_of(proc, n, timeout=60.0):
    """Wait until ``proc`` has ``n`` descendants, then return them."""
    parent = psutil.Process(proc.pid)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kids = parent.children(recursive=True)
        if len(kids) >= n:
            return kids
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    raise AssertionError(f"no {n} workers after {timeout} s")


@pytest.fixture(scope="module")
def earlier_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("earlier")
    assert cli.main([*EARLIER, "--out", str(out)]) == 0
    return snapshot(out)


def copy_report(files, out):
    out.mkdir()
    for name, data in files.items():
        (out / name).write_bytes(data)


@pytest.mark.slow
@pytest.mark.parametrize(
    "sig, to_group, rc",
    [
        (signal.SIGTERM, False, 128 + signal.SIGTERM),
        (signal.SIGINT, False, 128 + signal.SIGINT),
        (signal.SIGHUP, False, 128 + signal.SIGHUP),
        (signal.SIGKILL, False, -signal.SIGKILL),
        (signal.SIGINT, True, 128 + signal.SIGINT),  # Ctrl-C: the whole process group
        (signal.SIGTERM, True, 128 + signal.SIGTERM),  # `timeout`: the whole process group
    ],
    ids=["SIGTERM", "SIGINT", "SIGHUP", "SIGKILL", "SIGINT to the group", "SIGTERM to the group"],
)
def test_a_signal_ends_every_process_and_keeps_the_earlier_report(sig, to_group, rc, earlier_report, tmp_path):
    out = tmp_path / "reports"
    copy_report(earlier_report, out)
    stderr = tmp_path / "stderr"  # a file, not a pipe: a surviving worker would hold a pipe open
    with stderr.open("w") as f:
        proc = subprocess.Popen(
            [sys.executable, "-m", "comparisons", *LONG, "--out", str(out)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=f,
            start_new_session=True,  # its own process group, as a shell gives a command
        )
    procs = [psutil.Process(proc.pid)]
    try:
        procs += workers_of(proc, 2)
        time.sleep(0.5)  # the workers are busy with architectures now
        if to_group:
            os.killpg(proc.pid, sig)
        else:
            proc.send_signal(sig)
        proc.wait(timeout=20)
        err = stderr.read_text()
        assert proc.returncode == rc, err
        assert gone(procs) == []
        if sig != signal.SIGKILL:
            assert err.count("\n") == 1 and signal.Signals(sig).name in err and "Traceback" not in err, err
    finally:
        kill_all([*procs, *psutil.Process().children(recursive=True)])  # nothing of this test may outlive it
        proc.wait()
    assert snapshot(out) == earlier_report


def kill_all(procs):
    for p in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            p.kill()


def _pool_script(tied):
    return textwrap.dedent(f"""
        import os, time
        from concurrent.futures import ProcessPoolExecutor
        from comparisons.sweep.runner import init_worker
        pool = ProcessPoolExecutor(1, initializer=init_worker if {tied} else None,
                                   initargs=(os.getpid(),) if {tied} else ())
        pool.submit(time.sleep, 60)
        time.sleep(60)
    """)


@pytest.mark.parametrize("tied", [True, False], ids=["tied worker dies", "untied worker survives (the control)"])
def test_a_worker_dies_with_a_parent_killed_by_sigkill(tied):
    """The check has teeth: a pool worker without init_worker(parent) outlives a SIGKILLed parent."""
    proc = subprocess.Popen([sys.executable, "-c", _pool_script(tied)], cwd=ROOT, start_new_session=True)
    procs = [psutil.Process(proc.pid)]
    try:
        procs += workers_of(proc, 1)
        proc.kill()
        proc.wait()
        assert gone(procs[1:], timeout=5.0 if tied else 1.0) == ([] if tied else procs[1:])
    finally:
        kill_all([*procs, *psutil.Process().children(recursive=True)])
        proc.wait()


def test_sigterm_while_the_report_is_staged_removes_the_stage(tmp_path, monkeypatch, capsys, earlier_report):
    out = tmp_path / "reports"
    copy_report(earlier_report, out)

    def terminated_halfway(stage, *a, **k):
        (stage / "gradients.csv").write_text("half")
        os.kill(os.getpid(), signal.SIGTERM)  # the handler raises here, in the main thread
        time.sleep(5)  # not reached
        raise AssertionError("SIGTERM did not interrupt the run")

    monkeypatch.setattr("comparisons.sweep.report.write_report", terminated_halfway)
    assert cli.main([*EARLIER, "--seed", "6", "--out", str(out)]) == 128 + signal.SIGTERM
    assert "SIGTERM" in capsys.readouterr().err
    assert snapshot(out) == earlier_report
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handler is gone again


def test_a_stage_left_by_a_killed_run_is_removed_by_the_next(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f"{STAGE_PREFIX}{dead.pid}-abc"
    stale.mkdir()
    (stale / "gradients.csv").write_text("half")
    live = tmp_path / f"{STAGE_PREFIX}{os.getpid()}-def"  # a run still going: left alone
    live.mkdir()
    with atomic_dir(tmp_path) as stage:
        (stage / "summary.md").write_text("new")
    assert not stale.exists() and live.is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, "summary.md"])


def handles(pid, sig):
    """Whether process ``pid`` has a handler of its own for ``sig`` now (SigCgt in /proc/PID/status)."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("SigCgt:"):
                return bool(int(line.split()[1], 16) >> (sig - 1) & 1)
    return False


SLEEPER = "import subprocess, sys, time\nsubprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)', {mark!r}], start_new_session=True)\ndef backprop(W, b, X, T):\n    time.sleep(600)\n"  # noqa: E501
SPEC = '{"sizes":[4,3,2],"activations":["tanh","sigmoid"],"cost":"squared_error","K":4,"steps":3000000}'
COMMANDS = {  # each long enough to be stopped in its work, by one of the three signals
    "check": (["check", "--spec", SPEC, "--no-progress"], signal.SIGTERM),
    "selftest": (["selftest", "--no-progress", "--out", "{out}"], signal.SIGHUP),
    "gallery": (["gallery", "--out", "{out}"], signal.SIGINT),
    "lecture": (["lecture", "--steps", "100000", "--no-progress", "--out", "{out}"], signal.SIGTERM),
    "diagnose": (["diagnose", "{user}", "--timeout", "300"], signal.SIGHUP),
    "bench": (["bench", "--quick", "--out", "{out}"], signal.SIGHUP),
}


@pytest.mark.parametrize("argv, sig", list(COMMANDS.values()), ids=list(COMMANDS))
def test_every_command_stopped_by_a_signal_says_so_in_one_line(argv, sig, earlier_report, tmp_path):
    out, user, mark = tmp_path / "reports", tmp_path / "mine.py", f"deltacheck-signal-test-{tmp_path.name}"
    copy_report(earlier_report, out)
    user.write_text(SLEEPER.format(mark=mark))
    argv = [a.replace("{out}", str(out)).replace("{user}", str(user)) for a in argv]
    stderr = tmp_path / "stderr"
    with stderr.open("w") as f:
        proc = subprocess.Popen([sys.executable, "-m", "comparisons", *argv], cwd=ROOT, stdout=subprocess.DEVNULL,
                                stderr=f, start_new_session=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not handles(proc.pid, signal.SIGTERM) and time.monotonic() < deadline:
            time.sleep(0.05)
        while "{user}" in " ".join(COMMANDS[argv[0]][0]) and not left_behind(mark) and time.monotonic() < deadline:
            time.sleep(0.05)  # diagnose: the user's code has started its sleeper, which must not outlive the run
        time.sleep(0.5)  # at work (importing torch, at least): the handlers are this run's
        procs = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
        proc.send_signal(sig)
        proc.wait(timeout=30)
        err = stderr.read_text()
        assert proc.returncode == 128 + sig, err
        assert err.count("\n") == 1 and f"interrupted ({signal.Signals(sig).name})" in err, err
        assert gone(procs) == [] and left_behind(mark) == []
    finally:
        kill_all([*psutil.Process().children(recursive=True), *left_behind(mark)])
        proc.wait()
    assert snapshot(out) == earlier_report


def left_behind(mark):
    """The running processes whose argv holds ``mark``."""
    found = []
    for p in psutil.process_iter(["cmdline", "status"]):
        with contextlib.suppress(psutil.Error):
            if p.info["status"] != psutil.STATUS_ZOMBIE and mark in " ".join(p.info["cmdline"] or []):
                found.append(p)
    return found


def test_diagnose_killed_by_sigkill_leaves_none_of_the_users_processes(tmp_path):
    """SIGKILL: diagnose cannot act, its keeper does (the pipe from its parent closes)."""
    user, mark = tmp_path / "mine.py", f"deltacheck-signal-test-{tmp_path.name}"
    user.write_text(SLEEPER.format(mark=mark))
    argv = [sys.executable, "-m", "comparisons", "diagnose", str(user), "--timeout", "300"]
    quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proc = subprocess.Popen(argv, cwd=ROOT, start_new_session=True, **quiet)
    try:
        deadline = time.monotonic() + 60
        while not left_behind(mark) and time.monotonic() < deadline:  # the user's code has started its sleeper
            time.sleep(0.05)
        assert left_behind(mark), "the user's sleeper never started"
        proc.kill()
        proc.wait()
        deadline = time.monotonic() + 10
        while left_behind(mark) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert left_behind(mark) == []
    finally:
        kill_all(left_behind(mark))


def test_ending_a_pool_waits_for_its_manager_thread():
    """kill_workers returns only once the pool's manager thread has closed its wake-up pipe: the interpreter's exit
    hook writes to that pipe, and racing its closing printed "Exception ignored … Bad file descriptor" after the one
    line of a SIGTERM sent to the whole group."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from comparisons.sweep.runner import kill_workers

    pool = ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork"))
    futures = [pool.submit(time.sleep, 60) for _ in range(2)]
    while not all(f.running() for f in futures):
        time.sleep(0.01)
    manager, joined = pool._executor_manager_thread, []
    real_join = manager.join
    manager.join = lambda *a, **k: joined.append(real_join(*a, **k))  # a spy: the code before never joined it
    kill_workers(pool)
    assert joined and not manager.is_alive()


def test_a_signal_during_torchs_import_is_asked_again_and_otherwise_raises(monkeypatch):
    """Raised into torch's C++ module initialisation, an exception aborts the process ("terminate called after throwing
    an instance of 'pybind11::error_already_set'", seen once in the suite): there the handler sends the signal again a
    moment later instead of raising; anywhere else it raises at once."""
    from comparisons.common import interrupts

    sent = []
    monkeypatch.setattr(interrupts.os, "kill", lambda pid, sig: sent.append((pid, sig)))
    monkeypatch.setattr(interrupts, "RETRY", 0.0)
    body = "interrupts._raise(signal.SIGTERM, sys._getframe())\n"  # a module body of torch's, mid-import
    exec(compile(body, "torch/fake.py", "exec"), {"__name__": "torch.fake", "interrupts": interrupts,
                                                  "signal": signal, "sys": sys})  # fmt: skip
    deadline = time.monotonic() + 5
    while not sent and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sent == [(os.getpid(), signal.SIGTERM)]
    with pytest.raises(interrupts.Terminated):
        exec(compile(body, "elsewhere.py", "exec"), {"__name__": "numpy.fake", "interrupts": interrupts,
                                                      "signal": signal, "sys": sys})  # fmt: skip


def test_a_stop_swallowed_on_its_way_is_raised_again_at_the_next_step():
    """A library's bare except catches the Terminated a SIGTERM raised: the run's loops ask stop_if_asked(), which
    raises it again; outside the block nothing is asked any more."""
    from comparisons.common import interrupts

    with pytest.raises(interrupts.Terminated), interrupts.terminate_on_signals():
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)  # the handler runs here
        except BaseException:  # a library that swallows everything
            pass
        interrupts.stop_if_asked()
    interrupts.stop_if_asked()  # the block is over: no stop is pending
