"""Hypothesis profiles: `dev` (fast, the default here) and `ci` (loaded when CI is set)."""
import os

from hypothesis import HealthCheck, settings

# The built-in `ci` profile (derandomized, no deadline, database off) extended: 300 examples, the shrunk failure printed as a reproducible blob.
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
