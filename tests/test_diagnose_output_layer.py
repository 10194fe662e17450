"""An output layer whose σ differs from the hidden layers' (a linear output under tanh): said by OUTPUT_ACTIVATION or
--output-activation, checked like any other setting, and suggested by the hint when the numbers show it."""

import textwrap

import pytest

from comparisons import cli
from comparisons.diagnose.api import check_backprop

# A tanh hidden layer, a linear output, the squared error summed over examples: the lecture's backprop(W, b, X, T).
LINEAR_OUTPUT = """
import numpy as np
{setting}

def backprop(W, b, X, T):
    L = max(W)
    a, z = {{1: X}}, {{}}
    for l in range(2, L + 1):
        z[l] = a[l - 1] @ W[l].T + b[l]
        a[l] = z[l] if l == L else np.tanh(z[l])
    delta = {{L: a[L] - T}}  # eq (4) with σ = identity: σ' = 1
    for l in range(L - 1, 1, -1):
        delta[l] = (delta[l + 1] @ W[l + 1]) * {prime}  # eq (5)
    dW = {{l: delta[l].T @ a[l - 1] for l in range(2, L + 1)}}
    db = {{l: delta[l].sum(axis=0) for l in range(2, L + 1)}}
    return dW, db, delta
"""
SET = 'ACTIVATION, OUTPUT_ACTIVATION, COST = "tanh", "identity", "squared_error"'
RIGHT = "(1 - a[l] ** 2)"


def user(tmp_path, setting=SET, prime=RIGHT):
    p = tmp_path / "linear_output.py"
    p.write_text(textwrap.dedent(LINEAR_OUTPUT.format(setting=setting, prime=prime)), encoding="utf-8")
    return p


def run(capsys, *argv):
    rc = cli.main(["diagnose", *map(str, argv), "--archs", "2"])
    out, err = capsys.readouterr()
    return rc, out, err


def test_a_linear_output_said_in_the_file_passes_and_is_in_the_header(tmp_path, capsys):
    rc, out, _ = run(capsys, user(tmp_path))
    assert rc == 0 and "activation tanh (output identity), cost squared_error" in out.splitlines()[0]


def test_unsaid_it_fails_at_eq_4_and_the_hint_names_the_setting(tmp_path, capsys):
    rc, out, _ = run(capsys, user(tmp_path, setting='ACTIVATION = "tanh"'))
    assert rc == 1 and "FAIL: eq (4)" in out
    assert "an output layer of identity, not tanh" in out and "OUTPUT_ACTIVATION = 'identity'" in out


def test_the_flag_says_it_as_the_file_does(tmp_path, capsys):
    rc, _, _ = run(capsys, user(tmp_path, setting='ACTIVATION = "tanh"'), "--output-activation", "identity")
    assert rc == 0
    verdict = check_backprop(str(user(tmp_path, setting='ACTIVATION = "tanh"')), archs=1, output_activation="identity")
    assert verdict.passed


def test_a_bug_under_a_linear_output_is_still_caught(tmp_path, capsys):
    rc, out, _ = run(capsys, user(tmp_path, prime="1.0"))  # σ'(z^l) left out of eq (5)
    assert rc == 1 and "FAIL: eq (5)" in out


@pytest.mark.parametrize("setting, flags, says", [
    ('ACTIVATION, OUTPUT_ACTIVATION = "tanh", "foo"', [], "OUTPUT_ACTIVATION: unknown activation 'foo'"),
    ('ACTIVATION, OUTPUT_ACTIVATION = "tanh", 3', [], "OUTPUT_ACTIVATION must be a string"),
    ('ACTIVATION = "tanh"', ["--output-activation", "sigmoid", "--cost", "cross_entropy"],
     "--output-activation sigmoid: cost cross_entropy fixes the output layer's σ at softmax"),
    ('ACTIVATION = "tanh"', ["--output-activation", "nope"], "--output-activation nope: unknown activation"),
])  # fmt: skip
def test_a_bad_output_activation_is_one_line_and_exit_2(tmp_path, capsys, setting, flags, says):
    rc, out, err = run(capsys, user(tmp_path, setting=setting), *flags)
    assert rc == 2 and out == "" and len(err.strip().splitlines()) == 1 and says in err, err


def test_the_api_refuses_a_bad_name_before_running_anything():
    with pytest.raises(ValueError, match="output_activation: unknown activation"):
        check_backprop("anything.py", output_activation="nope")
