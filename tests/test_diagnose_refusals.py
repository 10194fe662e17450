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
