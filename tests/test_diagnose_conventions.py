"""The textbooks' conventions, unmodified: Nielsen's network.py / network2.py and ゼロから作る's TwoLayerNet.

tests/textbook/ holds files written in the structure of the books' code (see its README); each
passes with no wrapper, and a bug planted in a copy is named by its equation, its layer and the
user's own names.
"""

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from comparisons import cli

ROOT = Path(__file__).resolve().parents[1]
BOOKS = Path(__file__).resolve().parent / "textbook"


def run(capsys, *argv):
    """(exit code, stdout, stderr) of `deltacheck diagnose ARGV`, in process."""
    rc = cli.main(["diagnose", *map(str, argv)])
    out, err = capsys.readouterr()
    return rc, out, err


def planted(tmp_path, book, old, new):
    """A copy of tests/textbook/``book`` (its folder, for the books' relative imports) with ``old`` replaced."""
    top = book.split("/")[0]
    shutil.copytree(BOOKS / top, tmp_path / top)
    p = tmp_path / book
    text = p.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    p.write_text(text.replace(old, new), encoding="utf-8")
    return p


@pytest.mark.parametrize(
    "target, header",
    [
        ("nielsen/network.py:Network", "(nielsen convention; activation sigmoid, cost squared_error"),
        ("nielsen/network2.py", "cost binary_cross_entropy; σ = sigmoid found from Network.feedforward, the cost "),
        ("dlfs/ch05/two_layer_net.py:TwoLayerNet", "activation relu, cost cross_entropy; σ = relu found from "),
        ("dlfs/ch04/two_layer_net.py", "(dlfs convention; activation sigmoid, cost cross_entropy"),
        ("dlfs/common/multi_layer_net.py:MultiLayerNet", "(dlfs convention; activation relu"),
        ("nielsen/relu_hidden.py", "activation relu (output sigmoid), cost squared_error; σ = relu and sigmoid at the"),
    ],
)
def test_unmodified_textbook_code_passes_with_no_wrapper(capsys, target, header):
    rc, out, err = run(capsys, f"{BOOKS}/{target}", "--archs", "3")
    assert rc == 0 and err == "", out
    assert header in out.splitlines()[0], out.splitlines()[0]
    assert out.splitlines()[1].startswith("PASS: dW and db (no δ returned) agree with PyTorch autograd")


def test_a_one_hidden_layer_class_passes_and_says_which_sizes(capsys):
    rc, out, _ = run(capsys, BOOKS / "dlfs" / "ch05" / "two_layer_net.py")
    assert rc == 0 and "on all 8 networks (L = 3, K = 1 … 64)" in out
    assert "note: TwoLayerNet(input_size, hidden_size, output_size) fixes the depth at L = 3: diagnosed on " in out
    assert "TwoLayerNet.loss is the mean over the batch, so its gradients are multiplied by K" in out
    rc, out, err = run(capsys, BOOKS / "dlfs" / "ch05" / "two_layer_net.py", "--sizes", "4-5-3,6-2-2")
    assert rc == 0 and "on all 6 networks" in out and "4-5-3 (L = 3, K = 10)" in out and "fixes the depth" not in out
    rc, out, err = run(capsys, BOOKS / "dlfs" / "ch05" / "two_layer_net.py", "--sizes", "4-5-5-3")
    assert rc == 2 and err.count("\n") == 1 and "--sizes 4-5-5-3: TwoLayerNet(input_size, hidden_size, " in err


