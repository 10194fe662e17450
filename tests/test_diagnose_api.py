"""The Python API: check_backprop returns the verdict, assert_backprop raises it inside the user's own pytest."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from comparisons import assert_backprop, check_backprop

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def load(path):
    """The module of ``path``, imported the way a user's test imports their own file."""
    spec = importlib.util.spec_from_file_location(Path(path).stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_import_comparisons_stays_light():
    code = "import sys, comparisons; sys.exit(1 if 'torch' in sys.modules or 'numpy' in sys.modules else 0)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0
    code = "import sys; from comparisons import check_backprop; sys.exit(1 if 'torch' in sys.modules else 0)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


def test_assert_backprop_passes_on_a_correct_class():
    Network = load(EXAMPLES / "nielsen_style.py").Network
    verdict = assert_backprop(Network, archs=1)
    assert verdict.passed and verdict.exit_code == 0 and verdict.headline.startswith("PASS")


def test_assert_backprop_fails_with_the_verdict_and_its_hint_as_message():
    TwoLayerNet = load(EXAMPLES / "mistakes" / "dlfs" / "mean_taken_twice_eq2.py").TwoLayerNet
    with pytest.raises(AssertionError) as info:
        assert_backprop(TwoLayerNet, sizes="12-3-2")
    verdict = check_backprop(TwoLayerNet, sizes="12-3-2")
    assert str(info.value) == verdict.message() == f"{verdict.headline}\nhint: {verdict.hint}"
    assert verdict.status == "fail" and verdict.eq == "2" and verdict.layer == 3
    assert "dW^3 (grads['W2']) is exactly 1/K = 1/64 ×" in str(info.value)
    assert "the mean is taken twice" in str(info.value)


def test_check_backprop_takes_a_path_and_a_function():
    v = check_backprop(f"{EXAMPLES / 'correct.py'}:backprop", sizes=[(4, 3, 2), "3-3-3-3"])
    assert v.passed and [r.case.spec.sizes for r in v.results] == [(4, 3, 2)] * 3 + [(3, 3, 3, 3)] * 3
    backprop = load(EXAMPLES / "mistakes" / "wrong_sign_eq4.py").backprop
    v = check_backprop(backprop, archs=0)
    assert v.status == "fail" and v.eq == "4" and "exactly −1 ×" in v.headline


def test_code_that_never_returns_is_an_error_verdict_not_an_exception(tmp_path):
    p = tmp_path / "hangs.py"
    p.write_text("def backprop(W, b, X, T):\n    while True:\n        pass\n", encoding="utf-8")
    v = check_backprop(str(p), archs=0, timeout=1.5)
    assert v.status == "error" and v.exit_code == 2 and "ran past --timeout 1.5 s" in v.headline
    with pytest.raises(AssertionError, match="NO RESULT"):
        assert_backprop(str(p), archs=0, timeout=1.5)
    p.write_text("x = undefined\n", encoding="utf-8")
    assert check_backprop(str(p)).headline.startswith("UNUSABLE: ")


def _local():
    def backprop(W, b, X, T):
        return {}, {}

    return backprop


@pytest.mark.parametrize(
    "args, kwargs, message",
    [
        ((3,), {}, "code must be a function, a class or a path"),
        (("nothere.py",), {}, "code: nothere.py: no such file"),
        ((_local(),), {}, "is defined inside a function"),
        (("examples/correct.py",), {"sizes": "12-3"}, None),
        (("examples/correct.py",), {"sizes": "12"}, "sizes 12: needs at least 2 layers"),
        (("examples/correct.py",), {"cost": "hinge"}, "cost: unknown cost 'hinge'"),
        (("examples/correct.py",), {"activation": "swish"}, "activation: unknown activation 'swish'"),
        (("examples/correct.py",), {"timeout": -1}, "timeout must be a finite number of seconds > 0"),
        (("examples/correct.py",), {"archs": 1.5}, "archs must be an integer >= 0"),
        (("examples/correct.py",), {"max_memory": 10}, "max_memory must be at least 256M"),
        (("examples/correct.py",), {"convention": "keras"}, "convention must be one of lecture, nielsen, dlfs"),
        (("examples/dlfs_style.py",), {"sizes": "4-3-3-2"}, "sizes 4-3-3-2: TwoLayerNet(input_size, hidden_size"),
    ],
)
def test_bad_arguments_raise_value_error_naming_the_parameter(monkeypatch, args, kwargs, message):
    monkeypatch.chdir(ROOT)
    if message is None:  # a valid call among the invalid ones: the checks do not refuse everything
        assert check_backprop(*args, **kwargs).passed
        return
    with pytest.raises(ValueError) as info:
        check_backprop(*args, **kwargs)
    assert message in str(info.value) and "\n" not in str(info.value)
