"""`deltacheck sweep` and `check`: exit codes, bad input, atomic and reproducible reports, teeth."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from comparisons import cli
from comparisons.common.spec import sample_specs
from comparisons.sweep import report as sweep_report
from manual_bp import backprop

ROOT = Path(__file__).resolve().parents[1]
SMALL = ["--archs", "6", "--steps", "5", "--seed", "3", "--no-progress"]


def sweep(out, *extra):
    return cli.main(["sweep", *SMALL, "--out", str(out), *extra])


def files(d):
    return {p.name: p.read_bytes() for p in sorted(Path(d).iterdir()) if p.suffix in (".csv", ".md")}


def test_sweep_writes_every_report_file_and_passes(tmp_path):
    assert sweep(tmp_path) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "gradients.csv",
        "loss_curves.png",
        "relative_errors.png",
        "summary.md",
        "trajectories.csv",
    ]
    g = pd.read_csv(tmp_path / "gradients.csv")
    t = pd.read_csv(tmp_path / "trajectories.csv")
    assert {"W", "b", "delta", "C_T", "X", "T"} <= set(g["tensor"]) and g["passed"].all()
    assert set(g["tensor"]) - {"W", "b", "delta", "C_k", "C_T", "X", "T"} <= {"train()", "train() C_T"}
    assert len(t) == 6 * 5 and t["passed"].all()
    spec = json.loads(g["spec"].iloc[0])
    assert spec["steps"] == 5
    md = (tmp_path / "summary.md").read_text()
    assert "ALL PASS" in md and "loss_curves.png" in md and "By cost" in md


def test_same_arguments_give_byte_identical_csv_and_markdown(tmp_path):
    assert sweep(tmp_path) == 0
    first = files(tmp_path)
    assert sweep(tmp_path) == 0
    assert files(tmp_path) == first


def test_jobs_2_gives_the_same_results_as_jobs_1(tmp_path):
    assert sweep(tmp_path / "one", "--jobs", "1") == 0
    assert sweep(tmp_path / "two", "--jobs", "2") == 0
    one, two = files(tmp_path / "one"), files(tmp_path / "two")
    assert one["gradients.csv"] == two["gradients.csv"] and one["trajectories.csv"] == two["trajectories.csv"]


def test_a_broken_manual_bp_gives_exit_1_and_failing_rows(tmp_path, monkeypatch):
    """The harness has teeth: σ' dropped from eq (5) is reported, not crashed on."""
    monkeypatch.setattr(backprop, "hidden_delta", lambda dn, Wn, act, z, a: dn @ Wn)
    assert (
        cli.main(["sweep", "--archs", "10", "--steps", "3", "--seed", "1", "--no-progress", "--out", str(tmp_path)])
        == 1
    )
    g = pd.read_csv(tmp_path / "gradients.csv")
    bad = g[~g["passed"]]
    assert len(bad) and set(bad["tensor"]) <= {"W", "b", "delta"}
    md = (tmp_path / "summary.md").read_text()
    assert "FAILED" in md and "deltacheck check" in md and '"sizes"' in md


def test_a_crash_inside_manual_bp_becomes_a_failing_row(tmp_path, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("planted crash")

    monkeypatch.setattr(backprop, "output_delta", boom)
    assert sweep(tmp_path) == 1
    g = pd.read_csv(tmp_path / "gradients.csv")
    crashes = g[g["tensor"] == "-"]
    assert len(crashes) == 6 and crashes["error"].str.contains("planted crash").all()
    assert (crashes["caught_by"] == "crash").all() and not crashes["passed"].any()


def test_a_run_that_dies_halfway_leaves_the_previous_report_intact(tmp_path, monkeypatch):
    assert sweep(tmp_path) == 0
    before = files(tmp_path)

    def dies(stage, *a, **k):
        (stage / "gradients.csv").write_text("half")
        raise RuntimeError("killed halfway")

    monkeypatch.setattr("comparisons.sweep.report.write_report", dies)
    with pytest.raises(RuntimeError):
        sweep(tmp_path, "--seed", "4")
    assert files(tmp_path) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".deltacheck")]


def test_check_reproduces_one_spec():
    spec = sample_specs(1, 0, steps=3)[0]
    assert cli.main(["check", "--spec", spec.to_json()]) == 0


def _bad_inputs(tmp_path):
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    return {
        "archs not an integer": ["sweep", "--archs", "many"],
        "archs negative": ["sweep", "--archs", "-3"],
        "archs zero": ["sweep", "--archs", "0"],
        "seed negative": ["sweep", "--seed", "-1"],
        "steps not an integer": ["sweep", "--steps", "1.5"],
        "jobs zero": ["sweep", "--jobs", "0"],
        "unknown dtype": ["sweep", "--dtype", "float16"],
        "unknown device": ["sweep", "--device", "tpu"],
        "cuda where there is none": ["sweep", "--device", "cuda"],
        "out is a file": ["sweep", "--out", str(a_file)],
        "out below a file": ["sweep", "--out", str(a_file / "sub")],
        "out not writable": ["sweep", "--out", "/proc/deltacheck-reports"],
        "unknown option": ["sweep", "--colour", "red"],
        "abbreviated option": ["sweep", "--arch", "2"],
        "empty out": ["sweep", "--out", ""],
        "no command": [],
        "unknown command": ["frobnicate"],
        "spec not JSON": ["check", "--spec", "{sizes: [2, 1]"],
        "spec not an object": ["check", "--spec", "[1, 2]"],
        "spec unknown field": [
            "check",
            "--spec",
            '{"sizes":[2,1],"activations":["sigmoid"],"cost":"squared_error","K":2,"depth":3}',
        ],
        "spec bad width": ["check", "--spec", '{"sizes":[2,0],"activations":["sigmoid"],"cost":"squared_error","K":2}'],
        "spec softmax hidden": [
            "check",
            "--spec",
            '{"sizes":[2,3,2],"activations":["softmax","softmax"],"cost":"cross_entropy","K":2}',
        ],
    }


