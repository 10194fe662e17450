"""`deltacheck --help`, every subcommand's --help and every argument error answer without importing torch,
pandas or matplotlib (seconds of imports): checked by what is in sys.modules, never by a timed assertion."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "pandas", "matplotlib")
COMMANDS = ["sweep", "check", "sweep-bench", "bench", "lecture", "diagnose", "gallery"]


def heavy_modules_after(argvs, before=""):
    """[(exit code, heavy modules loaded so far)] after ``deltacheck argv`` for each argv, in one fresh interpreter."""
    code = (
        f"{before}\nimport sys, json, comparisons.cli\nout = []\n"
        f"for argv in {argvs!r}:\n"
        "    try:\n"
        "        rc = comparisons.cli.main(argv)\n"
        "    except SystemExit as e:\n"
        "        rc = e.code\n"
        f"    out.append([rc, [m for m in {HEAVY!r} if m in sys.modules]])\n"
        "print(json.dumps(out))"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    return [tuple(x) for x in json.loads(r.stdout.strip().splitlines()[-1])], r.stderr


def test_building_the_parser_imports_no_heavy_module():
    code = (
        "import sys, comparisons.cli; comparisons.cli.build_parser(); "
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert r.stdout.strip() == ""


def test_help_imports_no_heavy_module():
    argvs = [["--help"]] + [[c, "--help"] for c in COMMANDS]
    results, _ = heavy_modules_after(argvs)
    assert results == [(0, [])] * len(argvs), list(zip(argvs, results))


def _bad(tmp):
    a_file = tmp / "a_file"
    a_file.write_text("x")
    spec = '{"sizes":[2,1],"activations":["sigmoid"],"cost":"squared_error","K":2}'
    return {
        "unknown command": ["frobnicate"],
        "sweep --archs x": ["sweep", "--archs", "x"],
        "sweep --out a file": ["sweep", "--out", str(a_file)],
        "sweep --out empty": ["sweep", "--out", ""],
        "sweep --jobs with --scheduler": ["sweep", "--jobs", "2", "--scheduler", "local", "--out", str(tmp / "r")],
        "sweep --scheduler blank": ["sweep", "--scheduler", " "],
        "check --spec not JSON": ["check", "--spec", "{"],
        "check --spec bad width": ["check", "--spec", spec.replace("[2,1]", "[2,0]")],
        "sweep-bench --archs 0": ["sweep-bench", "--archs", "0"],
        "bench --out a file": ["bench", "--out", str(a_file)],
        "bench --case": ["bench", "--case", "12-3-2"],
        "lecture --out a file": ["lecture", "--out", str(a_file)],
        "lecture --paths not sizes": ["lecture", "--paths", "1-x", "--out", str(tmp / "r")],
        "lecture --paths too many": ["lecture", "--paths", "100-100-100-100-100", "--out", str(tmp / "r")],
        "diagnose no such file": ["diagnose", str(tmp / "missing.py")],
        "diagnose not Python": ["diagnose", str(a_file)],
        "gallery --out a file": ["gallery", "--out", str(a_file)],
    }


def test_an_argument_error_imports_no_heavy_module(tmp_path):
    cases = _bad(tmp_path)
    results, err = heavy_modules_after(list(cases.values()))
    assert [rc for rc, _ in results] == [2] * len(cases)
    lines = err.splitlines()
    assert len(lines) == len(cases) and all(l.startswith("error: ") for l in lines), err
    loaded = [(case, heavy) for case, (_, heavy) in zip(cases, results) if heavy]
    assert not loaded, f"first imported by: {loaded[0]}"


def test_cuda_on_a_cpu_only_torch_is_refused_before_torch_is_imported(tmp_path):
    from comparisons.sweep.device import cpu_only_torch

    if not cpu_only_torch():
        pytest.skip("this torch is built with CUDA: it must be imported to know whether a GPU is there")
    [(rc, heavy)], err = heavy_modules_after([["sweep", "--device", "cuda", "--out", str(tmp_path / "r")]])
    assert rc == 2 and "CUDA is not available" in err and heavy == []


def test_the_import_check_can_fail():
    """The same check sees torch where it was imported: a parse path that imports it would be caught."""
    [(rc, heavy)], _ = heavy_modules_after([["sweep", "--archs", "x"]], before="import torch")
    assert rc == 2 and heavy == ["torch"]
