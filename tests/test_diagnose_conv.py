"""diagnose on conv and pooling layers: each example file gets PASS or its own equation and layer."""

import ast
import pathlib
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
