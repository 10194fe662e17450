"""diagnose on conv and pooling layers: each example file gets PASS or its own equation and layer."""

import ast
import json
import pathlib
import re
import subprocess
import sys

import pytest

from comparisons.diagnose.conv.run import diagnose_conv
from comparisons.diagnose.conv.verdict import EQUATIONS

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


ROOT = pathlib.Path(__file__).resolve().parents[1]
FILES = sorted((ROOT / "examples" / "conv").glob("*/*.py"))


def expected(path):
    """The file's EXPECTED: None (PASS) or (equation key, layer number)."""
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and node.targets[0].id == "EXPECTED":
            return ast.literal_eval(node.value)
    raise AssertionError(f"{path.name} has no EXPECTED")


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(ROOT / "examples" / "conv").as_posix())
def test_each_example_gets_pass_or_its_equation_and_layer(path):
    v = diagnose_conv(path)
    want = expected(path)
    assert not v.error, v.error
    if want is None:
        assert v.exit_code == 0 and v.text().startswith("PASS"), v.text()
        return
    key, layer = want
    assert v.exit_code == 1
    name, _, label = v.first()
    assert name == EQUATIONS[key][0] and label.startswith(("conv", "max pooling")) and f"l = {layer} " in label, (
        v.text()
    )


def test_both_styles_and_both_kinds_of_bug_are_in_the_examples():
    kinds = {expected(p)[0] for p in FILES if expected(p)}
    assert {"dx", "dw", "db", "pool"} <= kinds
    assert {p.parent.name for p in FILES} == {"cs231n", "dlfs"}


def test_an_exception_names_the_layer_and_a_hang_gives_no_result(tmp_path):
    src = (ROOT / "examples" / "conv" / "cs231n" / "correct.py").read_text()
    raising = tmp_path / "raising.py"
    raising.write_text(
        src.replace("    dx = np.zeros_like(x)\n", "    dx = np.zeros_like(x)\n    raise IndexError('oops')\n")
    )
    v = diagnose_conv(raising)
    assert v.exit_code == 1 and "max pooling layer l = 3" in v.error and "IndexError" in v.error
    hang = tmp_path / "hang.py"
    hang.write_text(
        src.replace("    dx = np.zeros_like(x)\n", "    dx = np.zeros_like(x)\n    while True:\n        pass\n")
    )
    v = diagnose_conv(hang, timeout=1)
    assert v.exit_code == 2 and "timeout" in v.error


def run(*args):
    """``deltacheck diagnose ARGS`` in a fresh process."""
    cmd = [sys.executable, "-m", "comparisons", "diagnose", *args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)


def test_the_command_line_refuses_a_missing_file():
    """Exit 2, one line (exit 0 and 1 are docs/conv.md's and the README's commands, run by test_docs_commands)."""
    none = run("no_such_file.py", "--convention", "cs231n-conv")
    assert none.returncode == 2 and "no such file" in none.stderr and "Traceback" not in none.stderr


def notebook(path, tmp_path, name):
    """``path``'s code as one code cell of a notebook (a markdown cell and a magic before it), written to ``name``."""
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# conv homework\n"]},
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": 1, "source": ["%matplotlib inline\n"]},
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": 2,
         "source": path.read_text().splitlines(True)},
    ]  # fmt: skip
    out = tmp_path / name
    out.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return out


MISTAKE_IN_DX = {"cs231n": "flipped_kernel_in_dx.py", "dlfs": "kernel_flipped_in_dx.py"}


@pytest.mark.parametrize("style,mistake", MISTAKE_IN_DX.items(), ids=list(MISTAKE_IN_DX))
def test_a_conv_notebook_is_detected_and_judged_like_its_py_file(tmp_path, style, mistake):
    folder = ROOT / "examples" / "conv" / style
    good = run(str(notebook(folder / "correct.py", tmp_path, "conv.ipynb")))
    assert good.returncode == 0 and good.stderr == "", good.stdout + good.stderr
    assert f"({style}-conv: " in good.stdout and good.stdout.splitlines()[1].startswith("PASS"), good.stdout
    forced = run(str(notebook(folder / "correct.py", tmp_path, "forced.ipynb")), "--convention", f"{style}-conv")
    assert forced.returncode == 0 and "PASS" in forced.stdout, forced.stdout + forced.stderr
    bad = run(str(notebook(folder / mistake, tmp_path, "bad.ipynb")))
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert bad.stdout.splitlines()[1].startswith("FAIL: the conv δ (input gradient) of the conv layer l = 4 ")


