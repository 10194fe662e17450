"""Hypothesis profiles: `dev` (fast, the default here) and `ci` (loaded when CI is set)."""

import json
import os
import pathlib
import sys

import pytest
from hypothesis import HealthCheck, settings

# tests/strategies.py (hypothesis strategies, a test-only dependency) is imported as `strategies`:
# --import-mode=importlib puts no test folder on sys.path by itself.
sys.path.insert(0, str(pathlib.Path(__file__).parent))

# The built-in `ci` profile (derandomized, no deadline, database off) extended: 300 examples,
# the shrunk failure printed as a reproducible blob.
settings.register_profile(
    "ci",
    parent=settings.get_profile("ci"),
    max_examples=300,
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))


def _spread_files():
    """The test files marked ``spread`` (``pytestmark = pytest.mark.spread``), read from their source: pytest-xdist's
    controller collects no tests, so it cannot see the mark itself."""
    here = pathlib.Path(__file__).parent
    mark = "pytestmark = pytest.mark.spread"
    return {p.name for p in here.glob("test_*.py") if mark in p.read_text(encoding="utf-8")}


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """--dist loadfile, except the files marked ``spread``: a test file stays on one worker (its module fixtures made
    once), a spread file's tests — independent subprocess runs — are shared out one by one.  (pytest-xdist's
    loadgroup would do this by marks, but under pytest 9 the group it writes into a test's id is not read back.)"""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadScopeScheduling

    spread = _spread_files()

    class FileScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            file = nodeid.split("::", 1)[0]
            return nodeid if file.rsplit("/", 1)[-1] in spread else file

    return FileScheduling(config, log)


_FROM_WORKERS = {}  # the same, reported by pytest-xdist's workers when the suite runs on several


def _worst_here():
    """{dtype: (used, abs err, rel err)}: the largest differences this process's property tests recorded."""
    out = {}
    for mod in list(sys.modules.values()):
        worst = getattr(mod, "DELTACHECK_WORST", None)
        if isinstance(worst, dict):
            _merge(out, worst)
    return out


def _merge(into, worst):
    for dtype, rec in worst.items():
        if dtype not in into or tuple(rec)[0] > into[dtype][0]:
            into[dtype] = tuple(rec)


def pytest_sessionfinish(session):
    """In a pytest-xdist worker: hand the worst differences to the controller."""
    if hasattr(session.config, "workeroutput"):
        session.config.workeroutput["deltacheck_worst"] = json.dumps(_worst_here())


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """In the controller: collect a finished worker's worst differences."""
    _merge(_FROM_WORKERS, json.loads(getattr(node, "workeroutput", {}).get("deltacheck_worst", "{}")))


def pytest_terminal_summary(terminalreporter):
    """The largest manual-vs-torch differences the property tests saw, per dtype."""
    worst = _worst_here()
    _merge(worst, _FROM_WORKERS)
    if worst:
        terminalreporter.section("largest manual_bp vs autograd difference in the property tests")
        for dtype, (used, abs_err, rel_err) in sorted(worst.items()):
            terminalreporter.write_line(
                f"{dtype}: max abs err {abs_err:.3g}, max elementwise rel err "
                f"{rel_err:.3g}, max fraction of the tolerance {used:.3g}"
            )


@pytest.fixture
def one_torch_thread():
    """One torch thread for a test of tiny networks: two spin against each other on a loaded machine, 40× slower."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
