"""CS231n's and deeplearning.ai's code, and notebooks, diagnosed as written: no options, no wrapper.

The gallery's files (examples/cs231n, examples/dlai, examples/mistakes/{cs231n,dlai}) are run by
test_diagnose.py; here are the variants a student writes that the gallery does not show, float32,
the layer functions, notebooks and the refusals.
"""

import json
import textwrap
from pathlib import Path

import pytest

from comparisons import check_backprop
from comparisons.diagnose.child import is_user_file

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
FC_NET = (EXAMPLES / "cs231n" / "fc_net.py").read_text(encoding="utf-8")
DEEP_NN = (EXAMPLES / "dlai" / "deep_nn.py").read_text(encoding="utf-8")


def write(tmp_path, source, name="hw.py"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(source) if isinstance(source, str) else json.dumps(source), encoding="utf-8")
    return p


# CS231n assignment 1 as some write it: no dtype, float32 throughout, other argument names, a regularization term
FLOAT32_NET = """
import numpy as np


class ThreeLayerNet:
    def __init__(self, input_dim, hidden_dims, num_classes, weight_scale=1e-3, reg=0.5):
        dims = [input_dim] + list(hidden_dims) + [num_classes]
        self.params, self.reg = {}, reg
        for i in range(len(dims) - 1):
            self.params["W%d" % (i + 1)] = (weight_scale * np.random.randn(dims[i], dims[i + 1])).astype(np.float32)
            self.params["b%d" % (i + 1)] = np.zeros(dims[i + 1], dtype=np.float32)
        self.n = len(dims) - 1

    def loss(self, X, y=None):
        X = X.astype(np.float32)
        hs, h = [X], X
        for i in range(1, self.n):
            h = np.maximum(0, h @ self.params["W%d" % i] + self.params["b%d" % i])
            hs.append(h)
        scores = h @ self.params["W%d" % self.n] + self.params["b%d" % self.n]
        if y is None:
            return scores
        p = np.exp(scores - scores.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        N = X.shape[0]
        loss = -np.log(p[np.arange(N), y]).mean()
        d = p.copy()
        d[np.arange(N), y] -= 1
        d /= N
        grads = {}
        for i in range(self.n, 0, -1):
            grads["W%d" % i] = hs[i - 1].T @ d + self.reg * self.params["W%d" % i]
            grads["b%d" % i] = d.sum(axis=0)
            if i > 1:
                d = (d @ self.params["W%d" % i].T) * (hs[i - 1] > 0)
        return loss, grads
"""


def test_a_float32_cs231n_class_passes_against_the_float32_bound_with_a_float64_oracle(tmp_path):
    v = check_backprop(str(write(tmp_path, FLOAT32_NET)), archs=2)
    assert v.passed, v.text()
    assert any("computes in float32: judged against the float32 bound" in n for n in v.notes)
    assert v.loaded.convention == "cs231n"


def test_float32_is_no_excuse_for_a_wrong_gradient(tmp_path):
    wrong = FLOAT32_NET.replace("* (hs[i - 1] > 0)", "* 1.0")  # the relu mask left out
    v = check_backprop(str(write(tmp_path, wrong)), archs=2)
    assert v.status == "fail" and v.eq == "5" and v.layer == 2, v.text()
    # a float32 rounding of 1e-3 relative in one output entry is far above the float32 bound: caught
    planted = FLOAT32_NET.replace('grads["b%d" % i] = d.sum(axis=0)', 'grads["b%d" % i] = d.sum(axis=0) * 1.001')
    v = check_backprop(str(write(tmp_path, planted, "planted.py")), archs=1)
    assert v.status == "fail" and v.eq == "3", v.text()


def test_the_course_fc_net_is_built_in_float64_and_says_so():
    v = check_backprop(str(EXAMPLES / "cs231n" / "fc_net.py"), archs=1)
    assert v.passed and "note: built with dtype=np.float64, which FullyConnectedNet takes" in v.notes


def test_cs231n_layer_functions_are_chained_and_each_equation_seen_apart(tmp_path):
    v = check_backprop(str(EXAMPLES / "cs231n" / "fc_net.py") + ":affine_backward", archs=1)
    assert v.passed and v.headline.startswith("PASS: dW, db and δ agree"), v.text()
    # layers.py alone (no class in the file): found without a name; a mistake in relu_backward is δ^l's
    layers = FC_NET.split("class FullyConnectedNet")[0].replace("dx = dout * (x > 0)", "dx = dout")
    v = check_backprop(str(write(tmp_path, layers, "layers.py")), archs=1)
    assert v.status == "fail" and v.eq == "5" and v.layer == 2, v.text()
    assert "δ^2 (relu_backward's dx at layer 1) differs" in v.headline


