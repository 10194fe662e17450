"""--device, checked before work starts: a CPU-only torch is refused without importing torch (seconds)."""

from __future__ import annotations

from comparisons.common.errors import UsageError


def cpu_only_torch():
    """torch's version when the installed torch is a CPU-only build, read from torch/version.py without
    importing torch (which takes seconds); None when it may have CUDA, or cannot be read."""
    import ast
    import importlib.util
    import pathlib

    spec = importlib.util.find_spec("torch")
    try:
        tree = ast.parse((pathlib.Path(spec.origin).parent / "version.py").read_text())
    except (AttributeError, TypeError, OSError, SyntaxError):
        return None
    values = {}
    for node in tree.body:
        target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
        if isinstance(target, ast.Name) and isinstance(getattr(node, "value", None), ast.Constant):
            values[target.id] = node.value.value
    return values.get("__version__") if "cuda" in values and values["cuda"] is None else None


def check_device(device):
    """``device`` usable (CUDA's TF32 off), else UsageError; a CPU-only torch is refused before torch is imported."""
    version = cpu_only_torch() if device == "cuda" else None
    if version:
        raise UsageError(f"--device cuda: CUDA is not available here (torch {version}, built for CPU only)")
    from comparisons.sweep.runner import set_device

    problem = set_device(device)
    if problem:
        raise UsageError(problem)
