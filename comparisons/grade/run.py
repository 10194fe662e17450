"""Diagnose every submission, ``jobs`` at a time, each in its own child process and scratch folder.

A submission that hangs, crashes, ends its process, deletes files or prints without end is
stopped by diagnose's limits and gets its reason in the row; the others never see it.
"""

from __future__ import annotations

import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from comparisons.diagnose.api import check_backprop
from comparisons.grade import submissions
from comparisons.grade.rubric import score


@dataclass
class Row:
    """One student's result."""

    student: str
    file: str
    convention: str
    verdict: str  # pass, fail, error (no result) or unusable
    equation: str
    layer: int
    hint: str
    seconds: float
    points: float
    out_of: float
    headline: str
    text: str  # the whole diagnosis, as `deltacheck diagnose` prints it


def grade_one(sub, shares, archs, seed, timeout, max_memory):
    """The Row of one staged submission."""
    start = time.monotonic()
    convention, status, eq, layer, hint, headline, text = "", "unusable", "", 0, "", "", ""
    if sub.copy is None:
        headline = text = f"{sub.shown}: no .py or .ipynb file in it"
    else:
        before = _files(sub.scratch)
        v = check_backprop(str(sub.copy), archs=archs, seed=seed, timeout=timeout, max_memory=max_memory)
        gone = sorted(before - _files(sub.scratch))  # its own copy's: the class folder is never where it runs
        status = "unusable" if v.loaded is None else v.status
        convention, eq, layer, headline = getattr(v.loaded, "convention", ""), v.eq, v.layer, v.headline
        hint = v.headline if status in ("error", "unusable") else v.hint  # no result: the reason, in its column
        text = "\n".join(t for t in (v.header, v.text()) if t)
        if gone:
            note = f"note: it deleted {len(gone)} file(s) of its copy while it ran: {', '.join(gone[:5])}"
            hint, text = "; ".join(h for h in (hint, note) if h), f"{text}\n{note}"
    seconds = time.monotonic() - start
    where = str(sub.scratch / "class") + "/"  # the copy's folder: shown as in the class folder
    text, headline, hint = (t.replace(where, "") for t in (text, headline, hint))
    points, out_of = score(shares, status, eq)
    return Row(sub.student, sub.shown, convention, status, eq, layer, hint, seconds, points, out_of, headline, text)


def _files(scratch):
    """The files of a staged copy, relative to the class folder."""
    return {p.relative_to(scratch / "class").as_posix() for p in (scratch / "class").rglob("*") if p.is_file()}


def grade(folder, shares, jobs=2, archs=6, seed=0, timeout=60.0, max_memory=2 << 30, single=False):
    """The Rows of every submission in ``folder``, sorted by student (``single``: the folder is one submission)."""
    subs = submissions.find(folder, single)
    try:
        submissions.stage(subs, Path(folder).parent if single else folder)  # all copied before any runs
        bar = _bar(len(subs)) if sys.stderr.isatty() else None
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(grade_one, s, shares, archs, seed, timeout, max_memory) for s in subs]
            rows = []
            for f in futures:
                rows.append(f.result())
                if bar is not None:
                    bar.update(1)
        if bar is not None:
            bar.close()
    finally:
        submissions.clean(subs)
    return rows


def _bar(total):
    from tqdm import tqdm

    return tqdm(total=total, unit="submission", file=sys.stderr, leave=False)
