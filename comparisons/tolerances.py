"""Named tolerances for comparing manual_bp with torch_ref, each with its reason.

A check passes elementwise when |m − r| ≤ atol·s + rtol·|r|, numpy.isclose's rule
(``r`` is torch's value), where s = max(1, max|r|) is the scale of the tensor being
compared.  Why scale atol: an entry of ∂C_T/∂W is a sum over k of terms whose size is
bounded by the tensor's largest entries, and when those terms cancel, the rounding
error left behind is of the order eps·(size of the terms), not eps·(size of the
result).  A fixed atol would be too loose for a tensor of 1e−6 gradients and too
tight for one of 1e3.  The floor of 1 keeps tiny tensors compared in absolute terms.

How the numbers were chosen: both sides compute the same sums in a different order
(BLAS blocking, fused kernels), so they differ by rounding alone.  For a network of
depth D ≤ 6 and width n ≤ 16 with K ≤ 32 examples, a gradient entry goes through
about D matrix products of length ≤ max(n, K), each adding ≲ length·eps of relative
error: ≲ 6·32·eps ≈ 200·eps in the worst case, ≈ 4e−14 in float64, ≈ 2.5e−5 in
float32, before amplification by σ' ratios.  The bounds below leave a margin of
about 100–1000× over the largest error measured across the property tests and a
10,000-architecture sweep (see the README), while a real mistake (a missing σ', a
transposed W, a wrong sign) gives relative errors of order 1e−2 to 1: no overlap.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Tolerance:
    """|m − r| ≤ atol·max(1, max|r|) + rtol·|r|, elementwise."""

    rtol: float
    atol: float


# float64: eps = 2.2e−16 and the bound above is ≈ 4e−14; measured: at most 3.4e−5 of
# this tolerance over 300 random architectures (≈ 3e−16 relative to scale).
GRAD_F64 = Tolerance(rtol=1e-10, atol=1e-12)
# float32: eps = 1.2e−7 and the bound above is ≈ 2.5e−5; measured: at most 3.6e−2 of
# this tolerance over 300 random architectures (≈ 4e−7 relative to scale).
GRAD_F32 = Tolerance(rtol=1e-4, atol=1e-5)

# Trajectories: each step adds a rounding difference ε of the size above to the
# parameters, and the update map w ↦ w − η∇C carries earlier differences forward,
# multiplying them by at most ‖I − ηH‖ per step (H the Hessian of C).  For the small η
# the sampler uses, ‖ηH‖ ≲ 1, so differences grow at most linearly in the number of
# steps n, never exponentially: the allowed difference after n steps is
# n × (the per-step bound) × max(1, max|w|).  A run whose training diverges is a
# different matter (the parameters themselves explode) and is reported as such.
# Per step, a tenth of the gradient bound: a step moves w by η∇C with η·|∇C| well below |w|.
# Measured over 300 random 100-step runs: at most 1.6e−4 (f64) and 1.1e−2 (f32) of these.
TRAJ_PER_STEP_F64 = Tolerance(rtol=1e-11, atol=1e-13)
TRAJ_PER_STEP_F32 = Tolerance(rtol=1e-5, atol=1e-6)

GRADIENT = {np.dtype(np.float64): GRAD_F64, np.dtype(np.float32): GRAD_F32}
TRAJECTORY = {np.dtype(np.float64): TRAJ_PER_STEP_F64, np.dtype(np.float32): TRAJ_PER_STEP_F32}


def gradient_tolerance(dtype):
    """The gradient tolerance for arrays of ``dtype``."""
    return GRADIENT[np.dtype(dtype)]


def trajectory_tolerance(dtype, steps):
    """The allowed parameter difference after ``steps`` steps: the per-step bound × steps."""
    t = TRAJECTORY[np.dtype(dtype)]
    n = max(1, steps)
    return Tolerance(rtol=t.rtol * n, atol=t.atol * n)

# Central finite differences (float64, h = 1e−6): truncation ≈ h²|f'''|/6 ≈ 1e−13 and
# cancellation ≈ eps·|C|/h ≈ 2e−10·|C| with |C| ≲ 50 here, so ≈ 1e−8 absolute at worst;
# 1e−6 relative / 1e−7 absolute leaves a margin of 10× and more, while a wrong
# equation is off by 1e−2 … 1.
FD_F64 = Tolerance(rtol=1e-6, atol=1e-7)