def test_sizes_lets_a_fixed_function_pass(capsys, tmp_path):
    # written for one hidden layer only: W[2] and W[3] by name
    p = tmp_path / "one_hidden.py"
    p.write_text(
        textwrap.dedent(
            """\
            import numpy as np

            def backprop(W, b, X, T):
                s = lambda z: 1 / (1 + np.exp(-z))
                a2 = s(X @ W[2].T + b[2])
                a3 = s(a2 @ W[3].T + b[3])
                d3 = (a3 - T) * a3 * (1 - a3)
                d2 = (d3 @ W[3]) * a2 * (1 - a2)
                return {2: d2.T @ X, 3: d3.T @ a2}, {2: d2.sum(0), 3: d3.sum(0)}
            """
        ),
        encoding="utf-8",
    )
    rc, out, _ = run(capsys, p, "--archs", "1")
    assert rc == 1  # the random 4-layer network does not fit it
    rc, out, _ = run(capsys, p, "--sizes", "12-3-2", "--sizes", "5-5-5")
    assert rc == 0 and "PASS" in out and "(L = 3, K = 1 … 64)" in out
    assert [ln.split("(")[0].strip() for ln in out.splitlines()[-6:]] == ["12-3-2"] * 3 + ["5-5-5"] * 3


def test_network_py_planted_sign_is_eq4_in_nielsens_names(capsys, tmp_path):
    p = planted(tmp_path, "nielsen/network.py", "return output_activations - y", "return y - output_activations")
    rc, out, _ = run(capsys, p, "--archs", "1")
    assert rc == 1
    assert (
        "FAIL: eq (4) fails at the output layer l = 3: dW^3 (nabla_w[-1]) and db^3 (nabla_b[-1]) are both "
        "exactly −1 × autograd's" in out
    )
    assert "Nielsen's cost_derivative returns output_activations − y" in out


def test_network2_quadratic_cost_is_detected_from_its_fn(capsys, tmp_path):
    p = planted(
        tmp_path,
        "nielsen/network2.py",
        "def __init__(self, sizes, cost=CrossEntropyCost):",
        "def __init__(self, sizes, cost=QuadraticCost):",
    )
    rc, out, _ = run(capsys, p, "--archs", "1")
    assert rc == 0 and "cost squared_error" in out and "the cost from Network.cost = QuadraticCost" in out


def test_layers_py_planted_transpose_is_named_where_it_runs_and_its_crash_shown_across_files(capsys, tmp_path):
    p = planted(tmp_path, "dlfs/common/layers.py", "dx = np.dot(dout, self.W.T)", "dx = np.dot(dout, self.W)")
    rc, out, _ = run(capsys, p.parents[1] / "ch05" / "two_layer_net.py", "--archs", "1")
    assert rc == 1
    # the 12-3-2 networks raise in Affine.backward; --archs 1's network has equal widths, where it runs
    assert "FAIL: eq (5) fails at layer l = 2: dW^2 (grads['W1']) and db^2 (grads['b1']) both differ" in out
    assert "your numbers match W^3 (params['W2']) not transposed in eq (5)" in out
    assert 'common/layers.py", line' in out and "dx = np.dot(dout, self.W)" in out
    assert "in gradient\n" in out and "in backward\n" in out  # the traceback spans both of the user's files


def test_ch04_planted_transpose_is_named_by_the_network_where_it_runs(capsys, tmp_path):
    p = planted(tmp_path, "dlfs/ch04/two_layer_net.py", "da1 = np.dot(dy, W2.T)", "da1 = np.dot(dy, W2)")
    rc, out, _ = run(capsys, p, "--archs", "1")
    assert rc == 1 and "FAIL: eq (5) fails at layer l = 2: dW^2 (grads['W1']) and db^2 (grads['b1']) both" in out


def test_ch04_planted_grads_line_that_raises_everywhere_is_named_by_its_line_and_shapes(capsys, tmp_path):
    p = planted(
        tmp_path, "dlfs/ch04/two_layer_net.py", 'grads["W1"] = np.dot(x.T, dz1)', 'grads["W1"] = np.dot(x, dz1)'
    )
    rc, out, _ = run(capsys, p, "--archs", "1")
    assert rc == 1 and "FAIL: TwoLayerNet.gradient raises ValueError at " in out
    assert ", with x (64, 12), dz1 (64, 3)" in out and "eq (" not in out.split("hint:")[0]