def test_a_notebook_cell_that_raises_is_noted_and_the_cells_after_it_still_run(tmp_path):
    nb = notebook(ROOT / "examples" / "conv" / "cs231n" / "correct.py", tmp_path, "hw.ipynb")
    data = json.loads(nb.read_text())
    data["cells"].insert(1, {"cell_type": "code", "metadata": {}, "outputs": [], "source": "1 / 0\n"})
    nb.write_text(json.dumps(data))
    v = diagnose_conv(nb)
    assert v.exit_code == 0 and "cell 2 raises ZeroDivisionError" in v.text(), v.text()


def one_error_line(r):
    """The exit-2 shape: one line on stderr, starting with 'error:', and nothing on stdout."""
    return r.returncode == 2 and r.stdout == "" and len(r.stderr.splitlines()) == 1 and r.stderr.startswith("error: ")


def test_NAME_selects_the_layer_it_names_or_is_refused_as_for_dense_files():
    cs231n, dlfs = ROOT / "examples" / "conv" / "cs231n", ROOT / "examples" / "conv" / "dlfs"
    none = run(f"{cs231n / 'correct.py'}:nosuch")
    assert one_error_line(none) and "has no function or class 'nosuch'" in none.stderr, none.stdout + none.stderr
    helper = run(f"{dlfs / 'correct.py'}:im2col")
    assert one_error_line(helper) and "im2col is not" in helper.stderr, helper.stdout + helper.stderr
    # the pooling mistake is not in the conv layers: naming them alone, they pass; naming the pooling, it fails
    conv = run(f"{cs231n / 'pool_to_every_unit.py'}:conv_backward_naive")
    assert conv.returncode == 0 and "checked: conv layers)" in conv.stdout, conv.stdout + conv.stderr
    pool = run(f"{dlfs / 'pool_to_every_unit.py'}:Pooling")
    assert pool.returncode == 1 and "checked: max pooling)" in pool.stdout, pool.stdout + pool.stderr
    assert pool.stdout.splitlines()[1].startswith("FAIL: the pooling routing of the max pooling layer l = 3 ")


def test_unusable_input_is_one_line_on_stderr_and_a_hang_is_no_result_as_for_dense_files(tmp_path):
    correct = ROOT / "examples" / "conv" / "cs231n" / "correct.py"
    wrong = run(str(correct), "--convention", "dlfs-conv")
    assert one_error_line(wrong) and "dlfs-conv" in wrong.stderr, wrong.stdout + wrong.stderr
    raising = tmp_path / "raising.py"
    raising.write_text(correct.read_text() + "\nraise ValueError('at import')\n")
    imports = run(str(raising))
    assert one_error_line(imports) and "does not import" in imports.stderr, imports.stdout + imports.stderr
    short = run(str(correct), "--timeout", "0.5")
    assert one_error_line(short) and "--timeout" in short.stderr, short.stdout + short.stderr
    # as docs/diagnose.md says of dense code: a layer that never returns is a NO RESULT verdict, exit 2
    hang = tmp_path / "hang.py"
    hang.write_text(correct.read_text().replace("    dx = np.zeros_like(x)\n", "    while True:\n        pass\n"))
    hung = run(str(hang), "--timeout", "4")
    lines = hung.stdout.splitlines()
    assert hung.returncode == 2 and hung.stderr == "" and lines[1].startswith("NO RESULT: "), hung.stdout + hung.stderr
    assert "ran past --timeout 4 s" in lines[1] and lines[-1] == lines[1]


@pytest.mark.parametrize(
    "flag", [["--sizes", "12-3-2"], ["--archs", "6"], ["--activation", "relu"], ["--cost", "cross_entropy"]],
    ids=lambda f: f[0],
)  # fmt: skip
def test_a_dense_only_flag_is_refused_for_a_conv_file(flag):
    r = run(str(ROOT / "examples" / "conv" / "dlfs" / "correct.py"), *flag)
    assert one_error_line(r) and r.stderr.startswith(f"error: {flag[0]} applies to dense networks"), r.stdout + r.stderr


def test_seed_draws_other_problems_and_is_shown():
    path = ROOT / "examples" / "conv" / "cs231n" / "correct.py"
    r = run(str(path), "--seed", "3")
    assert r.returncode == 0 and "seed 3" in r.stdout.splitlines()[0], r.stdout + r.stderr
    a, b = diagnose_conv(path, seed=0), diagnose_conv(path, seed=3)
    assert [f.detail for f in a.findings] != [f.detail for f in b.findings]


def test_nan_is_named_as_nan(tmp_path):
    src = (ROOT / "examples" / "conv" / "cs231n" / "correct.py").read_text()
    nan = tmp_path / "nan.py"
    nan.write_text(src.replace("    return dx, dw, db\n", "    dx[0, 0, 0, 0] = np.nan\n    return dx, dw, db\n"))
    v = diagnose_conv(nan)
    head = v.text().splitlines()[0]
    assert v.exit_code == 1 and "NaN in 1 of " in head and "inf" not in head, head


