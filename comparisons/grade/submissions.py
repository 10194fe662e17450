"""The submissions in a class folder: each .py or .ipynb file is one student's, and so is each subfolder.

Everything is copied into a scratch folder of its own before any of it runs, so code that
deletes or rewrites files changes only its own copy, never the class folder or another
student's submission.  The copy sits two folders below the scratch folder's root, so that
``../`` from where it runs is still its own (this guards against accidents, not against code
that means harm: it runs as you).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from comparisons.common.errors import UsageError

SUFFIXES = (".py", ".ipynb")
# what a file the diagnosis can run defines: the lecture's, the textbooks' and the courses' entry points
ENTRY = re.compile(r"def (backprop|L_model_backward|gradient|loss|affine_backward)\s*\(")


@dataclass
class Submission:
    """One student's work: the file diagnosed, as it is shown, and where its copy runs."""

    student: str
    shown: str  # relative to the class folder: alice.py, bob/fc_net.py
    source: Path  # the file in the class folder
    scratch: Path = None  # the scratch folder's root: the copy is in scratch/class/
    copy: Path = None  # the copied file


def _entry_file(folder):
    """The file of a student's folder to diagnose: the one that defines an entry point, .py before .ipynb."""
    files = sorted(p for p in folder.rglob("*") if p.suffix in SUFFIXES and p.is_file())
    if not files:
        return None
    ranked = sorted(files, key=lambda p: (not ENTRY.search(p.read_text(errors="replace")), p.suffix != ".py", str(p)))
    return ranked[0]


def find(folder, single=False):
    """The submissions in ``folder``, sorted by student (``single``: the folder is one); UsageError for none."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"{folder}: not a folder" if folder.exists() else f"{folder}: no such folder")
    if single:
        f = _entry_file(folder)
        if f is None:
            raise UsageError(f"{folder}: no .py or .ipynb file to grade")
        return [Submission(folder.resolve().name, f.relative_to(folder.parent).as_posix(), f)]
    out = []
    for p in sorted(folder.iterdir()):
        if p.name.startswith((".", "_")):
            continue
        if p.is_file() and p.suffix in SUFFIXES:
            out.append(Submission(p.stem, p.name, p))
        elif p.is_dir():
            f = _entry_file(p)
            out.append(Submission(p.name, (f.relative_to(folder) if f else Path(p.name)).as_posix(), f))
    if not out:
        raise UsageError(f"{folder}: no submissions (.py or .ipynb files, or one folder per student)")
    stems = [s.student for s in out]
    for s in out:  # alice.py and alice.ipynb: two submissions, each named by its file
        s.student = s.student if stems.count(s.student) == 1 else s.shown.replace("/", "_")
    return out


def stage(subs, root):
    """Copy every submission into a scratch folder of its own (a student's folder whole, a file alone)."""
    for s in subs:
        s.scratch = Path(tempfile.mkdtemp(prefix="deltacheck-grade-"))
        if s.source is None:
            continue
        top, into = Path(root) / s.shown.split("/")[0], s.scratch / "class"
        into.mkdir()
        if top.is_dir():
            shutil.copytree(top, into / top.name, symlinks=True)
        else:
            shutil.copy2(top, into / top.name)
        s.copy = into / s.shown


def clean(subs):
    """Remove the scratch folders."""
    for s in subs:
        if s.scratch is not None:
            shutil.rmtree(s.scratch, ignore_errors=True)