def test_multi_layer_net_planted_relu_is_eq5_at_the_right_depth(capsys, tmp_path):
    p = planted(tmp_path, "dlfs/common/layers.py", "        dout[self.mask] = 0\n", "")
    rc, out, _ = run(capsys, p.parent / "multi_layer_net.py", "--archs", "1")
    assert rc == 1 and "eq (5) fails at layer l = 2" in out
    assert "your numbers match σ'(z^2) left out of eq (5)" in out


def test_convention_flag_picks_between_what_a_file_defines(capsys, tmp_path):
    src = (ROOT / "examples" / "nielsen_style.py").read_text(encoding="utf-8")
    lecture = (ROOT / "examples" / "correct.py").read_text(encoding="utf-8").split("def sigma")[1]
    p = tmp_path / "both.py"
    p.write_text(src + "\n\ndef sigma" + lecture, encoding="utf-8")
    rc, out, _ = run(capsys, p, "--archs", "0")
    assert rc == 0 and "both.py:backprop (lecture convention" in out
    rc, out, _ = run(capsys, p, "--archs", "0", "--convention", "nielsen")
    assert rc == 0 and "both.py:Network (nielsen convention" in out


@pytest.mark.parametrize(
    "source, message",
    [
        (
            "import numpy as np\nclass Net:\n    def __init__(self, sizes):\n"
            "        self.weights = [np.zeros((m, n)) for m, n in zip(sizes[:-1], sizes[1:])]\n"
            "        self.biases = [np.zeros((n, 1)) for n in sizes[1:]]\n"
            "    def backprop(self, x, y):\n        pass\n",
            "Net([12, 3, 2]).weights[0] has shape (12, 3); Nielsen's convention has (n_l, n_{l-1}) = (3, 12)",
        ),
        (
            "class Net:\n    def __init__(self, input_size, hidden_size, output_size):\n        pass\n"
            "    def gradient(self, x, t):\n        pass\n",
            "Net(input_size=12, hidden_size=3, output_size=2).params must be a dict of W1, b1, …, got NoneType",
        ),
        (
            "class Net:\n    def backprop(self, x, y):\n        pass\n    def gradient(self, x, t):\n        pass\n",
            "Net fits nielsen and dlfs; say which with --convention",
        ),
        (
            "class Net:\n    def __init__(self, sizes):\n        raise ValueError('no')\n"
            "    def backprop(self, x, y):\n        pass\n",
            "building Net(sizes) for sizes 12-3-2 raises line 3: ValueError: no",
        ),
    ],
    ids=["transposed weights", "no params", "both methods", "constructor raises"],
)
def test_a_class_that_does_not_fit_its_convention_is_one_line(capsys, tmp_path, source, message):
    p = tmp_path / "net.py"
    p.write_text(source, encoding="utf-8")
    rc, out, err = run(capsys, f"{p}:Net", "--archs", "0")
    assert rc == 2 and err.count("\n") == 1 and message in err, err


def test_users_pytest_runs_assert_backprop(tmp_path):
    # a user's own test file, run by pytest as they would: one test passes, the other fails with the verdict
    shutil.copy(ROOT / "examples" / "dlfs_style.py", tmp_path / "net_ok.py")
    shutil.copy(ROOT / "examples" / "mistakes" / "dlfs" / "softmax_loss_sign_eq4.py", tmp_path / "net_bad.py")
    (tmp_path / "test_mine.py").write_text(
        textwrap.dedent(
            """\
            from comparisons import assert_backprop
            import net_bad
            import net_ok

            def test_ok():
                assert_backprop(net_ok.TwoLayerNet, archs=1)

            def test_bad():
                assert_backprop(net_bad.TwoLayerNet, archs=1)
            """
        ),
        encoding="utf-8",
    )
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_mine.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "1 failed, 1 passed" in r.stdout, r.stdout
    assert "AssertionError: FAIL: eq (4) fails at the output layer l = 3: dW^3 (grads['W2'])" in r.stdout
    assert "the sign is flipped" in r.stdout
