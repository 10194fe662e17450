"""The gallery of classic mistakes: diagnose every examples/mistakes/*.py and write mistakes.md.

Each gallery file declares its mistake in its docstring ("MISTAKE: …"), the equation it
breaks (EXPECTED_EQUATION = "5") and, where it needs one, its cost (COST = "…").  Paths are
shown relative to the repository, so the same arguments give the same bytes anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from comparisons.common.errors import UsageError
from comparisons.diagnose.cases import plan, settings
from comparisons.diagnose.user_code import load
from comparisons.diagnose.verdict import diagnose

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


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


def mistake_of(module):
    """The docstring's 'MISTAKE: …' sentence (its first paragraph), else its first line."""
    doc = (module.__doc__ or "").strip()
    first = " ".join(doc.split("\n\n")[0].split())
    return first.removeprefix("MISTAKE:").strip()


def diagnose_file(path, archs=6, seed=0, root=ROOT):
    """The Row for one gallery file."""
    shown = Path(path).resolve().relative_to(root).as_posix()
    try:
        user = load(path, shown=shown)
        activation, cost = settings(user)
        expected = str(getattr(user.module, "EXPECTED_EQUATION", None) or "")
        verdict = diagnose(user, plan(archs, seed, activation, cost))
    except UsageError as e:
        return Row(shown, "", "", "", None, str(e))
    mistake = mistake_of(user.module) if expected else "none: the lecture's eqs (1)–(5), for comparison"
    return Row(shown, mistake, expected, cost, verdict)


def run_gallery(examples=EXAMPLES, archs=6, seed=0):
    """correct.py first, then every mistake file in name order."""
    files = [examples / "correct.py"] + sorted((examples / "mistakes").glob("*.py"))
    return [diagnose_file(f, archs, seed, examples.parent) for f in files]


def _cell(text):
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(rows, archs, seed):
    """mistakes.md: a table of every file, then each file's verdict and hint."""
    lines = [
        "# The gallery of classic backprop mistakes",
        "",
        f"Made by `deltacheck gallery --archs {archs} --seed {seed}`: every file in `examples/mistakes/` is run by "
        "`deltacheck diagnose` on the lecture's 12-3-2 network (K = 64 and K = 1) and "
        f"{archs} random networks, against PyTorch autograd (torch_ref).",
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
        cmd = f"deltacheck diagnose {r.shown}" + (
            "" if r.cost == "squared_error" else f'  # the file sets COST = "{r.cost}"'
        )
        head = r.verdict.headline.split("; largest error")[0]  # rounding-level numbers vary with the BLAS build
        lines += [f"Mistake: {r.mistake}", "", "```", cmd, head]
        lines += ([f"hint: {r.verdict.hint}"] if r.verdict.hint else []) + r.verdict.notes + ["```"]
    return "\n".join(lines) + "\n"
