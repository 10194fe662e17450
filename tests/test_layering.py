"""The layout's promises: manual_bp never imports torch, torch_ref never imports manual_bp,
and torch_ref starts from bit-identical copies of manual_bp's arrays."""

import ast
import pathlib
import subprocess
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def imported_modules(package):
    names = set()
    for path in (ROOT / package).glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package, forbidden", [("manual_bp", "torch"), ("torch_ref", "manual_bp")])
def test_forbidden_import_absent_from_source(package, forbidden):
    assert forbidden not in imported_modules(package)


@pytest.mark.parametrize("package, forbidden", [("manual_bp", "torch"), ("torch_ref", "manual_bp")])
def test_forbidden_module_not_loaded_at_run_time(package, forbidden):
    code = f"import sys, {package}; sys.exit(1 if {forbidden!r} in sys.modules else 0)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


def test_import_scan_can_fail(tmp_path, monkeypatch):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "m.py").write_text("import torch.nn as nn\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert "torch" in imported_modules("pkg")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_torch_parameters_are_bit_identical_copies(dtype):
    from manual_bp import MLP
    from torch_ref import TorchMLP

    net = MLP.init([7, 5, 3, 2], ["tanh", "relu", "sigmoid"], "squared_error", seed=3, dtype=dtype)
    ref = TorchMLP(net.W, net.b, net.activations, "squared_error")
    for l in net.W:
        assert ref.weights()[l].dtype == dtype
        assert ref.weights()[l].tobytes() == net.W[l].tobytes()
        assert ref.biases()[l].tobytes() == net.b[l].tobytes()
