"""The package states ranges, the repository pins: the built wheel's metadata asks for no exact version (so an
environment that already has torch keeps it), and the exact pins live only in constraints.txt, which
`make install` uses, installing torch's CPU build first."""

import re
import subprocess
import sys
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
PINS = {"torch": "2.13.0", "ruff": "0.17.6"}  # what constraints.txt must pin; each must also lie in its range


def wheel_requirements(tmp_path):
    """Requires-Dist of the wheel setuptools would build from this checkout (its metadata only: offline, fast)."""
    code = (
        "import sys\nfrom setuptools import build_meta\n"
        "print(build_meta.prepare_metadata_for_build_wheel(sys.argv[1]), file=sys.stderr)"
    )
    r = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stderr
    dist_info = r.stderr.strip().splitlines()[-1]
    text = (tmp_path / dist_info / "METADATA").read_text(encoding="utf-8")
    return [
        Requirement(line.split(":", 1)[1].strip()) for line in text.splitlines() if line.startswith("Requires-Dist:")
    ]


def range_problems(requirements):
    """The requirements that are not a range with a lower bound: a pin (== or ===), or no lower bound at all."""
    bad = []
    for req in requirements:
        ops = {s.operator for s in req.specifier}
        if ops & {"==", "===", "~="} or not ops & {">=", ">"}:
            bad.append(str(req))
    return bad


def test_the_wheel_states_ranges_not_pins(tmp_path):
    reqs = wheel_requirements(tmp_path)
    names = {r.name for r in reqs}
    assert {"numpy", "scipy", "torch", "pandas", "ruff"} <= names, names
    assert range_problems(reqs) == []
    by_name = {r.name: r for r in reqs}
    for name, pinned in PINS.items():  # the version this repository tests lies in the range, and so does a newer one
        assert by_name[name].specifier.contains(pinned), (name, str(by_name[name]))
    assert by_name["torch"].specifier.contains("2.14.1") and not by_name["torch"].specifier.contains("2.12.0")
    assert not any(r.name == "torch" and r.marker for r in reqs)  # a dependency of the package, not of an extra


def test_the_range_check_catches_a_pin_and_a_missing_lower_bound():
    wrong = [Requirement("torch==2.13.0"), Requirement("ruff~=0.17.6"), Requirement("tqdm"), Requirement("pandas<3")]
    assert range_problems(wrong) == ["torch==2.13.0", "ruff~=0.17.6", "tqdm", "pandas<3"]
    assert range_problems([Requirement("torch>=2.13"), Requirement("ruff<0.18,>=0.17.6")]) == []


def test_the_exact_pins_live_in_constraints_txt_which_make_install_uses_torch_first():
    pins = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            req = Requirement(line)
            (spec,) = req.specifier
            pins[req.name] = spec.operator, spec.version
    assert pins == {name: ("==", v) for name, v in PINS.items()}
    assert "==" not in (ROOT / "pyproject.toml").read_text(encoding="utf-8").split("[tool.")[0]
    recipe = (ROOT / "Makefile").read_text(encoding="utf-8").split("$(STAMP):", 1)[1].split("\n\n", 1)[0]
    installs = [l.strip() for l in recipe.splitlines() if "pip install" in l]
    assert len(installs) == 2 and all("-c constraints.txt" in l for l in installs), installs
    assert re.search(r"\btorch$", installs[0]) and "-e '.[" in installs[1]  # torch (the CPU build on disk) first
