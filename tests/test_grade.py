"""`deltacheck grade DIR`: a class diagnosed submission by submission; hostile code stopped alone; same bytes twice."""

import csv
import json
import shutil
from pathlib import Path

import pytest

from comparisons import cli

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
CORRECT = (EXAMPLES / "correct.py").read_text(encoding="utf-8")
HOSTILE = {  # student -> what their backprop does before it returns the right gradients
    "loops": "    while True:\n        pass\n",
    "exits": "    import os\n    os._exit(3)\n",
    "deletes": "    import glob, os\n"
    "    [os.remove(f) for f in glob.glob('*') + glob.glob('../*') if os.path.isfile(f)]\n",
    "floods": "    print('x' * (10 << 20))\n",
}


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    """A class folder: correct and wrong files in three conventions, a notebook, a folder, four hostile students."""
    d = tmp_path_factory.mktemp("class")
    shutil.copy(EXAMPLES / "correct.py", d / "ada.py")
    shutil.copy(EXAMPLES / "mistakes" / "sigma_prime_missing_eq5.py", d / "ben.py")
    shutil.copy(EXAMPLES / "mistakes" / "dlai" / "db_wrong_axis_eq3.py", d / "cho.py")
    shutil.copy(EXAMPLES / "notebooks" / "homework.ipynb", d / "dee.ipynb")
    (d / "eve").mkdir()  # a folder per student: the file that defines an entry point is the one graded
    (d / "eve" / "notes.py").write_text("x = 1\n")
    shutil.copy(EXAMPLES / "cs231n" / "fc_net.py", d / "eve" / "fc_net.py")
    for student, body in HOSTILE.items():
        (d / f"zz_{student}.py").write_text(CORRECT.replace("    L = max(W)\n", body + "    L = max(W)\n", 1))
    return d


def grade(capsys, *argv):
    rc = cli.main(["grade", *map(str, argv)])
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture(scope="module")
def graded(klass, tmp_path_factory):
    out = tmp_path_factory.mktemp("grades")
    args = ["grade", klass, "--out", out, "--archs", "1", "--timeout", "4", "--jobs", "2", "--no-timing"]
    assert cli.main([str(a) for a in args]) == 0
    text = (out / "gradebook.csv").read_text(encoding="utf-8")
    rows = {r["student"]: r for r in csv.DictReader(text.splitlines())}
    return out, rows


def test_every_submission_is_graded_and_agrees_with_diagnose(graded):
    out, rows = graded
    assert [(r["verdict"], r["equation"], r["layer"], r["score"]) for r in map(rows.get, ("ada", "ben", "cho"))] == [
        ("pass", "", "", "100"),
        ("fail", "5", "2", "75"),
        ("fail", "3", "3", "75"),
    ]
    assert rows["dee"]["verdict"] == "pass" and rows["dee"]["file"] == "dee.ipynb"
    assert rows["eve"]["file"] == "eve/fc_net.py" and rows["eve"]["convention"] == "cs231n"
    assert rows["eve"]["verdict"] == "pass"
    assert "your numbers match σ'(z^2) left out of eq (5)" in rows["ben"]["hint"]


def test_hostile_submissions_are_stopped_with_their_reason_and_change_nobody_else(graded, klass):
    _, rows = graded
    assert rows["zz_loops"]["verdict"] == "error" and "ran past --timeout 4 s" in rows["zz_loops"]["hint"]
    assert rows["zz_exits"]["verdict"] == "error" and "ended the process (exit status 3" in rows["zz_exits"]["hint"]
    assert rows["zz_floods"]["verdict"] == "error" and "printed more than 1 MiB" in rows["zz_floods"]["hint"]
    # deleting files deletes its own scratch copy's: its result stands, the class folder is untouched
    assert rows["zz_deletes"]["verdict"] == "pass" and "it deleted 1 file(s) of its copy" in rows["zz_deletes"]["hint"]
    assert (klass / "ada.py").is_file() and len(list(klass.iterdir())) == 9
    assert all(rows[s]["score"] == "0" for s in ("zz_loops", "zz_exits", "zz_floods"))


def test_same_folder_gives_the_same_bytes_and_feedback_in_both_languages(graded, klass, tmp_path, capsys):
    out, _ = graded
    again = tmp_path / "again"
    argv = [klass, "--out", again, "--archs", "1", "--timeout", "4", "--jobs", "3", "--no-timing"]
    assert grade(capsys, *argv)[0] == 0
    for f in sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file()):
        assert (out / f).read_bytes() == (again / f).read_bytes(), f
    en = (out / "feedback" / "ben.md").read_text(encoding="utf-8")
    assert "Verdict: fail; score 75 / 100" in en and "- eq (5): δ^l = ((W^{l+1})ᵀ δ^{l+1}) ⊙ σ'(z^l): 0 of 25" in en
    assert "FAIL: eq (5) fails at layer l = 2" in en
    rc, _, err = grade(capsys, klass / "ben.py", "--out", tmp_path / "x")
    assert rc == 2 and "not a folder" in err


def test_rubric_toml_gradescope_and_japanese(klass, tmp_path, capsys):
    one = tmp_path / "ben"
    one.mkdir()
    shutil.copy(klass / "ben.py", one / "backprop.py")
    rubric = tmp_path / "rubric.toml"
    rubric.write_text("[rubric]\neq2 = 10\neq3 = 10\neq4 = 40\neq5 = 40\n")
    argv = [one, "--out", tmp_path / "gs", "--format", "gradescope", "--rubric", rubric, "--archs", "1", "--lang", "ja"]
    assert grade(capsys, *argv)[0] == 0
    res = json.loads((tmp_path / "gs" / "results.json").read_text(encoding="utf-8"))
    assert res["score"] == 60 and [t["score"] for t in res["tests"]] == [10, 10, 40, 0]
    ja = (tmp_path / "gs" / "feedback" / "ben.md").read_text(encoding="utf-8")
    assert "第 2 層で式 (5)（ユニットの誤差の逆漸化式" in ja and "得点: 60 / 100" in ja
    rubric.write_text("[rubric]\neq6 = 10\n")
    rc, _, err = grade(capsys, one, "--rubric", rubric, "--out", tmp_path / "bad")
    assert rc == 2 and err.count("\n") == 1 and "unknown key 'eq6'" in err and not (tmp_path / "bad").exists()
