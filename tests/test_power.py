"""deltacheck power: the share of sampled architectures whose start checks catch a planted bug, said in one line."""

import pytest

from comparisons import cli
from comparisons.common import rounding
from comparisons.common.spec import sample_specs
from comparisons.sweep import mutations


def run(capsys, *args):
    rc = cli.main(["power", "--no-progress", *args])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_a_bug_every_architecture_shows_is_caught_on_all_of_them(capsys):
    rc, out, _ = run(capsys, "--bug", "eq (4) without σ'", "--archs", "10", "--seed", "1")
    assert rc == 0
    first = out.splitlines()[-1]  # the verdict is the last line
    bug = next(m for m in mutations.MUTATIONS if m.name == "eq (4) without σ'")
    n = sum(bug.applies(s) for s in sample_specs(10, 1, "float64", 0, family=10))  # the architectures it can show on
    assert first.startswith(f"eq (4) without σ': caught on {n} of {n} float64 architectures") and n > 0


def test_a_harmless_bug_is_caught_nowhere_and_every_architecture_is_listed(capsys, monkeypatch):
    harmless = mutations.Mutation("no-op", "nothing", (), ("value",))
    monkeypatch.setattr(mutations, "MUTATIONS", (harmless,))
    rc, out, _ = run(capsys, "--bug", "no-op", "--archs", "10", "--seed", "1")
    lines = out.splitlines()
    assert rc == 0 and "caught on 0 of 10 float64 architectures (0.0%)" in lines[-1]
    assert len(lines) == 11 and all(line.startswith("  passed arch ") for line in lines[:-1])


def test_a_clean_failure_is_exit_1(capsys, monkeypatch):
    monkeypatch.setattr(rounding, "C", 1e-6)  # a bound far too tight: the clean code fails
    rc, out, _ = run(capsys, "--archs", "10", "--seed", "4")
    assert rc == 1 and "clean failures 0;" not in out


@pytest.mark.parametrize("args, says", [(["--bug", "nope"], "no such planted bug"),
                                        (["--dtype", "float64"], "is planted in float32 architectures")])  # fmt: skip
def test_bad_input_is_one_line_and_exit_2(capsys, args, says):
    rc, out, err = run(capsys, *args)
    assert rc == 2 and out == "" and len(err.strip().splitlines()) == 1 and says in err


def test_a_training_bug_needs_steps_to_show(capsys):
    """ "never updates" breaks no start check: caught nowhere without steps, everywhere torch moves with them."""
    _, at_start, _ = run(capsys, "--bug", "never updates", "--archs", "10", "--seed", "1")
    assert "caught on 0 of 10 float64 architectures" in at_start
    _, trained, _ = run(capsys, "--bug", "never updates", "--archs", "10", "--seed", "1", "--steps", "3")
    assert "caught on 10 of 10 float64 architectures" in trained
