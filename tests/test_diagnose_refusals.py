"""Code of no convention is refused (exit 2, one line), never failed: a function of four arguments is the lecture's
backprop(W, b, X, T) only where its parameter names do not say otherwise, and the refusal says what came closest."""

import textwrap

import pytest

from comparisons import cli
from comparisons.diagnose.conventions import lecture

# A regression net's own backprop(X, y, p, cache): four arguments, none of them the lecture's.
OTHER_SIGNATURE = """
import numpy as np

def forward(X, p):
    z1 = X @ p["W1"] + p["b1"]
    return np.tanh(z1) @ p["W2"] + p["b2"], (X, z1, np.tanh(z1))

def backprop(X, y, p, cache):
    _, z1, h = cache
    d = (h @ p["W2"] + p["b2"] - y) / X.shape[0]
    dz1 = d @ p["W2"].T * (1 - np.tanh(z1) ** 2)
    return {"W1": X.T @ dz1, "b1": dz1.sum(0), "W2": h.T @ d, "b2": d.sum(0)}

def backward(W, b, X, T):
    raise NotImplementedError
"""


def run(capsys, *argv):
    rc = cli.main(["diagnose", *map(str, argv), "--archs", "1"])
    out, err = capsys.readouterr()
    return rc, out, err


def user(tmp_path, source=OTHER_SIGNATURE, name="regression.py"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(source), encoding="utf-8")
    return p


@pytest.mark.parametrize("names, says", [
    (["W", "b", "X", "T"], ""),
    (["weights", "biases", "inputs", "targets"], ""),
    (["W", "b", "A", "Y"], ""),  # names that say nothing, or the right thing
    (["X", "y", "p", "cache"], "its first parameter, X, names the inputs X, not the weights W"),
    (["W", "b", "y", "X"], "its third parameter, y, names the targets T, not the inputs X"),
    (["W", "b", "X", "cache"], "its fourth parameter, cache, is none of W, b, X, T"),
])  # fmt: skip
def test_parameter_names_that_say_another_order_are_named(names, says):
    assert lecture.misplaced(names) == says


def test_another_backprop_of_four_arguments_is_refused_not_failed(tmp_path, capsys):
    rc, out, err = run(capsys, user(tmp_path))
    assert rc == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "backprop takes (X, y, p, cache), not the lecture's (W, b, X, T)" in err


def test_a_lecture_function_under_another_name_is_what_came_closest(tmp_path, capsys):
    source = OTHER_SIGNATURE.replace("def backprop(X, y, p, cache)", "def fit(X, y, p, cache)")
    rc, _, err = run(capsys, user(tmp_path, source))
    assert rc == 2 and "closest: lecture, which backward fits" in err and "regression.py:backward" in err


def test_a_forced_convention_is_named_in_the_refusal(tmp_path, capsys):
    source = "def backprop(W, b, X, T):\n    return {}, {}\n"
    rc, _, err = run(capsys, user(tmp_path, source), "--convention", "nielsen")
    assert rc == 2 and "has nothing that --convention nielsen runs (a class with backprop(x, y))" in err
    assert "closest: lecture, which backprop fits" in err


def test_a_namespace_package_imports_by_its_relative_imports(tmp_path, capsys):
    """classifiers/ without __init__.py (as a course repository ships it): `from ..layers import *` says the file
    sits two levels into its package, and it imports as cs231n.classifiers.fc_net."""
    from pathlib import Path

    examples = Path(__file__).resolve().parents[1] / "examples" / "cs231n"
    pkg = tmp_path / "cs231n"
    (pkg / "classifiers").mkdir(parents=True)
    source = (examples / "fc_net.py").read_text(encoding="utf-8")
    layers, net = source.split("class FullyConnectedNet")
    (pkg / "layers.py").write_text(layers, encoding="utf-8")
    (pkg / "classifiers" / "fc_net.py").write_text("import numpy as np\nfrom ..layers import *\n\n\nclass "
                                                   "FullyConnectedNet" + net, encoding="utf-8")  # fmt: skip
    rc, out, err = run(capsys, pkg / "classifiers" / "fc_net.py")
    assert rc == 0 and out.splitlines()[-1].startswith("PASS"), out + err
    (pkg / "__init__.py").write_text("import not_installed_anywhere\n", encoding="utf-8")  # the package's own error
    rc, out, err = run(capsys, pkg / "classifiers" / "fc_net.py")
    assert rc == 2 and "does not import as cs231n.classifiers.fc_net: ModuleNotFoundError" in err


def test_python_2_code_is_told_so(tmp_path, capsys):
    rc, _, err = run(capsys, user(tmp_path, "def backprop(W, b, X, T):\n    print 'hello'\n"))
    assert rc == 2 and "Python 2 code: deltacheck runs Python 3" in err


def test_a_crash_is_placed_in_the_function_it_raised_in(tmp_path, capsys):
    source = "def forward(W, X):\n    raise RuntimeError('here')\n\n\ndef backprop(W, b, X, T):\n    forward(W, X)\n"
    rc, out, _ = run(capsys, user(tmp_path, source))
    assert rc == 1 and "backprop raises RuntimeError at line 2 in forward" in out
