"""The gallery stays honest: each mistake file is its convention's correct file with a few lines changed, in backprop.

examples/mistakes/*.py derive from examples/correct.py, mistakes/nielsen/ from examples/nielsen_style.py,
mistakes/dlfs/ from examples/dlfs_style.py, mistakes/cs231n/ from examples/cs231n/fc_net.py and mistakes/dlai/
from examples/dlai/deep_nn.py.  Comments and docstrings aside (compared through
ast.unparse), every definition is identical except the backward pass — the functions that compute
δ and the gradients — and there at most MAX_CHANGED lines differ, by difflib (none, where the file declares another cost
under which its base's code is the mistake).
"""

import ast
import difflib
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
BASE = {
    "mistakes": "correct.py",
    "nielsen": "nielsen_style.py",
    "dlfs": "dlfs_style.py",
    "cs231n": "cs231n/fc_net.py",
    "dlai": "dlai/deep_nn.py",
}
BACKWARD = {  # where a backprop mistake can live
    *("backprop", "backward", "gradient", "delta", "cost_derivative"),
    *("affine_backward", "relu_backward", "softmax_loss", "loss"),  # CS231n's
    *("linear_backward", "linear_activation_backward", "relu_backward", "sigmoid_backward", "L_model_backward"),
}
SETTINGS = {"EXPECTED_EQUATION", "COST", "ACTIVATION"}  # module constants a mistake file may set differently
MAX_CHANGED = 4  # removed + added lines: one mistake, not a rewrite
MISTAKES = sorted((EXAMPLES / "mistakes").glob("*.py")) + sorted((EXAMPLES / "mistakes").glob("*/*.py"))


def definitions(tree, prefix=""):
    """{'Class.method': source without comments or docstrings} for every def, class body and constant."""
    out = {}
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(getattr(node, "value", None), ast.Constant):
            continue  # a docstring
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            name = prefix + node.name
            body = [n for n in node.body if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
            if isinstance(node, ast.ClassDef):
                out.update(definitions(ast.Module(body=body, type_ignores=[]), name + "."))
                out[name] = ast.unparse(ast.ClassDef(node.name, node.bases, node.keywords, [], node.decorator_list))
            else:
                out[name] = ast.unparse(ast.Module(body=body, type_ignores=[]))
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            out[prefix + ast.unparse(target)] = ast.unparse(node)
        else:
            out[prefix + ast.unparse(node)] = ast.unparse(node)  # imports and the rest, keyed by themselves
    return out


def changed_lines(a, b):
    """Lines removed from ``a`` plus lines added in ``b``."""
    diff = difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=0)
    return [ln for ln in diff if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]


def base_of(path):
    return EXAMPLES / BASE[path.parent.name]


@pytest.mark.parametrize("path", MISTAKES, ids=lambda p: p.relative_to(EXAMPLES / "mistakes").as_posix())
def test_mistake_differs_from_its_base_only_in_a_few_backward_lines(path):
    base = definitions(ast.parse(base_of(path).read_text(encoding="utf-8")))
    mine = definitions(ast.parse(path.read_text(encoding="utf-8")))
    assert set(mine) - SETTINGS == set(base) - SETTINGS, "a definition was added or removed"
    assert "EXPECTED_EQUATION" in mine
    total = []
    for name in sorted(set(base) - SETTINGS):
        diff = changed_lines(base[name], mine[name])
        if diff:
            assert name.split(".")[-1] in BACKWARD, f"{name} changed outside the backward pass: {diff}"
            total += diff
    assert len(total) <= MAX_CHANGED, total
    # no changed line at all: then the mistake is the code's, under the cost or σ the file declares
    assert total or any(mine.get(k) != base.get(k) for k in ("COST", "ACTIVATION")), "identical to its base"


def test_the_check_can_fail(tmp_path):
    base = definitions(ast.parse((EXAMPLES / "nielsen_style.py").read_text(encoding="utf-8")))
    edited = (EXAMPLES / "nielsen_style.py").read_text(encoding="utf-8").replace("s * (1.0 - s)", "s * (1.1 - s)")
    mine = definitions(ast.parse(edited))
    assert changed_lines(base["sigmoid_prime"], mine["sigmoid_prime"])  # outside the backward pass: refused above
    rewritten = (
        (EXAMPLES / "correct.py").read_text(encoding="utf-8").replace("    L = max(W)\n", "    L = max(W)\n" * 6)
    )
    diff = changed_lines(
        definitions(ast.parse((EXAMPLES / "correct.py").read_text(encoding="utf-8")))["backprop"],
        definitions(ast.parse(rewritten))["backprop"],
    )
    assert len(diff) > MAX_CHANGED
