"""The gallery of classic mistakes: diagnose every examples/mistakes/**/*.py and write mistakes.md.

Each gallery file declares its mistake in its docstring ("MISTAKE: …"), the equation it
breaks (EXPECTED_EQUATION = "5") and, where it needs one, its cost (COST = "…").  The
mistakes in examples/mistakes/ are the lecture's convention; those in nielsen/, dlfs/, cs231n/ and
dlai/ are written in the two textbooks' and the two courses' conventions, each beside its correct base file.  Paths are
shown relative to the repository, so the same arguments give the same bytes anywhere.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from comparisons.common.errors import UsageError
from comparisons.diagnose.isolation import NoResult
from comparisons.diagnose.orphans import resume, stop_all
from comparisons.diagnose.run import check
from comparisons.diagnose.session import Target

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
CORRECT = {  # the correct base file of each convention, and what it is
    "correct.py": "none: the lecture's eqs (1)–(5), for comparison",
    "nielsen_style.py": "none: Nielsen's network2.py style, correct, for comparison",
    "dlfs_style.py": "none: ゼロから作るDeep Learning's TwoLayerNet style, correct, for comparison",
    "cs231n/fc_net.py": "none: CS231n's FullyConnectedNet with its layer functions, correct, for comparison",
    "cs231n/two_layer_net.py": "none: CS231n's TwoLayerNet, forward and backward inline, correct, for comparison",
    "dlai/deep_nn.py": "none: deeplearning.ai's L_model_forward / L_model_backward, correct, for comparison",
}


@dataclass
class Row:
    """One gallery file and its verdict."""

    shown: str  # examples/mistakes/x.py
    mistake: str
    expected: str  # the file's EXPECTED_EQUATION ("" for correct.py)
    cost: str
    verdict: object  # diagnose.Verdict, or None when the file was unusable
    error: str = ""  # the UsageError, if any

    @property
    def named(self):
        """The equation the verdict names."""
        return self.verdict.eq if self.verdict else ""

    @property
    def caught(self):
        """True when the verdict names the intended equation (or correct.py passes)."""
        if self.verdict is None:
            return False
        return self.verdict.passed if not self.expected else (not self.verdict.passed and self.named == self.expected)


def mistake_of(doc):
    """The docstring's 'MISTAKE: …' sentence (its first paragraph), else its first line."""
    first = " ".join((doc or "").strip().split("\n\n")[0].split())
    return first.removeprefix("MISTAKE:").strip()


def diagnose_file(path, archs=6, seed=0, root=ROOT):
    """The Row for one gallery file."""
    path = Path(path).resolve()
    shown = path.relative_to(root).as_posix()
    try:
        verdict = check(Target(path, "", shown), archs=archs, seed=seed)
    except (UsageError, NoResult) as e:  # NoResult: not started, the run being interrupted
        return Row(shown, "", "", "", None, str(e))
    expected = str(verdict.loaded.constants.get("EXPECTED_EQUATION") or "")
    mistake = mistake_of(verdict.loaded.doc) if expected else CORRECT.get(path.name, "none")
    return Row(shown, mistake, expected, verdict.settings.cost, verdict)


def gallery_files(examples=EXAMPLES):
    """The correct base files, then the lecture's mistakes, then those of each textbook's convention."""
    mistakes = examples / "mistakes"
    return (
        [examples / f for f in CORRECT if (examples / f).is_file()]
        + sorted(mistakes.glob("*.py"))
        + sorted(mistakes.glob("*/*.py"))
    )


def run_gallery(examples=EXAMPLES, archs=6, seed=0, jobs=None):
    """Every gallery file, in order; ``jobs`` files at a time (each in its own child process)."""
    files = gallery_files(examples)
    jobs = jobs or min(4, os.cpu_count() or 1)
    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        return list(pool.map(lambda f: diagnose_file(f, archs, seed, examples.parent), files))
    except BaseException:  # Ctrl-C, SIGTERM: the children end now and no new one starts, so the threads return
        stop_all()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        resume()


def _cell(text):
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(rows, archs, seed):
    """mistakes.md: a table of every file, then each file's verdict and hint."""
    lines = [
        "# The gallery of classic backprop mistakes",
        "",
        f"Made by `deltacheck gallery --archs {archs} --seed {seed}`: every file in `examples/mistakes/` (the "
        "lecture's convention, and Nielsen's and ゼロから作るDeep Learning's in its subfolders) is run by "
        "`deltacheck diagnose` on the lecture's 12-3-2 network (K = 64 and K = 1) and "
        f"{archs} random networks (all of the depth a class fixes), against PyTorch autograd (torch_ref).",
        "",
        f"{sum(r.caught for r in rows)} of {len(rows)} files are diagnosed as intended.",
        "",
        "| file | the mistake | breaks eq | verdict names | at layer | caught |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        named = "pass" if r.verdict and r.verdict.passed else (f"({r.named})" if r.named else "—")
        layer = f"l = {r.verdict.layer}" if r.verdict and r.verdict.layer else "—"
        expected = f"({r.expected})" if r.expected else "none"
        lines.append(
            f"| `{r.shown}` | {_cell(r.mistake or r.error)} | {expected} | {named} | {layer} "
            f"| {'yes' if r.caught else 'NO'} |"
        )
    for r in rows:
        lines += ["", f"## `{r.shown}`", ""]
        if r.verdict is None:
            lines.append(f"unusable: {r.error}")
            continue
        const = r.verdict.loaded.constants.get("COST")
        cmd = f"deltacheck diagnose {r.shown}" + (
            f'  # the file sets COST = "{const}"' if const not in (None, "squared_error") else ""
        )
        how = f"({r.verdict.loaded.convention} convention; {r.verdict.settings.text()})"
        head = r.verdict.headline.split("; closest to its tolerance")[0]  # rounding-level numbers vary with the BLAS
        lines += [f"Mistake: {r.mistake}", "", "```", cmd, how, head]
        lines += ([f"hint: {r.verdict.hint}"] if r.verdict.hint else []) + r.verdict.notes + ["```"]
    return "\n".join(lines) + "\n"
