"""Writing reports: output-folder checks, atomic replacement, and stable number formats."""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from .errors import UsageError

FLOAT_FORMAT = "%.6e"  # every float in a CSV: fixed, so the same run gives the same bytes


def check_out_dir(path):
    """``path`` as a directory we can write into (created if missing); UsageError otherwise."""
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {path}: is a file, not a directory")
    parent = out if out.exists() else next((p for p in out.parents if p.exists()), Path("."))
    if not parent.is_dir():
        raise UsageError(f"--out {path}: {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"--out {path}: {parent} is not writable")
    return out


@contextlib.contextmanager
def atomic_dir(out):
    """Yield a fresh staging directory; on success move each file into ``out``, else discard it.

    Files are staged beside ``out`` (same filesystem), so each final os.replace is atomic:
    a run that dies before the end leaves the previous reports exactly as they were.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".deltacheck-", dir=out))
    try:
        yield stage
        for f in sorted(stage.iterdir()):
            os.replace(f, out / f.name)
    finally:
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
