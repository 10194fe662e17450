"""Hypothesis profiles: `dev` (fast, the default here) and `ci` (loaded when CI is set)."""

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


def pytest_terminal_summary(terminalreporter):
    """The largest manual-vs-torch differences the property tests saw, per dtype."""
    for mod in list(sys.modules.values()):
        worst = getattr(mod, "DELTACHECK_WORST", None)
        if isinstance(worst, dict) and worst:
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