@pytest.mark.parametrize("case", list(_bad_inputs(Path("/tmp"))))
def test_bad_input_is_one_line_exit_2_and_writes_nothing(case, tmp_path, capsys):
    import torch

    argv = _bad_inputs(tmp_path)[case]
    if case == "cuda where there is none" and torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    if argv and argv[0] == "sweep" and "--out" not in argv and case != "abbreviated option":
        argv = argv + ["--out", str(tmp_path / "reports")]
    before = sorted(p.name for p in tmp_path.iterdir())
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and "Traceback" not in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_python_dash_m_and_console_script_agree(tmp_path):
    r = subprocess.run(
        [sys.executable, "-m", "comparisons", "sweep", "--archs", "x"], cwd=ROOT, capture_output=True, text=True
    )
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "--archs" in r.stderr


def test_summary_table_breakdowns_count_each_activation_once_per_arch():
    specs = sample_specs(5, 0, steps=0)
    grads = pd.DataFrame([dict(arch=i, passed=True, tol_used=0.1) for i in range(5)])
    traj = pd.DataFrame(columns=["arch", "passed", "tol_used"])
    v = sweep_report.arch_verdicts(specs, grads, traj)
    b = sweep_report.breakdown(v, "activations", explode=True)
    expected = {}
    for s in specs:
        for a in set(s.activations):
            expected[a] = expected.get(a, 0) + 1
    assert dict(zip(b["activations"], b["archs"])) == expected


def test_zero_steps_gives_gradient_checks_only(tmp_path):
    assert cli.main(["sweep", "--archs", "3", "--steps", "0", "--no-progress", "--out", str(tmp_path)]) == 0
    assert len(pd.read_csv(tmp_path / "trajectories.csv")) == 0
    assert "no training steps" in (tmp_path / "summary.md").read_text().lower()


def test_markdown_tables_keep_integers_as_integers():
    """An all-number frame is upcast to float by to_markdown: arch 7561 printed as 7.56e+03."""
    md = sweep_report._md(pd.DataFrame(dict(arch=[7561, 2], step=[98, 1], cost=[0.5, 1e-9])))
    assert "7561" in md and "98" in md and "e+03" not in md


WHY = [  # the bugs a sweep used to pass (issue: a harness that cannot be fooled), and the check that must catch each
    ("cross-entropy C_k summed over the wrong axis", "float64", "value"),
    ("float32 silently upcast", "float32", "dtype"),
    ("X centred in place", "float64", "input"),
    ("1e-5 in one entry (float32)", "float32", "value"),
    ("train() skips the last batch", "float64", "path"),
]


@pytest.mark.parametrize("name, dtype, check", WHY)
def test_a_sweep_exits_1_on_each_bug_it_used_to_pass_and_names_the_check(tmp_path, name, dtype, check):
    from comparisons.sweep.mutations import MUTATIONS

    m = next(m for m in MUTATIONS if m.name == name)
    args = ["sweep", "--archs", "12", "--steps", "3", "--dtype", dtype, "--family", "1", "--no-progress",
            "--out", str(tmp_path)]  # fmt: skip
    with m.applied():
        assert cli.main(args) == 1
    g = pd.read_csv(tmp_path / "gradients.csv")
    assert check in set(g.loc[~g["passed"], "caught_by"])
    assert f"| {check} " in (tmp_path / "summary.md").read_text()


def test_a_float32_sweep_of_the_clean_code_passes(tmp_path):
    assert cli.main(["sweep", "--archs", "24", "--steps", "5", "--dtype", "float32", "--no-progress",
                     "--out", str(tmp_path)]) == 0  # fmt: skip


def test_the_drift_sentence_says_how_many_stay_close_and_how_many_do_not():
    """No free run pair drifted apart: 'in all N … stay closer', never 'in 0 … end up closer' (the inverted count)."""
    from types import SimpleNamespace

    from comparisons.sweep.report import tally_decided_text

    none = tally_decided_text(SimpleNamespace(decided=[]), 100, 200)
    assert none.startswith("in all 200 the two free runs stay closer than 0.01") and "100 steps" in none
    some = tally_decided_text(SimpleNamespace(decided=[40, 60, 80]), 100, 200)
    assert some.startswith("in 3 the two free runs end up 0.01") and "first at step 60 in the median" in some
