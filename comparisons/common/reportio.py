"""Writing reports: output-folder checks, atomic replacement, and stable number formats."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from pathlib import Path

from comparisons.common.errors import UsageError

STAGE_PREFIX = ".deltacheck-"  # staging directories: .deltacheck-<pid>-<random>, beside the reports
NAME_MAX = 255  # bytes of one path component on every common file system
DISK_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}  # the disk, the quota, or RLIMIT_FSIZE
FLOAT_FORMAT = "%.6e"  # every float in a CSV: fixed, so the same run gives the same bytes


def check_out_dir(path):
    """``path`` as a directory we can write into; UsageError otherwise.  Creates nothing.

    Every component is checked as the system will see it: names over NAME_MAX bytes, symbolic
    links that loop or lead nowhere, a file where a directory must be.  Writability is probed
    by creating and removing a temporary file in the directory (or in its nearest existing
    parent), because permission bits alone say nothing for root.
    """
    text = str(path)
    if not text.strip():
        raise UsageError("--out: empty path; name a directory")
    if "\0" in text:
        raise UsageError("--out: the path holds a NUL character")
    out = Path(path)
    for part in out.parts:
        if len(os.fsencode(part)) > NAME_MAX:
            raise UsageError(f"--out {_short(text)}: the name {_short(part, 24)} is longer than {NAME_MAX} bytes")
    try:
        out.resolve()
    except (RuntimeError, OSError):  # RuntimeError: Python 3.11's "Symlink loop"
        raise UsageError(f"--out {_short(text)}: a symbolic link in it loops") from None
    parent = out
    while not parent.exists():
        if parent.is_symlink():
            raise UsageError(f"--out {_short(text)}: {_short(str(parent))} is a symbolic link to "
                             f"{_short(os.readlink(parent))}, which does not exist")  # fmt: skip
        if parent == parent.parent:
            break
        parent = parent.parent
    if parent is out and not out.is_dir():
        raise UsageError(f"--out {_short(text)}: is a file, not a directory")
    if not parent.is_dir():
        raise UsageError(f"--out {_short(text)}: {_short(str(parent))} is a file, not a directory")
    try:
        fd, probe = tempfile.mkstemp(prefix=".deltacheck-probe-", dir=parent)
        os.close(fd)
        os.remove(probe)
    except OSError as e:
        raise UsageError(f"--out {_short(text)}: {_short(str(parent))} is not writable ({e.strerror})") from None
    return out


def _short(text, n=80):
    """``text`` cut to ``n`` characters, so that a hostile path cannot flood the one line."""
    return text if len(text) <= n else text[: n - 1] + "…"


def remove_stale_stages(out):
    """Remove staging directories whose run is gone: one killed by SIGKILL cannot remove its own."""
    for d in Path(out).glob(f"{STAGE_PREFIX}*-*"):
        pid = d.name[len(STAGE_PREFIX) :].split("-")[0]
        if d.is_dir() and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(d, ignore_errors=True)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # another user's process: alive
    return True


@contextlib.contextmanager
def atomic_dir(out):
    """Yield a fresh staging directory; on success move each file into ``out``, else discard it.

    Files are staged beside ``out`` (same filesystem), so each final os.replace is atomic:
    a run that dies before the end leaves the previous reports exactly as they were, and
    its staging directory is removed then (an exception, SIGTERM, Ctrl-C) or by the next
    run into ``out`` (SIGKILL).
    """
    out = Path(out)
    stage = None
    try:
        out.mkdir(parents=True, exist_ok=True)
        remove_stale_stages(out)
        stage = Path(tempfile.mkdtemp(prefix=f"{STAGE_PREFIX}{os.getpid()}-", dir=out))
        yield stage
        for f in sorted(stage.iterdir()):
            os.replace(f, out / f.name)
    except OSError as e:
        if e.errno not in DISK_FULL:
            raise
        raise UsageError(
            f"--out {_short(str(out))}: {os.strerror(e.errno)} while writing the report; "
            "the reports there before are left as they were"
        ) from None
    finally:
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)


def write_text(path, text):
    """Write UTF-8 text with Unix newlines."""
    Path(path).write_text(text, encoding="utf-8", newline="\n")


def write_csv(df, path):
    """A DataFrame as CSV with the fixed float format and no index."""
    df.to_csv(path, index=False, float_format=FLOAT_FORMAT, lineterminator="\n")


def save_png(fig, path):
    """A matplotlib figure as PNG without time-dependent metadata."""
    fig.savefig(path, dpi=100, metadata={"Software": None})