# deeplearning.ai's L_model_backward written inline, with its own cache layout (the course's helpers not used)
DLAI_INLINE = """
import numpy as np


def L_model_forward(X, parameters):
    caches, A = [], X
    L = len(parameters) // 2
    for l in range(1, L + 1):
        Z = parameters["W" + str(l)] @ A + parameters["b" + str(l)]
        caches.append((A, parameters["W" + str(l)], Z))
        A = 1 / (1 + np.exp(-Z)) if l == L else np.maximum(0, Z)
    return A, caches


def L_model_backward(AL, Y, caches):
    grads, m, L = {}, AL.shape[1], len(caches)
    dZ = AL - Y  # sigmoid and cross-entropy together
    for l in reversed(range(1, L + 1)):
        A_prev, W, Z = caches[l - 1]
        grads["dW" + str(l)] = dZ @ A_prev.T / m
        grads["db" + str(l)] = dZ.sum(axis=1, keepdims=True) / m
        if l > 1:
            dZ = (W.T @ dZ) * (caches[l - 2][2] > 0)
    return grads
"""


def test_dlai_written_inline_passes_and_a_bug_is_named_in_the_courses_names(tmp_path):
    v = check_backprop(str(write(tmp_path, DLAI_INLINE)), archs=1)
    assert v.passed and v.loaded.convention == "dlai", v.text()
    wrong = DLAI_INLINE.replace("dZ.sum(axis=1, keepdims=True) / m", "dZ.sum(axis=1, keepdims=True)")
    v = check_backprop(str(write(tmp_path, wrong, "wrong.py")), archs=1)
    assert v.status == "fail" and v.eq == "3" and "db^3 (grads['db2'])" in v.headline, v.text()


def test_a_notebook_runs_cell_by_cell_and_a_failing_cell_does_not_stop_the_rest():
    v = check_backprop(str(EXAMPLES / "notebooks" / "homework.ipynb"), archs=1)
    assert v.passed, v.text()
    assert any("cell 3 raises FileNotFoundError" in n and "the cells after it ran" in n for n in v.notes)
    v = check_backprop(str(EXAMPLES / "notebooks" / "homework_dw_from_z.ipynb"), archs=1)
    assert v.status == "fail" and (v.eq, v.layer) == ("2", 3) and "z^2 where a^2 belongs" in v.hint, v.text()