def test_each_check_line_names_its_array_once():
    v = diagnose_conv(ROOT / "examples" / "conv" / "cs231n" / "pool_to_every_unit.py")
    rows = v.text().split("every check:\n")[1].splitlines()
    assert len(rows) == len(v.findings) and not [r for r in rows if re.search(r"\b(out|db|dw|dx|pool)  \w+:", r)]
    assert any(r.startswith("  FAIL") and "max pooling layer l = 3 (2×2, stride 2): dx: max|" in r for r in rows)


def test_a_wrong_array_stays_the_verdict_when_a_later_layer_gives_no_result(tmp_path):
    """As for dense code: NO RESULT only when nothing returned before it was wrong."""
    src = (ROOT / "examples" / "conv" / "cs231n" / "flipped_kernel_in_dx.py").read_text()
    hang = tmp_path / "hang.py"
    hang.write_text(src.replace("    dx = np.zeros_like(x)\n", "    while True:\n        pass\n", 1))
    v = diagnose_conv(hang, timeout=3)
    text = v.text()
    assert v.exit_code == 1 and text.startswith("FAIL: the conv δ (input gradient) of the conv layer l = 4 "), text
    assert "then your max pooling layer l = 3 (2×2, stride 2) ran past --timeout 3 s" in text


@pytest.mark.parametrize("style, old, new", [
    ("cs231n", "    return out, cache", "    return None, cache"),  # conv_forward_naive and max_pool_forward_naive
    ("dlfs", "        return out\n", "        return None\n"),  # Convolution.forward and Pooling.forward
])  # fmt: skip
def test_a_forward_pass_that_returns_nothing_fails(tmp_path, style, old, new):
    """Found on real students' files: an unfinished forward (``pass``, or None returned) was never judged."""
    src = (ROOT / "examples" / "conv" / style / "correct.py").read_text()
    assert src.count(old) == 2
    (tmp_path / "mine.py").write_text(src.replace(old, new))
    v = diagnose_conv(tmp_path / "mine.py")
    assert v.exit_code == 1 and v.first()[0] == EQUATIONS["out"][0]
    assert "out is missing or not numbers (None)" in v.text()


def test_a_project_whose_packages_lack_init_imports_as_from_its_root(tmp_path):
    """``from common.util import im2col`` beside a common/ with no __init__.py (a fork of deep-learning-from-scratch):
    found by looking in every folder above the file, after anything installed."""
    common = tmp_path / "project" / "common"
    common.mkdir(parents=True)
    src = (ROOT / "examples" / "conv" / "dlfs" / "correct.py").read_text()
    (common / "util.py").write_text(src)
    (common / "conv_layers.py").write_text("from common.util import col2im, im2col  # noqa: F401\n" + src)
    v = diagnose_conv(common / "conv_layers.py")
    assert v.exit_code == 0 and v.text().startswith("PASS"), v.text()


def test_the_input_gradient_hint_does_not_recommend_the_slice_that_is_empty_at_pad_0():
    from comparisons.diagnose.conv.verdict import HINTS

    assert "p:-p, p:-p]" not in HINTS["dx"] and "p:p + H" in HINTS["dx"]


def test_a_layer_that_raises_does_not_hide_the_other_layers_checks(tmp_path):
    """Found on a real student's file: its max pooling raised, and that one line was the whole report."""
    src = (ROOT / "examples" / "conv" / "cs231n" / "correct.py").read_text()
    raising = src.replace("    dx = np.zeros_like(x)\n", "    dx = np.zeros_like(x)\n    raise IndexError('oops')\n")
    (tmp_path / "pool_raises.py").write_text(raising)
    v = diagnose_conv(tmp_path / "pool_raises.py")
    text = v.text()
    assert v.exit_code == 1 and text.startswith("FAIL: your max pooling layer l = 3") and "IndexError" in text
    assert "every check of your other layers:" in text and "ok   " in text and " FAIL " not in text
    assert all("conv layer" in f.layer for f in v.findings) and v.findings  # the conv layers, all of them judged
    flipped = (ROOT / "examples" / "conv" / "cs231n" / "flipped_kernel_in_dx.py").read_text()
    (tmp_path / "both.py").write_text(
        flipped.replace("    dx = np.zeros_like(x)\n", "    dx = np.zeros_like(x)\n    raise IndexError('oops')\n")
    )
    v = diagnose_conv(tmp_path / "both.py")
    assert v.exit_code == 1 and v.first()[0] == EQUATIONS["dx"][0]  # the wrong array is the verdict
    assert "also, your max pooling layer l = 3 (2×2, stride 2) raised IndexError" in v.text()
