"""Detection power: the share of sampled architectures whose checks catch one planted bug.

The measurement behind the table of docs/tolerances.md: ``sample_specs(archs, seed, dtype, steps, family=FAMILY)``
checked at the start (``steps`` = 0, the table's) or also over training steps, clean and with one of
``deltacheck selftest``'s bugs planted.  An
architecture catches the bug where any of its checks fails with it; one it passes is listed with what the clean
run shows (``selftest.facts``: a gradient that is exactly 0 cannot carry a factor).
"""

from __future__ import annotations

import dataclasses

from comparisons.common.progress import Bar
from comparisons.common.spec import sample_specs
from comparisons.sweep.runner import init_worker
from comparisons.sweep.selftest import clean_run, planted

FAMILY = 10  # the sweep's families on the CPU: the architectures the sweep itself draws


@dataclasses.dataclass
class Power:
    """What one measurement found."""

    archs: int  # architectures the bug can show on
    caught: int
    clean_failures: int  # architectures the unmutated code fails: each a false alarm, to be traced
    worst: float  # the clean run's largest share of a bound over every start row
    missed: list  # (arch, label, reason)

    def line(self, bug, dtype, seed):
        """The verdict, one line."""
        share = f"{self.caught / self.archs:.1%}" if self.archs else "—"
        return (f"{bug}: caught on {self.caught} of {self.archs} {dtype} architectures ({share}), seed {seed}; "
                f"clean failures {self.clean_failures}; clean worst {self.worst:.3f} of the bound")  # fmt: skip


def measure(mutation, archs, seed, dtype, steps=0, progress=None):
    """Power of ``mutation`` over ``archs`` sampled architectures, their start and ``steps`` training steps."""
    init_worker()
    specs = sample_specs(archs, seed, dtype, steps, family=FAMILY)
    pool = [specs[first : first + FAMILY] for first in range(0, len(specs), FAMILY)]
    with Bar(total=2 * len(specs), desc="architectures", unit="arch", show=progress) as bar:
        starts, clean, why, worst = clean_run(pool, bar)
        n, caught, _, missed = planted(mutation, pool, starts, why, bar)
    return Power(n, caught, len(clean), worst, [(a, spec.label(), reason) for a, spec, reason in missed])
