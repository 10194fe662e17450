"""The layout's promises.

manual_bp never imports torch, torch_ref never imports manual_bp; in comparisons/ each feature
(sweep, lecture, diagnose, bench, grade) leans on common/, manual_bp and torch_ref only, never on
another feature (grade on diagnose's public API alone), and no library module imports a CLI module;
torch_ref starts from bit-identical copies of manual_bp's arrays.
"""

import ast
import pathlib
import subprocess
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
FEATURES = ("sweep", "lecture", "diagnose", "bench", "grade")
# grade runs diagnose on a class: it may use diagnose's public API, those two modules, and nothing else of it
PUBLIC = {"grade": {"comparisons.diagnose.api", "comparisons.diagnose.limits"}}


def module_name(path, root):
    """'comparisons.sweep.harness' for root/comparisons/sweep/harness.py."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path, root):
    """Every module ``path`` imports, as absolute dotted names (relative imports resolved)."""
    here = module_name(path, root).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            mod = ".".join(base + ([node.module] if node.module else []))
            names.add(mod)
            names.update(f"{mod}.{a.name}" for a in node.names)  # `from pkg import module`
    return names


def imported_modules(package, root=None):
    """Top-level names of everything the .py files of ``package`` import."""
    root = root or ROOT
    return {n.split(".")[0] for p in (root / package).rglob("*.py") for n in imports_of(p, root)}


def layering_violations(root=None):
    """(module, imported) pairs that break comparisons/'s layering."""
    root = root or ROOT
    bad = []
    for path in sorted((root / "comparisons").rglob("*.py")):
        mod = module_name(path, root)
        parts = mod.split(".")
        feature = parts[1] if len(parts) > 1 and parts[1] in FEATURES else None
        is_cli = parts[-1] == "cli"
        for imp in sorted(imports_of(path, root)):
            ip = imp.split(".")
            if ip[0] != "comparisons" or len(ip) < 2:
                continue
            other = ip[1] if ip[1] in FEATURES else None
            public = any(imp == p or imp.startswith(p + ".") for p in PUBLIC.get(feature, ()))
            if feature and other and other != feature and not public:
                bad.append((mod, imp))  # feature -> another feature
            elif (ip[-1] == "cli" or (len(ip) > 2 and ip[2] == "cli")) and not (
                mod in ("comparisons.cli", "comparisons.__main__") or is_cli
            ):
                bad.append((mod, imp))  # library -> a CLI module
            elif mod.startswith("comparisons.common") and other:
                bad.append((mod, imp))  # the shared core -> a feature
            elif is_cli and feature and len(ip) > 2 and ip[2] == "cli" and other != feature:
                bad.append((mod, imp))  # one feature's CLI -> another's
    return bad


@pytest.mark.parametrize("package, forbidden", [("manual_bp", "torch"), ("torch_ref", "manual_bp")])
def test_forbidden_import_absent_from_source(package, forbidden):
    assert forbidden not in imported_modules(package)


@pytest.mark.parametrize("package, forbidden", [("manual_bp", "torch"), ("torch_ref", "manual_bp")])
def test_forbidden_module_not_loaded_at_run_time(package, forbidden):
    code = f"import sys, {package}; sys.exit(1 if {forbidden!r} in sys.modules else 0)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


def test_import_scan_can_fail(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "m.py").write_text("import torch.nn as nn\n")
    assert "torch" in imported_modules("pkg", tmp_path)


def test_features_lean_on_common_only_and_no_library_imports_a_cli():
    assert layering_violations() == []


def test_features_exist_each_with_its_cli():
    for feature in (*FEATURES, "common"):
        assert (ROOT / "comparisons" / feature / "__init__.py").is_file()
    for feature in FEATURES:
        assert (ROOT / "comparisons" / feature / "cli.py").is_file()
    prefixed = [p.name for p in (ROOT / "comparisons").glob("*_*.py") if not p.name.startswith("__")]
    assert prefixed == []


@pytest.mark.parametrize(
    "where, source, caught",
    [
        ("sweep/x.py", "from comparisons.lecture import data\n", "comparisons.lecture"),
        ("sweep/x.py", "from ..diagnose.verdict import diagnose\n", "comparisons.diagnose.verdict"),
        ("lecture/x.py", "import comparisons.bench.timing\n", "comparisons.bench.timing"),
        ("diagnose/x.py", "from comparisons.diagnose.cli import register\n", "comparisons.diagnose.cli"),
        ("common/x.py", "from comparisons.sweep import harness\n", "comparisons.sweep"),
        ("sweep/cli.py", "from comparisons.lecture.cli import run\n", "comparisons.lecture.cli"),
        ("grade/x.py", "from comparisons.diagnose.verdict import judge\n", "comparisons.diagnose.verdict"),
    ],
)
def test_layering_scan_can_fail(tmp_path, where, source, caught):
    pkg = tmp_path / "comparisons"
    for feature in (*FEATURES, "common"):
        (pkg / feature).mkdir(parents=True)
        (pkg / feature / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / where).write_text(source)
    assert any(imp.startswith(caught) for _, imp in layering_violations(tmp_path))


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