def test_a_failing_last_cell_is_said_to_be_the_last(tmp_path):
    """No cells ran after the last one: the note says it is the last code cell, not that later cells ran."""
    import json

    nb = json.loads((EXAMPLES / "notebooks" / "homework.ipynb").read_text(encoding="utf-8"))
    nb["cells"].append({"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                        "source": ["raise RuntimeError('the plot cell')"]})  # fmt: skip
    p = tmp_path / "last_cell_raises.ipynb"
    p.write_text(json.dumps(nb), encoding="utf-8")
    v = check_backprop(str(p), archs=1)
    number = len(nb["cells"])
    assert v.passed and any(f"cell {number} raises RuntimeError" in n and "it is the last code cell" in n
                            for n in v.notes), v.notes  # fmt: skip
    assert any("cell 3 raises FileNotFoundError" in n and "the cells after it ran" in n for n in v.notes)


def test_a_notebooks_traceback_names_its_cell(tmp_path):
    nb = {"cells": [{"cell_type": "code", "source": ["def backprop(W, b, X, T):\n", "    return W[99]\n"]}]}
    v = check_backprop(str(write(tmp_path, nb, "hw.ipynb")), archs=0)
    assert v.status == "fail" and "hw.ipynb#cell1" in v.text() and "KeyError" in v.headline, v.text()
    v = check_backprop(str(write(tmp_path, "{not json", "bad.ipynb")), archs=0)
    assert v.status == "error" and "is not a notebook that can be read" in v.headline


def test_a_refusal_names_the_conventions_the_closest_and_the_adapters_and_never_runs_a_default(tmp_path):
    # the course's training loop: its 4th parameter binds only by its default, so it is never run as backprop
    source = DEEP_NN.replace("def L_model_backward", "def L_model_backward_mine").replace(
        "grads = L_model_backward(", "grads = L_model_backward_mine("
    )
    v = check_backprop(str(write(tmp_path, source)))
    assert v.status == "error" and v.headline.startswith("UNUSABLE"), v.text()
    for part in ("cs231n (", "dlai (", "closest: dlai, but L_model_backward is missing", "docs/diagnose.md#adapters"):
        assert part in v.headline, v.headline
    # only what can run as backprop is suggested: not the training loop, not a forward helper of four arguments
    assert "L_layer_model" not in v.headline and "linear_activation_forward" not in v.headline
    v = check_backprop(str(write(tmp_path, source)) + ":L_layer_model")
    assert v.status == "error" and "does not take four arguments (W, b, X, T)" in v.headline, v.headline


def test_library_and_cython_frames_are_never_the_users():
    assert not is_user_file("/usr/lib/python3/dist-packages/numpy/core/fromnumeric.py")
    assert not is_user_file("/home/me/.venv/lib/python3.11/site-packages/foo/bar.py")
    assert not is_user_file("numpy/random/mtrand.pyx")
    assert is_user_file(str(EXAMPLES / "correct.py"))


def test_a_dlai_notebook_without_the_courses_dnn_utils_gets_the_courses_own(tmp_path):
    body = DEEP_NN[DEEP_NN.index("def initialize_parameters_deep") :]  # its sigmoid, relu, … come from dnn_utils
    head = (
        "import numpy as np\nfrom dnn_utils import sigmoid, sigmoid_backward, relu, relu_backward\n%load_ext autoreload"
    )
    nb = {"cells": [{"cell_type": "code", "source": s} for s in (head, body)]}
    v = check_backprop(str(write(tmp_path, nb, "Building_your_Deep_Neural_Network.ipynb")), archs=1)
    assert v.passed and v.loaded.convention == "dlai", v.text()
    assert "note: dnn_utils's sigmoid, relu, sigmoid_backward, relu_backward are not in your files" in v.text()
    assert "cell 1 raises ModuleNotFoundError: No module named 'dnn_utils'" in v.text()
    wrong = body.replace("dA_prev = np.dot(W.T, dZ)", "dA_prev = np.dot(W, dZ)")  # a missing transpose
    nb["cells"][1]["source"] = wrong
    v = check_backprop(str(write(tmp_path, nb, "wrong.ipynb")), archs=1)
    assert v.status == "fail" and v.eq == "5", v.text()


@pytest.mark.parametrize(
    "course, base, module", [(0, "cs231n/fc_net.py", "my_fc_net"), (1, "dlai/deep_nn.py", "my_deep_nn")]
)
def test_the_documented_ten_line_adapters_pass_around_the_courses_code(tmp_path, course, base, module):
    docs = (ROOT / "docs" / "diagnose.md").read_text(encoding="utf-8")
    adapters = docs.split("## Adapters")[1].split("\n## ")[0].split("```python\n")[1:]
    source = adapters[course].split("```")[0]
    assert len([ln for ln in source.splitlines() if ln.strip()]) <= 14  # ten lines, with imports and settings
    (tmp_path / f"{module}.py").write_text((EXAMPLES / base).read_text(encoding="utf-8"), encoding="utf-8")
    v = check_backprop(str(write(tmp_path, source, "adapter.py")), archs=1)
    assert v.passed and v.loaded.convention == "lecture", v.text()


LAYER_UTILS = """
from layers import affine_backward, affine_forward, relu_backward, relu_forward, softmax_loss


def affine_relu_forward(x, w, b):
    a, fc_cache = affine_forward(x, w, b)
    out, relu_cache = relu_forward(a)
    return out, (fc_cache, relu_cache)


def affine_relu_backward(dout, cache):
    fc_cache, relu_cache = cache
    da = relu_backward(dout, relu_cache)
    return affine_backward(da, fc_cache)
"""


def test_cs231n_layer_utils_is_run_through_its_own_affine_relu_functions(tmp_path):
    write(tmp_path, FC_NET.split("class FullyConnectedNet")[0], "layers.py")
    v = check_backprop(str(write(tmp_path, LAYER_UTILS, "layer_utils.py")), archs=1)
    assert v.passed and v.loaded.convention == "cs231n", v.text()
    wrong = LAYER_UTILS.replace("da = relu_backward(dout, relu_cache)", "da = dout")
    v = check_backprop(str(write(tmp_path, wrong, "layer_utils.py")), archs=1)
    assert v.status == "fail" and (v.eq, v.layer) == ("5", 2), v.text()
    assert "dW^2 (affine_relu_backward's dw for W1)" in v.headline


def test_the_courses_own_assert_of_one_output_unit_gets_networks_of_one(tmp_path):
    """deeplearning.ai's L_model_forward asserts AL.shape == (1, m): its correct code passes on networks with n_L = 1
    (found by running it, said in the header), and a planted bug is still named."""
    source = (EXAMPLES / "dlai" / "deep_nn.py").read_text(encoding="utf-8")
    old = "    caches.append(cache)\n    return AL, caches"
    assert source.count(old) == 1
    asserted = "    caches.append(cache)\n    assert AL.shape == (1, X.shape[1])\n    return AL, caches"
    course = source.replace(old, asserted)
    v = check_backprop(str(write(tmp_path, course, "dnn_app_utils_v3.py")), archs=2)
    assert v.passed and "n_L = 1: L_model_forward runs with 1 output unit only" in v.header, v.text()
    assert all(r.case.spec.sizes[-1] == 1 for r in v.results)
    wrong = course.replace("db = np.sum(dZ, axis=1, keepdims=True) / m", "db = np.sum(dZ, axis=1, keepdims=True)")
    assert wrong != course
    v = check_backprop(str(write(tmp_path, wrong, "wrong.py")), archs=2)
    assert v.status == "fail" and v.eq == "3", v.text()
    v = check_backprop(str(EXAMPLES / "dlai" / "deep_nn.py"), archs=2)  # no assert: the plan keeps its 2 outputs
    assert v.passed and any(r.case.spec.sizes[-1] > 1 for r in v.results)
